package webapp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Sessions live in this process's memory: a real app behind several instances keeps them in a
// shared store (and encrypts what it keeps), but the shape is the same.
const (
	sessionCookie = "webapp_session"
	sessionIdle   = 30 * time.Minute // a session unused this long is forgotten
	maxSessions   = 1000             // beyond this the least recently used session is dropped
	maxCalls      = 50               // API calls remembered per session, for the success page
)

// session is one visitor's registration in progress. Its fields are guarded by mu, which
// withSession holds for the whole request: one visitor's requests run one at a time.
type session struct {
	mu   sync.Mutex
	id   string
	csrf string
	seen time.Time // guarded by the store's mutex

	keys        *keys             // the client app, in sessions that choose one
	values      map[string]string // what the user typed, by field name (the password too)
	completed   map[int]bool      // steps whose answers passed the app's checks
	errors      map[string]string // messages by field name (the app's checks, or the API's errorInfo)
	general     []string          // messages that belong to no field
	disclosures []disclosure      // the FI's disclosures, fetched at the last step
	accepted    map[string]bool   // disclosure ids the user ticked
	result      *result           // the registration, once it succeeded
	calls       []Call            // the API calls made for this session
}

type keys struct{ clientID, secret string }

// result is what the success page shows. The form's values are gone by then.
type result struct {
	GUID, LoginID, MemberNumber string
	NeedsToAcceptDisclosure     bool
}

// resetForm forgets everything the user typed and the outcome, keeping the client app.
func (s *session) resetForm() {
	s.values = map[string]string{}
	s.completed = map[int]bool{}
	s.errors = map[string]string{}
	s.general = nil
	s.disclosures = nil
	s.accepted = map[string]bool{}
	s.result = nil
	s.calls = nil
}

func (s *session) record(c Call) {
	s.calls = append(s.calls, c)
	if len(s.calls) > maxCalls {
		s.calls = s.calls[len(s.calls)-maxCalls:]
	}
}

type sessions struct {
	mu   sync.Mutex
	byID map[string]*session
	now  func() time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{byID: map[string]*session{}, now: now}
}

// lookup returns the live session with the given id, or nil.
func (st *sessions) lookup(id string) *session {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.byID[id]
	if s == nil {
		return nil
	}
	now := st.now()
	if now.Sub(s.seen) > sessionIdle {
		delete(st.byID, id)
		return nil
	}
	s.seen = now
	return s
}

// create starts a session, first forgetting idle ones and, when full, the least recently used.
func (st *sessions) create() *session {
	s := &session{id: randomToken(), csrf: randomToken()}
	s.resetForm()
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	s.seen = now
	for id, old := range st.byID {
		if now.Sub(old.seen) > sessionIdle {
			delete(st.byID, id)
		}
	}
	if len(st.byID) >= maxSessions {
		var oldest *session
		for _, old := range st.byID {
			if oldest == nil || old.seen.Before(oldest.seen) {
				oldest = old
			}
		}
		delete(st.byID, oldest.id)
	}
	st.byID[s.id] = s
	return s
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics if the system has no randomness)
	return base64.RawURLEncoding.EncodeToString(b)
}

// withSession finds or starts the visitor's session, refuses a form without the session's CSRF
// token, and runs fn holding the session.
func (a *app) withSession(fn func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s *session
		if c, err := r.Cookie(sessionCookie); err == nil {
			s = a.sessions.lookup(c.Value)
		}
		if s == nil {
			s = a.sessions.create()
			path := a.base
			if path == "" {
				path = "/"
			}
			http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.id, Path: path, HttpOnly: true,
				SameSite: http.SameSiteLaxMode, Secure: a.cfg.SecureCookie || r.TLS != nil})
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrf)) != 1 {
				a.forbidden(w, r)
				return
			}
		}
		fn(w, r, s)
	})
}
