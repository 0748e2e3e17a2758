package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/handlers"
)

func TestOperationalEndpoints(t *testing.T) {
	a := newAPI(t)
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/healthz", "application/json", `"ok"`},
		{"/readyz", "application/json", `"ready"`},
		{"/openapi.yaml", "application/yaml", "openapi: 3.0.3"},
		{"/openapi.json", "application/json", `"openapi":"3.0.3"`},
		{"/docs", "text/html", "swagger-ui-bundle.js"},
		{"/metrics", "text/plain", "custreg_build_info"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := a.do(t, http.MethodGet, tc.path, nil, "")
			if r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("content type %q, want %q", ct, tc.contentType)
			}
			if !strings.Contains(string(r.body), tc.contains) {
				t.Errorf("body does not contain %q", tc.contains)
			}
		})
	}
}

func TestServedSpecLoadsAndValidates(t *testing.T) {
	a := newAPI(t)
	for _, path := range []string{"/openapi.yaml", "/openapi.json"} {
		r := a.do(t, http.MethodGet, path, nil, "")
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(r.body)
		if err != nil {
			t.Fatalf("%s: load: %v", path, err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Fatalf("%s: validate: %v", path, err)
		}
		if doc.Paths.Find("/healthz") == nil {
			t.Errorf("%s: /healthz missing", path)
		}
	}
}

func TestDocsPageUsesOnlyEmbeddedAssets(t *testing.T) {
	a := newAPI(t)
	page := string(a.do(t, http.MethodGet, "/docs", nil, "").body)
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("expected script and style references, found %v", refs)
	}
	if strings.Contains(page, "://") {
		t.Errorf("docs page references an external URL")
	}
	for _, ref := range refs {
		res, err := http.Get(a.base + ref[1])
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", ref[1], res.StatusCode)
		}
	}
}

// TestMissingDocsAssetIsTheUsual404: found by FuzzHTTP, a missing file under /docs/assets/ was
// the file server's plain-text 404, outside the spec.
func TestMissingDocsAssetIsTheUsual404(t *testing.T) {
	a := newAPI(t)
	for _, path := range []string{"/docs/assets/nope.js", "/docs/assets/../../etc/passwd"} {
		r := a.do(t, http.MethodGet, path, nil, "") // validated: an ErrorResponse
		if r.status != http.StatusNotFound || r.header.Get("Cache-Control") != "" {
			t.Errorf("%s: %d, Cache-Control %q", path, r.status, r.header.Get("Cache-Control"))
		}
	}
}

// TestAliasesRouteEscapedPathsLikeTheirCanonicalPath: found by FuzzHTTPAliases, an alias lost
// the escaped form of the path, so %2F became a slash and %3A the separator of a custom method
// there but not on the canonical path.
func TestAliasesRouteEscapedPathsLikeTheirCanonicalPath(t *testing.T) {
	a := newAPI(t)
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	user := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant).AccessToken
	for _, tc := range []struct{ alias, canonical, token, trace string }{
		{"/ux-users/v1/customers/" + sandboxUserGUID + "%3Aunlock-user", "/v1/customers/" + sandboxUserGUID + "%3Aunlock-user", admin, "correlationId"},
		{"/ux-users/v1/customers/a%2Fb:unlock-user", "/v1/customers/a%2Fb:unlock-user", admin, "correlationId"},
		{"/db-accounts/v1/accounts/" + samChecking + "%2Fx", "/v1/accounts/" + samChecking + "%2Fx", user, "transactionId"},
	} {
		method := http.MethodPut
		if tc.trace == "transactionId" {
			method = http.MethodGet
		}
		h := map[string]string{"Authorization": "Bearer " + tc.token, tc.trace: newTID()}
		got, want := a.do(t, method, tc.alias, h, ""), a.do(t, method, tc.canonical, h, "")
		if got.status != want.status || string(got.body) != string(want.body) {
			t.Errorf("%s: %d %s; %s: %d %s", tc.alias, got.status, got.body, tc.canonical, want.status, want.body)
		}
	}
}

func TestMetricsCountRequestsByRouteAndStatus(t *testing.T) {
	a := newAPI(t)
	a.do(t, http.MethodGet, "/healthz", nil, "")
	a.do(t, http.MethodGet, "/no/such/path", nil, "")
	body := string(a.do(t, http.MethodGet, "/metrics", nil, "").body)
	for _, want := range []string{
		`custreg_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`custreg_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`custreg_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 1`,
		`custreg_build_info{goversion="go`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestUnknownPathIsJSON404(t *testing.T) {
	a := newAPI(t)
	for _, path := range []string{"/nope", "/accounts", "/digitalbanking/nope"} {
		r := a.do(t, http.MethodGet, path, nil, "")
		var e struct{ Code, Message string }
		r.decode(t, &e)
		if r.status != http.StatusNotFound || e.Code != "NOT_FOUND" {
			t.Errorf("%s: %d %+v", path, r.status, e)
		}
	}
}

func TestReadinessFailsWithoutDatabase(t *testing.T) {
	a := newAPI(t)
	if err := db.Close(a.store.Conn()); err != nil {
		t.Fatal(err)
	}
	r := a.do(t, http.MethodGet, "/readyz", nil, "")
	var body map[string]string
	r.decode(t, &body)
	if r.status != http.StatusServiceUnavailable || body["status"] != "unavailable" {
		t.Errorf("got %d %v", r.status, body)
	}
	if !strings.Contains(a.logs.String(), "readiness") {
		t.Errorf("the failure should be logged")
	}
}

func TestCanonicalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/accounts":                                                    "/v1/accounts",
		"/db-accounts/v1/accounts":                                        "/v1/accounts",
		"/accounts/v1/accounts/abc":                                       "/v1/accounts/abc",
		"/digitalbanking/db-accounts/v1/accounts/abc":                     "/v1/accounts/abc",
		"/digitalbanking/stage/oauth2/v1/token":                           "/oauth2/v1/token",
		"/digitalbanking/v1/oauth/token":                                  "/v1/oauth/token",
		"/v4/fis/01111/fiCustomers":                                       "/registration/v4/fis/01111/fiCustomers",
		"/digitalbanking/stage/v4/fis/01111/fiCustomers":                  "/registration/v4/fis/01111/fiCustomers",
		"/v2/fis/01111/fiCustomers/abc":                                   "/bankingservices/v2/fis/01111/fiCustomers/abc",
		"/db-disclosures/v1/institution-disclosures/ABC":                  "/v1/institution-disclosures/ABC",
		"/db-disclosures/v1/institution-user-disclosures":                 "/v1/institution-user-disclosures",
		"/registration/v4/fis/01111/fiCustomers":                          "/registration/v4/fis/01111/fiCustomers",
		"/accounts":                                                       "/accounts", // D17: not routed
		"/digitalbankingx/v1/accounts":                                    "/digitalbankingx/v1/accounts",
		"/db-accounts/v1/accountsX":                                       "/db-accounts/v1/accountsX",
		"/digitalbanking/stage/db-disclosures/v1/institution-disclosures": "/v1/institution-disclosures",
	} {
		if got := handlers.CanonicalPath(in); got != want {
			t.Errorf("CanonicalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenAPIJSONMatchesYAML(t *testing.T) {
	a := newAPI(t)
	var fromJSON map[string]any
	a.do(t, http.MethodGet, "/openapi.json", nil, "").decode(t, &fromJSON)
	spec, err := handlers.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(fromJSON["paths"])
	for path := range spec.Paths.Map() {
		if !strings.Contains(string(raw), `"`+path+`"`) {
			t.Errorf("openapi.json lacks %s", path)
		}
	}
}

func TestDatabaseOutageAnswersTheFamilyEnvelope(t *testing.T) {
	a := newAPI(t)
	v1 := a.v1Token(t, fiCreditUnion)
	if err := db.Close(a.store.Conn()); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials"), 500, "CMN_90000", "")
	r := a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+sandboxUserGUID, map[string]string{
		"Authorization": "Bearer " + v1, "di_tid": newTID(), "Accept": "application/json"}, "")
	if p := wantProblem(t, r, 503, "26340", ""); p.errors[0].Type != "SYSTEM_ERROR" || p.mediaType != "application/json" {
		t.Errorf("errorType %s in %s, want SYSTEM_ERROR in JSON", p.errors[0].Type, p.mediaType)
	}
	if strings.Contains(string(r.body), "sql") || strings.Contains(string(r.body), "database is closed") {
		t.Errorf("internal detail leaked: %s", r.body)
	}
}
