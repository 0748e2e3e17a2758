package handlers_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

func TestV1TokenClientCredentials(t *testing.T) {
	a := newAPI(t)
	for _, fi := range []string{fiCreditUnion, fiCommunityBank} {
		r := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fi, "grant_type=client_credentials", nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
			t.Fatalf("%s: %d %s %s", fi, r.status, r.header.Get("Content-Type"), r.body)
		}
		var tok xmlToken
		if err := xml.Unmarshal(r.body, &tok); err != nil {
			t.Fatal(err)
		}
		if tok.DiFiid != fi || len(tok.AccessToken) < 22 || tok.ExpiresIn != "1800" || tok.RefreshToken != "" {
			t.Errorf("%s: %+v", fi, tok)
		}
	}
	// XML whatever Accept says (issue 12: the official operation declares XML only, and the
	// official Accounts collection sends Accept: application/json and parses XML), also through
	// the /digitalbanking prefix; the elements in the official schema's order.
	for _, accept := range []string{"application/json", "application/json, application/xml;q=0.1", "*/*"} {
		r := a.v1TokenRequest(t, "/digitalbanking/stage/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials",
			map[string]string{"Accept": accept})
		var tok xmlToken
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") || xml.Unmarshal(r.body, &tok) != nil || tok.DiFiid != fiCreditUnion {
			t.Errorf("Accept %s: %d %s %s", accept, r.status, r.header.Get("Content-Type"), r.body)
		}
		if got := elementOrder(t, r.body); !slices.Equal(got, []string{"token", "access_token", "expires_in", "di_fiid"}) {
			t.Errorf("element order %v, want the official TokenResponseBaseV1's", got)
		}
	}
}

func TestV1TokenErrors(t *testing.T) {
	a := newAPI(t)
	cc := "grant_type=client_credentials"
	cases := []struct {
		name               string
		client, secret, fi string
		form               string
		extra              map[string]string
		status             int
		code               string
	}{
		{"wrong secret", sandboxApp, "nope", fiCreditUnion, cc, nil, 401, "90001"},
		{"unknown client", "who", "nope", fiCreditUnion, cc, nil, 401, "90001"},
		{"limited app, other FI", limitedApp, limitedSecret, fiCommunityBank, cc, nil, 401, "90001"},
		{"limited app, password grant", limitedApp, limitedSecret, fiCreditUnion, "grant_type=password&username=sandboxuser1&password=x", nil, 403, "90001"},
		{"missing di_tid", sandboxApp, sandboxSecret, fiCreditUnion, cc, map[string]string{"di_tid": ""}, 400, "90002"},
		{"non-UUID di_tid", sandboxApp, sandboxSecret, fiCreditUnion, cc, map[string]string{"di_tid": "not-a-uuid"}, 400, "90002"},
		{"bad di_tid beats bad credentials", sandboxApp, "nope", fiCreditUnion, cc, map[string]string{"di_tid": "x"}, 400, "90002"},
		{"missing di_fiid", sandboxApp, sandboxSecret, fiCreditUnion, cc, map[string]string{"di_fiid": ""}, 400, "90002"},
		{"4-digit di_fiid", sandboxApp, sandboxSecret, "1111", cc, nil, 400, "90002"},
		{"unknown grant", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=implicit", nil, 400, "90002"},
		{"missing grant", sandboxApp, sandboxSecret, fiCreditUnion, "scope=x", nil, 400, "90002"},
		{"refresh grant is V2 only", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=refresh_token", nil, 400, "90002"},
		{"password grant without username", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&password=x", nil, 400, "90002"},
		{"wrong user password", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username=sandboxuser1&password=wrong1", nil, 401, "90001"},
		{"unknown user", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username=nobody123&password=wrong1", nil, 401, "90001"},
		{"user of another FI", sandboxApp, sandboxSecret, fiCommunityBank, "grant_type=password&username=sandboxuser1&password=Sandbox2024!", nil, 401, "90001"},
		{"malformed originating_ip", sandboxApp, sandboxSecret, fiCreditUnion, cc, map[string]string{"originating_ip": "300.1.1.1"}, 400, "90002"},
		{"JSON body", sandboxApp, sandboxSecret, fiCreditUnion, `{"grant_type":"client_credentials"}`, map[string]string{"Content-Type": "application/json"}, 400, "90002"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := a.v1TokenRequest(t, "/v1/oauth/token", tc.client, tc.secret, tc.fi, tc.form, tc.extra)
			p := wantProblem(t, r, tc.status, tc.code, "")
			if p.mediaType != "application/xml" || p.errors[0].Type != "USER_ERROR" {
				t.Errorf("%s, errorType %s: want an XML Status of USER_ERROR", p.mediaType, p.errors[0].Type)
			}
		})
	}
	r := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=implicit", nil)
	wantMessage(t, r, 400, "90002", "Form param 'grant_type' invalid")
}

func TestV1PasswordGrant(t *testing.T) {
	a := newAPI(t)
	r := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion,
		"grant_type=password&username=SandboxUser1&password="+url.QueryEscape(sandboxPassword), nil)
	var tok xmlToken
	if err := xml.Unmarshal(r.body, &tok); err != nil || r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if tok.DiFicustomer != sandboxUserGUID || tok.DiMemberNumber != "100200300" || tok.RefreshToken == "" || tok.RefreshTokenExpiresIn == "" {
		t.Errorf("%+v", tok)
	}
	// The refresh token is good for a V2 access token (it is not usable at the V1 endpoint).
	v2 := a.v2Token(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token="+tok.RefreshToken)
	if v2.AccessToken == "" || v2.RefreshToken != tok.RefreshToken {
		t.Errorf("refresh: %+v", v2)
	}
}

func TestPasswordGrantLockout(t *testing.T) {
	a := newAPI(t)
	wrong := "grant_type=password&username=sandboxuser1&password=Wrong123"
	right := sandboxUserGrant
	for i := 0; i < 9; i++ {
		wantProblem(t, a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, wrong, nil), 401, "90001", "")
	}
	// Nine failures: still not locked, and a success resets the count.
	if r := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, right, nil); r.status != 200 {
		t.Fatalf("after 9 failures: %d", r.status)
	}
	for i := 0; i < 10; i++ {
		wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, wrong), 401, "CMN_90015", "")
	}
	wantProblem(t, a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, right, nil), 401, "90001", "")
	wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, right), 401, "CMN_90015", "")
	if ok, err := a.store.Unlock(context.Background(), fiCreditUnion, "SANDBOXUSER1"); err != nil || !ok {
		t.Fatalf("unlock: %v %v", ok, err)
	}
	if r := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, right, nil); r.status != 200 {
		t.Fatalf("after unlock: %d", r.status)
	}
}

// TestLockoutEndsAfterTheFIsCooldown reproduces the low finding of the security review: a lockout
// lasted until an operator acted. FI 01111 takes the default cool-down of 30 minutes; an FI that
// sets 0s keeps the operator-only behaviour.
func TestLockoutEndsAfterTheFIsCooldown(t *testing.T) {
	a := newAPI(t)
	wrong := "grant_type=password&username=sandboxuser1&password=Wrong123"
	right := sandboxUserGrant
	lock := func() {
		for i := 0; i < 10; i++ {
			wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, wrong), 401, "CMN_90015", "")
		}
		wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, right), 401, "CMN_90015", "")
	}
	lock()
	a.advance(29 * time.Minute)
	wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, right), 401, "CMN_90015", "")
	// Attempts during the cool-down do not extend it.
	wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, wrong), 401, "CMN_90015", "")
	a.advance(2 * time.Minute)
	if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, right); r.status != 200 {
		t.Fatalf("after the cool-down: %d %s", r.status, r.body)
	}
	// After the cool-down the count starts afresh: nine failures do not lock again.
	for i := 0; i < 9; i++ {
		wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, wrong), 401, "CMN_90015", "")
	}
	if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, right); r.status != 200 {
		t.Fatalf("nine failures after the cool-down locked: %d", r.status)
	}

	// An FI without automatic unlock.
	if err := a.store.Conn().Model(&models.Institution{}).Where("id = ?", fiCreditUnion).Update("lockout_cooldown", 0).Error; err != nil {
		t.Fatal(err)
	}
	lock()
	a.advance(30 * 24 * time.Hour)
	wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, right), 401, "CMN_90015", "")
	if ok, err := a.store.Unlock(context.Background(), fiCreditUnion, sandboxUser); err != nil || !ok {
		t.Fatalf("unlock: %v %v", ok, err)
	}
	if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, right); r.status != 200 {
		t.Fatalf("after the operator's unlock: %d", r.status)
	}
}

func TestV2Token(t *testing.T) {
	a := newAPI(t)
	for _, fi := range []string{fiCreditUnion, fiCommunityBank} {
		tid := newTID()
		r := a.do(t, http.MethodPost, "/oauth2/v1/token", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
			"transactionid": tid, "institutionid": fi, "content-type": formContentType}, "grant_type=client_credentials")
		var tok v2Token
		r.decode(t, &tok)
		if r.status != 200 || tok.ExpiresIn != "3600" || tok.TokenType != "Bearer" || tok.RefreshToken != "" {
			t.Fatalf("%s: %d %s", fi, r.status, r.body)
		}
		if r.header.Get("transactionId") != tid {
			t.Errorf("transactionId not echoed: %q", r.header.Get("transactionId"))
		}
	}
	tok := a.v2Token(t, limitedApp, limitedSecret, fiCreditUnion, "grant_type=client_credentials&scopes=accounts:read")
	if tok.AccessToken == "" {
		t.Fatal("limited token")
	}
	pw := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant+"&scopes="+url.QueryEscape("accounts:read, disclosures:read"))
	if pw.RefreshToken == "" || pw.RefreshTokenExpiresIn == "" {
		t.Fatalf("password grant: %+v", pw)
	}
}

func TestV2TokenErrors(t *testing.T) {
	a := newAPI(t)
	cc := "grant_type=client_credentials"
	cases := []struct {
		name               string
		client, secret, fi string
		form               string
		status             int
		code               string
	}{
		{"wrong secret", sandboxApp, "nope", fiCreditUnion, cc, 401, "CMN_90004"},
		{"scope not allowed", limitedApp, limitedSecret, fiCreditUnion, cc + "&scopes=disclosures:read", 400, "CMN_90012"},
		{"FI not allowed", limitedApp, limitedSecret, fiCommunityBank, cc, 401, "CMN_90001"},
		{"grant not enabled", limitedApp, limitedSecret, fiCreditUnion, "grant_type=password&username=a&password=b", 403, "CMN_90006"},
		{"unknown grant", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=implicit", 400, "CMN_90007"},
		{"missing institutionId", sandboxApp, sandboxSecret, "", cc, 400, "CMN_90005"},
		{"malformed institutionId", sandboxApp, sandboxSecret, "16", cc, 400, "CMN_90005"},
		{"password grant without username", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&password=x", 400, "CMN_90013"},
		{"password grant without password", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username=x", 400, "CMN_90014"},
		{"wrong user password", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username=sandboxuser1&password=nope12", 401, "CMN_90015"},
		{"refresh without token", sandboxApp, sandboxSecret, "", "grant_type=refresh_token", 400, "CMN_90011"},
		{"refresh with junk", sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token=junk", 400, "CMN_90016"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, a.v2TokenRequest(t, tc.client, tc.secret, tc.fi, tc.form), tc.status, tc.code, "")
		})
	}
	t.Run("missing transactionId", func(t *testing.T) {
		r := a.do(t, http.MethodPost, "/oauth2/v1/token", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
			"institutionId": fiCreditUnion, "Content-Type": formContentType}, cc)
		wantProblem(t, r, 400, "CMN_90008", "")
	})
	// A missing grant_type is CMN_90007 however it is missing: no body at all, or a form
	// without it. Only the second was tested, so the empty body's CMN_90011 went unnoticed.
	for name, form := range map[string]string{"no body": "", "form without grant_type": "scopes=accounts:read"} {
		t.Run("missing grant_type, "+name, func(t *testing.T) {
			wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, form), 400, "CMN_90007", "")
		})
	}
	// Any non-form Content-Type is CMN_90010. The one test there was sent well-formed JSON, which
	// passes the JSON well-formedness check every family shares and reaches the validator's
	// Content-Type check; the usual mistake, a form body under a JSON Content-Type, was
	// answered CMN_90011 by that well-formedness check first.
	for _, tc := range []struct{ contentType, body string }{
		{"application/json", `{"grant_type":"client_credentials"}`},
		{"application/json", cc},
		{"application/json", ""},
		{"text/plain", cc},
		{"multipart/form-data; boundary=x", "--x--\r\n"},
	} {
		t.Run("content type "+tc.contentType+" with "+strconv.Quote(tc.body), func(t *testing.T) {
			for _, path := range []string{"/oauth2/v1/token", "/oauth2/v1/revoke"} {
				r := a.do(t, http.MethodPost, path, map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
					"transactionId": newTID(), "institutionId": fiCreditUnion, "Content-Type": tc.contentType}, tc.body)
				wantProblem(t, r, 400, "CMN_90010", "Content-Type")
			}
		})
	}
	t.Run("header too large", func(t *testing.T) {
		r := a.do(t, http.MethodPost, "/oauth2/v1/token", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
			"transactionId": newTID(), "institutionId": fiCreditUnion, "Content-Type": formContentType, "X-Big": strings.Repeat("a", 9000)}, cc)
		wantProblem(t, r, 400, "CMN_90010", "")
	})
	t.Run("non-printable", func(t *testing.T) {
		r := a.do(t, http.MethodPost, "/oauth2/v1/token", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
			"transactionId": newTID(), "institutionId": fiCreditUnion, "Content-Type": formContentType}, cc+"&scopes=accounts:read\x01")
		wantProblem(t, r, 400, "CMN_90017", "")
	})
	t.Run("refresh token of another app", func(t *testing.T) {
		a2 := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
		// sandbox-limited has no refresh grant at all; an access token is not a refresh token.
		wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token="+a2.AccessToken), 400, "CMN_90016", "")
	})
}

func TestRevokeAndExpiry(t *testing.T) {
	a := newAPI(t)
	pw := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
	refreshed := a.v2Token(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token="+pw.RefreshToken)

	revoke := func(method, token string) *response {
		return a.do(t, method, "/oauth2/v1/revoke", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
			"transactionId": newTID(), "Content-Type": formContentType}, "token="+url.QueryEscape(token))
	}
	// Another app cannot revoke it (and learns nothing: still 204).
	r := a.do(t, http.MethodDelete, "/oauth2/v1/revoke", map[string]string{"Authorization": basic(limitedApp, limitedSecret),
		"transactionId": newTID(), "Content-Type": formContentType}, "token="+pw.RefreshToken)
	if r.status != 204 {
		t.Fatalf("foreign revoke: %d", r.status)
	}
	if live := a.tokenRevoked(t, pw.AccessToken); live {
		t.Fatal("a foreign app revoked the token")
	}
	if r := revoke(http.MethodDelete, pw.RefreshToken); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	for _, tok := range []string{pw.AccessToken, refreshed.AccessToken, pw.RefreshToken} {
		if !a.tokenRevoked(t, tok) {
			t.Errorf("token not revoked with its refresh token")
		}
	}
	wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token="+pw.RefreshToken), 400, "CMN_90016", "")
	// POST form and unknown tokens.
	if r := revoke(http.MethodPost, "never-issued"); r.status != 204 {
		t.Errorf("POST revoke: %d", r.status)
	}
	wantProblem(t, a.do(t, http.MethodDelete, "/digitalbanking/oauth2/v1/revoke", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
		"transactionId": newTID(), "Content-Type": formContentType}, ""), 400, "CMN_90011", "")
	wantProblem(t, revoke(http.MethodDelete, ""), 400, "CMN_90011", "")

	// Expiry: a refresh token outlives access tokens; both expire on the server's clock.
	pw2 := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
	a.advance(3601 * time.Second)
	if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token="+pw2.RefreshToken); r.status != 200 {
		t.Errorf("refresh token should outlive the access token: %d", r.status)
	}
	a.advance(181 * 24 * time.Hour)
	wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token="+pw2.RefreshToken), 400, "CMN_90016", "")
}

// tokenRevoked reads the stored token state.
func (a *api) tokenRevoked(t testing.TB, raw string) bool {
	t.Helper()
	tok, err := a.store.Token(context.Background(), hashToken(raw))
	if err != nil {
		t.Fatalf("token lookup: %v", err)
	}
	return tok.RevokedAt != nil
}

func TestInstancesSharingADatabaseAcceptEachOthersTokens(t *testing.T) {
	store := dbtest.SQLite(t)
	one, two := newAPIOn(t, store), newAPIOn(t, store)
	v1 := one.v1Token(t, fiCreditUnion)
	r := two.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+sandboxUserGUID, map[string]string{
		"Authorization": "Bearer " + v1, "DI_TID": newTID(), "ACCEPT": "application/json"}, "")
	if r.status != 200 {
		t.Fatalf("token of instance one at instance two: %d %s", r.status, r.body)
	}
	// Revocation at one instance holds at the other at once.
	v2 := two.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials&scopes=accounts:read")
	one.do(t, http.MethodPost, "/oauth2/v1/revoke", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
		"transactionId": newTID(), "Content-Type": formContentType}, "token="+v2.AccessToken)
	wantProblem(t, two.do(t, http.MethodGet, "/v1/accounts?hostUserId=468531842", map[string]string{
		"Authorization": "Bearer " + v2.AccessToken, "transactionid": newTID()}, ""), 401, "ACC_00601", "")
}

func TestTraceHeaderIsEchoed(t *testing.T) {
	a := newAPI(t)
	tid := newTID()
	r := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials", map[string]string{"di_tid": tid})
	if r.header.Get("di_tid") != tid {
		t.Errorf("di_tid echo %q", r.header.Get("di_tid"))
	}
	r = a.do(t, http.MethodGet, "/v1/accounts?hostUserId=468531842", map[string]string{"transactionId": tid}, "")
	if r.status != 401 || r.header.Get("transactionId") != tid {
		t.Errorf("transactionId echo on an error: %d %q", r.status, r.header.Get("transactionId"))
	}
}

func TestTokenRecordsItsOrigin(t *testing.T) {
	a := newAPI(t)
	r := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials",
		map[string]string{"originating_ip": "198.51.100.23", "offering_id": "acme-mobile", "User-Agent": "Acme/2.1/dev42;Pixel"})
	var tok xmlToken
	if err := xml.Unmarshal(r.body, &tok); err != nil {
		t.Fatal(err)
	}
	stored, err := a.store.Token(context.Background(), hashToken(tok.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	if stored.OriginatingIP != "198.51.100.23" || stored.OfferingID != "acme-mobile" || stored.UserAgent != "Acme/2.1/dev42;Pixel" {
		t.Errorf("origin %q %q %q", stored.OriginatingIP, stored.OfferingID, stored.UserAgent)
	}
	// Without the headers: the caller's address (X-Forwarded-For is not believed by default) and
	// the app's offering.
	r = a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials",
		map[string]string{"X-Forwarded-For": "203.0.113.99"})
	_ = xml.Unmarshal(r.body, &tok)
	stored, _ = a.store.Token(context.Background(), hashToken(tok.AccessToken))
	if stored.OriginatingIP != "127.0.0.1" || stored.OfferingID != "sandbox-app" {
		t.Errorf("default origin %q %q", stored.OriginatingIP, stored.OfferingID)
	}
}
