package handlers

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/limits"
	"github.com/custreg/custreg/models"
)

// Limits are the stack's abuse limits (docs/security.md lists them with their defaults). Each
// instance keeps its own buckets. The zero value imposes none; main passes the configured ones.
type Limits struct {
	// AppQuota and AppSpikeArrest bound the requests of each client app that its provisioning
	// does not give limits of its own (models.ClientApp.Quota, SpikeArrest).
	AppQuota, AppSpikeArrest limits.Rate
	// TokenRequestsPerAddress bounds the requests to the token and revoke endpoints from one
	// source address.
	TokenRequestsPerAddress limits.Rate
	// FailedLoginsPerAddress bounds the failed password grants from one source address: past it,
	// the address's password grants are refused before any password is checked.
	FailedLoginsPerAddress limits.Rate
	// BodyBytesInFlight bounds the bytes of request bodies held at once (0: no bound); a request
	// that finds no room within bodyBudgetWait is answered with the spike arrest.
	BodyBytesInFlight int64
}

// addressTableSize bounds each per-address table: about 200 bytes a key, so at most ~3 MiB
// each whatever the number of addresses seen (the least recently seen are forgotten first).
const addressTableSize = 16384

// bodyBudgetWait is how long a request waits for room among the bodies in flight.
const bodyBudgetWait = time.Second

// appRatesTTL is how long an app's configured limits are used before they are read again (a
// provisioning reload takes effect within it).
const appRatesTTL = 30 * time.Second

// limiters are a Server's abuse-limit state.
type limiters struct {
	cfg      Limits
	tokens   *limits.Table  // token-endpoint requests per address
	failures *limits.Table  // failed password grants per address
	apps     *limits.Apps   // quota and spike arrest per app
	bodies   *limits.Budget // request-body bytes in flight
	ratesMu  sync.Mutex
	appRates map[uint]appRates // by app row id
}

type appRates struct {
	quota, spike limits.Rate
	read         time.Time
}

func newLimiters(cfg Limits) *limiters {
	return &limiters{cfg: cfg, tokens: limits.NewTable(cfg.TokenRequestsPerAddress, addressTableSize),
		failures: limits.NewTable(cfg.FailedLoginsPerAddress, addressTableSize), apps: limits.NewApps(),
		bodies: limits.NewBudget(cfg.BodyBytesInFlight), appRates: map[uint]appRates{}}
}

// budget is the budget of bodies in flight (nil, no bound, for a Server not built by New).
func (l *limiters) budget() *limits.Budget {
	if l == nil {
		return nil
	}
	return l.bodies
}

// addressKey is the key of a source address in the per-address tables: an IPv4 address itself,
// an IPv6 address's /64 (one subscriber's usual allocation, so a host cannot take a fresh key for
// each of its addresses).
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// retrySeconds is a Retry-After value: whole seconds, at least one.
func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// limitStatus is the status of a limit answer: the legacy and token families publish 500 for
// quota and spike arrest (contract §1.6, 3.4); the others publish nothing, and answer 429.
func limitStatus(f family) int {
	if f.legacy() || f == famToken {
		return http.StatusInternalServerError
	}
	return http.StatusTooManyRequests
}

// spikeArrest is the family's answer when the service sheds load (contract §1.6): a client
// going too fast, or slow work (password hashing, bodies in flight) with no room left. It asks
// the client to come back in a second; callers with a better estimate set their own.
func spikeArrest(f family) *Problem {
	msg := "Too many requests: slow down and retry (spike arrest)"
	switch {
	case f.legacy():
		msg = "Spike arrest violation"
	case f == famToken:
		msg = "Spike limit violation"
	}
	p := problem(limitStatus(f), f.codes().spikeArrest, "", msg)
	p.RetryAfter = 1
	return p
}

// quotaExceeded is the family's answer to an app past its quota.
func quotaExceeded(f family) *Problem {
	msg := "Too many requests: the app's quota is used up"
	switch {
	case f.legacy():
		msg = "Quota limit violation"
	case f == famToken:
		msg = "Quota violation"
	}
	return problem(limitStatus(f), f.codes().quota, "", msg)
}

// refuse finishes a limit answer: Retry-After from the limit's wait, counted in the metrics, and
// held like a failed client authentication (a client that ignores the answer and sends again at
// once gets few answers a second and costs next to nothing).
func (s *Server) refuse(ctx context.Context, kind string, p *Problem, wait time.Duration) *Problem {
	p.RetryAfter = retrySeconds(wait)
	s.metrics.limited.WithLabelValues(kind).Inc()
	s.holdFailure(ctx)
	return p
}

// isTokenEndpoint reports whether the family is the V1 or V2 token service (token, revoke).
func isTokenEndpoint(f family) bool { return f == famLegacyToken || f == famToken }

// limitAddresses refuses token and revoke requests from a source address past its rate, before
// anything of the request is read.
func (s *Server) limitAddresses(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		info := infoFrom(ctx)
		if isTokenEndpoint(info.family) {
			if ok, wait := s.limits.tokens.Allow(addressKey(info.clientIP), s.now()); !ok {
				return s.refuse(ctx, "token_requests_per_address", spikeArrest(info.family), wait)
			}
		}
		return next(c)
	}
}

// guardLogins refuses a password grant from a source address whose failed password grants are
// past their limit, before the client is authenticated or any password is hashed: such requests
// cost nothing and count against no app. It runs after hygiene, which parsed the form. Each
// password grant sets a failure of the address's budget aside and settles it when done (taken if
// its password check failed, given back otherwise), so concurrent grants cannot all pass on the
// budget's last failures.
func (s *Server) guardLogins(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		info := infoFrom(r.Context())
		if !isTokenEndpoint(info.family) || r.PostForm.Get("grant_type") != "password" {
			return next(c)
		}
		ok, wait, settle := s.limits.failures.Take(addressKey(info.clientIP), s.now())
		if !ok {
			return s.refuse(r.Context(), "failed_logins_per_address", spikeArrest(info.family), wait)
		}
		defer func() { settle(info.loginFailed, s.now()) }()
		return next(c)
	}
}

// limitApp takes one request of the caller's app under its spike arrest and quota. app is the
// app row when the request authenticated with its client credentials (fresh from the database),
// nil for a bearer token, whose app's limits are read at most every appRatesTTL.
func (s *Server) limitApp(ctx context.Context, f family, appID uint, app *models.ClientApp) error {
	quota, spike, err := s.appRatesOf(ctx, appID, app)
	if err != nil {
		return err
	}
	kind, wait := s.limits.apps.Allow(appID, quota, spike, s.now())
	switch kind {
	case limits.SpikeArrest:
		return s.refuse(ctx, "app_spike_arrest", spikeArrest(f), wait)
	case limits.Quota:
		return s.refuse(ctx, "app_quota", quotaExceeded(f), wait)
	}
	return nil
}

// appRatesOf is an app's quota and spike arrest: its own when provisioned, else the defaults.
func (s *Server) appRatesOf(ctx context.Context, appID uint, app *models.ClientApp) (quota, spike limits.Rate, err error) {
	l := s.limits
	now := time.Now()
	l.ratesMu.Lock()
	cached, ok := l.appRates[appID]
	l.ratesMu.Unlock()
	if app == nil && ok && now.Sub(cached.read) < appRatesTTL {
		return cached.quota, cached.spike, nil
	}
	if app == nil {
		if app, err = s.store.ClientAppByID(ctx, appID); err != nil {
			return quota, spike, err
		}
	}
	cached = appRates{quota: rateOr(app.Quota, l.cfg.AppQuota), spike: rateOr(app.SpikeArrest, l.cfg.AppSpikeArrest), read: now}
	l.ratesMu.Lock()
	l.appRates[appID] = cached
	l.ratesMu.Unlock()
	return cached.quota, cached.spike, nil
}

// rateOr parses an app's stored rate, or gives the default for an empty (or unreadable) one.
func rateOr(stored string, def limits.Rate) limits.Rate {
	if stored == "" {
		return def
	}
	r, err := limits.ParseRate(stored)
	if err != nil {
		return def // provisioning checks the rate; a row edited by hand falls back
	}
	return r
}

// errNoBodyRoom means a body found no room among the bodies in flight.
var errNoBodyRoom = errors.New("no room among the request bodies in flight")

// readBody reads a request body of at most limit bytes (it reads one byte more to tell a body
// over the limit) into memory taken from the budget of bodies in flight, growing its buffer as
// the bytes arrive, so a slow client holds only what it has sent. It returns the body and the
// bytes it holds from the budget, which the caller releases when the request is done, also on
// error. A body that finds no room within bodyBudgetWait is errNoBodyRoom.
func (s *Server) readBody(ctx context.Context, r *http.Request, limit int64) (body []byte, held int64, err error) {
	budget := s.limits.budget()
	size := int64(4 << 10)
	if r.ContentLength >= 0 {
		size = min(r.ContentLength+1, 16<<10) // +1: reading to EOF needs room for one more read
	}
	size = min(size, limit+1)
	if !budget.Acquire(ctx, size, bodyBudgetWait) {
		return nil, 0, errNoBodyRoom
	}
	held = size
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, held, nil // over the limit: the caller refuses it
			}
			grown := min(2*int64(cap(buf)), limit+1)
			if !budget.Acquire(ctx, grown, bodyBudgetWait) {
				return nil, held, errNoBodyRoom
			}
			next := make([]byte, len(buf), grown)
			copy(next, buf)
			budget.Release(int64(cap(buf)))
			buf, held = next, grown
		}
		n, rerr := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case rerr == io.EOF:
			return buf, held, nil
		case rerr != nil:
			return nil, held, rerr
		}
	}
}
