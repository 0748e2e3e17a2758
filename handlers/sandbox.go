package handlers

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/inspector"
	"github.com/custreg/custreg/portal"
)

// sandboxPaths are the operations served in sandbox mode only. Elsewhere New drops them from
// the validator's spec and from the router, so they answer exactly like paths that do not
// exist (404 NOT_FOUND, "unmatched" in metrics and logs).
var sandboxPaths = []string{"/sandbox/outbox"}

// withoutSandboxRoutes registers every generated route except the sandbox's (all GETs).
type withoutSandboxRoutes struct{ gen.EchoRouter }

func (r withoutSandboxRoutes) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	if slices.Contains(sandboxPaths, path) {
		return nil
	}
	return r.EchoRouter.GET(path, h, m...)
}

// mountPortal serves the developer portal (/portal) and starts its request inspector. Outside
// sandbox mode neither exists: /portal answers like any unknown path.
func (s *Server) mountPortal(e *echo.Echo, grace time.Duration) error {
	s.inspector = inspector.New()
	_, err := portal.Mount(e, portal.Options{Store: s.store, Notifier: s.notifier, Inspector: s.inspector, Log: s.log,
		Now: s.now, SecretRotationGrace: grace})
	return err
}

// GetSandboxOutbox lists the messages the sandbox kept instead of sending them, newest first.
func (s *Server) GetSandboxOutbox(ctx context.Context, req gen.GetSandboxOutboxRequestObject) (gen.GetSandboxOutboxResponseObject, error) {
	if !s.sandbox { // not routed outside sandbox mode; kept as a second lock
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	to := ""
	if req.Params.To != nil {
		to = *req.Params.To
	}
	rows, err := s.store.OutboxMessages(ctx, to, db.MaxOutboxMessages)
	if err != nil {
		return nil, err
	}
	out := gen.GetSandboxOutbox200JSONResponse{Messages: make([]gen.SandboxOutboxMessage, 0, len(rows))}
	for _, r := range rows {
		m := gen.SandboxOutboxMessage{To: r.To, Channel: r.Channel, Body: r.Body, Passcode: r.Passcode, SentAt: r.SentAt.UTC(),
			InstitutionID: &r.InstitutionID}
		if r.Subject != "" {
			m.Subject = &r.Subject
		}
		out.Messages = append(out.Messages, m)
	}
	return out, nil
}
