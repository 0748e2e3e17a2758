// Package handlers is the HTTP layer: it builds the whole stack (aliases, hygiene, validation
// against openapi/openapi.yaml, authentication, the generated strict server and the one error
// handler) and implements the operations over package db.
package handlers

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	oapimw "github.com/oapi-codegen/echo-middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/inspector"
	"github.com/custreg/custreg/notify"
	"github.com/custreg/custreg/openapi"
	"github.com/custreg/custreg/openid"
	"github.com/custreg/custreg/portal"
	"github.com/custreg/custreg/xmlcodec"
)

// Options configure the HTTP stack.
type Options struct {
	Store        *db.Store
	Log          *slog.Logger
	MaxBodyBytes int64
	Version      string
	// Registry receives the service's metrics; nil makes a private one.
	Registry *prometheus.Registry
	// Now is the clock (tests move it forward to expire tokens); nil means time.Now.
	Now func() time.Time
	// TrustedProxies are the networks whose X-Forwarded-For is believed for the caller's
	// address (recorded with tokens and disclosure evidence); none means the peer address.
	TrustedProxies []*net.IPNet
	// AuthFailureDelay holds the answer to a failed client authentication (wrong secret,
	// unknown client id) this long, so a caller guessing secrets gets few answers per second
	// and a flood of them costs the service next to nothing. Zero answers at once.
	AuthFailureDelay time.Duration
	// RequestTimeout bounds each request: its context ends then, so database work stops and an
	// unfinished transaction rolls back. Zero means DefaultRequestTimeout. Keep it below the
	// HTTP server's WriteTimeout, or the answer can no longer be written.
	RequestTimeout time.Duration
	// Notifier delivers messages to end users (one-time passcodes); nil: none can be sent.
	// main builds a notify.Router, or in sandbox mode a notify.Outbox that sends nothing.
	Notifier notify.Sender
	// Sandbox serves the sandbox-only operations (GET /sandbox/outbox); without it their paths
	// answer like unknown ones.
	Sandbox bool
	// Sample is the reference registration app (examples/webapp), served at SamplePath in
	// sandbox mode only; nil serves none.
	Sample http.Handler
	// OpenID signs the partner sign-in's ID tokens and publishes its keys; nil makes an issuer
	// at the sandbox's default address with a key kept for this process only (tests, examples).
	OpenID *openid.Issuer
	// SecretRotationGrace is how long a client secret replaced in the sandbox's developer
	// portal keeps working; 0 ends it at once (main passes --secret-rotation-grace).
	SecretRotationGrace time.Duration
	// Limits are the abuse limits; the zero value imposes none.
	Limits Limits
}

// Server implements gen.StrictServerInterface.
type Server struct {
	store    *db.Store
	log      *slog.Logger
	spec     *openapi3.T
	specJSON []byte
	xmlOrder xmlcodec.Order // the spec's property order: XML element order
	metrics  *metrics
	registry *prometheus.Registry
	maxBody  int64
	now      func() time.Time
	// authFailureDelay and delayed: failed client authentications wait, at most
	// maxDelayedFailures at a time (beyond that they are answered at once, so waiting requests
	// cannot pile up without bound).
	authFailureDelay time.Duration
	delayed          chan struct{}
	// requestTimeout bounds each request (withDeadline); outage reports database outages.
	requestTimeout time.Duration
	outage         *outageLog
	notifier       notify.Sender
	sandbox        bool
	actions        *actionRouter  // the custom-method routes (":unlock-user")
	openID         *openid.Issuer // ID tokens, JWKS and discovery of the partner sign-in
	sample         http.Handler   // the reference registration app (sandbox only)
	// inspector keeps the portal developers' requests (sandbox mode; nil otherwise).
	inspector *inspector.Inspector
	owners    appOwners
	limits    *limiters
}

// maxDelayedFailures bounds the failed client authentications held at once.
const maxDelayedFailures = 1024

var _ gen.StrictServerInterface = (*Server)(nil)

var registerFormats sync.Once

// uuidPattern accepts any hyphenated 8-4-4-4-12 hex UUID (the contract does not restrict the version).
const uuidPattern = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

// LoadSpec parses and validates the embedded specification.
func LoadSpec() (*openapi3.T, error) {
	registerFormats.Do(func() {
		openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(uuidPattern))
		openapi3.DefineStringFormatValidator("email", openapi3.NewRegexpFormatValidator(`^[^@\s]+@[^@\s]+\.[^@\s]+$`))
		xmlcodec.Register()
	})
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(openapi.YAML)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := spec.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate openapi.yaml: %w", err)
	}
	return spec, nil
}

// New builds the complete HTTP stack; main and the tests both use it.
func New(opts Options) (*echo.Echo, error) {
	spec, err := LoadSpec()
	if err != nil {
		return nil, err
	}
	specJSON, err := spec.MarshalJSON()
	if err != nil {
		return nil, err
	}
	xmlOrder, err := xmlcodec.PropertyOrder(openapi.YAML, spec)
	if err != nil {
		return nil, err
	}
	s := &Server{store: opts.Store, log: opts.Log, spec: spec, specJSON: specJSON, xmlOrder: xmlOrder, maxBody: opts.MaxBodyBytes, now: opts.Now,
		authFailureDelay: opts.AuthFailureDelay, delayed: make(chan struct{}, maxDelayedFailures),
		notifier: opts.Notifier, sandbox: opts.Sandbox, sample: sampleHandler(opts), limits: newLimiters(opts.Limits)}
	if !s.sandbox {
		// The served documents keep them (rendered above); validation and routing do not.
		for _, p := range sandboxPaths {
			spec.Paths.Delete(p)
		}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	s.requestTimeout = opts.RequestTimeout
	if s.requestTimeout <= 0 {
		s.requestTimeout = DefaultRequestTimeout
	}
	s.outage = newOutageLog(s.log)
	if s.openID = opts.OpenID; s.openID == nil {
		if s.openID, err = openid.Ephemeral(DefaultIssuer); err != nil {
			return nil, err
		}
	}
	s.registry = opts.Registry
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(s.registry, opts.Version)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = clientIPExtractor(opts.TrustedProxies)
	e.Pre(canonicalPath)
	e.Use(echomw.RecoverWithConfig(echomw.RecoverConfig{DisableStackAll: true, LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		s.log.Error("panic", "route", c.Path(), "error", err, "stack", string(stack))
		return err
	}}))
	e.Use(s.securityHeaders, s.withDeadline, s.watchOutage)
	e.Use(s.observe, s.inspect, s.limitAddresses, s.hygiene, s.guardLogins)
	docsOwnAssets(e)
	e.GET(docsAssetsPrefix+"*", docsAssets())
	// "/docs/" (as browsers and people often type it) is the reference page; a redirect keeps
	// the page's relative asset paths right.
	e.GET("/docs/", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/docs") })

	// The validator checks every request against the spec before any handler runs; security
	// requirements are checked by s.authenticate, which records who the caller is.
	// (It drops spec.Servers; the served JSON was rendered above.)
	e.Use(oapimw.OapiRequestValidatorWithOptions(spec, &oapimw.Options{
		DoNotValidateServers:  true,
		SilenceServersWarning: true,
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return p == "/docs/" || strings.HasPrefix(p, docsAssetsPrefix) || s.isSamplePath(p) || (s.sandbox && portal.Path(p))
		},
		MultiErrorHandler: func(me openapi3.MultiError) *echo.HTTPError {
			return &echo.HTTPError{Code: 400, Message: "invalid request", Internal: me}
		},
		Options: openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: s.authenticate,
		},
	}))
	s.mountSample(e)
	if s.sandbox {
		if err := s.mountPortal(e, opts.SecretRotationGrace); err != nil {
			return nil, err
		}
	}
	s.actions = newActionRouter(e)
	var routes gen.EchoRouter = s.actions
	if !s.sandbox {
		routes = withoutSandboxRoutes{routes}
	}
	gen.RegisterHandlers(routes, gen.NewStrictHandler(s, []gen.StrictMiddlewareFunc{s.operationName}))
	return e, nil
}

// clientIPExtractor reads the caller's address (recorded with tokens and disclosure evidence):
// the peer's, or with trusted proxies the nearest X-Forwarded-For entry they did not add. Only
// the listed networks are trusted: echo's default trust of loopback and private addresses is off.
func clientIPExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		trust = append(trust, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(trust...)
}

// operationName records the operation id for metrics and logs.
func (s *Server) operationName(f gen.StrictHandlerFunc, operationID string) gen.StrictHandlerFunc {
	return func(c echo.Context, request any) (any, error) {
		infoFrom(c.Request().Context()).operation = operationID
		return f(c, request)
	}
}
