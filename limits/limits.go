// Package limits holds the building blocks of the service's abuse limits: request rates on token
// buckets (golang.org/x/time/rate), one bucket per key in a table of bounded size, each client
// app's quota and spike arrest, and a budget of bytes held at once (golang.org/x/sync/semaphore).
// Everything is kept in the memory of one process: with N instances behind a load balancer each
// instance applies the limits on its own (docs/security.md gives the arithmetic).
package limits

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"
)

// MaxEvents is the largest N of a Rate.
const MaxEvents = 1_000_000_000

// Rate is N events per period, written "100/s", "600/m", "20000/h" or "100000/d". As a token
// bucket it allows a burst of N and refills N per period. The zero Rate ("none") is no limit.
type Rate struct {
	N   int
	Per time.Duration
}

var units = []struct {
	name string
	per  time.Duration
}{{"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}

// ParseRate reads "N/s", "N/m", "N/h" or "N/d" (N from 1 to MaxEvents), or "none" for no limit.
func ParseRate(s string) (Rate, error) {
	if s == "none" {
		return Rate{}, nil
	}
	num, unit, _ := strings.Cut(s, "/")
	n, err := strconv.Atoi(num)
	if err == nil && n >= 1 && n <= MaxEvents && num == strconv.Itoa(n) {
		for _, u := range units {
			if u.name == unit {
				return Rate{N: n, Per: u.per}, nil
			}
		}
	}
	return Rate{}, fmt.Errorf("%q is not a rate: write N/s, N/m, N/h or N/d with N from 1 to %d, or none", s, MaxEvents)
}

// String is the form ParseRate reads.
func (r Rate) String() string {
	if r.None() {
		return "none"
	}
	for _, u := range units {
		if u.per == r.Per {
			return strconv.Itoa(r.N) + "/" + u.name
		}
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}

// None reports whether the rate imposes no limit.
func (r Rate) None() bool { return r.N <= 0 || r.Per <= 0 }

// MarshalText and UnmarshalText let flags, environment variables and logs use the written form.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText parses the written form (see ParseRate).
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// bucket is a token bucket of r; nil for no limit.
func (r Rate) bucket() *rate.Limiter {
	if r.None() {
		return nil
	}
	return rate.NewLimiter(rate.Limit(float64(r.N)/r.Per.Seconds()), r.N)
}

// take takes one event from b at now, or nothing and the wait until b holds one.
func take(b *rate.Limiter, now time.Time) (bool, time.Duration) {
	if b == nil {
		return true, 0
	}
	if b.AllowN(now, 1) {
		return true, 0
	}
	return false, untilOne(b, now)
}

// untilOne is how long until b holds one event again.
func untilOne(b *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - b.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(missing / float64(b.Limit()) * float64(time.Second)))
}

// Table keeps a token bucket of one Rate per key (a source address, say) for at most size keys.
// The least recently used key is forgotten first, so memory stays bounded however many keys
// callers invent; a forgotten key starts again with a full bucket. A nil Table limits nothing.
type Table struct {
	rate  Rate
	mu    sync.Mutex // guards the cache and every entry's pending
	cache *lru.Cache[string, *entry]
}

// entry is one key's bucket and its events taken but not yet settled (Take).
type entry struct {
	bucket  *rate.Limiter
	pending int
}

// NewTable returns a table of r for at most size keys, or nil when r is no limit.
func NewTable(r Rate, size int) *Table {
	if r.None() {
		return nil
	}
	cache, err := lru.New[string, *entry](max(size, 1))
	if err != nil {
		panic(err) // only for a size below one
	}
	return &Table{rate: r, cache: cache}
}

// entry returns key's entry, made when missing; t.mu must be held.
func (t *Table) entry(key string) *entry {
	if e, ok := t.cache.Get(key); ok {
		return e
	}
	e := &entry{bucket: t.rate.bucket()}
	t.cache.Add(key, e)
	return e
}

// Allow takes one event from key's bucket at now. When the bucket is empty it takes nothing and
// returns how long until it holds one again.
func (t *Table) Allow(key string, now time.Time) (bool, time.Duration) {
	if t == nil {
		return true, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return take(t.entry(key).bucket, now)
}

// Take sets one event of key's bucket aside at now for something whose outcome decides whether
// it counts (a password check: only a failure counts); settle(counted, at) then takes it from
// the bucket or gives it back. Events set aside count as taken for every other Take, so
// concurrent callers cannot all pass on the bucket's last event. When the bucket holds nothing
// beyond what is set aside, Take refuses and returns how long until it holds one more.
func (t *Table) Take(key string, now time.Time) (ok bool, wait time.Duration, settle func(counted bool, at time.Time)) {
	if t == nil {
		return true, 0, func(bool, time.Time) {}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(key)
	if missing := float64(e.pending+1) - e.bucket.TokensAt(now); missing > 0 {
		return false, time.Duration(math.Ceil(missing / float64(e.bucket.Limit()) * float64(time.Second))), nil
	}
	e.pending++
	return true, 0, func(counted bool, at time.Time) {
		t.mu.Lock()
		defer t.mu.Unlock()
		e.pending--
		if counted {
			e.bucket.AllowN(at, 1)
		}
	}
}

// Exhausted reports, taking nothing, whether key's bucket is empty at now and how long until it
// holds one again.
func (t *Table) Exhausted(key string, now time.Time) (bool, time.Duration) {
	if t == nil {
		return false, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.cache.Get(key)
	if !ok {
		return false, 0
	}
	wait := untilOne(e.bucket, now)
	return wait > 0, wait
}

// Len is the number of keys held.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return t.cache.Len()
}

// Kind names the limit that refused a request.
type Kind string

// The limits of a client app.
const (
	Quota       Kind = "quota"
	SpikeArrest Kind = "spike arrest"
)

// Apps keeps each client app's quota and spike-arrest buckets, keyed by the app's row id (the
// apps are provisioned, so the table is as large as the provisioning makes it).
type Apps struct {
	mu   sync.Mutex
	apps map[uint]*appBuckets
}

type appBuckets struct {
	quota, spike   Rate
	quotaB, spikeB *rate.Limiter
}

// NewApps returns an empty table.
func NewApps() *Apps { return &Apps{apps: map[uint]*appBuckets{}} }

// Allow takes one request of app at now under its spike arrest and its quota (either Rate may be
// no limit). When one of them refuses, nothing is taken from either, and Allow returns which one
// and how long until the request would pass it. Buckets are made anew when an app's rates change.
func (a *Apps) Allow(app uint, quota, spike Rate, now time.Time) (refused Kind, retryAfter time.Duration) {
	a.mu.Lock()
	b := a.apps[app]
	if b == nil || b.quota != quota || b.spike != spike {
		b = &appBuckets{quota: quota, spike: spike, quotaB: quota.bucket(), spikeB: spike.bucket()}
		a.apps[app] = b
	}
	a.mu.Unlock()
	var spikeRes *rate.Reservation
	if b.spikeB != nil {
		spikeRes = b.spikeB.ReserveN(now, 1)
		if d := spikeRes.DelayFrom(now); d > 0 {
			spikeRes.CancelAt(now)
			return SpikeArrest, d
		}
	}
	if ok, wait := take(b.quotaB, now); !ok {
		if spikeRes != nil {
			spikeRes.CancelAt(now)
		}
		return Quota, wait
	}
	return "", 0
}

// Budget bounds the total of what is held at once, such as the bytes of request bodies in
// flight. A nil Budget bounds nothing.
type Budget struct {
	size int64
	sem  *semaphore.Weighted
}

// NewBudget returns a budget of size, or nil for size <= 0.
func NewBudget(size int64) *Budget {
	if size <= 0 {
		return nil
	}
	return &Budget{size: size, sem: semaphore.NewWeighted(size)}
}

// Acquire takes n from the budget, waiting at most wait (and no longer than ctx lasts) for it to
// be free. It reports whether it took n; n over the whole budget is refused at once.
func (b *Budget) Acquire(ctx context.Context, n int64, wait time.Duration) bool {
	if b == nil || n <= 0 {
		return true
	}
	if n > b.size {
		return false
	}
	if b.sem.TryAcquire(n) {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return b.sem.Acquire(ctx, n) == nil
}

// Release gives back n taken by Acquire.
func (b *Budget) Release(n int64) {
	if b != nil && n > 0 {
		b.sem.Release(n)
	}
}
