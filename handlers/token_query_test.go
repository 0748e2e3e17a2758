package handlers_test

// Credentials travel in the form body only (security finding 8): proxies and access logs keep
// URLs, so the token and revoke endpoints refuse a query naming any of their parameters, and
// never bind a query value.

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

func TestTokenEndpointsRefuseCredentialsInTheQuery(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			pw := url.QueryEscape(sandboxPassword)
			live := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials").AccessToken
			tokens := countRows(t, a, &models.Token{})
			for _, prefix := range []string{"", "/digitalbanking", "/digitalbanking/stage"} {
				v1 := func(query, form string) *response {
					return a.v1TokenRequest(t, prefix+"/v1/oauth/token?"+query, sandboxApp, sandboxSecret, fiCreditUnion, form, nil)
				}
				for _, tc := range []struct{ query, form, param string }{
					{"username=sandboxuser1&password=" + pw, "grant_type=password", "username"},
					{"password=" + pw, "grant_type=password&username=sandboxuser1", "password"},
					{"PassWord=" + pw, "grant_type=password&username=sandboxuser1&password=" + pw, "password"},
					{"grant_type=client_credentials", "grant_type=client_credentials", "grant_type"},
					{"client_secret=" + sandboxSecret, "grant_type=client_credentials", "client_secret"},
					{"client_id=" + sandboxApp, "grant_type=client_credentials", "client_id"},
				} {
					r := v1(tc.query, tc.form)
					wantMessage(t, r, http.StatusBadRequest, "90002", "Query param '"+tc.param+"' not allowed")
					if bytes.Contains(r.body, []byte(sandboxPassword)) || bytes.Contains(r.body, []byte(sandboxSecret)) {
						t.Errorf("the answer echoes a credential: %s", r.body)
					}
				}
				v2 := func(query, form string) *response {
					return a.do(t, http.MethodPost, prefix+"/oauth2/v1/token?"+query, map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
						"transactionId": newTID(), "institutionId": fiCreditUnion, "Content-Type": formContentType}, form)
				}
				for _, tc := range []struct{ query, form, code, param string }{
					{"username=sandboxuser1&password=" + pw, "grant_type=password", "CMN_90013", "username"},
					{"password=" + pw, "grant_type=password&username=sandboxuser1", "CMN_90014", "password"},
					{"PASSWORD=" + pw, "grant_type=password&username=sandboxuser1&password=" + pw, "CMN_90014", "password"},
					{"refresh_token=abc", "grant_type=refresh_token", "CMN_90011", "refresh_token"},
					{"scopes=accounts:read", "grant_type=client_credentials", "CMN_90011", "scopes"},
					{"grant_type=client_credentials", "grant_type=client_credentials", "CMN_90011", "grant_type"},
					{"client_secret=" + sandboxSecret, "grant_type=client_credentials", "CMN_90011", "client_secret"},
				} {
					r := v2(tc.query, tc.form)
					wantProblem(t, r, http.StatusBadRequest, tc.code, "Query param "+tc.param+" is not allowed")
					if bytes.Contains(r.body, []byte(sandboxPassword)) || bytes.Contains(r.body, []byte(sandboxSecret)) {
						t.Errorf("the answer echoes a credential: %s", r.body)
					}
				}
				for _, method := range []string{http.MethodDelete, http.MethodPost} {
					r := a.do(t, method, prefix+"/oauth2/v1/revoke?token="+live, map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
						"transactionId": newTID(), "Content-Type": formContentType}, "token=unknown")
					wantProblem(t, r, http.StatusBadRequest, "CMN_90011", "Query param token is not allowed")
				}
				// Other query parameters are no credentials.
				if r := v1("cache=1", "grant_type=client_credentials"); r.status != http.StatusOK {
					t.Errorf("V1 with an unrelated query: %d %s", r.status, r.body)
				}
				if r := v2("cache=1", "grant_type=client_credentials"); r.status != http.StatusOK {
					t.Errorf("V2 with an unrelated query: %d %s", r.status, r.body)
				}
			}
			if n := countRows(t, a, &models.Token{}); n != tokens+6 { // the six unrelated-query grants
				t.Errorf("%d tokens issued, want 6", n-tokens)
			}
			if a.tokenRevoked(t, live) {
				t.Errorf("a token named in the query was revoked")
			}
			if logs := a.logs.String(); strings.Contains(logs, sandboxPassword) || strings.Contains(logs, sandboxSecret) || strings.Contains(logs, live) {
				t.Errorf("the logs carry a credential")
			}
		})
	}
}
