package handlers

import (
	_ "embed"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// docsCSP is the reference page's Content-Security-Policy: the page, Swagger UI and its start
// script (docs.js) come from this origin and nothing runs inline; Swagger UI fetches the spec
// and tries requests here only; its icons are data: images. style-src allows inline styles
// because Swagger UI writes style attributes into the markup it renders.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// apiCSP is the policy of every other answer: nothing of it may run or be framed, should a
// browser ever render one.
const apiCSP = "default-src 'none'; frame-ancestors 'none'"

// hstsValue asks browsers to use HTTPS only for a year; sent on answers served over TLS.
const hstsValue = "max-age=31536000"

// securityHeaders sets the headers every answer carries: no MIME sniffing, no referrer, a
// Content-Security-Policy, no framing, HSTS when the connection is TLS, and Cache-Control:
// no-store — answers carry tokens, PII and one-time passcodes, and none may be kept by a cache
// or a browser. Only Swagger UI's static files are cacheable (docsAssets sets their own).
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if c.Request().TLS != nil {
			h.Set("Strict-Transport-Security", hstsValue)
		}
		switch p := c.Request().URL.Path; {
		case p == "/docs":
			h.Set("Content-Security-Policy", docsCSP)
		case !strings.HasPrefix(p, docsAssetsPrefix):
			h.Set("Content-Security-Policy", apiCSP)
		}
		return next(c)
	}
}

// docsScript starts Swagger UI on the reference page (served, not inline, for the CSP).
//
//go:embed docs.js
var docsScript []byte

// docsStyle is the reference page's own style sheet.
//
//go:embed docs.css
var docsStyle []byte

// docsOwnAssets serves the page's script and style sheet, embedded with the binary.
func docsOwnAssets(e *echo.Echo) {
	for name, f := range map[string]struct {
		body []byte
		mime string
	}{"docs.js": {docsScript, "text/javascript; charset=utf-8"}, "docs.css": {docsStyle, "text/css; charset=utf-8"}} {
		e.GET(docsAssetsPrefix+"custreg-"+name, func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "no-cache")
			return c.Blob(http.StatusOK, f.mime, f.body)
		})
	}
}
