package handlers

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"
)

// DefaultRequestTimeout bounds a request when Options leave RequestTimeout unset.
const DefaultRequestTimeout = 10 * time.Second

// withDeadline gives every request a context that ends after the request timeout. The HTTP
// server's WriteTimeout cuts the connection but does not end the context, so without this a
// request waiting for the database went on, and a registration could commit after its client
// had been cut off; now database work stops and an unfinished transaction rolls back. The
// context also ends when the client goes away.
func (s *Server) withDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.requestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}
