package handlers_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custreg/custreg/access"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// accessRequest is a well-formed request of one operation, made by a test token.
type accessRequest struct{ method, path, body string }

var accessSeq atomic.Int64

// accessRequests builds, per bearer operation, a request that names the sandbox user
// sandboxuser1 (member 100200300) wherever a user is named, so a token of that user is acting
// for itself. A new operation must be added here: TestAccessTableWalk fails otherwise.
var accessRequests = map[string]func(t testing.TB) accessRequest{
	"registerCustomerV4": func(t testing.TB) accessRequest {
		return accessRequest{http.MethodPost, "/registration/v4/fis/01111/fiCustomers", newRegistration(t, fiCreditUnion).json(t)}
	},
	"getCustomerV2": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/" + sandboxUser + "?fiCustomerIdType=LOGINID", ""}
	},
	"listInstitutionDisclosures": func(testing.TB) accessRequest { return accessRequest{http.MethodGet, disclosures, ""} },
	"createInstitutionDisclosure": func(testing.TB) accessRequest {
		return accessRequest{http.MethodPost, disclosures, fmt.Sprintf(`{"institutionDisclosureName":"ACCESS_%d"}`, accessSeq.Add(1))}
	},
	"updateInstitutionDisclosure": func(testing.TB) accessRequest {
		return accessRequest{http.MethodPut, disclosures + "/" + esignID,
			`{"institutionDisclosureId":"` + esignID + `","institutionDisclosureName":"ESIGN","institutionDisclosureStatus":true}`}
	},
	"listInstitutionUserDisclosures": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, userDiscl + "?hostUserId=" + memberSam, ""}
	},
	"createInstitutionUserDisclosure": func(testing.TB) accessRequest {
		return accessRequest{http.MethodPost, userDiscl + "?hostUserId=" + memberSam,
			`{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED"}`}
	},
	"updateInstitutionUserDisclosure": func(testing.TB) accessRequest {
		return accessRequest{http.MethodPut, userDiscl + "?hostUserId=" + memberSam,
			`{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED"}`}
	},
	"deleteInstitutionUserDisclosure": func(testing.TB) accessRequest {
		return accessRequest{http.MethodDelete, userDiscl + "?hostUserId=" + memberSam + "&accountType=CHECKING",
			`{"institutionDisclosureName":"OLS","accountId":"` + samChecking + `"}`}
	},
	"listAccountsV1": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, "/v1/accounts?hostUserId=" + memberSam, ""}
	},
	"getAccountByIdV1": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, "/v1/accounts/" + samChecking + "?hostUserId=" + memberSam, ""}
	},
	"unlockUser": func(testing.TB) accessRequest {
		return accessRequest{http.MethodPut, "/v1/customers/" + sandboxUser + ":unlock-user?userIdType=LOGIN_ID", ""}
	},
	// The passcode is wrong (400 UXU_14001) when the table lets the token through.
	"resetPassword": func(testing.TB) accessRequest {
		return accessRequest{http.MethodPut, "/v1/customers/" + sandboxUserGUID + ":reset-password", `{"contactMethodId":"0"}`}
	},
	"completePasswordReset": func(testing.TB) accessRequest {
		return accessRequest{http.MethodPut, "/v1/customers/" + sandboxUserGUID + ":complete-password-reset",
			`{"passcode":"000000","newPassword":"Another2024!"}`}
	},
	"registerCustomerV2": func(t testing.TB) accessRequest {
		return accessRequest{http.MethodPost, "/v1/customers/register", newCustomerRegistration(fiCreditUnion).json(t)}
	},
	"getCustomerInformation": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, "/v1/customers/" + sandboxUser + "?userIdType=LOGIN_ID", ""}
	},
	"getCustomerContactMethods": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, "/v1/customers/" + sandboxUserGUID + "/contact-methods", ""}
	},
	"updateContactInfo": func(testing.TB) accessRequest {
		return accessRequest{http.MethodPut, "/v1/customers/" + sandboxUserGUID + ":contact-info", `{"email":{"emailAddress":"sam.sandbox@example.com"}}`}
	},
	"getCustomerAccountsTransactionsV1": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, "/v1/customers/" + sandboxUserGUID + ":accounts?hostUserId=" + memberSam, ""}
	},
	"authorizeClientV1": func(testing.TB) accessRequest {
		return accessRequest{http.MethodPost, "/v1/client-authorization", "client_id=" + partnerApp}
	},
	"generateAuthorizationCodeV1": func(testing.TB) accessRequest {
		return accessRequest{http.MethodPost, "/v1/auth-code", authCodeForm}
	},
	"listAccountsLegacyV2": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/" + sandboxUserGUID + "/accounts", ""}
	},
	"getInstitutionUserV1": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, "/v1/institution-users/" + memberSam + "?userIdType=HOST_USER_ID&$expand=subUsers", ""}
	},
	"getInstitutionUserV2": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, "/v2/institution-users/" + sandboxUserIUID + "?$expand=contactMethods", ""}
	},
	"getUserStatusV1": func(testing.TB) accessRequest {
		return accessRequest{http.MethodGet, "/v1/user-status/" + sandboxUser + "?userIdType=LOGIN_ID", ""}
	},
}

// grantOf is the grant that issues tokens of a kind.
func grantOf(k access.Kind) string {
	switch k {
	case access.User:
		return "password"
	case access.Refresh:
		return "refresh_token"
	case access.Partner:
		return "authorization_code"
	}
	return "client_credentials"
}

// mintToken stores an access token of the sandbox app for FI 01111 directly, the way the token
// service would, so every kind can be tried without its grant's ceremony.
func (a *api) mintToken(t testing.TB, version int, kind access.Kind, scopes []string, customerID string) string {
	t.Helper()
	ctx := context.Background()
	app, err := a.store.ClientApp(ctx, sandboxApp)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := secure.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok := &models.Token{Hash: secure.TokenHash(raw), Kind: models.TokenAccess, Version: version, InstitutionID: fiCreditUnion,
		ClientAppID: app.ID, Grant: grantOf(kind), Scopes: strings.Join(scopes, " "), IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	if kind.UserBound() {
		tok.CustomerID = &customerID
	}
	if err := a.store.SaveTokens(ctx, tok); err != nil {
		t.Fatal(err)
	}
	return raw
}

// send makes an operation's request with a bearer token and the family's headers.
func (a *api) sendAccess(t testing.TB, rq accessRequest, token string, legacy bool) *response {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token}
	if legacy {
		h["di_tid"], h["Accept"] = newTID(), "application/json"
	} else {
		h["transactionId"], h["correlationId"], h["institutionId"] = newTID(), newTID(), fiCreditUnion
	}
	switch {
	case strings.HasPrefix(rq.body, "{"):
		h["Content-Type"] = "application/json"
	case rq.body != "":
		h["Content-Type"] = formContentType // the partner sign-in's forms
	}
	return a.do(t, rq.method, rq.path, h, rq.body)
}

// refusedCode returns the error code of a not-authorised answer, or "" if r is not one.
func refusedCode(r *response, legacy bool) string {
	want := http.StatusForbidden
	if legacy {
		want = http.StatusUnauthorized
	}
	if p, err := readProblem(r); err == nil && r.status == want && p.legacy == legacy && len(p.errors) == 1 {
		return p.errors[0].Code
	}
	return ""
}

// forbiddenCodes are the families' not-authorised codes by path prefix, longest prefixes first.
var forbiddenCodes = []struct{ prefix, code string }{
	{"/v1/institution-users", "ISR_11003"}, {"/v2/institution-users", "ISR_11003"}, {"/v1/user-status", "ISR_11003"},
	{"/v1/institution", "DSC_11003"}, {"/v1/accounts", "ACC_00602"}, {"/v1/customers", "UXU_10002"},
	{"/v1/client-authorization", "CMN_90006"}, {"/v1/auth-code", "CMN_90006"},
}

func forbiddenCodeFor(path string) string {
	for _, f := range forbiddenCodes {
		if strings.HasPrefix(path, f.prefix) {
			return f.code
		}
	}
	return "90001"
}

// TestAccessTableWalk calls every bearer operation with every kind of token, with and without
// the scopes its policy requires, and checks that exactly what the table allows gets through.
func TestAccessTableWalk(t *testing.T) {
	a := newAPI(t)
	user, err := a.store.CustomerByLogin(context.Background(), fiCreditUnion, sandboxUser)
	if err != nil {
		t.Fatal(err)
	}
	app, err := a.store.ClientApp(context.Background(), sandboxApp)
	if err != nil {
		t.Fatal(err)
	}
	allScopes := strings.Fields(app.Scopes)
	for _, p := range access.All() {
		if p.Credential != access.V1Token && p.Credential != access.V2Token {
			continue
		}
		build, ok := accessRequests[p.Operation]
		if !ok {
			t.Errorf("%s: no request in accessRequests", p.Operation)
			continue
		}
		legacy := p.Credential == access.V1Token
		version := 2
		if legacy {
			version = 1
		}
		for _, kind := range access.Kinds {
			for _, withScopes := range []bool{true, false} {
				scopes := allScopes
				if !withScopes {
					scopes = slices.DeleteFunc(slices.Clone(allScopes), func(s string) bool { return slices.Contains(p.Scopes, s) })
				}
				name := fmt.Sprintf("%s/%s/scopes=%v", p.Operation, kind, withScopes)
				t.Run(name, func(t *testing.T) {
					rq := build(t)
					r := a.sendAccess(t, rq, a.mintToken(t, version, kind, scopes, user.ID), legacy)
					want := p.Allows(kind) && (withScopes || len(p.Scopes) == 0)
					got := refusedCode(r, legacy)
					switch {
					case want && got != "":
						t.Errorf("allowed by the table but refused: %d %s", r.status, r.body)
					case want && r.status >= 500:
						t.Errorf("allowed by the table but failed: %d %s", r.status, r.body)
					case !want && got != forbiddenCodeFor(rq.path):
						t.Errorf("refused by the table but answered %d %s (want the not-authorised code %s)", r.status, r.body, forbiddenCodeFor(rq.path))
					}
				})
			}
		}
	}
}

// TestAccessTableCoversTheSpec: every operation of the spec has a policy whose credential is the
// spec's security scheme, and V2 operations declare exactly the policy's scopes, so the served
// reference says what the code enforces.
func TestAccessTableCoversTheSpec(t *testing.T) {
	spec, err := handlers.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			p, ok := access.For(op.OperationID)
			if !ok {
				t.Errorf("%s %s (%s) has no access policy", method, path, op.OperationID)
				continue
			}
			seen[op.OperationID] = true
			var scheme string
			var scopes []string
			if op.Security != nil {
				for _, req := range *op.Security {
					for name, sc := range req {
						scheme, scopes = name, sc
					}
				}
			}
			want := map[access.Credential]string{access.Public: "", access.ClientSecret: "clientBasic", access.V1Token: "v1Bearer", access.V2Token: "v2Bearer"}[p.Credential]
			if scheme != want {
				t.Errorf("%s: spec security %q, policy %q", op.OperationID, scheme, p.Credential)
			}
			if p.Credential == access.V2Token && !slices.Equal(scopes, p.Scopes) {
				t.Errorf("%s: spec scopes %v, policy scopes %v", op.OperationID, scopes, p.Scopes)
			}
		}
	}
	for _, p := range access.All() {
		if !seen[p.Operation] {
			t.Errorf("policy for %s, which the spec does not have", p.Operation)
		}
	}
}

// TestAccessTableIsDocumented: docs/decisions.md shows the table the code enforces.
func TestAccessTableIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/decisions.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), access.Markdown()) {
		t.Errorf("docs/decisions.md does not contain the access table; paste this:\n%s", access.Markdown())
	}
}

// TestV1TokensAreGatedByTheAppsScopes reproduces finding 1 of the security review: an app
// provisioned for accounts:read only registered customers and read any profile with a V1
// client-credentials token, and a user's V1 token read other users' profiles and registered.
func TestV1TokensAreGatedByTheAppsScopes(t *testing.T) {
	a := newAPI(t)
	alexGUID := a.mustRegister(t, newRegistration(t, fiCreditUnion, withMember(memberAlex), withLogin("alexmorgan90")))

	r := a.v1TokenRequest(t, "/v1/oauth/token", limitedApp, limitedSecret, fiCreditUnion, "grant_type=client_credentials", nil)
	var limited xmlToken
	if err := xml.Unmarshal(r.body, &limited); err != nil || r.status != 200 {
		t.Fatalf("limited V1 token: %d %s", r.status, r.body)
	}
	wantProblem(t, a.registerJSON(t, limited.AccessToken, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion, withLogin("robin_lee1")).json(t)), 401, "90001", "")
	for _, q := range []string{memberSam + "?fiCustomerIdType=MEMNUMBER", sandboxUserGUID, sandboxUser + "?fiCustomerIdType=LOGINID"} {
		r := a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+q, map[string]string{
			"Authorization": "Bearer " + limited.AccessToken, "di_tid": newTID(), "Accept": "application/json"}, "")
		p := wantProblem(t, r, 401, "90001", "")
		if p.errors[0].Type != "APP_ERROR" || strings.Contains(string(r.body), "sandboxuser1") {
			t.Errorf("%s: %s", q, r.body)
		}
	}

	// A user's V1 token (password grant of sandboxuser1).
	r = a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant, nil)
	var userTok xmlToken
	if err := xml.Unmarshal(r.body, &userTok); err != nil || r.status != 200 {
		t.Fatalf("user V1 token: %d %s", r.status, r.body)
	}
	wantProblem(t, a.registerJSON(t, userTok.AccessToken, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion, withLogin("robin_lee1")).json(t)), 401, "90001", "")
	get := func(id string) *response {
		return a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+id, map[string]string{
			"Authorization": "Bearer " + userTok.AccessToken, "di_tid": newTID(), "Accept": "application/json"}, "")
	}
	for _, other := range []string{alexGUID, "alexmorgan90?fiCustomerIdType=LOGINID", memberAlex + "?fiCustomerIdType=MEMNUMBER",
		"00000000000000000000000000000000", "nobody?fiCustomerIdType=LOGINID"} {
		r := get(other)
		wantProblem(t, r, 401, "90001", "")
		if strings.Contains(string(r.body), "alex") {
			t.Errorf("%s leaked: %s", other, r.body)
		}
	}
	for _, own := range []string{sandboxUserGUID, sandboxUser + "?fiCustomerIdType=LOGINID", memberSam + "?fiCustomerIdType=MEMNUMBER"} {
		if r := get(own); r.status != 200 {
			t.Errorf("own profile %s: %d %s", own, r.status, r.body)
		}
	}
	// Nothing was registered by the refused requests.
	var n int64
	a.store.Conn().Model(&models.Customer{}).Where("login_id_norm = ?", "robin_lee1").Count(&n)
	if n != 0 {
		t.Errorf("refused registrations created %d customers", n)
	}
}

// TestUserTokensCannotAdministerDisclosures reproduces finding 2: a password-grant V2 token
// inherited the app's disclosures:write and rewrote FI-wide definitions.
func TestUserTokensCannotAdministerDisclosures(t *testing.T) {
	a := newAPI(t)
	pw := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
	refreshed := a.v2Token(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token="+pw.RefreshToken)
	for _, tok := range []string{pw.AccessToken, refreshed.AccessToken} {
		wantProblem(t, a.dsc(t, http.MethodPost, disclosures, tok, `{"institutionDisclosureName":"EVIL"}`), 403, "DSC_11003", "")
		wantProblem(t, a.dsc(t, http.MethodPut, disclosures+"/"+ibID, tok, `{"institutionDisclosureId":"`+ibID+`","institutionDisclosureName":"IB",`+
			`"institutionDisclosureData":"https://evil.example/ib.html","institutionDisclosureDataType":"URL"}`), 403, "DSC_11003", "")
		wantProblem(t, a.dsc(t, http.MethodPut, disclosures+"/"+ibID, tok, `{"institutionDisclosureId":"`+ibID+`","institutionDisclosureName":"IB","institutionDisclosureStatus":false}`), 403, "DSC_11003", "")
		// Their own user disclosures remain theirs to decide.
		if r := a.dsc(t, http.MethodPost, userDiscl, tok, `{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED"}`); r.status != 204 {
			t.Errorf("own decision: %d %s", r.status, r.body)
		}
		if r := a.dsc(t, http.MethodGet, disclosures, tok, ""); r.status != 200 {
			t.Errorf("reading definitions: %d %s", r.status, r.body)
		}
	}
	var d models.Disclosure
	a.store.Conn().Where("id = ?", ibID).Take(&d)
	if d.Version != 1 || !d.Enabled || strings.Contains(d.Data, "evil") {
		t.Errorf("IB definition changed: %+v", d)
	}
	var n int64
	a.store.Conn().Model(&models.Disclosure{}).Where("name = ?", "EVIL").Count(&n)
	if n != 0 {
		t.Error("a user token created a definition")
	}
}
