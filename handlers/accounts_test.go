package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/custreg/custreg/gen"
)

var upperHex32 = regexp.MustCompile(`^[0-9A-F]{32}$`)

// getAccounts sends an accounts GET with a bearer token and a fresh transactionId; extra headers
// override them ("" removes one).
func (a *api) getAccounts(t testing.TB, path, token string, extra map[string]string) *response {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token, "transactionId": newTID()}
	for k, v := range extra {
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	return a.do(t, http.MethodGet, path, h, "")
}

// listAccounts lists with the query q and expects 200.
func (a *api) listAccounts(t testing.TB, token string, q url.Values) []gen.Account {
	t.Helper()
	r := a.getAccounts(t, "/v1/accounts?"+q.Encode(), token, nil)
	if r.status != http.StatusOK {
		t.Fatalf("list %s: %d %s", q.Encode(), r.status, r.body)
	}
	var out gen.AccountsResponse
	r.decode(t, &out)
	return out.Accounts
}

func ids(accounts []gen.Account) []string {
	out := make([]string, len(accounts))
	for i, acc := range accounts {
		out[i] = acc.ID
	}
	return out
}

func numbers(accounts []gen.Account) []string {
	out := make([]string, len(accounts))
	for i, acc := range accounts {
		out[i] = acc.AccountNumber
	}
	return out
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func TestAccountsListByHostUserID(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, scopeAccounts)
	tid := newTID()
	r := a.getAccounts(t, "/v1/accounts?hostUserId="+memberAlex, tok, map[string]string{"transactionId": tid})
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if got := r.header.Get("transactionId"); got != tid {
		t.Errorf("transactionId echoed as %q", got)
	}
	var resp gen.AccountsResponse
	r.decode(t, &resp)
	got := resp.Accounts
	if want := []string{alexChecking, alexSavings, alexCard}; !slices.Equal(ids(got), want) {
		t.Fatalf("ids %v, want %v", ids(got), want)
	}
	// D25: same length, every character but the last four masked.
	if want := []string{"******3210", "******3211", "************4444"}; !slices.Equal(numbers(got), want) {
		t.Errorf("numbers %v, want %v", numbers(got), want)
	}
	checking, card := got[0], got[2]
	if checking.InstitutionID != fiCreditUnion || checking.Category != gen.DEPOSIT || checking.Type.Value != gen.DIAccountTypeCHECKING ||
		checking.Type.FiRawAccountType != 1 || checking.Type.FiAccountType != 1 || checking.Type.Description != "Checking" {
		t.Errorf("checking: %+v", checking)
	}
	// Nobody registered for the member: a derived, stable institution user id and no customer.
	if !upperHex32.MatchString(checking.InstitutionUserID) || checking.InstitutionCustomerID != nil {
		t.Errorf("institutionUserId %q, institutionCustomerId %v", checking.InstitutionUserID, checking.InstitutionCustomerID)
	}
	again := a.listAccounts(t, tok, q("hostUserId", memberAlex))
	if again[0].InstitutionUserID != checking.InstitutionUserID || card.InstitutionUserID != checking.InstitutionUserID {
		t.Errorf("institutionUserId not stable: %s %s %s", checking.InstitutionUserID, again[0].InstitutionUserID, card.InstitutionUserID)
	}
	if checking.CurrentBalance == nil || checking.CurrentBalance.Amount != 2450.17 || checking.CurrentBalance.CurrencyCode != "USD" ||
		checking.AvailableBalance == nil || checking.AvailableBalance.Amount != 2400.17 {
		t.Errorf("balances %+v %+v", checking.CurrentBalance, checking.AvailableBalance)
	}
	if deref(checking.NickName) != "Bills" || deref(checking.Description) != "Everyday Checking" || deref(checking.PrimaryHolderName) != "Alex Morgan" ||
		deref(checking.RoutingNumber) != "011000015" || deref(checking.MicrNumber) != "011000015******3210" {
		t.Errorf("labels: %s", r.body)
	}
	if st := checking.Status; st == nil || !st.Open || st.Closed || st.NegativeBalance || st.CreditBalance || st.RetirementPlan {
		t.Errorf("checking status %+v", checking.Status)
	}
	if act := checking.AllowedActions; act == nil || !(act.Summary && act.TransferFrom && act.TransferTo && act.IsHistoryEnabled &&
		act.IsHistoryEntitled && act.IsOnlineStatementEnabled) {
		t.Errorf("checking actions %+v", checking.AllowedActions)
	}
	// The credit card owes money (negative balance): no credit balance, no micr, no transfers out.
	if card.Category != gen.LOAN || card.CurrentBalance.Amount != -312.40 || card.Status.CreditBalance || card.Status.NegativeBalance ||
		card.MicrNumber != nil || card.AllowedActions.TransferFrom || !card.AllowedActions.TransferTo {
		t.Errorf("card: %+v status %+v actions %+v", card, card.Status, card.AllowedActions)
	}
	// crossAccount has no effect; a member without accounts gets an empty list.
	if got := a.listAccounts(t, tok, q("hostUserId", memberAlex, "crossAccount", "false")); len(got) != 3 {
		t.Errorf("crossAccount=false: %v", ids(got))
	}
	r = a.getAccounts(t, "/v1/accounts?hostUserId="+memberRobin, tok, nil)
	if r.status != http.StatusOK || string(r.body) != `{"accounts":[]}`+"\n" && string(r.body) != `{"accounts":[]}` {
		t.Errorf("no accounts: %d %s", r.status, r.body)
	}
}

func TestAccountsMasking(t *testing.T) {
	a := newAPI(t)
	full := []string{alexCheckingNo, alexSavingsNo, alexCardNo}
	unmasked := a.listAccounts(t, a.v2For(t, fiCreditUnion, scopeAccountsAll), q("hostUserId", memberAlex))
	if !slices.Equal(numbers(unmasked), full) || deref(unmasked[0].MicrNumber) != "011000015"+alexCheckingNo {
		t.Fatalf("unmasked: %v micr %q", numbers(unmasked), deref(unmasked[0].MicrNumber))
	}
	// Omitted scopes = all of the app's scopes, the unmasked one included.
	if got := a.listAccounts(t, a.v2For(t, fiCreditUnion, ""), q("hostUserId", memberAlex)); !slices.Equal(numbers(got), full) {
		t.Errorf("default scopes: %v", numbers(got))
	}
	// sandbox-limited has accounts:read only.
	limited := a.listAccounts(t, a.v2Token(t, limitedApp, limitedSecret, fiCreditUnion, "grant_type=client_credentials").AccessToken, q("hostUserId", memberAlex))
	for i, n := range numbers(limited) {
		if len(n) != len(full[i]) || !strings.HasSuffix(n, full[i][len(full[i])-4:]) || strings.Trim(n[:len(n)-4], "*") != "" {
			t.Errorf("limited sees %q for %q", n, full[i][len(full[i])-4:])
		}
	}
	// Account numbers never reach the logs.
	logs := a.logs.String()
	for _, n := range append(full, samCheckingNo) {
		if strings.Contains(logs, n) {
			t.Errorf("an account number ending %s was logged", n[len(n)-4:])
		}
	}
}

func TestAccountsAfterRegistration(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, scopeAccounts)
	before := a.listAccounts(t, tok, q("hostUserId", memberAlex))
	guid := a.mustRegister(t, newRegistration(t, fiCreditUnion, withMember(memberAlex), withLogin("AlexMorgan90")))

	byLogin := a.listAccounts(t, tok, q("loginId", "alexmorgan90")) // case-insensitive
	byHost := a.listAccounts(t, tok, q("hostUserId", memberAlex))
	if !slices.Equal(ids(byLogin), ids(before)) || !slices.Equal(ids(byHost), ids(before)) {
		t.Fatalf("ids: before %v, by login %v, by host %v", ids(before), ids(byLogin), ids(byHost))
	}
	if !slices.Equal(numbers(byLogin), numbers(before)) {
		t.Errorf("numbers by login %v", numbers(byLogin))
	}
	// Now the registered user owns them.
	for _, acc := range append(byLogin, byHost...) {
		if deref(acc.InstitutionCustomerID) != guid || !upperHex32.MatchString(acc.InstitutionUserID) ||
			acc.InstitutionUserID == before[0].InstitutionUserID || acc.InstitutionUserID != byLogin[0].InstitutionUserID {
			t.Errorf("owner of %s: customer %v user %s (before %s)", acc.ID, deref(acc.InstitutionCustomerID), acc.InstitutionUserID, before[0].InstitutionUserID)
		}
	}
	// institutionCustomerId: the user's own GUID is accepted, anything else is no location of theirs.
	if got := a.listAccounts(t, tok, q("loginId", "AlexMorgan90", "institutionCustomerId", guid)); len(got) != 3 {
		t.Errorf("own institutionCustomerId: %v", ids(got))
	}
	wantProblem(t, a.getAccounts(t, "/v1/accounts?hostUserId="+memberAlex+"&institutionCustomerId="+sandboxUserGUID, tok, nil), 400, "ACC_00410", "")
	wantProblem(t, a.getAccounts(t, "/v1/accounts?hostUserId="+memberRobin+"&institutionCustomerId="+guid, tok, nil), 400, "ACC_00410", "")
	// The user can now log in and read them with a password-grant token.
	pw := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username=alexmorgan90&password="+url.QueryEscape(regPassword)+
		"&scopes="+url.QueryEscape(scopeAccounts)).AccessToken
	if got := a.listAccounts(t, pw, nil); !slices.Equal(ids(got), ids(before)) {
		t.Errorf("password grant: %v", ids(got))
	}
}

func TestAccountsFilter(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, scopeAccounts)
	unmasked := a.v2For(t, fiCreditUnion, scopeAccountsAll)
	for _, tc := range []struct {
		name, token, filter string
		want                []string
	}{
		{"category", tok, "category eq 'DEPOSIT'", []string{alexChecking, alexSavings}},
		{"nickName contains", tok, "contains(tolower(nickName),'vacation')", []string{alexSavings}},
		{"name alias", tok, "name eq 'Visa'", []string{alexCard}},
		{"type or", tok, "type eq 'CHECKING' or type eq 'CREDIT_CARD_LOAN'", []string{alexChecking, alexCard}},
		{"and", tok, "category eq 'DEPOSIT' and toupper(nickName) ne 'BILLS'", []string{alexSavings}},
		{"id", tok, "id eq '" + alexSavings + "'", []string{alexSavings}},
		{"no match", tok, "category eq 'INVESTMENT'", []string{}},
		// accountNumber is matched as the caller sees it: a masked caller cannot probe digits.
		{"full number, masked caller", tok, "accountNumber eq '" + alexCheckingNo + "'", []string{}},
		{"masked digits, masked caller", tok, "contains(accountNumber,'98765')", []string{}},
		{"last four, masked caller", tok, "contains(accountNumber,'4444')", []string{alexCard}},
		{"full number, unmasked caller", unmasked, "accountNumber eq '" + alexCheckingNo + "'", []string{alexChecking}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := a.listAccounts(t, tc.token, q("hostUserId", memberAlex, "$filter", tc.filter))
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("%s: %v, want %v", tc.filter, ids(got), tc.want)
			}
		})
	}
	for _, bad := range []string{"category eq", "category eq 'DEPOSIT", "balance gt '1'", "not (category eq 'LOAN')",
		"category eq'DEPOSIT'", "length(nickName) eq '4'", "category eq 1", "", strings.Repeat("a", 2049)} {
		r := a.getAccounts(t, "/v1/accounts?"+q("hostUserId", memberAlex, "$filter", bad).Encode(), tok, nil)
		wantProblem(t, r, 400, "ACC_00005", "")
		if strings.Contains(string(r.body), "DEPOSIT") {
			t.Errorf("error echoes the filter: %s", r.body)
		}
	}
}

func TestAccountsUserContext(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, scopeAccounts)
	for _, tc := range []struct {
		name, query string
		status      int
		code        string
	}{
		{"neither hostUserId nor loginId", "", 400, "ACC_99992"},
		{"only a view", "?viewName=m", 400, "ACC_99992"},
		{"both", "?hostUserId=" + memberSam + "&loginId=" + sandboxUser, 400, "ACC_99994"},
		{"empty hostUserId", "?hostUserId=", 400, "ACC_99992"},
		{"unknown member", "?hostUserId=999999999", 404, "ACC_00101"},
		{"unknown login", "?loginId=nobody12345", 404, "ACC_00101"},
		{"member of another FI", "?hostUserId=" + memberJordan, 404, "ACC_00101"},
		{"bad viewName", "?hostUserId=" + memberAlex + "&viewName=xl", 400, "ACC_99992"},
		{"bad crossAccount", "?hostUserId=" + memberAlex + "&crossAccount=maybe", 400, "ACC_99992"},
		{"bad additionalFields", "?hostUserId=" + memberAlex + "&additionalFields=yes", 400, "ACC_99992"},
		{"hostUserId too long", "?hostUserId=" + strings.Repeat("1", 65), 400, "ACC_99992"},
		// Business banking: only retail members exist here.
		{"$apply on a retail member", "?loginId=" + sandboxUser + "&$apply=groupBy(customer)&$skipGroups=0&$topGroups=1", 400, "ACC_00410"},
		{"$apply other than groupBy(customer)", "?loginId=" + sandboxUser + "&$apply=groupBy(type)", 400, "ACC_99992"},
		{"$topGroups other than 1", "?loginId=" + sandboxUser + "&$apply=groupBy(customer)&$topGroups=2", 400, "ACC_99992"},
		{"$skipGroups without $apply", "?loginId=" + sandboxUser + "&$skipGroups=1", 400, "ACC_99992"},
		{"$apply with institutionCustomerId", "?loginId=" + sandboxUser + "&$apply=groupBy(customer)&institutionCustomerId=" + sandboxUserGUID, 400, "ACC_99994"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, a.getAccounts(t, "/v1/accounts"+tc.query, tok, nil), tc.status, tc.code, "")
		})
	}
	// A registered user by login: the member's one account, owned by that user.
	got := a.listAccounts(t, tok, q("loginId", "SandboxUser1"))
	if !slices.Equal(ids(got), []string{samChecking}) || deref(got[0].InstitutionCustomerID) != sandboxUserGUID {
		t.Errorf("by login: %v %v", ids(got), deref(got[0].InstitutionCustomerID))
	}
	// A 02222 token sees 02222's member and not 01111's.
	tok2 := a.v2Token(t, sandboxApp, sandboxSecret, fiCommunityBank, "grant_type=client_credentials&scopes=accounts:read").AccessToken
	if got := a.listAccounts(t, tok2, q("hostUserId", memberJordan)); !slices.Equal(ids(got), []string{jordanMortgage}) || got[0].InstitutionID != fiCommunityBank {
		t.Errorf("02222: %v", ids(got))
	}
	wantProblem(t, a.getAccounts(t, "/v1/accounts?hostUserId="+memberAlex, tok2, nil), 404, "ACC_00101", "")
	wantProblem(t, a.getAccounts(t, "/v1/accounts?loginId="+sandboxUser, tok2, nil), 404, "ACC_00101", "")
}

func TestAccountsPasswordGrant(t *testing.T) {
	a := newAPI(t)
	pw := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant+"&scopes="+url.QueryEscape(scopeAccounts))
	got := a.listAccounts(t, pw.AccessToken, nil)
	if !slices.Equal(ids(got), []string{samChecking}) || got[0].AccountNumber != "******7890" || deref(got[0].InstitutionCustomerID) != sandboxUserGUID ||
		!upperHex32.MatchString(got[0].InstitutionUserID) {
		t.Fatalf("password grant: %+v", got)
	}
	// Naming the token's own user is fine; naming anybody else is not.
	for _, self := range []url.Values{q("hostUserId", memberSam), q("loginId", "SANDBOXUSER1"), q("hostUserId", memberSam, "loginId", sandboxUser)} {
		if got := a.listAccounts(t, pw.AccessToken, self); !slices.Equal(ids(got), []string{samChecking}) {
			t.Errorf("%s: %v", self.Encode(), ids(got))
		}
	}
	for _, other := range []string{"hostUserId=" + memberAlex, "loginId=someoneelse", "hostUserId=" + memberSam + "&loginId=someoneelse"} {
		wantProblem(t, a.getAccounts(t, "/v1/accounts?"+other, pw.AccessToken, nil), 400, "ACC_99994", "")
	}
	// Single account: own 200, another member's 404.
	r := a.getAccounts(t, "/v1/accounts/"+samChecking, pw.AccessToken, nil)
	var acc gen.Account
	r.decode(t, &acc)
	if r.status != 200 || acc.ID != samChecking {
		t.Errorf("own account: %d %s", r.status, r.body)
	}
	wantProblem(t, a.getAccounts(t, "/v1/accounts/"+alexChecking, pw.AccessToken, nil), 404, "ACC_00011", "")
	// A token refreshed from the password grant keeps the user.
	refreshed := a.v2Token(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token="+pw.RefreshToken)
	if got := a.listAccounts(t, refreshed.AccessToken, nil); !slices.Equal(ids(got), []string{samChecking}) {
		t.Errorf("refreshed: %v", ids(got))
	}
}

func TestAccountByID(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, scopeAccounts)
	r := a.getAccounts(t, "/v1/accounts/"+alexSavings+"?hostUserId="+memberAlex, tok, nil)
	var acc gen.Account
	r.decode(t, &acc)
	if r.status != 200 || acc.ID != alexSavings || acc.AccountNumber != "******3211" || deref(acc.NickName) != "Vacation Fund" ||
		acc.Type.Value != gen.DIAccountTypeSAVINGS || deref(acc.MicrNumber) != "011000015******3211" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	list := a.listAccounts(t, tok, q("hostUserId", memberAlex))
	if acc.InstitutionUserID != list[1].InstitutionUserID {
		t.Errorf("institutionUserId differs between list and single read")
	}
	for _, tc := range []struct {
		name, path string
		status     int
		code       string
	}{
		// Another member's, another FI's and an unknown account are all the same 404, with nothing of the account.
		{"another member's account", "/v1/accounts/" + samChecking + "?hostUserId=" + memberAlex, 404, "ACC_00011"},
		{"another FI's account", "/v1/accounts/" + jordanMortgage + "?hostUserId=" + memberAlex, 404, "ACC_00011"},
		{"unknown account", "/v1/accounts/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA?hostUserId=" + memberAlex, 404, "ACC_00011"},
		{"member without accounts", "/v1/accounts/" + alexChecking + "?hostUserId=" + memberRobin, 404, "ACC_00011"},
		{"unknown user", "/v1/accounts/" + alexChecking + "?hostUserId=123", 404, "ACC_00101"},
		{"no user", "/v1/accounts/" + alexChecking, 400, "ACC_99992"},
		{"both users", "/v1/accounts/" + alexChecking + "?hostUserId=" + memberAlex + "&loginId=" + sandboxUser, 400, "ACC_99994"},
		{"id too long", "/v1/accounts/" + strings.Repeat("A", 129) + "?hostUserId=" + memberAlex, 400, "ACC_00011"},
		{"the list-only $filter is ignored", "/v1/accounts/" + alexChecking + "?hostUserId=" + memberAlex + "&$filter=" + url.QueryEscape("category eq 'LOAN'"), 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.getAccounts(t, tc.path, tok, nil)
			if tc.status == 200 {
				if r.status != 200 {
					t.Errorf("%d %s", r.status, r.body)
				}
				return
			}
			wantProblem(t, r, tc.status, tc.code, "")
			for _, n := range []string{samCheckingNo[6:], "5500012345"[6:], "Sam Sandbox", "Jordan"} {
				if strings.Contains(string(r.body), n) {
					t.Errorf("404 reveals %q: %s", n, r.body)
				}
			}
		})
	}
	// The same account through the unmasked scope.
	r = a.getAccounts(t, "/v1/accounts/"+alexChecking+"?hostUserId="+memberAlex, a.v2For(t, fiCreditUnion, scopeAccountsAll), nil)
	r.decode(t, &acc)
	if acc.AccountNumber != alexCheckingNo {
		t.Errorf("unmasked single: %s", acc.AccountNumber)
	}
}

func TestAccountsViews(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, scopeAccounts)
	required := []string{"accountNumber", "category", "id", "institutionId", "institutionUserId", "type"}
	medium := []string{"accountNumber", "allowedActions", "availableBalance", "category", "currentBalance", "description", "id",
		"institutionId", "institutionUserId", "nickName", "primaryHolderName", "routingNumber", "status", "type"}
	full := append(slices.Clone(medium), "micrNumber")
	keys := func(query string, single bool) []string {
		t.Helper()
		path := "/v1/accounts?hostUserId=" + memberAlex + query
		if single {
			path = "/v1/accounts/" + alexChecking + "?hostUserId=" + memberAlex + query
		}
		r := a.getAccounts(t, path, tok, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var acc map[string]json.RawMessage
		if single {
			r.decode(t, &acc)
		} else {
			var list struct{ Accounts []map[string]json.RawMessage }
			r.decode(t, &list)
			acc = list.Accounts[0] // the checking account
		}
		var out []string
		for k := range acc {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	for _, single := range []bool{false, true} {
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"&viewName=s", required},
			{"&viewName=m", medium},
			{"", full},
			{"&viewName=s&additionalFields=true", append(slices.Clone(required), "additionalInfo")},
			{"&additionalFields=true", append(slices.Clone(full), "additionalInfo")},
			{"&additionalFields=false&viewName=m", medium},
		} {
			if got := keys(tc.query, single); !slices.Equal(got, sorted(tc.want)) {
				t.Errorf("single=%v %q: keys %v, want %v", single, tc.query, got, sorted(tc.want))
			}
		}
	}
	got := a.listAccounts(t, tok, q("hostUserId", memberAlex, "additionalFields", "true"))
	if info := got[0].AdditionalInfo; info == nil || (*info)["accountStatus"] != "OPEN" || (*info)["currencyCode"] != "USD" ||
		(*info)["typeDescription"] != "Checking" {
		t.Errorf("additionalInfo %v", got[0].AdditionalInfo)
	}
}

func TestAccountsAuthAndHeaders(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, scopeAccounts)
	list := "/v1/accounts?hostUserId=" + memberAlex
	single := "/v1/accounts/" + alexChecking + "?hostUserId=" + memberAlex
	noScope := a.v2For(t, fiCreditUnion, "disclosures:read")
	v1 := a.v1Token(t, fiCreditUnion)
	revoked := a.v2For(t, fiCreditUnion, scopeAccounts)
	if r := a.do(t, http.MethodDelete, "/oauth2/v1/revoke", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
		"transactionId": newTID(), "Content-Type": formContentType}, "token="+revoked); r.status != 204 {
		t.Fatalf("revoke: %d", r.status)
	}
	for _, path := range []string{list, single} {
		for _, tc := range []struct {
			name   string
			token  string
			extra  map[string]string
			status int
			code   string
		}{
			{"token without accounts:read", noScope, nil, 403, "ACC_00602"},
			{"V1 token", v1, nil, 401, "ACC_00601"},
			{"junk token", "junk", nil, 401, "ACC_00601"},
			{"revoked token", revoked, nil, 401, "ACC_00601"},
			{"no Authorization", tok, map[string]string{"Authorization": ""}, 401, "ACC_00601"},
			{"Basic credentials", tok, map[string]string{"Authorization": basic(sandboxApp, sandboxSecret)}, 401, "ACC_00601"},
			{"missing transactionId", tok, map[string]string{"transactionId": ""}, 400, "ACC_99998"},
			{"non-UUID transactionId", tok, map[string]string{"transactionId": "not-a-uuid"}, 400, "ACC_99998"},
			{"40-character transactionId", tok, map[string]string{"transactionId": newTID() + "abcd"}, 400, "ACC_99997"},
			{"bad transactionId outranks a bad token", "junk", map[string]string{"transactionId": ""}, 400, "ACC_99998"},
			{"callingAppId too long", tok, map[string]string{"callingAppId": strings.Repeat("x", 65)}, 400, "ACC_99991"},
			{"callingAppId accepted", tok, map[string]string{"callingAppId": "my-mobile-app"}, 200, ""},
			{"lower-case header names", tok, map[string]string{"transactionId": "", "transactionid": newTID(), "callingappid": "x"}, 200, ""},
			{"header too large", tok, map[string]string{"X-Big": strings.Repeat("a", 9000)}, 400, "ACC_99996"},
			{"non-printable header", tok, map[string]string{"callingAppId": "app\xe9"}, 400, "ACC_99995"},
		} {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				r := a.getAccounts(t, path, tc.token, tc.extra)
				if tc.status == 200 {
					if r.status != 200 {
						t.Errorf("%d %s", r.status, r.body)
					}
					return
				}
				wantProblem(t, r, tc.status, tc.code, "")
			})
		}
	}
	// A body that is not JSON (D16) is 415; an Accept header never is.
	r := a.do(t, http.MethodGet, list, map[string]string{"Authorization": "Bearer " + tok, "transactionId": newTID(), "Content-Type": "application/xml"}, "<x/>")
	wantProblem(t, r, 415, "ACC_99988", "")
	if r := a.getAccounts(t, list, tok, map[string]string{"Accept": "application/xml"}); r.status != 200 {
		t.Errorf("Accept: application/xml: %d", r.status)
	}
}

func TestAccountsAliases(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, scopeAccounts)
	for _, prefix := range []string{"/v1/accounts", "/db-accounts/v1/accounts", "/accounts/v1/accounts", "/digitalbanking/db-accounts/v1/accounts",
		"/digitalbanking/stage/accounts/v1/accounts", "/digitalbanking/v1/accounts"} {
		r := a.getAccounts(t, prefix+"?hostUserId="+memberAlex, tok, nil)
		var list gen.AccountsResponse
		r.decode(t, &list)
		if r.status != 200 || len(list.Accounts) != 3 {
			t.Errorf("%s: %d %s", prefix, r.status, r.body)
		}
		r = a.getAccounts(t, prefix+"/"+alexCard+"?hostUserId="+memberAlex, tok, nil)
		var acc gen.Account
		r.decode(t, &acc)
		if r.status != 200 || acc.ID != alexCard {
			t.Errorf("%s/{id}: %d %s", prefix, r.status, r.body)
		}
		// Errors keep the accounts family on every alias.
		wantProblem(t, a.getAccounts(t, prefix, tok, nil), 400, "ACC_99992", "")
	}
	// D17: the bare /accounts path of an old page is not routed.
	for _, path := range []string{"/accounts?hostUserId=" + memberAlex, "/accounts/" + alexCard + "?hostUserId=" + memberAlex,
		"/digitalbanking/accounts?hostUserId=" + memberAlex} {
		if r := a.getAccounts(t, path, tok, nil); r.status != 404 {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
