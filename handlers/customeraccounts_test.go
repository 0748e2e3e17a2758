package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/gen"
)

// Scopes of the accounts-with-transactions operation.
const (
	scopeAccountsTx         = "accounts:read,transactions:read"
	scopeAccountsTxUnmasked = "accounts:read,transactions:read,accounts:read_unmasked"
)

// customerAccounts reads a customer's accounts with transactions and expects 200.
func (a *api) customerAccounts(t testing.TB, token, path string) gen.CustomerAccountsResponse {
	t.Helper()
	out, _ := getOK[gen.CustomerAccountsResponse](t, a, path, ux(token))
	return out
}

func TestCustomerAccountsWithTransactions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		tok := a.v2For(t, fiCreditUnion, scopeAccountsTx)
		accounts := customers + sandboxUserGUID + ":accounts"
		for _, path := range []string{accounts + "?hostUserId=" + memberSam, accounts + "?loginId=SandboxUser1",
			"/ux-users/v1/customers/" + sandboxUserGUID + ":accounts?hostUserId=" + memberSam} {
			out := a.customerAccounts(t, tok, path)
			if len(out) != 1 {
				t.Fatalf("%s: %d accounts", path, len(out))
			}
			acc := out[0]
			if acc.ID != samChecking || acc.CustomerID != sandboxUserGUID || acc.AccountNumber != "******7890" || acc.Category != gen.DEPOSIT ||
				acc.AccountType.DiAccountType != gen.DIAccountTypeCHECKING || acc.AccountType.Description != "Checking" ||
				acc.Balance.CurrentBalance.Amount != 812.55 || acc.Balance.AvailableBalance.CurrencyCode != "USD" ||
				deref(acc.MicrNumber) != "011000015******7890" || !deref(acc.HistoryAllowed) || deref(acc.OwnershipType) != gen.OwnershipTypePRIMARY ||
				acc.AccountStatus == nil || !acc.AccountStatus.Open || deref(acc.NickName) != "Main" {
				t.Errorf("%s: account %+v", path, acc)
			}
			tx := acc.AccountTransaction
			if len(tx) != 4 {
				t.Fatalf("%s: %d transactions", path, len(tx))
			}
			// Newest first; the pending ATM withdrawal, then the bills, then the payroll credit.
			if tx[0].TransactionNumber == nil || *tx[0].TransactionNumber != "1004" || !tx[0].Pending || tx[0].PersistentTnum || tx[0].CreditTransaction ||
				tx[0].TransactionType != gen.TransactionTypeATMWITHDRAWAL || tx[0].Amount.Amount != 60 {
				t.Errorf("%s: first transaction %+v", path, tx[0])
			}
			last := tx[3]
			if deref(last.TransactionNumber) != "1001" || !last.CreditTransaction || last.Pending || !last.PersistentTnum || last.Amount.Amount != 1450 ||
				last.AccountID != samChecking || last.FiID != fiCreditUnion || last.ID == "" || last.TransactionDate == nil ||
				last.TransactionDate.String() != "2026-11-27" || last.EffectiveDate.String() != "2026-11-27" || deref(last.Description) != "Payroll - ACME Corp" {
				t.Errorf("%s: last transaction %+v", path, last)
			}
		}
		// With accounts:read_unmasked the number is shown in full.
		full := a.customerAccounts(t, a.v2For(t, fiCreditUnion, scopeAccountsTxUnmasked), accounts+"?hostUserId="+memberSam)
		if full[0].AccountNumber != samCheckingNo || deref(full[0].MicrNumber) != "011000015"+samCheckingNo {
			t.Errorf("unmasked: %s %s", full[0].AccountNumber, deref(full[0].MicrNumber))
		}
		// The user's own password token: no user parameter needed; if given, it must be the user.
		user := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant).AccessToken
		for _, path := range []string{accounts, accounts + "?hostUserId=" + memberSam, accounts + "?loginId=" + sandboxUser} {
			if out := a.customerAccounts(t, user, path); len(out) != 1 || len(out[0].AccountTransaction) != 4 {
				t.Errorf("%s: %+v", path, out)
			}
		}
	})
}

// TestCustomerAccountsOfAMemberWithout: a registered user whose member holds no accounts gets
// 204 without a body.
func TestCustomerAccountsOfAMemberWithout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		guid := a.mustRegister(t, newRegistration(t, fiCreditUnion, withMember(memberRobin), withLogin("robinlee77")))
		tok := a.v2For(t, fiCreditUnion, scopeAccountsTx)
		for _, path := range []string{customers + guid + ":accounts?hostUserId=" + memberRobin, customers + guid + ":accounts?loginId=robinlee77"} {
			r := a.do(t, http.MethodGet, path, ux(tok), "")
			if r.status != http.StatusNoContent || len(r.body) != 0 {
				t.Errorf("%s: %d %q", path, r.status, r.body)
			}
		}
	})
}

func TestCustomerAccountsErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		alexGUID, alexToken := a.registerAlex(t)
		tok := a.v2For(t, fiCreditUnion, scopeAccountsTx)
		accounts := customers + sandboxUserGUID + ":accounts"
		// The user parameters of a client-credentials token: exactly one, naming the path's customer.
		for _, tc := range []struct{ path, field string }{
			{accounts, "hostUserId"},
			{accounts + "?hostUserId=" + memberSam + "&loginId=" + sandboxUser, "loginId"},
			{accounts + "?hostUserId=" + memberAlex, "hostUserId"},
			{accounts + "?loginId=alexmorgan90", "hostUserId"},
			{accounts + "?hostUserId=", "hostUserId"},
		} {
			r := a.do(t, http.MethodGet, tc.path, ux(tok), "")
			wantProblem(t, r, http.StatusBadRequest, "UXU_10014", tc.field)
			if strings.Contains(string(r.body), "7890") {
				t.Errorf("%s leaked: %s", tc.path, r.body)
			}
		}
		// Another FI's token and unknown customers: 404 UXU_88888, no data; a login id is not a
		// customerId here.
		for _, tc := range []struct{ token, path string }{
			{a.v2For(t, fiCommunityBank, scopeAccountsTx), accounts + "?hostUserId=" + memberSam},
			{tok, customers + "0123456789abcdef0123456789abcdef:accounts?hostUserId=" + memberSam},
			{tok, customers + sandboxUser + ":accounts?hostUserId=" + memberSam},
		} {
			r := a.do(t, http.MethodGet, tc.path, ux(tc.token), "")
			wantProblem(t, r, http.StatusNotFound, "UXU_88888", "")
			if strings.Contains(string(r.body), "7890") || strings.Contains(string(r.body), samChecking) {
				t.Errorf("%s leaked: %s", tc.path, r.body)
			}
		}
		// Both scopes are needed.
		for _, scopes := range []string{scopeAccounts, "transactions:read", scopeUsersRead} {
			wantProblem(t, a.do(t, http.MethodGet, accounts+"?hostUserId="+memberSam, ux(a.v2For(t, fiCreditUnion, scopes)), ""),
				http.StatusForbidden, "UXU_10002", "")
		}
		// A user's token: its own customer only, and its parameters only its own.
		if out := a.customerAccounts(t, alexToken, customers+alexGUID+":accounts"); len(out) != 3 {
			t.Errorf("own accounts: %d", len(out))
		}
		for _, path := range []string{accounts, accounts + "?hostUserId=" + memberSam, "/v1/customers/0123456789abcdef0123456789abcdef:accounts"} {
			r := a.do(t, http.MethodGet, path, ux(alexToken), "")
			wantProblem(t, r, http.StatusBadRequest, "UXU_10011", "")
			if strings.Contains(string(r.body), "7890") {
				t.Errorf("%s leaked: %s", path, r.body)
			}
		}
		wantProblem(t, a.do(t, http.MethodGet, customers+alexGUID+":accounts?hostUserId="+memberSam, ux(alexToken), ""),
			http.StatusBadRequest, "UXU_10014", "hostUserId")
		// The family's header checks.
		h := ux(tok)
		h["correlationId"] = "not-a-guid"
		wantProblem(t, a.do(t, http.MethodGet, accounts+"?hostUserId="+memberSam, h, ""), http.StatusBadRequest, "UXU_10007", "correlationId")
		wantProblem(t, a.do(t, http.MethodPut, accounts, ux(tok), ""), http.StatusMethodNotAllowed, "UXU_10013", "")
	})
}
