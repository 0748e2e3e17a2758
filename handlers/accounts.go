package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/odata"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// scopeAccountsUnmasked lets a token see full account numbers (contract §8.6); accounts:read
// itself is enforced by the spec's security requirement.
const scopeAccountsUnmasked = "accounts:read_unmasked"

// accountView is what one accounts request asks to see.
type accountView struct {
	name       string // "s" (required fields), "m" (all but micrNumber) or "" (full)
	unmasked   bool   // the token has accounts:read_unmasked
	additional bool   // additionalFields=true
}

// ListAccountsV1 lists the accounts of the user's host member (contract §8).
func (s *Server) ListAccountsV1(ctx context.Context, req gen.ListAccountsV1RequestObject) (gen.ListAccountsV1ResponseObject, error) {
	p := req.Params
	caller := infoFrom(ctx).principal
	tok := caller.token
	user, err := userContext(tok, p.HostUserID, p.LoginID, accQueryNeither, accQueryBoth)
	if err != nil {
		return nil, err
	}
	if err := checkGrouping(p.Apply != nil, p.SkipGroups != nil || p.TopGroups != nil, p.InstitutionCustomerID != nil); err != nil {
		return nil, err
	}
	var filter *odata.Filter
	if p.Filter != nil {
		if filter, err = odata.Parse(*p.Filter); err != nil {
			return nil, filterProblem(err)
		}
	}
	h, err := s.accountHolder(ctx, tok, user, p.HostUserID, p.LoginID, p.InstitutionCustomerID)
	if err != nil {
		return nil, err
	}
	if p.Apply != nil {
		// Grouping by location is business banking; every member here is a retail member.
		return nil, problem(http.StatusBadRequest, accNoLocation, "query:$apply", "The user has no business locations to group by")
	}
	view := newAccountView(caller, viewName(p.ViewName), p.AdditionalFields)
	out := gen.AccountsResponse{Accounts: make([]gen.Account, 0, len(h.Accounts))}
	for i := range h.Accounts {
		a := &h.Accounts[i]
		number, err := s.visibleAccountNumber(a, view.unmasked)
		if err != nil {
			return nil, err
		}
		if !filter.Match(accountRecord{account: a, number: number}) {
			continue
		}
		out.Accounts = append(out.Accounts, toAPIAccount(h, a, number, view))
	}
	return gen.ListAccountsV1200JSONResponse(out), nil
}

// GetAccountByIDV1 reads one account of the user's host member (contract §8.7). Another
// member's or FI's account is answered exactly like an unknown one.
func (s *Server) GetAccountByIDV1(ctx context.Context, req gen.GetAccountByIDV1RequestObject) (gen.GetAccountByIDV1ResponseObject, error) {
	p := req.Params
	caller := infoFrom(ctx).principal
	user, err := userContext(caller.token, p.HostUserID, p.LoginID, accQueryNeither, accQueryBoth)
	if err != nil {
		return nil, err
	}
	h, err := s.accountHolder(ctx, caller.token, user, p.HostUserID, p.LoginID, p.InstitutionCustomerID)
	if err != nil {
		return nil, err
	}
	view := newAccountView(caller, viewName(p.ViewName), p.AdditionalFields)
	for i := range h.Accounts {
		a := &h.Accounts[i]
		if a.PublicID != req.AccountID {
			continue
		}
		number, err := s.visibleAccountNumber(a, view.unmasked)
		if err != nil {
			return nil, err
		}
		return gen.GetAccountByIDV1200JSONResponse(toAPIAccount(h, a, number, view)), nil
	}
	return nil, problem(http.StatusNotFound, accValidation, "path:accountId", "Account not found")
}

// userContext applies the user-context rules of contract §7.1 and 8.1: a password-grant token
// names its own customer; a client-credentials token needs exactly one of hostUserId and loginId
// (the family's codes for neither and both).
func userContext(tok *models.Token, hostUserID, loginID *string, neitherCode, bothCode string) (db.AccountUser, error) {
	switch {
	case tok.CustomerID != nil:
		return db.AccountUser{CustomerID: *tok.CustomerID}, nil
	case hostUserID == nil && loginID == nil:
		return db.AccountUser{}, problem(http.StatusBadRequest, neitherCode, "query:hostUserId",
			"Query param hostUserId or loginId is required")
	case hostUserID != nil && loginID != nil:
		return db.AccountUser{}, problem(http.StatusBadRequest, bothCode, "query:loginId",
			"Query params hostUserId and loginId are mutually exclusive")
	case hostUserID != nil:
		return db.AccountUser{MemberNumber: *hostUserID}, nil
	}
	return db.AccountUser{LoginID: *loginID}, nil
}

// checkGrouping applies the business-banking parameter rules that do not need the user:
// $skipGroups/$topGroups only with $apply, and $apply not with institutionCustomerId.
func checkGrouping(apply, paging, location bool) error {
	switch {
	case paging && !apply:
		return problem(http.StatusBadRequest, accQueryNeither, "query:$apply", "Query params $skipGroups and $topGroups need $apply")
	case apply && location:
		return problem(http.StatusBadRequest, accQueryBoth, "query:institutionCustomerId",
			"Query params $apply and institutionCustomerId are mutually exclusive")
	}
	return nil
}

// filterProblem reports a rejected $filter by position only: the text may hold an account number.
func filterProblem(err error) error {
	msg := "Query param $filter is invalid"
	var se *odata.SyntaxError
	if errors.As(err, &se) {
		msg = fmt.Sprintf("Query param $filter is invalid at position %d", se.Pos)
	}
	return problem(http.StatusBadRequest, accFilter, "query:$filter", msg)
}

// accountHolder resolves the user to its member's accounts, within the token's FI only, and checks
// the parameters that must agree with the user: for a password-grant token hostUserId and loginId
// may only name the token's own user; institutionCustomerId (a retail user's customer GUID) only
// the user's own registered customer.
func (s *Server) accountHolder(ctx context.Context, tok *models.Token, user db.AccountUser, hostUserID, loginID, institutionCustomerID *string) (*db.MemberAccounts, error) {
	h, err := s.store.MemberAccounts(ctx, tok.InstitutionID, user)
	if errors.Is(err, models.ErrNotFound) {
		return nil, problem(http.StatusNotFound, accUserNotFound, "", "User not found")
	}
	if err != nil {
		return nil, err
	}
	if user.CustomerID != "" {
		if (hostUserID != nil && *hostUserID != h.Member.MemberNumber) ||
			(loginID != nil && rules.NormalizeUsername(*loginID) != h.Customer.LoginIDNorm) {
			return nil, problem(http.StatusBadRequest, accQueryBoth, "query:hostUserId",
				"Query params hostUserId and loginId may only name the token's user")
		}
	}
	if icid := institutionCustomerID; icid != nil && (h.Customer == nil || !strings.EqualFold(*icid, h.Customer.ID)) {
		return nil, problem(http.StatusBadRequest, accNoLocation, "query:institutionCustomerId",
			"Query param institutionCustomerId does not name a location of the user")
	}
	return h, nil
}

// viewName reads either operation's viewName parameter.
func viewName[T ~string](v *T) string {
	if v == nil {
		return ""
	}
	return string(*v)
}

// newAccountView combines the caller's scopes with the view parameters.
func newAccountView(caller *principal, name string, additional *bool) accountView {
	return accountView{name: name, unmasked: caller.hasScope(scopeAccountsUnmasked), additional: additional != nil && *additional}
}

// visibleAccountNumber is the account number as the caller may see it: in full with
// accounts:read_unmasked, else masked to its last four characters (D25). It is never logged.
func (s *Server) visibleAccountNumber(a *models.Account, unmasked bool) (string, error) {
	number, err := s.store.AccountNumber(a)
	if err != nil {
		return "", fmt.Errorf("decrypt account number: %w", err)
	}
	if unmasked {
		return number, nil
	}
	return secure.MaskLast4(number), nil
}

// accountRecord is an account as $filter sees it: accountNumber is the number the caller may
// see, so a masked caller cannot probe the hidden digits.
type accountRecord struct {
	account *models.Account
	number  string
}

// Field implements odata.Record.
func (r accountRecord) Field(name string) string {
	switch name {
	case "id":
		return r.account.PublicID
	case "nickName":
		return r.account.NickName
	case "accountNumber":
		return r.number
	case "category":
		return r.account.Category
	case "type":
		return r.account.TypeValue
	}
	return ""
}

// toAPIAccount converts a stored account into the API Account of the requested view. number is
// the account number as the caller may see it (see visibleAccountNumber).
func toAPIAccount(h *db.MemberAccounts, a *models.Account, number string, v accountView) gen.Account {
	out := gen.Account{
		ID:            a.PublicID,
		InstitutionID: a.InstitutionID,
		Category:      gen.AccountCategory(a.Category),
		Type: gen.AccountTypeInfo{Value: gen.DIAccountType(a.TypeValue), FiRawAccountType: a.FIRawAccountType,
			FiAccountType: a.FIAccountType, Description: typeDescription(a)},
		AccountNumber:     number,
		InstitutionUserID: institutionUserID(h),
	}
	if v.additional {
		state := "OPEN"
		if a.Closed {
			state = "CLOSED"
		}
		out.AdditionalInfo = &map[string]string{"accountStatus": state, "currencyCode": a.CurrencyCode, "typeDescription": typeDescription(a)}
	}
	if v.name == "s" {
		return out
	}
	if h.Customer != nil {
		out.InstitutionCustomerID = ptr(h.Customer.ID)
	}
	out.Description, out.NickName, out.PrimaryHolderName = nonEmpty(a.Description), nonEmpty(a.NickName), nonEmpty(a.PrimaryHolderName)
	out.CurrentBalance = &gen.Money{CurrencyCode: a.CurrencyCode, Amount: float64(a.CurrentBalanceMinor) / 100}
	out.AvailableBalance = &gen.Money{CurrencyCode: a.CurrencyCode, Amount: float64(a.AvailBalanceMinor) / 100}
	out.Status = ptr(accountStatus(a))
	out.AllowedActions = ptr(allowedActions(a))
	out.RoutingNumber = nonEmpty(a.RoutingNumber)
	if v.name == "" && a.Category == string(gen.DEPOSIT) && a.RoutingNumber != "" {
		out.MicrNumber = ptr(a.RoutingNumber + number)
	}
	return out
}

// institutionUserID is the owning institution user: the acting or PRIMARY customer's id, or, while
// nobody has registered for the member, one derived from the FI and member number. The derived id
// is stable (no key, no state) and reveals nothing the caller did not already name.
func institutionUserID(h *db.MemberAccounts) string {
	if h.Customer != nil {
		return h.Customer.InstitutionUserID
	}
	sum := sha256.Sum256([]byte("custreg:institution-user\x00" + h.Member.InstitutionID + "\x00" + h.Member.MemberNumber))
	return strings.ToUpper(hex.EncodeToString(sum[:16]))
}

// typeDescription is the FI's label for the type, else the type name in words ("Credit Card Loan").
func typeDescription(a *models.Account) string {
	if a.TypeDescription != "" {
		return a.TypeDescription
	}
	words := strings.Split(strings.ToLower(a.TypeValue), "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// accountStatus derives the status flags from what is stored; facts the FI data does not carry
// (delinquency, collection, limits, write-off, coupons, deceased owners) are false.
func accountStatus(a *models.Account) gen.AccountStatus {
	st := gen.AccountStatus{Open: !a.Closed, Closed: a.Closed}
	switch gen.AccountCategory(a.Category) {
	case gen.DEPOSIT:
		st.NegativeBalance = a.CurrentBalanceMinor < 0
	case gen.LOAN, gen.TIEREDLOAN:
		st.CreditBalance = a.CurrentBalanceMinor > 0
	}
	switch gen.DIAccountType(a.TypeValue) {
	case gen.DIAccountTypeRETIREMENTIRA, gen.DIAccountTypeRETIREMENT401K, gen.DIAccountTypeKEOGH:
		st.RetirementPlan = true
	}
	return st
}

// allowedActions gives the default permissions of the account's category: deposits allow
// everything (certificates of deposit no transfers), loans take payments but allow no transfers
// out, investments are read-only, cross-user accounts only receive transfers; a closed account
// allows no transfers.
func allowedActions(a *models.Account) gen.Actions {
	act := gen.Actions{Summary: true, IsHistoryEnabled: true, IsHistoryEntitled: true, IsOnlineStatementEnabled: true}
	switch gen.AccountCategory(a.Category) {
	case gen.DEPOSIT:
		switch gen.DIAccountType(a.TypeValue) {
		case gen.DIAccountTypeCERTOFDEPOSIT, gen.DIAccountTypeCSICERTOFDEPOSIT:
		default:
			act.TransferFrom, act.TransferTo = true, true
		}
	case gen.LOAN, gen.TIEREDLOAN:
		act.TransferTo = true
	case gen.CROSSUSERACCOUNT:
		act.TransferTo = true
		act.IsHistoryEnabled, act.IsHistoryEntitled, act.IsOnlineStatementEnabled = false, false, false
	}
	if a.Closed {
		act.TransferFrom, act.TransferTo = false, false
	}
	return act
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
