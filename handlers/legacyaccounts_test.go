package handlers_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

const legacyAccountsPath = "/bankingservices/v2/fis/01111/fiCustomers/"

// legacyAccounts is the legacy list as a test reads it (XML or JSON).
type legacyAccounts struct {
	XMLName xml.Name `xml:"Accounts" json:"-"`
	Account []struct {
		ID struct {
			Value string `xml:"value" json:"value"`
		} `xml:"id" json:"id"`
		AccountNumber struct {
			DisplayValue string `xml:"displayValue" json:"displayValue"`
			HostValue    string `xml:"hostValue" json:"hostValue"`
			RawHostValue string `xml:"rawHostValue" json:"rawHostValue"`
		} `xml:"accountNumber" json:"accountNumber"`
		DisplayAccountNumber string  `xml:"displayAccountNumber" json:"displayAccountNumber"`
		ExportAccountNumber  *string `xml:"exportAccountNumber" json:"exportAccountNumber"`
		FiCustomerID         struct {
			Value string `xml:"value" json:"value"`
		} `xml:"fiCustomerId" json:"fiCustomerId"`
		MemberNumber string `xml:"memberNumber" json:"memberNumber"`
	} `xml:"account" json:"account"`
}

func (a *api) legacyAccounts(t testing.TB, token, customer, query string, headers map[string]string) *response {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token, "di_tid": newTID()}
	for k, v := range headers {
		h[k] = v
	}
	return a.do(t, http.MethodGet, legacyAccountsPath+customer+"/accounts"+query, h, "")
}

// TestLegacyAccountList: XML in the official element order by default, JSON by name, numbers
// masked unless getExportAcctNum is asked for by an app allowed to see them, 204 for a customer
// whose member holds no accounts.
func TestLegacyAccountList(t *testing.T) {
	a := newAPI(t)
	v1 := a.v1Token(t, fiCreditUnion) // sandbox-app: accounts:read and accounts:read_unmasked

	r := a.legacyAccounts(t, v1, sandboxUserGUID, "", nil)
	var list legacyAccounts
	if err := xml.Unmarshal(r.body, &list); err != nil || r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("XML list: %d %v %s", r.status, err, r.body)
	}
	if len(list.Account) != 1 {
		t.Fatalf("accounts: %s", r.body)
	}
	acct := list.Account[0]
	if acct.ID.Value != samChecking || acct.FiCustomerID.Value != sandboxUserGUID || acct.MemberNumber != memberSam ||
		acct.AccountNumber.HostValue != "******7890" || acct.DisplayAccountNumber != "******7890" || acct.ExportAccountNumber != nil {
		t.Errorf("masked by default: %+v", acct)
	}
	if strings.Contains(string(r.body), samCheckingNo) {
		t.Errorf("full number without getExportAcctNum: %s", r.body)
	}
	// Element order: the schema's (the official Account1 order), not alphabetical by Go field.
	order := regexp.MustCompile(`<account><accountHidden>.*</accountHidden><accountNumber>.*<accountStatus>.*<balance>.*<category>.*<description>.*<displayAccountNumber>.*<displayFlag>.*<enabled>.*<fiAccountType>.*<fiCustomerId>.*<fiId>.*<id>.*<memberNumber>.*<ownershipType>`)
	if !order.Match(r.body) {
		t.Errorf("element order: %s", r.body)
	}

	r = a.legacyAccounts(t, v1, sandboxUserGUID, "?getExportAcctNum=true&getCrossAccts=true", map[string]string{"Accept": "application/json"})
	list = legacyAccounts{}
	if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 || len(list.Account) != 1 {
		t.Fatalf("JSON list: %d %s", r.status, r.body)
	}
	acct = list.Account[0]
	if acct.AccountNumber.HostValue != samCheckingNo || acct.ExportAccountNumber == nil || *acct.ExportAccountNumber != samCheckingNo ||
		acct.DisplayAccountNumber != "******7890" {
		t.Errorf("export numbers for an app allowed to see them: %+v", acct)
	}

	// An app without accounts:read_unmasked asking for export numbers still sees them masked.
	limited := a.v1TokenFor(t, limitedApp, limitedSecret, fiCreditUnion, "grant_type=client_credentials")
	r = a.legacyAccounts(t, limited, sandboxUserGUID, "?getExportAcctNum=true", map[string]string{"Accept": "application/json"})
	if r.status != 200 || strings.Contains(string(r.body), samCheckingNo) || !strings.Contains(string(r.body), `"exportAccountNumber":"******7890"`) {
		t.Errorf("export numbers masked without accounts:read_unmasked: %d %s", r.status, r.body)
	}

	// A registered customer whose member holds nothing: 204.
	robin := a.mustRegister(t, newRegistration(t, fiCreditUnion, withMember(memberRobin), withLogin("robinlee_90")))
	r = a.legacyAccounts(t, v1, robin, "", nil)
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("no accounts: %d %s", r.status, r.body)
	}
}

// TestLegacyAccountListRefusals: another FI's customer gets no data, a user's token only its own
// accounts, and the sub-user headers their codes.
func TestLegacyAccountListRefusals(t *testing.T) {
	a := newAPI(t)
	v1 := a.v1Token(t, fiCreditUnion)
	jordan := a.mustRegister(t, newRegistration(t, fiCommunityBank, withMember(memberJordan), withLogin("jrivera")))

	// A customer of FI 02222 through FI 01111's path: unknown here, nothing about it shown.
	r := a.legacyAccounts(t, v1, jordan, "", nil)
	wantProblem(t, r, 404, "20009", "")
	if strings.Contains(string(r.body), "5500012345") || strings.Contains(string(r.body), memberJordan) || strings.Contains(string(r.body), jordanMortgage) {
		t.Errorf("another FI's data: %s", r.body)
	}
	// The other FI's path with this FI's token.
	r = a.do(t, http.MethodGet, "/bankingservices/v2/fis/02222/fiCustomers/"+jordan+"/accounts", map[string]string{
		"Authorization": "Bearer " + v1, "di_tid": newTID(), "Accept": "application/json"}, "")
	wantProblem(t, r, 401, "90001", "")
	wantProblem(t, a.legacyAccounts(t, v1, "00000000000000000000000000000000", "", nil), 404, "20009", "")

	// A user's token: its own accounts only, and another customer's (or an unknown one) alike.
	user := a.v1TokenFor(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
	if r := a.legacyAccounts(t, user, sandboxUserGUID, "", nil); r.status != 200 {
		t.Errorf("own accounts: %d %s", r.status, r.body)
	}
	alex := a.mustRegister(t, newRegistration(t, fiCreditUnion, withMember(memberAlex), withLogin("alexmorgan90")))
	for _, other := range []string{alex, "00000000000000000000000000000000"} {
		r := a.legacyAccounts(t, user, other, "", map[string]string{"Accept": "application/json"})
		wantProblem(t, r, 401, "90001", "")
		if strings.Contains(string(r.body), alexChecking) {
			t.Errorf("leaked: %s", r.body)
		}
	}

	sub := func(h map[string]string) map[string]string {
		out := map[string]string{"intuit_IFS_userType": "ENTITLED", "intuit_authid": sandboxUserAuth, "intuit_IFS_onBehalfOfUser": memberSam}
		for k, v := range h {
			if v == "" {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	if r := a.legacyAccounts(t, v1, sandboxUserGUID, "", sub(nil)); r.status != 200 {
		t.Errorf("a user of the member as sub-user: %d %s", r.status, r.body)
	}
	wantProblem(t, a.legacyAccounts(t, v1, sandboxUserGUID, "", sub(map[string]string{"intuit_authid": ""})), 400, "25099", "")
	wantProblem(t, a.legacyAccounts(t, v1, sandboxUserGUID, "", sub(map[string]string{"intuit_IFS_onBehalfOfUser": ""})), 400, "25099", "")
	wantProblem(t, a.legacyAccounts(t, v1, sandboxUserGUID, "", sub(map[string]string{"intuit_authid": " "})), 400, "25618", "")
	wantProblem(t, a.legacyAccounts(t, v1, sandboxUserGUID, "", sub(map[string]string{"intuit_IFS_onBehalfOfUser": memberAlex})), 400, "25736", "")
	wantProblem(t, a.legacyAccounts(t, v1, sandboxUserGUID, "", sub(map[string]string{"intuit_authid": strings.Repeat("a", 32)})), 404, "20009", "")
	wantProblem(t, a.legacyAccounts(t, v1, sandboxUserGUID, "", map[string]string{"intuit_IFS_userType": "BUSINESS_USER"}), 400, "25694", "")
	wantProblem(t, a.legacyAccounts(t, v1, sandboxUserGUID, "?getCrossAccts=maybe", nil), 400, "25099", "")
	wantProblem(t, a.legacyAccounts(t, v1, sandboxUserGUID, "", map[string]string{"di_tid": "nope"}), 400, "90002", "")
}

// v1TokenFor is a V1 access token of any app and grant form.
func (a *api) v1TokenFor(t testing.TB, client, secret, fi, form string) string {
	t.Helper()
	r := a.v1TokenRequest(t, "/v1/oauth/token", client, secret, fi, form, nil)
	var tok xmlToken
	if err := xml.Unmarshal(r.body, &tok); err != nil || r.status != 200 {
		t.Fatalf("V1 token: %d %s", r.status, r.body)
	}
	return tok.AccessToken
}
