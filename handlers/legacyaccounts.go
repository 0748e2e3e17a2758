package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// ListAccountsLegacyV2 lists a registered customer's accounts for V1-token integrations
// (contract CUSTOMERS §4.2): XML <Accounts> by default, JSON when Accept names it, 204 when the
// member holds none.
func (s *Server) ListAccountsLegacyV2(ctx context.Context, req gen.ListAccountsLegacyV2RequestObject) (gen.ListAccountsLegacyV2ResponseObject, error) {
	p := req.Params
	caller := infoFrom(ctx).principal
	tok := caller.token
	if err := checkLegacyUserType(p); err != nil {
		return nil, err
	}
	customerID := strings.ToLower(req.DiFicustomer)
	if caller.kind.UserBound() && (tok.CustomerID == nil || *tok.CustomerID != customerID) {
		// A user's token lists only its own accounts; whether another customer exists is not its
		// business, so an unknown one gets the same answer.
		return nil, notAuthorised(famLegacy, "Token is not authorised for this customer")
	}
	h, err := s.store.MemberAccounts(ctx, tok.InstitutionID, db.AccountUser{CustomerID: customerID})
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, problem(http.StatusNotFound, codeLegacyNoData, "path:di_ficustomer", "PrincipalEndUser:Data not found.")
	case err != nil:
		return nil, err
	}
	if err := s.checkSubUser(ctx, p, h); err != nil {
		return nil, err
	}
	// Full numbers only when asked for and allowed (D25); the display number is always masked.
	export := p.GetExportAcctNum != nil && *p.GetExportAcctNum
	unmasked := export && caller.hasScope(scopeAccountsUnmasked)
	out := gen.LegacyAccounts{Account: make([]gen.LegacyAccount, 0, len(h.Accounts))}
	for i := range h.Accounts {
		a := &h.Accounts[i]
		if a.Category == string(gen.CROSSUSERACCOUNT) && (p.GetCrossAccts == nil || !*p.GetCrossAccts) {
			continue
		}
		number, err := s.visibleAccountNumber(a, unmasked)
		if err != nil {
			return nil, err
		}
		la := toLegacyAccount(h, a, number)
		if export {
			la.ExportAccountNumber = ptr(number)
		}
		out.Account = append(out.Account, la)
	}
	if len(out.Account) == 0 {
		return gen.ListAccountsLegacyV2204Response{}, nil
	}
	if infoFrom(ctx).mediaType == "application/json" {
		return gen.ListAccountsLegacyV2200JSONResponse(out), nil
	}
	body, err := s.marshalXML("Accounts", "", "LegacyAccounts", out)
	if err != nil {
		return nil, err
	}
	return gen.ListAccountsLegacyV2200ApplicationXMLResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body))}, nil
}

// checkLegacyUserType applies the user-type headers: every user here is a retail user, so the
// business types are refused; a retail sub-user (ENTITLED) must name itself and the member.
func checkLegacyUserType(p gen.ListAccountsLegacyV2Params) error {
	if p.IntuitIFSUserType == nil {
		return nil
	}
	if *p.IntuitIFSUserType != gen.ENTITLED {
		return problem(http.StatusBadRequest, codeLegacyIBUserType, "header:intuit_IFS_userType", "Invalid User Type Header for IB User")
	}
	switch {
	case p.IntuitAuthid == nil || p.IntuitIFSOnBehalfOfUser == nil:
		return problem(http.StatusBadRequest, codeLegacyHeaders, "header:intuit_authid", "Required HTTP Headers were not found")
	case strings.TrimSpace(*p.IntuitAuthid) == "":
		return problem(http.StatusBadRequest, codeLegacySubUserAuthID, "header:intuit_authid", "Subuser auth ID is empty")
	}
	return nil
}

// checkSubUser checks a sub-user call against the customer: intuit_IFS_onBehalfOfUser must be
// its member number and intuit_authid the authId of a user of that member at the FI (the sub-user
// sees what the member holds: no per-account entitlements are kept here).
func (s *Server) checkSubUser(ctx context.Context, p gen.ListAccountsLegacyV2Params, h *db.MemberAccounts) error {
	if p.IntuitIFSUserType == nil {
		return nil
	}
	if *p.IntuitIFSOnBehalfOfUser != h.Member.MemberNumber {
		return problem(http.StatusBadRequest, codeLegacyMemberNumber, "header:intuit_IFS_onBehalfOfUser", "Invalid member number")
	}
	sub, err := s.store.CustomerByAuthID(ctx, h.Member.InstitutionID, *p.IntuitAuthid)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return problem(http.StatusNotFound, codeLegacyNoData, "header:intuit_authid", "PrincipalEndUser:Data not found.")
	case err != nil:
		return err
	case sub.MemberID != h.Member.ID:
		return problem(http.StatusNotFound, codeLegacyNoData, "header:intuit_authid", "PrincipalEndUser:Data not found.")
	}
	return nil
}

// toLegacyAccount converts a stored account into the legacy account. number is the account
// number as the caller may see it (see visibleAccountNumber); the display number is always the
// masked one.
func toLegacyAccount(h *db.MemberAccounts, a *models.Account, number string) gen.LegacyAccount {
	st := accountStatus(a)
	act := allowedActions(a)
	state := gen.OPEN
	if a.Closed {
		state = gen.CLOSED
	}
	ownership := gen.PRIMARY
	if a.Category == string(gen.CROSSUSERACCOUNT) {
		ownership = gen.CROSS
	}
	desc := a.Description
	if desc == "" {
		desc = typeDescription(a)
	}
	out := gen.LegacyAccount{
		AccountHidden: false,
		AccountNumber: gen.LegacyAccountNumber{DisplayValue: secure.MaskLast4(number), HostValue: number, RawHostValue: number},
		AccountStatus: state,
		AccountStatuses: gen.LegacyAccountStatuses{Closed: ptr(st.Closed), CreditBalance: ptr(st.CreditBalance), Delinquent: ptr(st.Delinquent),
			InCollection: ptr(st.InCollection), NegativeBalance: ptr(st.NegativeBalance), Open: ptr(st.Open), OverLimit: ptr(st.OverLimit),
			PaymentCoupon: ptr(st.PaymentCoupon), RetPlanOwnedByDeceased: ptr(st.RetPlanOwnedByDeceased), RetirementPlan: ptr(st.RetirementPlan),
			WrittenOff: ptr(st.WrittenOff)},
		AccountType: gen.DIAccountType(a.TypeValue),
		Balance: gen.LegacyBalance{
			CurrentBalance:   &gen.Money{CurrencyCode: a.CurrencyCode, Amount: float64(a.CurrentBalanceMinor) / 100},
			AvailableBalance: &gen.Money{CurrencyCode: a.CurrencyCode, Amount: float64(a.AvailBalanceMinor) / 100}},
		Category:             gen.AccountCategory(a.Category),
		Description:          desc,
		DisplayAccountNumber: secure.MaskLast4(number),
		DisplayFlag: gen.LegacyDisplayFlag{Summary: act.Summary, TransferFrom: act.TransferFrom, TransferTo: act.TransferTo,
			OnlineStatementViewEnabled: act.IsOnlineStatementEnabled, IsHistoryEnabled: act.IsHistoryEnabled, IsHistoryEntitled: act.IsHistoryEntitled},
		Enabled:           !a.Closed,
		FiAccountType:     gen.LegacyFIAccountType{Description: typeDescription(a), RawType: a.FIRawAccountType, Type: a.FIAccountType},
		FiID:              gen.LegacyIdentifier{Value: a.InstitutionID},
		ID:                gen.LegacyIdentifier{Value: a.PublicID},
		MemberNumber:      h.Member.MemberNumber,
		NickName:          nonEmpty(a.NickName),
		OwnershipType:     ownership,
		PrimaryHolderName: nonEmpty(a.PrimaryHolderName),
		RoutingNumber:     nonEmpty(a.RoutingNumber),
	}
	if h.Customer != nil {
		out.FiCustomerID = gen.LegacyIdentifier{Value: h.Customer.ID}
	}
	return out
}
