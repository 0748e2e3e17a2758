package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/inspector"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/portal"
	"github.com/custreg/custreg/secure"
)

// inspect feeds the developer portal's request inspector (sandbox mode only): every request
// made with an app of a portal developer — its Basic credentials or one of its tokens, accepted
// or refused — is kept for that developer, bodies redacted. Requests of other apps, and of no
// app, are not kept.
func (s *Server) inspect(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// Without credentials no app can be named: nothing to keep.
		if r := c.Request(); s.inspector == nil || r.Header.Get("Authorization") == "" || portal.Path(r.URL.Path) {
			return next(c)
		}
		start := time.Now()
		capture := &capturingWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = capture
		err := next(c)
		if err != nil {
			c.Error(err) // written now, so the answer can be kept
		}
		c.Response().Writer = capture.ResponseWriter
		s.keepForInspector(c, start, capture)
		return nil
	}
}

// keepForInspector adds the finished request to its developer's entries, if it has one.
func (s *Server) keepForInspector(c echo.Context, start time.Time, capture *capturingWriter) {
	r := c.Request()
	info := infoFrom(r.Context())
	// The request's own deadline may have passed; the lookups below are short.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Second)
	defer cancel()
	owner, refused := s.developerApp(ctx, r, info)
	if owner.developerID == "" {
		return
	}
	e := inspector.Entry{Time: start.UTC(), Method: r.Method, Route: c.Path(), Operation: info.specOperation, Status: c.Response().Status,
		Latency: time.Since(start), ClientID: owner.clientID, Refused: refused,
		RequestType: r.Header.Get("Content-Type"), ResponseType: c.Response().Header().Get("Content-Type")}
	if e.Route == "" || e.Route == "/*" {
		e.Route = "unmatched"
	}
	if info.traceID != "" && len(info.traceID) <= 64 {
		e.TraceID = info.traceID
	}
	codes := make([]string, len(info.errorCodes))
	for i, p := range info.errorCodes {
		codes[i] = p.Code
	}
	e.ErrorCodes = strings.Join(codes, " ")
	var red inspector.Redactor
	e.RequestBody = red.Body(e.RequestType, info.body)
	if capture.overflow {
		e.ResponseBody = red.TooLarge(e.ResponseType, capture.size)
	} else {
		e.ResponseBody = red.Body(e.ResponseType, capture.buf.Bytes())
	}
	e.RequestBody, e.ResponseBody = red.Scrub(e.RequestBody), red.Scrub(e.ResponseBody)
	s.inspector.Add(owner.developerID, e)
}

// appOwner is a client app as the inspector knows it.
type appOwner struct{ clientID, developerID string }

// developerApp finds the app a request was made with — the authenticated caller, else the app
// its refused credentials or token name — and its developer ("" for an operator's app).
func (s *Server) developerApp(ctx context.Context, r *http.Request, info *requestInfo) (appOwner, bool) {
	if p := info.principal; p != nil {
		if p.app != nil {
			return appOwner{p.app.ClientID, p.app.DeveloperID}, false
		}
		if p.token != nil {
			return s.owners.byID(ctx, s, p.token.ClientAppID), false
		}
	}
	if id, _, ok := r.BasicAuth(); ok && id != "" && len(id) <= 128 {
		return s.owners.byClientID(ctx, s, id), true
	}
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if raw = strings.TrimSpace(raw); ok && strings.EqualFold(scheme, "Bearer") && raw != "" && len(raw) <= 256 {
		if tok, err := s.store.Token(ctx, secure.TokenHash(raw)); err == nil {
			return s.owners.byID(ctx, s, tok.ClientAppID), true
		}
	}
	return appOwner{}, false
}

// appOwners caches which developer each app belongs to (it never changes), by row id and by
// client id: a flood of refused client credentials must not cost a database read apiece.
type appOwners struct {
	mu       sync.Mutex
	byApp    map[uint]appOwner
	byClient map[string]appOwner
}

// maxCachedOwners bounds the cache; past it, it starts over.
const maxCachedOwners = 4096

func (o *appOwners) byID(ctx context.Context, s *Server, id uint) appOwner {
	return cachedOwner(&o.mu, &o.byApp, id, func() (appOwner, bool) {
		app, err := s.store.ClientAppByID(ctx, id)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return appOwner{}, true // row ids are never reused
		case err != nil:
			return appOwner{}, false // not cached: the next request asks again
		}
		return appOwner{app.ClientID, app.DeveloperID}, true
	})
}

// byClientID is the owner of the app with this client id; an unknown id is not cached (an app
// may be created under it later) and costs one indexed read of the apps table.
func (o *appOwners) byClientID(ctx context.Context, s *Server, clientID string) appOwner {
	return cachedOwner(&o.mu, &o.byClient, clientID, func() (appOwner, bool) {
		app, err := s.store.ClientAppOwner(ctx, clientID)
		if err != nil {
			return appOwner{}, false
		}
		return appOwner{app.ClientID, app.DeveloperID}, true
	})
}

// cachedOwner returns the cached owner under key, else looks it up and caches it when keep says
// so. The cache starts over past maxCachedOwners entries.
func cachedOwner[K comparable](mu *sync.Mutex, cache *map[K]appOwner, key K, lookup func() (owner appOwner, keep bool)) appOwner {
	mu.Lock()
	owner, ok := (*cache)[key]
	mu.Unlock()
	if ok {
		return owner
	}
	owner, keep := lookup()
	if !keep {
		return owner
	}
	mu.Lock()
	if *cache == nil || len(*cache) >= maxCachedOwners {
		*cache = map[K]appOwner{}
	}
	(*cache)[key] = owner
	mu.Unlock()
	return owner
}

// capturingWriter keeps the first inspector.MaxRedactBytes of an answer while it is written.
type capturingWriter struct {
	http.ResponseWriter
	buf      bytes.Buffer
	size     int
	overflow bool
}

func (w *capturingWriter) Write(p []byte) (int, error) {
	w.size += len(p)
	if !w.overflow {
		if w.buf.Len()+len(p) > inspector.MaxRedactBytes {
			w.overflow = true
			w.buf.Reset()
		} else {
			w.buf.Write(p)
		}
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer (flush, deadlines).
func (w *capturingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
