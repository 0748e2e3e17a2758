package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/models"
)

// outageInterval is the shortest time between two ERROR lines about the database.
const outageInterval = 10 * time.Second

// outageLog reports database outages without a line per failing request: the first failure at
// ERROR ("database unavailable") with its cause; then at most one ERROR line per interval
// ("database still unavailable") with the number of failures not logged since the previous
// line; and one INFO line ("database available again") when a request shows the database
// answering. Causes are db.Cause classes: never an address, a user, a database name or SQL.
type outageLog struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time
	down     atomic.Bool // the last outcome seen was a failure; read on every request

	mu         sync.Mutex
	since      time.Time // start of the current outage
	failures   int       // failures in the current outage
	suppressed int       // failures not logged since the last ERROR line
	reported   bool      // the current outage has an ERROR line
	lastLine   time.Time // when the last ERROR line was written
}

func newOutageLog(log *slog.Logger) *outageLog {
	return &outageLog{log: log, interval: outageInterval, now: time.Now}
}

// failure records a request that failed because the database is unavailable.
func (o *outageLog) failure(ctx context.Context, cause string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	if !o.down.Load() {
		o.down.Store(true)
		o.since, o.failures, o.reported = now, 0, false
	}
	o.failures++
	if !o.lastLine.IsZero() && now.Sub(o.lastLine) < o.interval {
		o.suppressed++
		return
	}
	attrs := []any{"cause", cause, "suppressed", o.suppressed}
	if o.reported {
		o.log.ErrorContext(ctx, "database still unavailable", append(attrs, "down_for_ms", now.Sub(o.since).Milliseconds())...)
	} else {
		o.log.ErrorContext(ctx, "database unavailable", attrs...)
	}
	o.reported, o.lastLine, o.suppressed = true, now, 0
}

// success records a request that showed the database answering. An outage that was never
// logged (it began within an interval of the last line) keeps its failures for the next line.
func (o *outageLog) success(ctx context.Context) {
	if !o.down.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.down.Load() {
		return
	}
	o.down.Store(false)
	if o.reported {
		o.log.InfoContext(ctx, "database available again", "down_for_ms", o.now().Sub(o.since).Milliseconds(), "failures", o.failures)
		o.suppressed = 0
	}
}

// databaseFailure finds the failure of the database behind err, if there is one, also inside
// the validator's security errors (authentication reads the database).
func databaseFailure(err error) (error, bool) {
	if errors.Is(err, models.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err, true
	}
	var sre *openapi3filter.SecurityRequirementsError
	if errors.As(err, &sre) {
		for _, e := range sre.Errors {
			if cause, ok := databaseFailure(e); ok {
				return cause, true
			}
		}
	}
	return nil, false
}

// logUnavailable reports a request that failed for want of the database: to the outage log,
// unless its client had already gone (then the cancellation, not the database, ended it).
func (s *Server) logUnavailable(c echo.Context, info *requestInfo, cause error) {
	ctx := c.Request().Context()
	if errors.Is(ctx.Err(), context.Canceled) {
		s.log.DebugContext(ctx, "request abandoned by the client", "trace_id", info.traceID, "route", c.Path())
		return
	}
	s.outage.failure(ctx, db.Cause(cause))
	s.log.DebugContext(ctx, "request failed: database unavailable", "trace_id", info.traceID, "route", c.Path(), "cause", db.Cause(cause))
}

// readinessPath is the readiness probe's route; its answer says whether the database answers.
const readinessPath = "/readyz"

// watchOutage tells the outage log what requests show of the database: a readiness probe's
// answer, and any authenticated request (authentication reads the database) that ended below 500.
func (s *Server) watchOutage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		ctx, status := c.Request().Context(), c.Response().Status
		switch {
		case c.Path() == readinessPath && status == http.StatusServiceUnavailable:
			s.outage.failure(ctx, "readiness check failed")
		case c.Path() == readinessPath && status == http.StatusOK, infoFrom(c.Request().Context()).principal != nil && status < 500:
			s.outage.success(ctx)
		}
		return err
	}
}
