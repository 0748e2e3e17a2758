package handlers_test

// HTTP-level fuzz targets. Every request goes through the whole stack as handlers.New builds it
// (aliases, hygiene, validation, authentication, the handlers, the store) on a sandbox-seeded
// SQLite database and, when CUSTREG_TEST_POSTGRES_DSN is set, the same request again on
// PostgreSQL. The property of every target: no 5xx, every answer allowed by the spec (validated
// as every test's answers are; the disclosures' 501 for an unsupported method is the one 5xx the
// contract gives a caller's mistake), and no submitted secret in an answer. The stacks keep their
// state between inputs (a registration stays registered), as a service does.
//
// Inputs name live credentials with placeholders, replaced before sending: {v1} and {v1user}
// (V1 client and password-grant tokens of FI 01111), {v2}, {v2user}, {v2other} (V2 client token
// with every scope, password-grant token, client token of FI 02222), {refresh} (a refresh
// token), {basic} (the sandbox app's Basic credentials); {uuid} a fresh UUID, {n} a number and
// {ssn} an SSN unique to the request, so that registrations can succeed again and again.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/internal/fuzzcorpus"
	"github.com/custreg/custreg/notify"
	"github.com/custreg/custreg/portal"
)

// fuzzStack is one sandbox stack a fuzz target sends its inputs to, with the credentials its
// placeholders name (minted again when they may have expired or been revoked or locked out).
type fuzzStack struct {
	*api
	name   string
	mu     sync.Mutex
	minted time.Time
	creds  map[string]string
}

// newFuzzStacks builds the stacks of a fuzz target: SQLite, and PostgreSQL when configured. Logs
// are discarded (a campaign sends millions of requests; redaction has a test of its own).
func newFuzzStacks(f *testing.F) []*fuzzStack {
	f.Helper()
	stores := map[string]func(testing.TB) *db.Store{"sqlite": dbtest.SQLite}
	if dbtest.PostgresConfigured() {
		stores["postgres"] = dbtest.Postgres
	}
	var out []*fuzzStack
	for _, name := range []string{"sqlite", "postgres"} {
		open := stores[name]
		if open == nil {
			continue
		}
		store := open(f)
		quiet := slog.New(slog.DiscardHandler)
		outbox := &notify.Outbox{Store: store, Log: quiet}
		a := newAPIWith(f, store, func(o *handlers.Options) { o.Sandbox, o.Notifier, o.Log = true, outbox, quiet })
		out = append(out, &fuzzStack{api: a, name: name})
	}
	return out
}

var fuzzSeq atomic.Int64

// credentials returns the live values of the placeholders, minting them again every 20
// seconds, or when verify is set and one of the tokens is no longer live (an input revoked it,
// or reset the user's password).
func (s *fuzzStack) credentials(t testing.TB, verify bool) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds != nil && time.Since(s.minted) < 20*time.Second && (!verify || s.live()) {
		return s.creds
	}
	c := map[string]string{"{basic}": basic(sandboxApp, sandboxSecret)}
	mint := func(path string, h map[string]string, form string) map[string]string {
		h["Content-Type"] = formContentType
		r, err := s.tryWith(t, http.DefaultClient, http.MethodPost, path, h, form)
		if err != nil || r.status != http.StatusOK {
			return nil
		}
		out := map[string]string{}
		if strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
			var tok xmlToken
			if xml.Unmarshal(r.body, &tok) == nil {
				out["access"], out["refresh"] = tok.AccessToken, tok.RefreshToken
			}
			return out
		}
		var tok v2Token
		if json.Unmarshal(r.body, &tok) == nil {
			out["access"], out["refresh"] = tok.AccessToken, tok.RefreshToken
		}
		return out
	}
	v1 := func(form string) map[string]string {
		return mint("/v1/oauth/token", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret), "di_tid": newTID(), "di_fiid": fiCreditUnion}, form)
	}
	v2 := func(fi, form string) map[string]string {
		return mint("/oauth2/v1/token", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret), "transactionId": newTID(), "institutionId": fi}, form)
	}
	if tok := v1("grant_type=client_credentials"); tok != nil {
		c["{v1}"] = tok["access"]
	}
	if tok := v2(fiCreditUnion, "grant_type=client_credentials"); tok != nil {
		c["{v2}"] = tok["access"]
	}
	if tok := v2(fiCommunityBank, "grant_type=client_credentials"); tok != nil {
		c["{v2other}"] = tok["access"]
	}
	user := v2(fiCreditUnion, sandboxUserGrant)
	if user == nil && c["{v2}"] != "" { // an input locked the sandbox user out: unlock it
		_, _ = s.tryWith(t, http.DefaultClient, http.MethodPut, customers+sandboxUserGUID+":unlock-user", ux(c["{v2}"]), "")
		user = v2(fiCreditUnion, sandboxUserGrant)
	}
	if user != nil {
		c["{v2user}"], c["{refresh}"] = user["access"], user["refresh"]
	}
	if tok := v1(sandboxUserGrant); tok != nil {
		c["{v1user}"] = tok["access"]
	}
	s.creds, s.minted = c, time.Now()
	return c
}

// live reports whether every minted token is still usable.
func (s *fuzzStack) live() bool {
	for k, v := range s.creds {
		if k == "{basic}" {
			continue
		}
		tok, err := s.store.Token(context.Background(), hashToken(v))
		if err != nil || tok.RevokedAt != nil {
			return false
		}
	}
	return true
}

// fillPlaceholders replaces the placeholders of an input.
func fillPlaceholders(in string, creds map[string]string) string {
	if !strings.Contains(in, "{") {
		return in
	}
	n := fuzzSeq.Add(1)
	pairs := []string{"{uuid}", newTID(), "{n}", fmt.Sprintf("%08d", n), "{ssn}", fmt.Sprintf("%03d88%04d", 100+(n/9999)%500, 1+n%9999)}
	for k, v := range creds {
		pairs = append(pairs, k, v)
	}
	return strings.NewReplacer(pairs...).Replace(in)
}

// submittedSecrets are the values of a request that no answer may carry: form and JSON members
// naming passwords, passcodes and secrets, the Basic secret, and (in error answers) the SSN.
// Short values are left out: they occur in answers by chance.
func submittedSecrets(req *http.Request, body []byte) (always, inErrors []string) {
	add := func(list *[]string, v string) {
		if len(v) >= 8 && strings.ContainsFunc(v, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == ' ') }) {
			*list = append(*list, v)
		}
	}
	if _, secret, ok := req.BasicAuth(); ok {
		add(&always, secret)
	}
	if form, err := url.ParseQuery(string(body)); err == nil {
		for _, k := range []string{"password", "client_secret"} {
			for _, v := range form[k] {
				add(&always, v)
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				s, isString := e.(string)
				switch {
				case !isString:
					walk(e)
				case k == "password" || k == "newPassword" || k == "passcode" || k == "hostPassword":
					add(&always, s)
				case k == "ssn":
					add(&inErrors, s)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var doc any
	if json.Unmarshal(body, &doc) == nil {
		walk(doc)
	}
	return always, inErrors
}

// check sends req to the stack and asserts the properties every HTTP target shares.
func (s *fuzzStack) check(t *testing.T, req *http.Request, body []byte) *response {
	t.Helper()
	req.RemoteAddr = "192.0.2.10:40000"
	always, inErrors := submittedSecrets(req, body)
	var r *response
	if p := handlers.CanonicalPath(req.URL.Path); portal.Path(p) || p == handlers.SamplePath || strings.HasPrefix(p, handlers.SamplePath+"/") {
		// The developer portal and the sample app are HTML pages outside the spec: the other
		// properties hold there too.
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req)
		r = &response{status: rec.Code, header: rec.Result().Header, body: rec.Body.Bytes()}
	} else {
		r = s.serve(t, req)
	}
	// The one 5xx that is the caller's doing: disclosures answer an unsupported method with the
	// contract's 501 DSC_10003.
	if r.status >= 500 && !(r.status == http.StatusNotImplemented && bytes.Contains(r.body, []byte(`"DSC_10003"`))) {
		t.Fatalf("%s: %s %s answered %d: %s", s.name, req.Method, req.URL, r.status, r.body)
	}
	if r.status >= 400 {
		always = append(always, inErrors...)
	}
	answer := string(r.body)
	for k, vs := range r.header {
		answer += "\n" + k + ": " + strings.Join(vs, ", ")
	}
	for _, secret := range always {
		if strings.Contains(answer, secret) {
			t.Fatalf("%s: %s %s: the %d answer carries the submitted value %+q", s.name, req.Method, req.URL, r.status, secret)
		}
	}
	if r.status == http.StatusUnauthorized || strings.Contains(req.URL.Path, "revoke") || strings.Contains(req.URL.Path, "password-reset") {
		s.credentials(t, true) // the input may have revoked a token the placeholders name
	}
	return r
}

// validHeader reports whether net/http's server would accept the header as it reads a request.
func validHeader(name, value string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// newRequest builds a request of a target with fixed path and headers, or nil when net/http
// would refuse it on the wire.
func newRequest(method, path string, headers map[string]string, body []byte) *http.Request {
	u, err := url.ParseRequestURI(path)
	if err != nil || strings.ContainsAny(path, " \t\r\n") {
		return nil
	}
	req := &http.Request{Method: method, URL: u, RequestURI: path, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Host: "custreg.test", Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	for k, v := range headers {
		if v == "" {
			continue
		}
		if !validHeader(k, v) {
			return nil
		}
		req.Header.Set(k, v) // canonical, as the server reads it
	}
	return req
}

// ---------------------------------------------------------------- the whole API

// httpSeed is a request of FuzzHTTP: method, request target, header lines ("Name: value"),
// body.
type httpSeed struct {
	name, method, target, headers, body string
}

// fuzzRegistrationJSON is a valid Register v4 body with the unique placeholders.
func fuzzRegistrationJSON() registrationRequest {
	return registrationRequest{"FICustomer": map[string]any{
		"id": map[string]any{"value": "0", "type": "GUID"}, "fiId": map[string]any{"value": fiCreditUnion}, "memberNumber": "F{n}",
		"person": map[string]any{"personName": map[string]any{"firstName": "Jane", "lastName": "Doe"},
			"contactInfo": map[string]any{"emailAddress": "jane{n}@example.com",
				"postalAddress": []any{map[string]any{"address1": "100 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US"}},
				"phoneNumber":   []any{map[string]any{"number": "2175550123", "countryCode": "0"}}},
			"birthDate": regBirthDate},
		"channelInfos": map[string]any{"channelInfo": []any{map[string]any{"channelType": "TPV_API",
			"credential": map[string]any{"loginId": "fuzz{n}", "password": regPassword}}}},
		"acceptedDisclosure": "true", "userType": "PRIMARY", "ssn": "{ssn}", "motherMaidenName": regMaiden,
		"hostCredential": map[string]any{"password": regHostPIN},
	}}
}

// fuzzCustomerV2 is a valid Customer v2 registration body with the unique placeholders.
func fuzzCustomerV2() map[string]any {
	return map[string]any{"fiId": fiCreditUnion, "memberNumber": "G{n}", "firstName": "Jane", "lastName": "Doe",
		"emailAddress": "v2.{n}@example.com", "birthDate": regBirthDate, "ssn": "{ssn}", "motherMaidenName": regMaiden,
		"loginId": "cu{n}", "password": regPassword, "acceptedDisclosure": true, "userRole": "PRIMARY", "hostPassword": regHostPIN,
		"postalAddress": map[string]any{"address1": "100 Main St", "address2": "Apt 4", "city": "Springfield", "state": "IL",
			"postalCode": "62701", "country": "US"},
		"contactInfo": map[string]any{"contactInfo": "2175550123", "telephoneCountryCode": "1"}}
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func httpSeeds() []httpSeed {
	v1 := "Authorization: Bearer {v1}\ndi_tid: {uuid}\n"
	v2 := "Authorization: Bearer {v2}\ntransactionId: {uuid}\n"
	user := "Authorization: Bearer {v2user}\ntransactionId: {uuid}\n"
	uxh := "Authorization: Bearer {v2}\ncorrelationId: {uuid}\nContent-Type: application/json\n"
	form := "Authorization: {basic}\nContent-Type: application/x-www-form-urlencoded\n"
	reg := fuzzRegistrationJSON()
	return []httpSeed{
		{"healthz", "GET", "/healthz", "", ""},
		{"readyz", "GET", "/readyz", "", ""},
		{"openapi", "GET", "/openapi.yaml", "", ""},
		{"openapi-json", "GET", "/openapi.json", "", ""},
		{"docs", "GET", "/docs", "", ""},
		{"docs-asset", "GET", "/docs/assets/../../etc/passwd", "", ""},
		{"metrics", "GET", "/metrics", "", ""},
		{"outbox", "GET", "/sandbox/outbox?to=4155550142", "", ""},
		{"v1-token", "POST", "/v1/oauth/token", form + "di_tid: {uuid}\ndi_fiid: 01111\n", "grant_type=client_credentials"},
		{"v1-token-password", "POST", "/v1/oauth/token", form + "di_tid: {uuid}\ndi_fiid: 01111\n", sandboxUserGrant},
		{"v1-token-alias", "POST", "/digitalbanking/v1/oauth/token", form + "di_tid: {uuid}\ndi_fiid: 01111\n", "grant_type=client_credentials"},
		{"v2-token", "POST", "/oauth2/v1/token", form + "transactionId: {uuid}\ninstitutionId: 01111\n", "grant_type=client_credentials&scopes=accounts:read"},
		{"v2-token-password", "POST", "/oauth2/v1/token", form + "transactionId: {uuid}\ninstitutionId: 01111\n", sandboxUserGrant},
		{"v2-token-refresh", "POST", "/oauth2/v1/token", form + "transactionId: {uuid}\n", "grant_type=refresh_token&refresh_token={refresh}"},
		{"revoke-delete", "DELETE", "/oauth2/v1/revoke", form + "transactionId: {uuid}\n", "token=not-a-live-token"},
		{"revoke-post", "POST", "/oauth2/v1/revoke", form + "transactionId: {uuid}\n", "token=not-a-live-token&token_type_hint=access_token"},
		{"register-json", "POST", "/registration/v4/fis/01111/fiCustomers", v1 + "Content-Type: application/json\nAccept: application/json\n", jsonOf(reg)},
		{"register-xml", "POST", "/v4/fis/01111/fiCustomers", v1 + "Content-Type: application/xml\n", reg.xml()},
		{"register-no-content-type", "POST", "/registration/v4/fis/01111/fiCustomers", v1, jsonOf(reg)},
		{"get-customer", "GET", "/bankingservices/v2/fis/01111/fiCustomers/" + sandboxUserGUID + "?fiCustomerIdType=GUID", v1 + "Accept: application/json\n", ""},
		{"get-customer-login", "GET", "/v2/fis/01111/fiCustomers/" + sandboxUser + "?fiCustomerIdType=LOGINID", "Authorization: Bearer {v1user}\ndi_tid: {uuid}\n", ""},
		{"accounts", "GET", "/v1/accounts?$filter=" + url.QueryEscape("category eq 'DEPOSIT'"), user, ""},
		{"account", "GET", "/db-accounts/v1/accounts/" + samChecking, user, ""},
		{"disclosures", "GET", "/v1/institution-disclosures", v2, ""},
		{"disclosure-create", "POST", "/v1/institution-disclosures", v2 + "Content-Type: application/json\n",
			`{"institutionDisclosureName":"FUZZ{n}","institutionDisclosureData":"https://fi.example/x.html","institutionDisclosureDataType":"URL","required":false}`},
		{"disclosure-update", "PUT", "/v1/institution-disclosures/" + ibID, v2 + "Content-Type: application/json\n",
			`{"institutionDisclosureId":"` + ibID + `","institutionDisclosureName":"IB","institutionDisclosureStatus":true}`},
		{"user-disclosures", "GET", "/v1/institution-user-disclosures?loginId=" + sandboxUser, user, ""},
		{"user-disclosure-accept", "POST", "/db-disclosures/v1/institution-user-disclosures", user + "Content-Type: application/json\n",
			`{"institutionDisclosureName":"OLS","institutionUserDisclosureStatus":"ACCEPTED","accountId":"` + samChecking + `"}`},
		{"user-disclosure-update", "PUT", "/v1/institution-user-disclosures", user + "Content-Type: application/json\n",
			`{"institutionDisclosureId":"` + esignID + `","institutionUserDisclosureStatus":"ACCEPTED"}`},
		{"user-disclosure-delete", "DELETE", "/v1/institution-user-disclosures", user + "Content-Type: application/json\n",
			`{"institutionDisclosureName":"OLS","accountId":"` + samChecking + `"}`},
		{"unlock", "PUT", "/v1/customers/" + sandboxUserGUID + ":unlock-user", uxh, ""},
		{"reset-password", "PUT", "/ux-users/v1/customers/" + sandboxUser + ":reset-password?userIdType=LOGIN_ID", uxh, `{"contactMethodId":"1","protocol":"SMS"}`},
		{"complete-reset", "PUT", "/v1/customers/" + sandboxUserGUID + ":complete-password-reset", uxh, `{"passcode":"000000","newPassword":"N3w-Passw0rd!"}`},
		{"register-v2", "POST", "/v1/customers/register", uxh, jsonOf(fuzzCustomerV2())},
		{"customer-v2", "GET", "/v1/customers/" + sandboxUser + "?userIdType=LOGIN_ID", uxh, ""},
		{"contact-methods", "GET", "/ux-users/v1/customers/" + sandboxUserGUID + "/contact-methods", uxh, ""},
		{"contact-info", "PUT", "/v1/customers/" + sandboxUserGUID + ":contact-info", uxh,
			`{"email":{"emailAddress":"sam.{n}@example.com"},"postalAddress":{"address1":"200 Mission Street","city":"San Francisco","state":"CA","postalCode":"94105","country":"US"}}`},
		{"customer-accounts", "GET", "/v1/customers/" + sandboxUserGUID + ":accounts?hostUserId=" + memberSam, uxh, ""},
		{"institution-user", "GET", "/v1/institution-users/" + memberSam + "?userIdType=HOST_USER_ID&$expand=" +
			url.QueryEscape("subUsers,contactMethods($filter=(validated eq true) and (protocol eq 'VOICE')),postalAddresses($filter=state eq 'CA')"), v2, ""},
		{"institution-user-v2", "GET", "/db-users/v2/institution-users/" + sandboxUserIUID + "?$expand=" +
			url.QueryEscape("identificationDocuments($filter=identificationDocumentType eq 'SSN')"), v2, ""},
		{"user-status", "GET", "/v1/user-status/" + sandboxUser + "?userIdType=LOGIN_ID", v2, ""},
		{"legacy-accounts", "GET", "/bankingservices/v2/fis/01111/fiCustomers/" + sandboxUserGUID + "/accounts?getExportAcctNum=true", v1 + "Accept: application/json\n", ""},
		{"openid-configuration", "GET", "/.well-known/openid-configuration", "", ""},
		{"jwks", "GET", "/oauth2/v1/keys", "", ""},
		{"client-authorization", "POST", "/v1/client-authorization", "Authorization: Bearer {v2}\ntransactionId: {uuid}\ninstitutionId: 01111\nContent-Type: application/x-www-form-urlencoded\n",
			"client_id=sandbox-partner"},
		{"auth-code", "POST", "/v1/auth-code", "Authorization: Bearer {v2}\ntransactionId: {uuid}\ninstitutionId: 01111\nContent-Type: application/x-www-form-urlencoded\n",
			"client_id=sandbox-partner&scopes=accounts:read,transactions:read&username=" + sandboxUser + "&institution_user_id=" + sandboxUserIUID +
				"&requested_scopes=openid,profile,offline_access&nonce=n-0S6_WzA2Mj"},
		{"auth-code-exchange", "POST", "/oauth2/v1/token", "Authorization: " + basic("sandbox-partner", "sandbox-partner-secret") +
			"\ntransactionId: {uuid}\nContent-Type: application/x-www-form-urlencoded\n", "grant_type=authorization_code&code=not-a-code"},
		{"portal", "GET", "/portal", "", ""},
		{"portal-sign-in", "POST", "/portal/sign-in", "Content-Type: application/x-www-form-urlencoded\n", "email=dev%40example.com&password=x&form_token=x"},
		{"sample", "GET", handlers.SamplePath, "", ""},
		{"unknown", "GET", "/nope", "", ""},
		{"wrong-method", "PATCH", "/v1/accounts", user, ""},
		{"options", "OPTIONS", "/oauth2/v1/token", "", ""},
		{"head", "HEAD", "/healthz", "", ""},
		{"gateway-prefix", "GET", "/digitalbanking/stage/v1/accounts", user, ""},
		{"double-prefix", "GET", "/digitalbanking/digitalbanking/v1/customers/x", "", ""},
		{"encoded-slash", "GET", "/db-accounts/v1/accounts/a%2Fb", user, ""},
		{"nul-in-path", "GET", "/v1/accounts/a%00b", user, ""},
		{"bidi-in-query", "GET", "/v1/institution-user-disclosures?loginId=%E2%80%AE" + sandboxUser, user, ""},
		{"huge-header", "GET", "/v1/accounts", user + "X-Pad: " + strings.Repeat("a", 9000) + "\n", ""},
		{"non-ascii-header", "GET", "/v1/accounts", user + "User-Agent: caf\xc3\xa9\n", ""},
		{"two-bodies", "POST", "/v1/customers/register", uxh, jsonOf(fuzzCustomerV2()) + jsonOf(fuzzCustomerV2())},
	}
}

// buildHTTP turns FuzzHTTP's arguments into a request as the server would read it off a
// connection, or nil when it would refuse it.
func buildHTTP(method, target, headers, body string) *http.Request {
	var raw strings.Builder
	raw.WriteString(method + " " + target + " HTTP/1.1\r\nHost: custreg.test\r\n")
	for _, line := range strings.Split(headers, "\n") {
		if line = strings.TrimRight(line, "\r"); line != "" {
			raw.WriteString(line + "\r\n")
		}
	}
	raw.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw.String())))
	if err != nil || req.Method != method || len(req.Header["Content-Length"]) != 1 {
		return nil
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			if !validHeader(k, v) {
				return nil
			}
		}
	}
	return req
}

// FuzzHTTP sends any request to the whole API: method, request target, header lines and body.
func FuzzHTTP(f *testing.F) {
	var seeds []fuzzcorpus.Seed
	for _, s := range httpSeeds() {
		seeds = append(seeds, fuzzcorpus.S(s.name, s.method, s.target, s.headers, s.body))
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("query-"+h.Name, "GET", "/v1/institution-user-disclosures?loginId="+url.QueryEscape(h.Value),
			"Authorization: Bearer {v2user}\ntransactionId: {uuid}\n", ""))
	}
	for _, h := range fuzzcorpus.HostileJSON {
		seeds = append(seeds, fuzzcorpus.S("json-"+h.Name, "POST", "/v1/institution-disclosures",
			"Authorization: Bearer {v2}\ntransactionId: {uuid}\nContent-Type: application/json\n", h.Value))
	}
	fuzzcorpus.Check(f, seeds)
	stacks := newFuzzStacks(f)
	f.Fuzz(func(t *testing.T, method, target, headers, body string) {
		for _, s := range stacks {
			c := s.credentials(t, false)
			req := buildHTTP(method, fillPlaceholders(target, c), fillPlaceholders(headers, c), fillPlaceholders(body, c))
			if req == nil {
				return
			}
			b, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(b))
			s.check(t, req, b)
		}
	})
}

// ---------------------------------------------------------------- one operation each

// FuzzHTTPRegisterV4: Register v4 bodies in JSON and XML, with any Content-Type and Accept.
func FuzzHTTPRegisterV4(f *testing.F) {
	reg := fuzzRegistrationJSON()
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("json", "application/json", "application/json", []byte(jsonOf(reg))),
		fuzzcorpus.S("xml", "application/xml", "", []byte(reg.xml())),
		fuzzcorpus.S("text-xml", "text/xml; charset=utf-8", "application/json", []byte(reg.xml())),
		fuzzcorpus.S("sniffed-xml", "", "", []byte("  "+reg.xml())),
		fuzzcorpus.S("sniffed-json", "", "application/xml", []byte(jsonOf(reg))),
		fuzzcorpus.S("form", "application/x-www-form-urlencoded", "", []byte("memberNumber=1")),
		fuzzcorpus.S("first-login-fi", "application/json", "", []byte(strings.ReplaceAll(jsonOf(reg), `"01111"`, `"02222"`))),
	}
	for _, name := range []string{"person.personName.firstName", "ssn", "motherMaidenName", inPassword, "person.contactInfo.postalAddress[0].city"} {
		for _, h := range fuzzcorpus.HostileText {
			switch h.Name {
			case "nul", "bidi-override", "zero-width", "invalid-utf8", "long", "huge-number":
			default:
				continue
			}
			req := fuzzRegistrationJSON()
			setField(name, "@@")(f, req)
			key := strings.NewReplacer(".", "-", "[0]", "").Replace(strings.ToLower(name)) + "-" + h.Name
			seeds = append(seeds,
				fuzzcorpus.S("json-"+key, "application/json", "", bytes.Replace([]byte(jsonOf(req)), []byte(`"@@"`), []byte(fuzzcorpus.JSONEscaped(h.Value)), 1)),
				fuzzcorpus.S("json-raw-"+key, "application/json", "", bytes.Replace([]byte(jsonOf(req)), []byte(`"@@"`), []byte(fuzzcorpus.JSONString(h.Value)), 1)),
				fuzzcorpus.S("xml-"+key, "application/xml", "", bytes.Replace([]byte(req.xml()), []byte("@@"), []byte(fuzzcorpus.XMLText(h.Value)), 1)))
		}
	}
	for _, h := range fuzzcorpus.HostileJSON {
		seeds = append(seeds, fuzzcorpus.S("json-doc-"+h.Name, "application/json", "", []byte(h.Value)))
	}
	for _, h := range fuzzcorpus.HostileXML {
		seeds = append(seeds, fuzzcorpus.S("xml-doc-"+h.Name, "application/xml", "application/xml", []byte(h.Value)))
	}
	fuzzcorpus.Check(f, seeds)
	stacks := newFuzzStacks(f)
	f.Fuzz(func(t *testing.T, contentType, accept string, body []byte) {
		for _, s := range stacks {
			c := s.credentials(t, false)
			b := []byte(fillPlaceholders(string(body), c))
			req := newRequest(http.MethodPost, "/registration/v4/fis/01111/fiCustomers", map[string]string{"Authorization": "Bearer " + c["{v1}"],
				"di_tid": newTID(), "Content-Type": contentType, "Accept": accept}, b)
			if req == nil {
				return
			}
			s.check(t, req, b)
		}
	})
}

// customerOps are the Customer v2 operations FuzzHTTPCustomerV2 chooses from.
var customerOps = []struct{ method, path string }{
	{http.MethodPost, "/v1/customers/register"},
	{http.MethodPut, "/v1/customers/%s:reset-password"},
	{http.MethodPut, "/v1/customers/%s:complete-password-reset"},
	{http.MethodPut, "/v1/customers/%s:unlock-user"},
}

// FuzzHTTPCustomerV2: the Customer v2 operations with any customer reference, query and body.
func FuzzHTTPCustomerV2(f *testing.F) {
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("register", uint8(0), "", "", []byte(jsonOf(fuzzCustomerV2()))),
		fuzzcorpus.S("register-first-login-fi", uint8(0), "", "", []byte(strings.ReplaceAll(jsonOf(fuzzCustomerV2()), `"01111"`, `"02222"`))),
		fuzzcorpus.S("register-extra-member", uint8(0), "", "", []byte(strings.Replace(jsonOf(fuzzCustomerV2()), `{`, `{"extra":1,`, 1))),
		fuzzcorpus.S("reset-sms", uint8(1), sandboxUserGUID, "", []byte(`{"contactMethodId":"1","protocol":"SMS"}`)),
		fuzzcorpus.S("reset-login-id", uint8(1), sandboxUser, "userIdType=LOGIN_ID", []byte(`{"contactMethodId":"3"}`)),
		fuzzcorpus.S("reset-email", uint8(1), sandboxUserGUID, "userIdType=CUSTOMER_ID", []byte(`{"contactMethodId":"3","protocol":"EMAIL"}`)),
		fuzzcorpus.S("complete", uint8(2), sandboxUserGUID, "", []byte(`{"passcode":"123456","newPassword":"N3w-Passw0rd!"}`)),
		fuzzcorpus.S("unlock", uint8(3), sandboxUserGUID, "", []byte(nil)),
		fuzzcorpus.S("unlock-other-fi-user", uint8(3), "0123456789abcdef0123456789abcdef", "", []byte(nil)),
		fuzzcorpus.S("unlock-bad-type", uint8(3), sandboxUser, "userIdType=HOST_USER_ID", []byte(nil)),
	}
	for _, field := range []string{"firstName", "loginId", "password", "ssn", "motherMaidenName"} {
		for _, h := range fuzzcorpus.HostileText {
			switch h.Name {
			case "nul", "bidi-override", "invalid-utf8", "long":
			default:
				continue
			}
			body := fuzzCustomerV2()
			body[field] = "@@"
			seeds = append(seeds, fuzzcorpus.S("register-"+strings.ToLower(field)+"-"+h.Name, uint8(0), "", "",
				bytes.Replace([]byte(jsonOf(body)), []byte(`"@@"`), []byte(fuzzcorpus.JSONEscaped(h.Value)), 1)))
		}
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("ref-"+h.Name, uint8(3), url.PathEscape(h.Value), "", []byte(nil)))
	}
	for _, h := range fuzzcorpus.HostileJSON {
		seeds = append(seeds, fuzzcorpus.S("reset-doc-"+h.Name, uint8(1), sandboxUserGUID, "", []byte(h.Value)))
	}
	fuzzcorpus.Check(f, seeds)
	stacks := newFuzzStacks(f)
	f.Fuzz(func(t *testing.T, op uint8, ref, query string, body []byte) {
		o := customerOps[int(op)%len(customerOps)]
		path := o.path
		if strings.Contains(path, "%s") {
			path = fmt.Sprintf(path, ref)
		}
		if query != "" {
			path += "?" + query
		}
		for _, s := range stacks {
			c := s.credentials(t, false)
			b := []byte(fillPlaceholders(string(body), c))
			req := newRequest(o.method, path, map[string]string{"Authorization": "Bearer " + c["{v2}"], "correlationId": newTID(),
				"Content-Type": "application/json"}, b)
			if req == nil {
				return
			}
			s.check(t, req, b)
		}
	})
}

// tokenOps are the endpoints FuzzHTTPTokenForms chooses from, with their trace header.
var tokenOps = []struct{ method, path, trace string }{
	{http.MethodPost, "/v1/oauth/token", "di_tid"},
	{http.MethodPost, "/oauth2/v1/token", "transactionId"},
	{http.MethodDelete, "/oauth2/v1/revoke", "transactionId"},
	{http.MethodPost, "/oauth2/v1/revoke", "transactionId"},
}

// FuzzHTTPTokenForms: the token and revoke endpoints with any Authorization, Content-Type and
// form body.
func FuzzHTTPTokenForms(f *testing.F) {
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("v1-client", uint8(0), "{basic}", formContentType, []byte("grant_type=client_credentials")),
		fuzzcorpus.S("v1-password", uint8(0), "{basic}", formContentType, []byte(sandboxUserGrant)),
		fuzzcorpus.S("v1-password-wrong", uint8(0), "{basic}", formContentType, []byte("grant_type=password&username="+sandboxUser+"&password=Wrong-Pass1")),
		fuzzcorpus.S("v1-unknown-grant", uint8(0), "{basic}", formContentType, []byte("grant_type=implicit")),
		fuzzcorpus.S("v2-client", uint8(1), "{basic}", formContentType, []byte("grant_type=client_credentials&scopes=accounts:read,disclosures:read")),
		fuzzcorpus.S("v2-password", uint8(1), "{basic}", formContentType+"; charset=utf-8", []byte(sandboxUserGrant+"&scopes=accounts:read")),
		fuzzcorpus.S("v2-refresh", uint8(1), "{basic}", formContentType, []byte("grant_type=refresh_token&refresh_token={refresh}")),
		fuzzcorpus.S("v2-bad-scope", uint8(1), "{basic}", formContentType, []byte("grant_type=client_credentials&scopes=everything")),
		fuzzcorpus.S("v2-repeated", uint8(1), "{basic}", formContentType, []byte("grant_type=password&grant_type=client_credentials&username=a&username=b")),
		fuzzcorpus.S("revoke", uint8(2), "{basic}", formContentType, []byte("token=abc")),
		fuzzcorpus.S("revoke-post", uint8(3), "{basic}", formContentType, []byte("token=abc&token_type_hint=refresh_token")),
		fuzzcorpus.S("basic-unknown-client", uint8(1), basic("nobody", "nothing1"), formContentType, []byte("grant_type=client_credentials")),
		fuzzcorpus.S("basic-limited", uint8(1), basic(limitedApp, limitedSecret), formContentType, []byte(sandboxUserGrant)),
		fuzzcorpus.S("basic-no-colon", uint8(1), "Basic bm9jb2xvbg==", formContentType, []byte("grant_type=client_credentials")),
		fuzzcorpus.S("basic-not-base64", uint8(0), "Basic !!!", formContentType, []byte("grant_type=client_credentials")),
		fuzzcorpus.S("bearer", uint8(1), "Bearer {v2}", formContentType, []byte("grant_type=client_credentials")),
		fuzzcorpus.S("json-body", uint8(1), "{basic}", "application/json", []byte(`{"grant_type":"client_credentials"}`)),
		fuzzcorpus.S("multipart", uint8(0), "{basic}", "multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--x--\r\n")),
		fuzzcorpus.S("bad-escape", uint8(1), "{basic}", formContentType, []byte("grant_type=client_credentials&x=%zz")),
		fuzzcorpus.S("semicolons", uint8(1), "{basic}", formContentType, []byte("grant_type=client_credentials;scopes=accounts:read")),
	}
	for _, h := range fuzzcorpus.HostileText {
		v := url.QueryEscape(h.Value)
		seeds = append(seeds,
			fuzzcorpus.S("v2-username-"+h.Name, uint8(1), "{basic}", formContentType, []byte("grant_type=password&username="+v+"&password=Sandbox2024!")),
			fuzzcorpus.S("v1-password-"+h.Name, uint8(0), "{basic}", formContentType, []byte("grant_type=password&username="+sandboxUser+"&password="+v)),
			fuzzcorpus.S("basic-"+h.Name, uint8(1), basic(h.Value, h.Value), formContentType, []byte("grant_type=client_credentials")),
			fuzzcorpus.S("revoke-"+h.Name, uint8(2), "{basic}", formContentType, []byte("token="+v)))
	}
	fuzzcorpus.Check(f, seeds)
	stacks := newFuzzStacks(f)
	f.Fuzz(func(t *testing.T, op uint8, authorization, contentType string, form []byte) {
		o := tokenOps[int(op)%len(tokenOps)]
		for _, s := range stacks {
			c := s.credentials(t, false)
			b := []byte(fillPlaceholders(string(form), c))
			h := map[string]string{"Authorization": fillPlaceholders(authorization, c), o.trace: newTID(), "Content-Type": contentType}
			if o.trace == "di_tid" {
				h["di_fiid"] = fiCreditUnion
			} else {
				h["institutionId"] = fiCreditUnion
			}
			req := newRequest(o.method, o.path, h, b)
			if req == nil {
				return
			}
			s.check(t, req, b)
		}
	})
}

// disclosureOps are the disclosure operations FuzzHTTPDisclosures chooses from; %s is the id
// argument, the user operations take the query argument.
var disclosureOps = []struct{ method, path, token string }{
	{http.MethodPost, "/v1/institution-disclosures", "{v2}"},
	{http.MethodPut, "/v1/institution-disclosures/%s", "{v2}"},
	{http.MethodGet, "/v1/institution-user-disclosures", "{v2user}"},
	{http.MethodPost, "/v1/institution-user-disclosures", "{v2user}"},
	{http.MethodPut, "/v1/institution-user-disclosures", "{v2user}"},
	{http.MethodDelete, "/v1/institution-user-disclosures", "{v2user}"},
	{http.MethodPost, "/v1/institution-user-disclosures", "{v2}"},
}

// FuzzHTTPDisclosures: the disclosure definition and user-disclosure bodies, ids and queries.
func FuzzHTTPDisclosures(f *testing.F) {
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("create", uint8(0), "", "", []byte(`{"institutionDisclosureName":"FUZZ{n}","institutionDisclosureData":"https://fi.example/a.html","institutionDisclosureDataType":"URL","institutionDisclosureStatus":true,"required":false}`)),
		fuzzcorpus.S("create-with-id", uint8(0), "", "", []byte(`{"institutionDisclosureId":"`+ibID+`","institutionDisclosureName":"X{n}"}`)),
		fuzzcorpus.S("update", uint8(1), ibID, "", []byte(`{"institutionDisclosureId":"`+ibID+`","institutionDisclosureName":"IB","institutionDisclosureStatus":true,"required":true}`)),
		fuzzcorpus.S("update-mismatch", uint8(1), esignID, "", []byte(`{"institutionDisclosureId":"`+ibID+`","institutionDisclosureName":"IB"}`)),
		fuzzcorpus.S("update-lower-case-id", uint8(1), strings.ToLower(ibID), "", []byte(`{"institutionDisclosureId":"`+ibID+`","institutionDisclosureName":"IB"}`)),
		fuzzcorpus.S("list-user", uint8(2), "", "loginId="+sandboxUser, []byte(nil)),
		fuzzcorpus.S("list-user-host-id", uint8(2), "", "hostUserId="+memberSam+"&institutionCustomerId="+sandboxUserGUID, []byte(nil)),
		fuzzcorpus.S("accept-ols", uint8(3), "", "accountType=DEPOSIT", []byte(`{"institutionDisclosureName":"OLS","institutionUserDisclosureStatus":"ACCEPTED","accountId":"`+samChecking+`","paperWaiver":true}`)),
		fuzzcorpus.S("accept-by-id", uint8(3), "", "", []byte(`{"institutionUserDisclosureId":"`+ibID+`","institutionUserDisclosureStatus":"ACCEPTED"}`)),
		fuzzcorpus.S("update-decline", uint8(4), "", "", []byte(`{"institutionDisclosureId":"`+esignID+`","institutionUserDisclosureStatus":"DECLINED"}`)),
		fuzzcorpus.S("delete-ols", uint8(5), "", "", []byte(`{"institutionDisclosureName":"OLS","accountId":"`+samChecking+`"}`)),
		fuzzcorpus.S("client-token-user-op", uint8(6), "", "loginId="+sandboxUser, []byte(`{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED"}`)),
		fuzzcorpus.S("originating-ip", uint8(3), "", "originatingIp=203.0.113.7", []byte(`{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED"}`)),
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds,
			fuzzcorpus.S("create-name-"+h.Name, uint8(0), "", "", []byte(`{"institutionDisclosureName":`+fuzzcorpus.JSONEscaped(h.Value)+`}`)),
			fuzzcorpus.S("update-id-"+h.Name, uint8(1), url.PathEscape(h.Value), "", []byte(`{"institutionDisclosureId":`+fuzzcorpus.JSONEscaped(h.Value)+`,"institutionDisclosureName":"IB"}`)),
			fuzzcorpus.S("accept-account-"+h.Name, uint8(3), "", "", []byte(`{"institutionDisclosureName":"OLS","institutionUserDisclosureStatus":"ACCEPTED","accountId":`+fuzzcorpus.JSONEscaped(h.Value)+`}`)),
			fuzzcorpus.S("query-"+h.Name, uint8(2), "", "loginId="+url.QueryEscape(h.Value), []byte(nil)))
	}
	for _, h := range fuzzcorpus.HostileJSON {
		seeds = append(seeds, fuzzcorpus.S("doc-"+h.Name, uint8(3), "", "", []byte(h.Value)))
	}
	fuzzcorpus.Check(f, seeds)
	stacks := newFuzzStacks(f)
	f.Fuzz(func(t *testing.T, op uint8, id, query string, body []byte) {
		o := disclosureOps[int(op)%len(disclosureOps)]
		path := o.path
		if strings.Contains(path, "%s") {
			path = fmt.Sprintf(path, id)
		}
		if query != "" {
			path += "?" + query
		}
		for _, s := range stacks {
			c := s.credentials(t, false)
			b := []byte(fillPlaceholders(string(body), c))
			ct := ""
			if len(b) > 0 {
				ct = "application/json"
			}
			req := newRequest(o.method, path, map[string]string{"Authorization": "Bearer " + c[o.token], "transactionId": newTID(), "Content-Type": ct}, b)
			if req == nil {
				return
			}
			s.check(t, req, b)
		}
	})
}

// FuzzHTTPAliases: a request through an alias path is answered exactly as through its
// canonical path (status, error code, body), whatever follows the prefix.
func FuzzHTTPAliases(f *testing.F) {
	aliases := []struct{ alias, canonical, token, trace string }{
		{"/db-accounts/v1/accounts", "/v1/accounts", "{v2user}", "transactionId"},
		{"/accounts/v1/accounts", "/v1/accounts", "{v2user}", "transactionId"},
		{"/db-disclosures/v1/institution-disclosures", "/v1/institution-disclosures", "{v2}", "transactionId"},
		{"/db-disclosures/v1/institution-user-disclosures", "/v1/institution-user-disclosures", "{v2user}", "transactionId"},
		{"/ux-users/v1/customers", "/v1/customers", "{v2}", "correlationId"},
		{"/v2/fis", "/bankingservices/v2/fis", "{v1}", "di_tid"},
		{"/digitalbanking/v1/accounts", "/v1/accounts", "{v2user}", "transactionId"},
		{"/digitalbanking/stage/v1/institution-disclosures", "/v1/institution-disclosures", "{v2}", "transactionId"},
		{"/db-users/v1/institution-users", "/v1/institution-users", "{v2}", "transactionId"},
	}
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("accounts", uint8(0), "GET", ""),
		fuzzcorpus.S("account", uint8(1), "GET", "/"+samChecking),
		fuzzcorpus.S("encoded-slash", uint8(0), "GET", "/"+samChecking+"%2Fx"),
		fuzzcorpus.S("encoded-id", uint8(0), "GET", "/%51w3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qWe9"),
		fuzzcorpus.S("dot-segments", uint8(0), "GET", "/../accounts"),
		fuzzcorpus.S("definition", uint8(2), "PUT", "/"+ibID),
		fuzzcorpus.S("user-disclosures", uint8(3), "GET", "?loginId="+sandboxUser),
		fuzzcorpus.S("unlock", uint8(4), "PUT", "/"+sandboxUserGUID+":unlock-user"),
		fuzzcorpus.S("unlock-encoded-colon", uint8(4), "PUT", "/"+sandboxUserGUID+"%3Aunlock-user"),
		fuzzcorpus.S("unlock-encoded-slash", uint8(4), "PUT", "/a%2Fb:unlock-user"),
		fuzzcorpus.S("register", uint8(4), "POST", "/register"),
		fuzzcorpus.S("customer", uint8(5), "GET", "/01111/fiCustomers/"+sandboxUserGUID),
		fuzzcorpus.S("customer-encoded", uint8(5), "GET", "/01111/fiCustomers/%38fe733f4e27246908f92e8f7c0b96847"),
		fuzzcorpus.S("gateway", uint8(6), "GET", ""),
		fuzzcorpus.S("stage", uint8(7), "GET", ""),
		fuzzcorpus.S("institution-users", uint8(8), "GET", ""),
		fuzzcorpus.S("suffix-no-slash", uint8(0), "GET", "X"),
		fuzzcorpus.S("nul", uint8(1), "GET", "/%00"),
		fuzzcorpus.S("bidi", uint8(3), "GET", "?loginId=%E2%80%AE"),
	}
	fuzzcorpus.Check(f, seeds)
	stacks := newFuzzStacks(f)
	f.Fuzz(func(t *testing.T, which uint8, method, suffix string) {
		a := aliases[int(which)%len(aliases)]
		bounded := suffix == "" || suffix[0] == '/' || suffix[0] == '?'
		if !validHeader(method, "") || !bounded || strings.HasPrefix(a.alias, "/v2/fis") && !strings.HasPrefix(suffix, "/") {
			return // a method is a token; a prefix counts at a segment boundary (/v2/fis with its slash)
		}
		for _, s := range stacks {
			c := s.credentials(t, false)
			var got [2]*response
			for i, prefix := range []string{a.alias, a.canonical} {
				trace := "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
				req := newRequest(method, prefix+suffix, map[string]string{"Authorization": "Bearer " + c[a.token], a.trace: trace}, nil)
				if req == nil {
					return
				}
				got[i] = s.check(t, req, nil)
			}
			alias, canonical := got[0], got[1]
			if alias.status != canonical.status || !bytes.Equal(stripVolatile(alias.body), stripVolatile(canonical.body)) {
				t.Fatalf("%s: %s %s answered %d %s; %s answered %d %s", s.name, method, a.alias+suffix, alias.status, alias.body,
					a.canonical+suffix, canonical.status, canonical.body)
			}
		}
	})
}

// stripVolatile removes what differs between two answers to the same request: timestamps.
func stripVolatile(b []byte) []byte {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.HasSuffix(strings.ToLower(k), "datetime") || k == "timestamp" {
					x[k] = ""
					continue
				}
				x[k] = walk(e)
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	out, _ := json.Marshal(walk(v))
	return out
}
