package handlers

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"
)

// requestInfo is what the stack learns about a request as it passes through; handlers reach it
// through the request context.
type requestInfo struct {
	family     family
	traceID    string
	mediaType  string // legacy success media type per D1
	errorType  string // legacy error media type: JSON only when Accept asks for it
	clientIP   string
	operation  string
	errorCodes Problems
	principal  *principal
	body       []byte // the raw request body, for strict decoding

	// specOperation is the spec's operationId of the route, known from authentication on (so
	// also for requests refused there, before operation is set).
	specOperation string
	// loginFailed: the request's password check failed (guardLogins counts it per address).
	loginFailed bool
}

type requestInfoKey struct{}

// infoFrom is the one accessor of a request's info, from its context: handlers, middleware and
// the error handler all read it here. For a request observe never saw it is a blank info, never
// nil (the error handler then answers in the path's family).
func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{family: famGeneric}
}

// observe sets up the request info, echoes the trace header, and records metrics and the
// access log (route template only: paths and queries can carry identifiers).
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		r := c.Request()
		f := familyOf(r.URL.Path)
		info := &requestInfo{family: f, mediaType: negotiateLegacy(r), errorType: negotiateLegacyError(r), clientIP: c.RealIP()}
		if h := f.traceHeader(); h != "" {
			info.traceID = r.Header.Get(h)
			if info.traceID != "" && len(info.traceID) <= 64 {
				c.Response().Header().Set(h, info.traceID)
			}
		}
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" || route == "/*" {
			route = "unmatched"
		}
		status := c.Response().Status
		elapsed := time.Since(start)
		s.metrics.observe(route, r.Method, status, elapsed)
		attrs := []any{"method", r.Method, "route", route, "status", status, "duration_ms", float64(elapsed.Microseconds()) / 1000}
		if info.traceID != "" && len(info.traceID) <= 64 {
			attrs = append(attrs, "trace_id", info.traceID)
		}
		if info.operation != "" {
			attrs = append(attrs, "operation", info.operation)
		}
		if len(info.errorCodes) > 0 {
			codes := make([]string, len(info.errorCodes))
			for i, p := range info.errorCodes {
				codes[i] = p.Code
			}
			attrs = append(attrs, "error_codes", codes)
		}
		s.log.InfoContext(r.Context(), "request", attrs...)
		return nil
	}
}
