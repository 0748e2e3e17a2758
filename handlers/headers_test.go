package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
)

// TestEveryAnswerIsNotStoredAndNotSniffed: every answer — successes carrying tokens or PII,
// errors, operational endpoints, unknown paths — says Cache-Control: no-store, nosniff,
// no-referrer, and a Content-Security-Policy that forbids framing; no HSTS without TLS.
func TestEveryAnswerIsNotStoredAndNotSniffed(t *testing.T) {
	a, _ := newSandboxAPI(t, dbtest.SQLite(t))
	v1 := a.v1Token(t, fiCreditUnion)
	v2 := a.v2For(t, fiCreditUnion, "")
	legacy := map[string]string{"Authorization": "Bearer " + v1, "di_tid": newTID(), "Accept": "application/json"}
	form := map[string]string{"Authorization": basic(sandboxApp, sandboxSecret), "transactionId": newTID(), "Content-Type": formContentType}
	for _, tc := range []struct {
		name string
		send func() *response
	}{
		{"V1 token", func() *response {
			return a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials", nil)
		}},
		{"V2 password grant", func() *response {
			return a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
		}},
		{"V2 token refused", func() *response {
			return a.v2TokenRequest(t, sandboxApp, "wrong", fiCreditUnion, "grant_type=client_credentials")
		}},
		{"revoke", func() *response { return a.do(t, http.MethodPost, "/oauth2/v1/revoke", form, "token=x") }},
		{"Register v4", func() *response {
			return a.registerJSON(t, v1, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion).json(t))
		}},
		{"Get FI Customer", func() *response {
			return a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+memberSam+"?fiCustomerIdType=MEMNUMBER", legacy, "")
		}},
		{"Customer v2 registration", func() *response {
			admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
			return a.registerV2(t, admin, newTID(), newCustomerRegistration(fiCreditUnion).json(t))
		}},
		{"accounts", func() *response {
			return a.do(t, http.MethodGet, "/v1/accounts?hostUserId="+memberAlex, map[string]string{"Authorization": "Bearer " + v2, "transactionId": newTID()}, "")
		}},
		{"user disclosures", func() *response {
			return a.do(t, http.MethodGet, userDiscl+"?hostUserId="+memberSam, map[string]string{"Authorization": "Bearer " + v2, "transactionId": newTID()}, "")
		}},
		{"sandbox outbox", func() *response { return a.do(t, http.MethodGet, "/sandbox/outbox?to=5551234567", nil, "") }},
		{"healthz", func() *response { return a.do(t, http.MethodGet, "/healthz", nil, "") }},
		{"openapi.json", func() *response { return a.do(t, http.MethodGet, "/openapi.json", nil, "") }},
		{"unknown path", func() *response { return a.do(t, http.MethodGet, "/nowhere", nil, "") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.send()
			for name, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
				"Referrer-Policy": "no-referrer", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"} {
				if got := r.header.Get(name); got != want {
					t.Errorf("%d answer: %s %q, want %q", r.status, name, got, want)
				}
			}
			if h := r.header.Get("Strict-Transport-Security"); h != "" {
				t.Errorf("HSTS over plain HTTP: %q", h)
			}
		})
	}
}

// TestDocsPageRunsNoInlineScript: /docs has a Content-Security-Policy that allows scripts from
// this origin only (no 'unsafe-inline', no eval) and forbids framing, and the page itself holds
// no inline script or style element; Swagger UI's files stay cacheable.
func TestDocsPageRunsNoInlineScript(t *testing.T) {
	a := newAPI(t)
	r := a.do(t, http.MethodGet, "/docs", nil, "")
	csp := r.header.Get("Content-Security-Policy")
	script := regexp.MustCompile(`(?:^|; )script-src ([^;]*)`).FindStringSubmatch(csp)
	if script == nil || script[1] != "'self'" || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("docs CSP %q", csp)
	}
	if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("docs headers: %v", r.header)
	}
	page := string(r.body)
	if regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`).MatchString(page) || strings.Contains(page, "<style") || regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
		t.Errorf("the docs page has inline script or style:\n%s", page)
	}
	for _, asset := range []struct{ path, mime string }{
		{"/docs/assets/custreg-docs.js", "text/javascript"}, {"/docs/assets/custreg-docs.css", "text/css"},
		{"/docs/assets/swagger-ui-bundle.js", "javascript"},
	} {
		res, err := http.Get(a.base + asset.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), asset.mime) || len(body) == 0 {
			t.Errorf("%s: %d %q", asset.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", asset.path)
		}
	}
	res, err := http.Get(a.base + "/docs/assets/swagger-ui.css")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if cc := res.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
		t.Errorf("Swagger UI's files: Cache-Control %q", cc)
	}
}

// TestHSTSOverTLS: an answer served over TLS carries Strict-Transport-Security.
func TestHSTSOverTLS(t *testing.T) {
	store := dbtest.SQLite(t)
	dbtest.Sandbox(t, store)
	e, err := handlers.New(handlers.Options{Store: store, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(e)
	defer srv.Close()
	for _, path := range []string{"/healthz", "/docs", "/nowhere"} {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if h := res.Header.Get("Strict-Transport-Security"); h != "max-age=31536000" {
			t.Errorf("%s over TLS: HSTS %q", path, h)
		}
	}
}
