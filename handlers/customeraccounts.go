package handlers

import (
	"context"
	"net/http"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
)

// maxTransactionsPerAccount bounds the transactions each account carries in the answer.
const maxTransactionsPerAccount = 100

// GetCustomerAccountsTransactionsV1 lists the accounts of the customer's host member, each with
// its recent transactions (contract: GET /v1/customers/{customerId}:accounts).
func (s *Server) GetCustomerAccountsTransactionsV1(ctx context.Context, req gen.GetCustomerAccountsTransactionsV1RequestObject) (gen.GetCustomerAccountsTransactionsV1ResponseObject, error) {
	p := req.Params
	caller := infoFrom(ctx).principal
	if err := accountsUserParams(caller.kind.UserBound(), p.HostUserID, p.LoginID); err != nil {
		return nil, err
	}
	c, err := s.entitledCustomerOf(ctx, req.CustomerID, db.ByCustomerID)
	if err != nil {
		return nil, err
	}
	if (p.HostUserID != nil && *p.HostUserID != c.Member.MemberNumber) ||
		(p.LoginID != nil && rules.NormalizeUsername(*p.LoginID) != c.LoginIDNorm) {
		return nil, problem(http.StatusBadRequest, uxuInvalidQuery, "query:hostUserId",
			"Query params hostUserId and loginId may only name the customer of the path")
	}
	h, err := s.store.MemberAccounts(ctx, c.InstitutionID, db.AccountUser{CustomerID: c.ID})
	if err != nil {
		return nil, err
	}
	if len(h.Accounts) == 0 {
		return gen.GetCustomerAccountsTransactionsV1204Response{}, nil
	}
	txs, err := s.store.RecentTransactions(ctx, h.Accounts, maxTransactionsPerAccount)
	if err != nil {
		return nil, err
	}
	unmasked := caller.hasScope(scopeAccountsUnmasked)
	out := make(gen.CustomerAccountsResponse, len(h.Accounts))
	for i := range h.Accounts {
		a := &h.Accounts[i]
		number, err := s.visibleAccountNumber(a, unmasked)
		if err != nil {
			return nil, err
		}
		out[i] = toCustomerAccount(c, a, number, txs[a.ID])
	}
	return gen.GetCustomerAccountsTransactionsV1200JSONResponse(out), nil
}

// accountsUserParams applies the official user parameters' rules: hostUserId and loginId are
// mutually exclusive, and a client-credentials token (not bound to a user) needs one of them.
func accountsUserParams(userBound bool, hostUserID, loginID *string) error {
	switch {
	case hostUserID != nil && loginID != nil:
		return problem(http.StatusBadRequest, uxuInvalidQuery, "query:loginId", "Query params hostUserId and loginId are mutually exclusive")
	case !userBound && hostUserID == nil && loginID == nil:
		return problem(http.StatusBadRequest, uxuInvalidQuery, "query:hostUserId", "Query param hostUserId or loginId is required")
	}
	return nil
}

// toCustomerAccount converts a stored account and its transactions into the accounts-with-
// transactions item. number is the account number as the caller may see it
// (visibleAccountNumber); status and history follow GET /v1/accounts. An account whose history
// is not enabled carries no transactions.
func toCustomerAccount(c *models.Customer, a *models.Account, number string, txs []models.Transaction) gen.CustomerAccount {
	act, st := allowedActions(a), accountStatus(a)
	desc := typeDescription(a)
	out := gen.CustomerAccount{
		CustomerID: c.ID,
		ID:         a.PublicID,
		Category:   gen.AccountCategory(a.Category),
		AccountType: gen.CustomerAccountType{DiAccountType: gen.DIAccountType(a.TypeValue), FiRawAccountType: a.FIRawAccountType,
			FiAccountType: a.FIAccountType, Description: desc},
		AccountNumber: number,
		Balance: gen.CustomerAccountBalance{AvailableBalance: money(a.CurrencyCode, a.AvailBalanceMinor),
			CurrentBalance: money(a.CurrencyCode, a.CurrentBalanceMinor)},
		AccountHidden:      ptr(false),
		AccountStatus:      &st,
		Description:        nonEmpty(a.Description),
		FiAccountTypeDesc:  &desc,
		FiRawAccountType:   ptr(a.FIRawAccountType),
		FiAccountType:      ptr(a.FIAccountType),
		HistoryAllowed:     ptr(act.IsHistoryEnabled),
		NickName:           nonEmpty(a.NickName),
		OwnershipType:      ptr(gen.OwnershipTypePRIMARY),
		PrimaryHolderName:  nonEmpty(a.PrimaryHolderName),
		AccountTransaction: []gen.AccountTransaction{},
	}
	if a.Category == string(gen.DEPOSIT) && a.RoutingNumber != "" {
		out.MicrNumber = ptr(a.RoutingNumber + number)
	}
	if !act.IsHistoryEnabled {
		return out
	}
	for _, t := range txs {
		out.AccountTransaction = append(out.AccountTransaction, gen.AccountTransaction{
			AccountID:         a.PublicID,
			Amount:            money(t.CurrencyCode, t.AmountMinor),
			CreditTransaction: t.Credit,
			Description:       nonEmpty(t.Description),
			EffectiveDate:     calendarDate(t.EffectiveDate),
			FiID:              t.InstitutionID,
			ID:                t.PublicID,
			Pending:           t.Pending,
			PersistentTnum:    !t.Pending,
			TransactionDate:   calendarDate(t.TransactionDate),
			TransactionNumber: nonEmpty(t.Number),
			TransactionType:   gen.TransactionType(t.Type),
		})
	}
	return out
}

// money converts an amount in minor units (cents) into the API's Money.
func money(currency string, minor int64) gen.Money {
	return gen.Money{CurrencyCode: currency, Amount: float64(minor) / 100}
}

// calendarDate reads a stored yyyy-MM-dd day; nil when there is none.
func calendarDate(s string) *openapi_types.Date {
	day, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return &openapi_types.Date{Time: day}
}
