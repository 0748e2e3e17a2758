package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/openid"
	"github.com/custreg/custreg/secure"
)

// api is the whole HTTP stack, built by handlers.New exactly as main builds it, served on
// loopback over a fresh database with the sandbox loaded. Every response it receives is
// validated against openapi/openapi.yaml. Its helpers take the test they report to as their
// first argument, so a subtest's failure is reported on the subtest.
type api struct {
	base    string
	handler http.Handler // the stack itself, for requests sent in process (serve)
	store   *db.Store
	router  routers.Router
	offset  atomic.Int64 // clock offset in seconds, moved by advance
	logs    *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// responseRouter finds the spec operation of a canonical request path for response validation.
func responseRouter(t testing.TB) routers.Router {
	specOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
		var spec *openapi3.T
		if spec, specErr = handlers.LoadSpec(); specErr == nil {
			spec.Servers = nil
			specRouter, specErr = gorillamux.NewRouter(spec)
		}
	})
	if specErr != nil {
		t.Fatalf("load spec: %v", specErr)
	}
	return specRouter
}

func newAPI(t testing.TB) *api {
	t.Helper()
	return newAPIOn(t, dbtest.SQLite(t))
}

func newAPIOn(t testing.TB, store *db.Store) *api {
	t.Helper()
	return newAPIWith(t, store, nil)
}

// newAPIWith is newAPIOn with options adjusted by configure (nil for none).
func newAPIWith(t testing.TB, store *db.Store, configure func(*handlers.Options)) *api {
	t.Helper()
	dbtest.Sandbox(t, store)
	a := &api{store: store, router: responseRouter(t), logs: &syncBuffer{}}
	// The listener first: the server's address is the ID tokens' issuer, as a partner sees it.
	srv := httptest.NewUnstartedServer(nil)
	a.base = "http://" + srv.Listener.Addr().String()
	issuer, err := openid.Ephemeral(a.base)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := handlers.Options{Store: store, Log: log, MaxBodyBytes: 64 << 10, Version: "test", OpenID: issuer,
		Now: func() time.Time { return time.Now().Add(time.Duration(a.offset.Load()) * time.Second) }}
	if configure != nil {
		configure(&opts)
	}
	e, err := handlers.New(opts)
	if err != nil {
		t.Fatalf("build stack: %v", err)
	}
	srv.Config.Handler = e
	srv.Start()
	t.Cleanup(srv.Close)
	a.base, a.handler = srv.URL, e
	return a
}

// advance moves the server's clock forward.
func (a *api) advance(d time.Duration) { a.offset.Add(int64(d / time.Second)) }

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %d body %q: %v", r.status, r.body, err)
	}
}

// do sends one request and validates the response against the spec: status declared, media
// type declared, body matching its schema.
func (a *api) do(t testing.TB, method, path string, headers map[string]string, body string) *response {
	t.Helper()
	r, err := a.try(t, method, path, headers, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// try is do for goroutines: a request that cannot be sent is returned as an error, and a response
// the spec does not allow is reported with t.Errorf only.
func (a *api) try(t testing.TB, method, path string, headers map[string]string, body string) (*response, error) {
	t.Helper()
	return a.tryWith(t, http.DefaultClient, method, path, headers, body)
}

// tryWith is try with a client of the test's choosing (a timeout, say).
func (a *api) tryWith(t testing.TB, client *http.Client, method, path string, headers map[string]string, body string) (*response, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header[k] = []string{v} // exactly as given: tests also send non-canonical names
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	r := &response{status: res.StatusCode, header: res.Header, body: data}
	a.validate(t, req, r)
	return r, nil
}

// serve hands req to the stack in process, as the HTTP server would after reading it from a
// connection, and validates the answer like do: fuzz targets send many requests, and some the
// client side of net/http would refuse to write.
func (a *api) serve(t testing.TB, req *http.Request) *response {
	t.Helper()
	orig := req.Clone(context.Background()) // the stack rewrites the path of the one it serves
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	r := &response{status: rec.Code, header: rec.Result().Header, body: rec.Body.Bytes()}
	a.validate(t, orig, r)
	return r
}

// validate reports a response the spec does not allow (with t.Errorf only).
func (a *api) validate(t testing.TB, req *http.Request, r *response) {
	t.Helper()
	canon := req.Clone(context.Background())
	canon.URL.Path = handlers.CanonicalPath(req.URL.Path)
	if raw := strings.ToLower(req.URL.RawPath); strings.Contains(raw, "%2f") || strings.Contains(raw, "%3a") {
		// The stack routes on the escaped path: an escaped / or : stays inside its segment, so
		// "%3Aunlock-user" is part of a customer id, not the custom method. Look the operation
		// up the same way.
		canon.URL.Path = handlers.CanonicalPath(req.URL.EscapedPath())
	}
	route, params, err := a.router.FindRoute(canon)
	if err != nil && legacyPath(canon.URL.Path) {
		// No operation under a legacy family's paths: a legacy Status, as its operations answer.
		if p, perr := readProblem(r); perr != nil || !p.legacy {
			t.Errorf("%s %s: unrouted response %d is not a legacy Status: %q", req.Method, req.URL.Path, r.status, r.body)
		}
		return
	}
	if err != nil {
		// No operation: the body must be the family's not-found / method envelope: ErrorResponse,
		// or {status, message, code} under /v1/customers.
		var e struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Status  *int   `json:"status"`
		}
		dec := json.NewDecoder(bytes.NewReader(r.body))
		dec.DisallowUnknownFields()
		customersFamily := canon.URL.Path == "/v1/customers" || strings.HasPrefix(canon.URL.Path, "/v1/customers/")
		if derr := dec.Decode(&e); derr != nil || e.Code == "" || e.Message == "" || (e.Status != nil) != customersFamily {
			t.Errorf("%s %s: unrouted response %d is not an ErrorResponse: %q", req.Method, req.URL.Path, r.status, r.body)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: canon, PathParams: params, Route: route},
		Status:                 r.status,
		Header:                 r.header,
		Body:                   io.NopCloser(bytes.NewReader(r.body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: response %d does not match the spec: %v\nbody: %s", req.Method, req.URL.Path, r.status, err, r.body)
	}
}

func hashToken(raw string) string { return secure.TokenHash(raw) }

// legacyPath reports whether a canonical path belongs to a family answering in the legacy Status
// (the V1 token, Register v4, Get FI Customer), whose unknown paths and methods answer in it too.
func legacyPath(p string) bool {
	return p == "/v1/oauth/token" || strings.HasPrefix(p, "/registration/") || strings.HasPrefix(p, "/bankingservices/")
}
