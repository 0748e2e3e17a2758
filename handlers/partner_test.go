package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/openid"
)

// The sandbox's partner app and the auth-code form that names sandboxuser1 for it.
const (
	partnerApp    = "sandbox-partner"
	partnerSecret = "sandbox-partner-secret"
	partnerScopes = "accounts:read,transactions:read"
	authCodeForm  = "client_id=" + partnerApp + "&scopes=" + partnerScopes + "&username=" + sandboxUser +
		"&institution_user_id=" + sandboxUserIUID + "&requested_scopes=openid,profile,offline_access"
)

// partnerPost posts a partner sign-in form (client-authorization or auth-code) with a V2 token.
func (a *api) partnerPost(t testing.TB, path, token, fi, form string) *response {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token, "transactionId": newTID(), "Content-Type": formContentType}
	if fi != "" {
		h["institutionId"] = fi
	}
	return a.do(t, http.MethodPost, path, h, form)
}

// authCode asks for a code for sandboxuser1 and sandbox-partner as the sandbox app, with extra
// form fields appended.
func (a *api) authCode(t testing.TB, extra string) string {
	t.Helper()
	r := a.partnerPost(t, "/v1/auth-code", a.v2For(t, fiCreditUnion, ""), fiCreditUnion, authCodeForm+extra)
	var out struct {
		Code        string `json:"code"`
		RedirectURI string `json:"redirect_uri"`
	}
	r.decode(t, &out)
	if r.status != 200 || out.Code == "" || out.RedirectURI != "https://partner.sandbox.custreg.example/callback" {
		t.Fatalf("auth-code: %d %s", r.status, r.body)
	}
	return out.Code
}

type partnerTokens struct {
	v2Token
	IDToken string `json:"id_token"`
}

// exchange redeems a code as app.
func (a *api) exchange(t testing.TB, app, secret, code string) (*response, partnerTokens) {
	t.Helper()
	r := a.v2TokenRequest(t, app, secret, "", "grant_type=authorization_code&code="+url.QueryEscape(code))
	var tok partnerTokens
	if r.status == 200 {
		r.decode(t, &tok)
	}
	return r, tok
}

// verifier is a go-oidc verifier of sandbox-partner's ID tokens, configured from the server's
// discovery document exactly as a partner would.
func (a *api) verifier(t testing.TB, now func() time.Time) *gooidc.IDTokenVerifier {
	t.Helper()
	provider, err := gooidc.NewProvider(gooidc.ClientContext(context.Background(), http.DefaultClient), a.base)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return provider.Verifier(&gooidc.Config{ClientID: partnerApp, Now: now})
}

// TestPartnerSignIn runs the official OIDC folder's flow: Authorize Client, Generate
// Authorization Code, the code exchange (access, ID and refresh tokens), the partner's account
// list, a refresh and a revocation; the ID token is verified with go-oidc against the discovery
// document and echoes the nonce.
func TestPartnerSignIn(t *testing.T) {
	a := newAPI(t)
	fiToken := a.v2For(t, fiCreditUnion, "")

	r := a.partnerPost(t, "/v1/client-authorization", fiToken, fiCreditUnion, "client_id="+partnerApp)
	var client struct {
		Scopes         string `json:"scopes"`
		AppID          string `json:"appId"`
		AdditionalInfo struct {
			Consent bool `json:"consent_enabled"`
		} `json:"additional_info"`
	}
	r.decode(t, &client)
	if r.status != 200 || client.Scopes != partnerScopes || client.AppID != partnerApp || !client.AdditionalInfo.Consent {
		t.Fatalf("client-authorization: %d %s", r.status, r.body)
	}

	authTime := time.Now().Add(-2 * time.Minute).Unix()
	code := a.authCode(t, "&nonce=n-0S6_WzA2Mj&auth_time="+strconv.FormatInt(authTime, 10))
	var stored models.AuthCode
	if err := a.store.Conn().Where("hash = ?", hashToken(code)).Take(&stored).Error; err != nil || stored.CustomerID != sandboxUserGUID {
		t.Fatalf("the code is stored by its hash only, bound to the user: %v %+v", err, stored)
	}
	r, tok := a.exchange(t, partnerApp, partnerSecret, code)
	if r.status != 200 || tok.AccessToken == "" || tok.IDToken == "" || tok.RefreshToken == "" {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}

	idt, err := a.verifier(t, nil).Verify(context.Background(), tok.IDToken)
	if err != nil {
		t.Fatalf("go-oidc rejects the ID token: %v", err)
	}
	var claims struct {
		AuthTime          int64  `json:"auth_time"`
		PreferredUsername string `json:"preferred_username"`
		GivenName         string `json:"given_name"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != sandboxUserGUID || idt.Nonce != "n-0S6_WzA2Mj" || idt.Issuer != a.base || claims.AuthTime != authTime ||
		claims.PreferredUsername != sandboxUser || claims.GivenName != "Sam" {
		t.Errorf("ID token claims: sub %s nonce %s iss %s %+v", idt.Subject, idt.Nonce, idt.Issuer, claims)
	}

	// The partner token speaks for the user: the official folder's next step lists its accounts.
	r = a.do(t, http.MethodGet, "/v1/accounts", map[string]string{"Authorization": "Bearer " + tok.AccessToken, "transactionId": newTID()}, "")
	if r.status != 200 || !strings.Contains(string(r.body), samChecking) {
		t.Fatalf("accounts with the partner token: %d %s", r.status, r.body)
	}
	// It carries the code's scopes, not the FI app's: no unmasked numbers, no disclosures.
	if strings.Contains(string(r.body), samCheckingNo) {
		t.Errorf("partner token saw a full account number: %s", r.body)
	}
	wantProblem(t, a.dsc(t, http.MethodGet, disclosures, tok.AccessToken, ""), 403, "DSC_11003", "")

	// Refreshed, it stays a partner token (same user, same scopes).
	refreshed := a.v2Token(t, partnerApp, partnerSecret, "", "grant_type=refresh_token&refresh_token="+tok.RefreshToken)
	at, err := a.store.Token(context.Background(), hashToken(refreshed.AccessToken))
	if err != nil || at.Grant != "authorization_code" || at.Scopes != "accounts:read transactions:read" || at.CustomerID == nil || *at.CustomerID != sandboxUserGUID {
		t.Fatalf("refreshed partner token: %v %+v", err, at)
	}
	r = a.do(t, http.MethodGet, "/v1/accounts", map[string]string{"Authorization": "Bearer " + refreshed.AccessToken, "transactionId": newTID()}, "")
	if r.status != 200 {
		t.Fatalf("accounts with the refreshed token: %d %s", r.status, r.body)
	}
	r = a.do(t, http.MethodDelete, "/oauth2/v1/revoke", map[string]string{"Authorization": basic(partnerApp, partnerSecret),
		"transactionId": newTID(), "Content-Type": formContentType}, "token="+refreshed.AccessToken)
	if r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	wantProblem(t, a.do(t, http.MethodGet, "/v1/accounts", map[string]string{"Authorization": "Bearer " + refreshed.AccessToken, "transactionId": newTID()}, ""), 401, "ACC_00601", "")
}

// TestAuthCodeIsSingleUse: a second exchange is refused like an unknown code, and revokes what the
// first one got (RFC 6749 §4.1.2).
func TestAuthCodeIsSingleUse(t *testing.T) {
	a := newAPI(t)
	code := a.authCode(t, "")
	r, tok := a.exchange(t, partnerApp, partnerSecret, code)
	if r.status != 200 {
		t.Fatalf("first exchange: %d %s", r.status, r.body)
	}
	r, _ = a.exchange(t, partnerApp, partnerSecret, code)
	wantProblem(t, r, 400, "CMN_90016", "")
	for _, raw := range []string{tok.AccessToken, tok.RefreshToken} {
		if got, err := a.store.Token(context.Background(), hashToken(raw)); err != nil || got.RevokedAt == nil {
			t.Errorf("a token of the reused code is still live: %v %+v", err, got)
		}
	}
	r, _ = a.exchange(t, partnerApp, partnerSecret, "no-such-code")
	wantProblem(t, r, 400, "CMN_90016", "")
	wantProblem(t, a.v2TokenRequest(t, partnerApp, partnerSecret, "", "grant_type=authorization_code"), 400, "CMN_90011", "")
}

// TestAuthCodeExpires: a code is good for 60 seconds.
func TestAuthCodeExpires(t *testing.T) {
	a := newAPI(t)
	code := a.authCode(t, "")
	a.advance(61 * time.Second)
	r, _ := a.exchange(t, partnerApp, partnerSecret, code)
	wantProblem(t, r, 400, "CMN_90016", "")
}

// TestAuthCodeIsBoundToItsPartner: partner B cannot redeem partner A's code, and A still can; an
// institutionId other than the code's FI is refused.
func TestAuthCodeIsBoundToItsPartner(t *testing.T) {
	a := newAPI(t)
	pf, err := db.ParseProvisionFile([]byte(`clientApps:
  - clientId: other-partner
    secret: other-partner-secret
    institutions: ["01111"]
    grants: [authorization_code]
    scopes: [accounts:read, transactions:read]
    redirectUri: https://other.example/cb
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.Provision(context.Background(), pf); err != nil {
		t.Fatal(err)
	}
	code := a.authCode(t, "")
	r, _ := a.exchange(t, "other-partner", "other-partner-secret", code)
	wantProblem(t, r, 400, "CMN_90016", "")
	wantProblem(t, a.v2TokenRequest(t, partnerApp, partnerSecret, fiCommunityBank, "grant_type=authorization_code&code="+code), 400, "CMN_90005", "")
	r, tok := a.exchange(t, partnerApp, partnerSecret, code)
	if r.status != 200 {
		t.Fatalf("the code's own partner: %d %s", r.status, r.body)
	}
	if tok.IDToken == "" || tok.RefreshToken == "" {
		t.Errorf("requested_scopes openid,offline_access: %s", r.body)
	}
	// Without requested_scopes, nonce or aud: plain OAuth, no ID token, no refresh token.
	form := strings.Replace(authCodeForm, "&requested_scopes=openid,profile,offline_access", "", 1)
	r = a.partnerPost(t, "/v1/auth-code", a.v2For(t, fiCreditUnion, ""), fiCreditUnion, form)
	var plain struct {
		Code string `json:"code"`
	}
	r.decode(t, &plain)
	r, tok = a.exchange(t, partnerApp, partnerSecret, plain.Code)
	if r.status != 200 || tok.IDToken != "" || tok.RefreshToken != "" {
		t.Errorf("plain OAuth code: %d %s", r.status, r.body)
	}
}

// TestPartnerSignInRefusals: every refusal of client-authorization and auth-code, with its code.
func TestPartnerSignInRefusals(t *testing.T) {
	a := newAPI(t)
	fiToken := a.v2For(t, fiCreditUnion, "")
	with := func(field, value string) string {
		v, err := url.ParseQuery(authCodeForm)
		if err != nil {
			t.Fatal(err)
		}
		if value == "" {
			v.Del(field)
		} else {
			v.Set(field, value)
		}
		return v.Encode()
	}
	limited := a.v2Token(t, limitedApp, limitedSecret, fiCreditUnion, "grant_type=client_credentials").AccessToken
	user := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant).AccessToken
	at02222 := a.v2For(t, fiCommunityBank, "")
	for _, c := range []struct {
		name, path, token, fi, form string
		status                      int
		code                        string
	}{
		{"self-authorization", "/v1/auth-code", fiToken, fiCreditUnion, with("client_id", sandboxApp), 400, "CMN_90020"},
		{"self-authorization (client)", "/v1/client-authorization", fiToken, fiCreditUnion, "client_id=" + sandboxApp, 400, "CMN_90020"},
		{"unknown partner", "/v1/auth-code", fiToken, fiCreditUnion, with("client_id", "nobody"), 400, "CMN_90004"},
		{"caller not allowed to issue codes", "/v1/client-authorization", limited, fiCreditUnion, "client_id=" + partnerApp, 403, "CMN_90009"},
		{"partner not a partner", "/v1/client-authorization", fiToken, fiCreditUnion, "client_id=" + limitedApp, 403, "CMN_90009"},
		{"partner not at the FI", "/v1/auth-code", at02222, fiCommunityBank, authCodeForm, 400, "CMN_90021"},
		{"institutionId not the token's", "/v1/auth-code", fiToken, fiCommunityBank, authCodeForm, 400, "CMN_90005"},
		{"institutionId missing", "/v1/auth-code", fiToken, "", authCodeForm, 400, "CMN_90005"},
		{"institution_user_id malformed", "/v1/auth-code", fiToken, fiCreditUnion, with("institution_user_id", "XYZ"), 400, "CMN_90005"},
		{"institution_user_id unknown", "/v1/auth-code", fiToken, fiCreditUnion, with("institution_user_id", strings.Repeat("0", 32)), 400, "CMN_90005"},
		{"username of someone else", "/v1/auth-code", fiToken, fiCreditUnion, with("username", "someoneelse"), 400, "CMN_90013"},
		{"scope beyond the partner's", "/v1/auth-code", fiToken, fiCreditUnion, with("scopes", "accounts:read,accounts:read_unmasked"), 400, "CMN_90012"},
		{"no scope", "/v1/auth-code", fiToken, fiCreditUnion, with("scopes", ","), 400, "CMN_90012"},
		{"auth_time in the future", "/v1/auth-code", fiToken, fiCreditUnion,
			with("auth_time", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)), 400, "CMN_90012"},
		{"a user's token", "/v1/auth-code", user, fiCreditUnion, authCodeForm, 403, "CMN_90006"},
		{"no token", "/v1/auth-code", "", fiCreditUnion, authCodeForm, 401, "CMN_90004"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{"transactionId": newTID(), "Content-Type": formContentType}
			if c.token != "" {
				h["Authorization"] = "Bearer " + c.token
			}
			if c.fi != "" {
				h["institutionId"] = c.fi
			}
			wantProblem(t, a.do(t, http.MethodPost, c.path, h, c.form), c.status, c.code, "")
		})
	}
	var n int64
	a.store.Conn().Model(&models.AuthCode{}).Count(&n)
	if n != 0 {
		t.Errorf("refused requests stored %d codes", n)
	}
	// A locked user gets no code.
	if err := a.store.Conn().Model(&models.Customer{}).Where("id = ?", sandboxUserGUID).Update("locked", true).Error; err != nil {
		t.Fatal(err)
	}
	wantProblem(t, a.partnerPost(t, "/v1/auth-code", fiToken, fiCreditUnion, authCodeForm), 400, "CMN_90016", "")
}

// TestJWKSRotation: after the signing key changes, the JWKS still publishes the old key, so an ID
// token signed before the change verifies until it expires; a server that dropped the old key
// no longer verifies it.
func TestJWKSRotation(t *testing.T) {
	store := dbtest.SQLite(t)
	first := newAPIOn(t, store)
	code := first.authCode(t, "&nonce=before-rotation")
	_, tok := first.exchange(t, partnerApp, partnerSecret, code)
	if tok.IDToken == "" {
		t.Fatal("no ID token")
	}
	oldKey, err := openid.Ephemeral(first.base) // the harness's key: the one that signed tok
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := openid.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	old := openid.PublicKey{ID: oldKey.KeyID(), Key: oldKey.JWKS().Keys[0].Key}
	rotated := newAPIWith(t, store, func(o *handlers.Options) {
		o.OpenID, err = openid.New(first.base, newKey, "", []openid.PublicKey{old})
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	verify := func(a *api, now time.Time) error {
		keys := gooidc.NewRemoteKeySet(ctx, a.base+openid.JWKSPath)
		_, err := gooidc.NewVerifier(first.base, keys, &gooidc.Config{ClientID: partnerApp, Now: func() time.Time { return now }}).Verify(ctx, tok.IDToken)
		return err
	}
	if err := verify(rotated, time.Now()); err != nil {
		t.Errorf("the old key's token after the rotation: %v", err)
	}
	if err := verify(rotated, time.Now().Add(openid.IDTokenTTL+time.Minute)); err == nil {
		t.Error("the old key's token verified after it expired")
	}
	// Tokens signed after the rotation carry the new key id and verify too.
	_, tok2 := rotated.exchange(t, partnerApp, partnerSecret, rotated.authCode(t, ""))
	if _, err := gooidc.NewVerifier(first.base, gooidc.NewRemoteKeySet(ctx, rotated.base+openid.JWKSPath),
		&gooidc.Config{ClientID: partnerApp}).Verify(ctx, tok2.IDToken); err != nil {
		t.Errorf("a new token: %v", err)
	}
	dropped := newAPIWith(t, store, func(o *handlers.Options) { o.OpenID, err = openid.New(first.base, newKey, "", nil) })
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(dropped, time.Now()); err == nil {
		t.Error("a JWKS without the old key verified its token")
	}
}
