// Package inspector keeps, in memory, the last requests each sandbox developer's client apps
// made, with their bodies redacted (Redactor), for the developer portal's request inspector.
package inspector

import (
	"slices"
	"sync"
	"time"
)

// Bounds of what an Inspector keeps.
const (
	// PerDeveloper is how many requests are kept for each developer: the newest.
	PerDeveloper = 200
	// MaxDevelopers is how many developers' requests are kept at once; the one whose apps were
	// quiet longest is forgotten first.
	MaxDevelopers = 32
)

// Entry is one request made with a developer's app. Bodies are already redacted; nothing in an
// entry is a secret or personal data.
type Entry struct {
	Seq        uint64 // increases with every entry of the inspector
	Time       time.Time
	Method     string
	Route      string // the route template (identifiers in paths are not kept)
	Operation  string // the operation id, "" when the request reached none
	Status     int
	ErrorCodes string // the answer's error codes, space-separated
	Latency    time.Duration
	TraceID    string // di_tid, transactionId or correlationId as sent
	ClientID   string // the app's Shared Key
	// Refused: the app's credentials or token were not accepted (wrong or replaced secret,
	// expired or revoked token).
	Refused      bool
	RequestType  string // media type
	RequestBody  string
	ResponseType string
	ResponseBody string
}

// Inspector is the bounded store of entries; safe for concurrent use.
type Inspector struct {
	mu    sync.Mutex
	seq   uint64
	rings map[string]*ring
}

type ring struct {
	entries []Entry // oldest first, at most PerDeveloper
	last    time.Time
}

// New returns an empty inspector.
func New() *Inspector { return &Inspector{rings: map[string]*ring{}} }

// Add keeps e for the developer (its Seq is assigned here), dropping the developer's oldest
// entry beyond PerDeveloper and the quietest developer beyond MaxDevelopers.
func (in *Inspector) Add(developerID string, e Entry) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.seq++
	e.Seq = in.seq
	r, ok := in.rings[developerID]
	if !ok {
		if len(in.rings) >= MaxDevelopers {
			quietest := ""
			for id, other := range in.rings {
				if quietest == "" || other.last.Before(in.rings[quietest].last) {
					quietest = id
				}
			}
			delete(in.rings, quietest)
		}
		r = &ring{}
		in.rings[developerID] = r
	}
	if len(r.entries) >= PerDeveloper {
		r.entries = slices.Delete(r.entries, 0, len(r.entries)-PerDeveloper+1)
	}
	r.entries = append(r.entries, e)
	r.last = time.Now()
}

// List returns the developer's entries newer than after (0: all) that keep says to keep (nil:
// all), newest first.
func (in *Inspector) List(developerID string, after uint64, keep func(Entry) bool) []Entry {
	in.mu.Lock()
	defer in.mu.Unlock()
	r, ok := in.rings[developerID]
	if !ok {
		return nil
	}
	var out []Entry
	for i := len(r.entries) - 1; i >= 0; i-- {
		e := r.entries[i]
		if e.Seq <= after {
			break
		}
		if keep == nil || keep(e) {
			out = append(out, e)
		}
	}
	return out
}
