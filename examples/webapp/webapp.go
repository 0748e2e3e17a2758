// Package webapp is custreg's reference registration app: a small server-side web app that
// enrols an FI's customer through the public Customer Registration API exactly as an
// integrator's app would. It keeps its client secret on the server, calls the API over HTTP with
// the generated client (package client), and walks the user through four steps: username and
// password (with the FI's policy shown), personal data, address and contact, and the FI's
// disclosures, then submits Register v4 and shows the new customer's GUID.
//
// What the user types stays on the server, in a session named by an HttpOnly, SameSite cookie:
// pages carry no hidden PII and URLs none at all, and every form carries a CSRF token. README.md
// beside this file lists every API call the app makes.
//
// New builds the app as an http.Handler; cmd/webapp serves it on its own, and the custreg
// sandbox serves it at /sample/register.
package webapp

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config says which API the app calls, as which client app, for which FI.
type Config struct {
	// APIBaseURL is the Customer Registration API's base URL, e.g. http://127.0.0.1:8080.
	APIBaseURL string
	// FIID is the FI whose customers register (five digits).
	FIID string
	// FIName is shown in the pages' banner; empty shows "FI <FIID>".
	FIName string
	// ClientID and ClientSecret are the client app's Shared Key and Secret Key. The secret is
	// sent to the API's token services only, never to the browser. When both are empty every
	// session first asks which keys to use (the sandbox's sample does this, so a developer can
	// try the keys the portal gave them); they are then kept in that session only.
	ClientID     string
	ClientSecret string
	// SuggestedClientID and SuggestedClientSecret, when the app asks for keys, are offered as a
	// one-click choice (the sandbox's published sandbox-app). The page names the client id only.
	SuggestedClientID     string
	SuggestedClientSecret string
	// Policy is the FI's username and password lengths. The API publishes no policy, so the
	// app learns it from its configuration; the zero value takes SandboxPolicies[FIID] or,
	// for another FI, DefaultPolicy.
	Policy Policy
	// BasePath is where the app is mounted ("" for the root, or e.g. "/sample/register").
	BasePath string
	// InspectorURL, when set, is linked from the success page (the sandbox portal's request
	// inspector, which shows the calls the app made).
	InspectorURL string
	// PortalURL, when set, is where the keys page says developers get keys of their own.
	PortalURL string
	// OfferingID is sent as offering_id with Register v4; empty means "custreg-webapp".
	OfferingID string
	// HTTPClient sends the API calls; nil means a client with a 30-second timeout.
	HTTPClient *http.Client
	// SecureCookie marks the session cookie Secure even when the app sees plain HTTP (set it
	// behind a TLS-terminating proxy); requests that arrive over TLS get it anyway.
	SecureCookie bool
	// Log receives the app's failures to reach the API (never a value the user typed); nil
	// discards them.
	Log *slog.Logger
	// Now is the clock of the session store; nil means time.Now.
	Now func() time.Time
}

// Policy is an FI's username and password length limits (inclusive). The character rules are
// the same at every FI (the API's, in docs/registration.md) and fixed in the page's hints.
type Policy struct {
	UsernameMin, UsernameMax int
	PasswordMin, PasswordMax int
}

// SandboxPolicies are the sandbox FIs' limits, as db/sandbox.yaml provisions them.
var SandboxPolicies = map[string]Policy{
	"01111": {UsernameMin: 8, UsernameMax: 20, PasswordMin: 6, PasswordMax: 32},
	"02222": {UsernameMin: 6, UsernameMax: 12, PasswordMin: 6, PasswordMax: 32},
}

// DefaultPolicy is the service's policy for an FI provisioned without one.
var DefaultPolicy = Policy{UsernameMin: 8, UsernameMax: 20, PasswordMin: 6, PasswordMax: 32}

// PolicyFor is the policy the app assumes for an FI without configuration.
func PolicyFor(fiID string) Policy {
	if p, ok := SandboxPolicies[fiID]; ok {
		return p
	}
	return DefaultPolicy
}

func (p Policy) valid() bool {
	return p.UsernameMin > 0 && p.UsernameMin <= p.UsernameMax && p.PasswordMin > 0 && p.PasswordMin <= p.PasswordMax
}

//go:embed templates/*.html static/*
var assets embed.FS

var fiIDPattern = regexp.MustCompile(`^[0-9]{5}$`)

// app is the handler New returns.
type app struct {
	cfg      Config
	base     string // BasePath without a trailing slash
	http     *http.Client
	log      *slog.Logger
	sessions *sessions
	pages    map[string]*template.Template
	handler  http.Handler
}

// New checks the configuration and builds the app.
func New(cfg Config) (http.Handler, error) {
	u, err := url.Parse(cfg.APIBaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webapp: APIBaseURL %q is not an http(s) URL", cfg.APIBaseURL)
	}
	cfg.APIBaseURL = strings.TrimRight(cfg.APIBaseURL, "/")
	if !fiIDPattern.MatchString(cfg.FIID) {
		return nil, fmt.Errorf("webapp: FIID %q is not five digits", cfg.FIID)
	}
	if (cfg.ClientID == "") != (cfg.ClientSecret == "") {
		return nil, errors.New("webapp: give both ClientID and ClientSecret, or neither (then each session asks for keys)")
	}
	if (cfg.SuggestedClientID == "") != (cfg.SuggestedClientSecret == "") {
		return nil, errors.New("webapp: give both SuggestedClientID and SuggestedClientSecret, or neither")
	}
	if cfg.Policy == (Policy{}) {
		cfg.Policy = PolicyFor(cfg.FIID)
	}
	if !cfg.Policy.valid() {
		return nil, fmt.Errorf("webapp: policy %+v: each minimum must be positive and at most its maximum", cfg.Policy)
	}
	base := strings.TrimRight(cfg.BasePath, "/")
	if base != "" && !strings.HasPrefix(base, "/") {
		return nil, fmt.Errorf("webapp: BasePath %q must start with /", cfg.BasePath)
	}
	if cfg.FIName == "" {
		cfg.FIName = "FI " + cfg.FIID
	}
	if cfg.OfferingID == "" {
		cfg.OfferingID = "custreg-webapp"
	}
	a := &app{cfg: cfg, base: base, http: cfg.HTTPClient, log: cfg.Log}
	if a.http == nil {
		a.http = &http.Client{Timeout: 30 * time.Second}
	}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	a.sessions = newSessions(now)
	if a.pages, err = parsePages(); err != nil {
		return nil, err
	}
	a.handler = a.routes()
	return a, nil
}

// askForKeys reports whether each session chooses its client app.
func (a *app) askForKeys() bool { return a.cfg.ClientID == "" }

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	if a.base == "" {
		mux.Handle("GET /{$}", a.withSession(a.start))
	} else {
		mux.Handle("GET "+a.base, a.withSession(a.start))
		mux.Handle("GET "+a.base+"/{$}", a.withSession(a.start))
	}
	mux.Handle("GET "+a.base+"/keys", a.withSession(a.showKeys))
	mux.Handle("POST "+a.base+"/keys", a.withSession(a.postKeys))
	for _, st := range steps {
		mux.Handle("GET "+a.base+"/"+st.slug, a.withSession(a.showStep(st)))
		if st.number == disclosuresStep {
			mux.Handle("POST "+a.base+"/"+st.slug, a.withSession(a.submit))
		} else {
			mux.Handle("POST "+a.base+"/"+st.slug, a.withSession(a.postStep(st)))
		}
	}
	mux.Handle("GET "+a.base+"/done", a.withSession(a.showDone))
	mux.Handle("POST "+a.base+"/restart", a.withSession(a.restart))
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET "+a.base+"/static/", http.StripPrefix(a.base+"/static/", http.FileServerFS(static)))
	mux.HandleFunc(a.base+"/", a.notFound)

	// Forms are also refused when the browser says they come from another origin.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(a.forbidden))
	return csrf.Handler(mux)
}

// ServeHTTP sets the headers every answer carries, then routes.
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Everything the pages use comes from the app itself: no CDN, no font, no inline script.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Pages show what the user typed: no cache may keep them.
	h.Set("Cache-Control", "no-store")
	a.handler.ServeHTTP(w, r)
}

func (a *app) notFound(w http.ResponseWriter, _ *http.Request) {
	a.render(w, http.StatusNotFound, "message", &page{Title: "Page not found",
		Message: "There is no such page in this app.", Link: a.base + "/", LinkText: "Start the registration"})
}

func (a *app) forbidden(w http.ResponseWriter, _ *http.Request) {
	a.render(w, http.StatusForbidden, "message", &page{Title: "This form has expired",
		Message: "The form was not sent from this app's current page, or your session ended. Nothing was sent to the bank.",
		Link:    a.base + "/", LinkText: "Start again"})
}
