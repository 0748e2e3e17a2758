// Package portal is the sandbox's developer portal at /portal: accounts with a verified email
// address, client apps of one's own (Shared Key and Secret Key shown once, rotation with a grace
// period, disabling), and the request inspector. Its pages are server-rendered HTML outside the
// OpenAPI contract; package handlers mounts them in sandbox mode only.
package portal

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/inspector"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/notify"
)

// Prefix is where the portal is served.
const Prefix = "/portal"

// Path reports whether an (already canonical) request path belongs to the portal.
func Path(p string) bool { return p == Prefix || strings.HasPrefix(p, Prefix+"/") }

// Options configure the portal.
type Options struct {
	Store     *db.Store
	Notifier  notify.Sender // the sandbox outbox: verification links go there
	Inspector *inspector.Inspector
	Log       *slog.Logger
	Now       func() time.Time // nil: time.Now
	// SecretRotationGrace is how long a secret replaced by a rotation keeps working.
	SecretRotationGrace time.Duration
}

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// Portal serves the pages.
type Portal struct {
	store     *db.Store
	notifier  notify.Sender
	inspector *inspector.Inspector
	log       *slog.Logger
	now       func() time.Time
	grace     time.Duration
	pages     map[string]*template.Template
	// logins and signups throttle by email address and by client address.
	logins, signups throttle
}

// Mount registers the portal's routes on e.
func Mount(e *echo.Echo, opts Options) (*Portal, error) {
	p := &Portal{store: opts.Store, notifier: opts.Notifier, inspector: opts.Inspector, log: opts.Log, now: opts.Now,
		grace:   opts.SecretRotationGrace,
		logins:  throttle{email: newLimiter(5, 15*time.Minute), ip: newLimiter(20, 15*time.Minute)},
		signups: throttle{email: newLimiter(3, 15*time.Minute), ip: newLimiter(20, time.Hour)}}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.inspector == nil {
		p.inspector = inspector.New()
	}
	if err := p.parseTemplates(); err != nil {
		return nil, err
	}
	g := e.Group(Prefix, p.secureHeaders, p.withSession)
	g.GET("", p.index)
	g.GET("/", p.index)
	g.GET("/assets/:name", p.asset)
	g.GET("/signup", p.signupForm)
	g.POST("/signup", p.signup, p.checkCSRF)
	g.GET("/verify", p.verifyForm)
	g.POST("/verify", p.verify, p.checkCSRF)
	g.GET("/login", p.loginForm)
	g.POST("/login", p.login, p.checkCSRF)
	g.GET("/logout", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, Prefix) })
	g.POST("/logout", p.logout, p.checkCSRF)
	g.GET("/apps", p.apps, p.requireDeveloper)
	g.POST("/apps", p.createApp, p.requireDeveloper, p.checkCSRF)
	g.POST("/apps/:clientID/rotate", p.rotateApp, p.requireDeveloper, p.checkCSRF)
	g.POST("/apps/:clientID/disable", p.disableApp, p.requireDeveloper, p.checkCSRF)
	g.GET("/requests", p.requests, p.requireDeveloper)
	g.GET("/requests/feed", p.requestsFeed)
	g.Any("/*", p.notFound)
	return p, nil
}

// contentSecurityPolicy allows the portal's own script, styles and requests only: no inline
// script or style, no frames, forms posting to the portal alone.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secureHeaders sets the headers every portal answer carries; pages are never stored (one
// shows a secret).
func (p *Portal) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: under no-referrer browsers send form posts with
		// "Origin: null", and the origin is one of the checks of checkCSRF.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

func (p *Portal) parseTemplates() error {
	funcs := template.FuncMap{
		"fieldError": func(pg *page, name string) string { return pg.fieldError(name) },
		"field":      func(pg *page, name string) fieldRef { return fieldRef{Page: pg, Field: name} },
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/rows.html")
	if err != nil {
		return err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return err
	}
	p.pages = map[string]*template.Template{"rows": base}
	for _, file := range names {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if name == "layout" || name == "rows" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFiles, file)
		if err != nil {
			return err
		}
		p.pages[name] = t
	}
	return nil
}

// page is what every template gets.
type page struct {
	Title     string
	Nav       string // the navigation item of the page
	Developer *models.Developer
	CSRF      string
	Notice    string
	Errors    []fieldProblem
	Form      map[string]string // values to show again (never a password)
	Script    bool
	Data      any
}

// fieldProblem is one error of a form, at the input of id Field ("" for the whole form).
type fieldProblem struct{ Field, Message string }

type fieldRef struct {
	Page  *page
	Field string
}

func (pg *page) fieldError(name string) string {
	for _, e := range pg.Errors {
		if e.Field == name {
			return e.Message
		}
	}
	return ""
}

// render writes a page.
func (p *Portal) render(c echo.Context, status int, name string, pg page) error {
	pg.Developer = developerOf(c)
	token, err := p.csrfToken(c)
	if err != nil {
		return p.fail(c, err)
	}
	pg.CSRF = token
	if pg.Form == nil {
		pg.Form = map[string]string{}
	}
	var buf bytes.Buffer
	if err := p.pages[name].ExecuteTemplate(&buf, "layout", &pg); err != nil {
		p.log.ErrorContext(c.Request().Context(), "portal: render", "page", name, "error", err)
		return c.String(http.StatusInternalServerError, "The page could not be shown.")
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// message is a page of a few paragraphs and a link onward.
type message struct {
	Paragraphs     []string
	Link, LinkText string
}

func (p *Portal) message(c echo.Context, status int, title string, m message) error {
	return p.render(c, status, "message", page{Title: title, Data: m})
}

// fail answers an unexpected error with a page that says so; the error itself goes to the log.
func (p *Portal) fail(c echo.Context, err error) error {
	status, text := http.StatusInternalServerError, "Something went wrong on our side. Try again; the server log says what."
	if errors.Is(err, models.ErrUnavailable) {
		status, text = http.StatusServiceUnavailable, "The database does not answer right now. Try again in a moment."
	}
	p.log.ErrorContext(c.Request().Context(), "portal: request failed", "route", c.Path(), "error", err)
	var buf bytes.Buffer
	m := message{Paragraphs: []string{text}, Link: Prefix, LinkText: "Back to the portal"}
	if terr := p.pages["message"].ExecuteTemplate(&buf, "layout", &page{Title: "Something went wrong", Data: m, Form: map[string]string{}}); terr != nil {
		return c.String(status, text)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

func (p *Portal) notFound(c echo.Context) error {
	return p.message(c, http.StatusNotFound, "Page not found", message{Paragraphs: []string{"There is no such page in the portal."},
		Link: Prefix, LinkText: "Go to the portal"})
}

func (p *Portal) index(c echo.Context) error {
	if developerOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, Prefix+"/apps")
	}
	return p.render(c, http.StatusOK, "index", page{Title: "Developer portal"})
}

// asset serves the embedded stylesheet and script.
func (p *Portal) asset(c echo.Context) error {
	name := c.Param("name")
	data, err := assetFiles.ReadFile("assets/" + path.Base(name))
	if err != nil || name != path.Base(name) {
		return p.notFound(c)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, mime.TypeByExtension(path.Ext(name)), data)
}

// base is the address the browser reached the portal at, for links in messages and examples.
func base(c echo.Context) string { return c.Scheme() + "://" + c.Request().Host }
