package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/custreg/custreg/consent"
	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
)

// toAPIDisclosure converts a definition, with the required flag and version extensions.
func toAPIDisclosure(d *models.Disclosure) gen.InstitutionDisclosure {
	out := gen.InstitutionDisclosure{InstitutionDisclosureID: d.ID, InstitutionID: d.InstitutionID,
		InstitutionDisclosureName: ptr(d.Name), InstitutionDisclosureStatus: ptr(d.Enabled), Required: ptr(d.Required), Version: ptr(d.Version)}
	if d.Data != "" {
		out.InstitutionDisclosureData = ptr(d.Data)
	}
	if d.DataType != "" {
		out.InstitutionDisclosureDataType = ptr(gen.InstitutionDisclosureInstitutionDisclosureDataType(d.DataType))
	}
	return out
}

// ListInstitutionDisclosures lists every definition of the token's FI (contract §7.3).
func (s *Server) ListInstitutionDisclosures(ctx context.Context, _ gen.ListInstitutionDisclosuresRequestObject) (gen.ListInstitutionDisclosuresResponseObject, error) {
	ds, err := s.store.Disclosures(ctx, infoFrom(ctx).principal.token.InstitutionID)
	if err != nil {
		return nil, err
	}
	out := gen.InstitutionDisclosuresResponse{InstitutionDisclosures: make([]gen.InstitutionDisclosure, 0, len(ds))}
	for i := range ds {
		out.InstitutionDisclosures = append(out.InstitutionDisclosures, toAPIDisclosure(&ds[i]))
	}
	return gen.ListInstitutionDisclosures200JSONResponse(out), nil
}

// definitionFields are the writable fields of create and update.
type definitionFields struct {
	name, data, dataType *string
	enabled, required    *bool
}

// checkDefinition applies the definition rules (contract §7.4): a printable name of at most 64
// characters, URL-only data of at most 2048 characters, data and type together.
func checkDefinition(f definitionFields) (*db.DisclosureSpec, error) {
	name := strings.TrimSpace(str(f.name))
	switch {
	case name == "":
		return nil, problem(http.StatusBadRequest, dscFields, "/institutionDisclosureName", "institutionDisclosureName is required")
	case len(name) > 64:
		return nil, problem(http.StatusBadRequest, dscTooLong, "/institutionDisclosureName", "institutionDisclosureName exceeds 64 characters")
	case !rules.Printable(name):
		return nil, problem(http.StatusBadRequest, dscNonPrintable, "/institutionDisclosureName", "institutionDisclosureName has non-printable characters")
	}
	data, dataType := str(f.data), str(f.dataType)
	switch {
	case len(data) > 2048:
		return nil, problem(http.StatusBadRequest, dscTooLong, "/institutionDisclosureData", "institutionDisclosureData exceeds 2048 characters")
	case data != "" && !rules.Printable(data):
		return nil, problem(http.StatusBadRequest, dscNonPrintable, "/institutionDisclosureData", "institutionDisclosureData has non-printable characters")
	case (data == "") != (dataType == ""):
		return nil, problem(http.StatusBadRequest, dscFields, "/institutionDisclosureDataType", "institutionDisclosureData and institutionDisclosureDataType go together")
	case dataType != "" && dataType != "URL":
		return nil, problem(http.StatusBadRequest, dscFields, "/institutionDisclosureDataType", "Only the URL data type is supported")
	case data != "" && !rules.DisclosureDataURL(data):
		return nil, problem(http.StatusBadRequest, dscFields, "/institutionDisclosureData", "institutionDisclosureData must be an http(s) URL")
	}
	return &db.DisclosureSpec{Name: name, Data: data, DataType: dataType, Enabled: f.enabled, Required: f.required != nil && *f.required}, nil
}

// CreateInstitutionDisclosure adds a definition to the token's FI (contract §7.4).
func (s *Server) CreateInstitutionDisclosure(ctx context.Context, req gen.CreateInstitutionDisclosureRequestObject) (gen.CreateInstitutionDisclosureResponseObject, error) {
	b := req.Body
	if b == nil {
		return nil, problem(http.StatusBadRequest, dscBlank, "", "Request body is blank")
	}
	if b.InstitutionDisclosureID != nil {
		return nil, problem(http.StatusBadRequest, dscFields, "/institutionDisclosureId", "institutionDisclosureId is assigned by the service")
	}
	enabled := b.InstitutionDisclosureStatus != nil && *b.InstitutionDisclosureStatus // default false
	spec, err := checkDefinition(definitionFields{b.InstitutionDisclosureName, b.InstitutionDisclosureData, b.InstitutionDisclosureDataType, &enabled, b.Required})
	if err != nil {
		return nil, err
	}
	d, err := s.store.CreateDisclosure(ctx, infoFrom(ctx).principal.token.InstitutionID, spec)
	if err != nil { // a taken name: DSC_10002 by the outcome table
		return nil, err
	}
	return gen.CreateInstitutionDisclosure200JSONResponse(toAPIDisclosure(d)), nil
}

// UpdateInstitutionDisclosure replaces a definition of the token's FI (contract §7.5). Fields
// left out keep their current values.
func (s *Server) UpdateInstitutionDisclosure(ctx context.Context, req gen.UpdateInstitutionDisclosureRequestObject) (gen.UpdateInstitutionDisclosureResponseObject, error) {
	b := req.Body
	if b == nil {
		return nil, problem(http.StatusBadRequest, dscBlank, "", "Request body is blank")
	}
	if !strings.EqualFold(strings.TrimSpace(b.InstitutionDisclosureID), req.InstitutionDisclosureID) {
		return nil, problem(http.StatusBadRequest, dscIDMismatch, "/institutionDisclosureId", "institutionDisclosureId differs from the path")
	}
	fi := infoFrom(ctx).principal.token.InstitutionID
	cur, err := s.store.Disclosure(ctx, fi, req.InstitutionDisclosureID)
	if err != nil {
		return nil, err // not found: 404 DSC_13001 by the outcome table
	}
	f := definitionFields{b.InstitutionDisclosureName, b.InstitutionDisclosureData, b.InstitutionDisclosureDataType, b.InstitutionDisclosureStatus, b.Required}
	if f.data == nil && f.dataType == nil {
		f.data, f.dataType = &cur.Data, &cur.DataType
	}
	if f.enabled == nil {
		f.enabled = &cur.Enabled
	}
	if f.required == nil {
		f.required = &cur.Required
	}
	spec, err := checkDefinition(f)
	if err != nil {
		return nil, err
	}
	d, err := s.store.UpdateDisclosure(ctx, fi, cur.ID, spec)
	if err != nil { // a taken name: DSC_10002 by the outcome table
		return nil, err
	}
	return gen.UpdateInstitutionDisclosure200JSONResponse(toAPIDisclosure(d)), nil
}

// userParams are the user-context parameters every user-disclosure operation takes.
type userParams struct {
	hostUserID, loginID, institutionCustomerID *string
}

// disclosureUser resolves the user of a user-disclosure request within the token's FI (the contract
// 7.1): the token's user, or exactly one of hostUserId / loginId for client-credentials tokens.
func (s *Server) disclosureUser(ctx context.Context, p userParams) (*db.MemberAccounts, error) {
	tok := infoFrom(ctx).principal.token
	user, err := userContext(tok, p.hostUserID, p.loginID, dscQueryParam, dscQueryParam)
	if err != nil {
		return nil, err
	}
	h, err := s.store.MemberAccounts(ctx, tok.InstitutionID, user)
	if errors.Is(err, models.ErrNotFound) || (err == nil && h.Customer == nil) {
		return nil, problem(http.StatusBadRequest, dscNoData, "query", "No data for the user")
	}
	if err != nil {
		return nil, err
	}
	if user.CustomerID != "" && ((p.hostUserID != nil && *p.hostUserID != h.Member.MemberNumber) ||
		(p.loginID != nil && rules.NormalizeUsername(*p.loginID) != h.Customer.LoginIDNorm)) {
		return nil, problem(http.StatusBadRequest, dscQueryParam, "query", "hostUserId and loginId may only name the token's user")
	}
	if id := p.institutionCustomerID; id != nil && !strings.EqualFold(*id, h.Customer.ID) {
		return nil, problem(http.StatusBadRequest, dscQueryParam, "query:institutionCustomerId", "institutionCustomerId does not name a location of the user")
	}
	return h, nil
}

// ListInstitutionUserDisclosures lists the user's current disclosure states (contract §7.6).
func (s *Server) ListInstitutionUserDisclosures(ctx context.Context, req gen.ListInstitutionUserDisclosuresRequestObject) (gen.ListInstitutionUserDisclosuresResponseObject, error) {
	p := req.Params
	h, err := s.disclosureUser(ctx, userParams{p.HostUserID, p.LoginID, p.InstitutionCustomerID})
	if err != nil {
		return nil, err
	}
	states, err := s.store.UserDisclosures(ctx, h.Customer.ID)
	if err != nil {
		return nil, err
	}
	out := gen.InstitutionUserDisclosuresResponse{InstitutionUserDisclosures: make([]gen.InstitutionUserDisclosure, 0, len(states))}
	for _, st := range states {
		item := gen.InstitutionUserDisclosure{InstitutionID: h.Customer.InstitutionID, InstitutionUserID: h.Customer.InstitutionUserID,
			InstitutionDisclosureName: st.DisclosureName, InstitutionUserDisclosureID: ptr(st.ID), InstitutionDisclosureID: ptr(st.DisclosureID),
			InstitutionUserDisclosureStatus:               ptr(gen.InstitutionUserDisclosureStatus(st.Status)),
			InstitutionUserDisclosureStatusUpdateDateTime: ptr(st.UpdatedAt.UTC().Truncate(time.Millisecond)), PaperWaiver: st.PaperWaiver}
		if st.AccountID != "" {
			item.AccountID = ptr(st.AccountID)
		}
		out.InstitutionUserDisclosures = append(out.InstitutionUserDisclosures, item)
	}
	return gen.ListInstitutionUserDisclosures200JSONResponse(out), nil
}

// decisionRequest is a user-disclosure write after parsing.
type decisionRequest struct {
	params      userParams
	accountType *gen.DIAccountType
	body        *gen.InstitutionUserDisclosureWrite
	ip          *string
	update      bool
}

// unsafeUserDisclosureText refuses the text fields of a user-disclosure write that are not
// rules.SafeText (DSC_12001, as hygiene answers for any such JSON string before this runs): the
// ids are looked up and the account id is kept with the evidence.
func unsafeUserDisclosureText(disclosureID, userDisclosureID, name, status, accountID *string) error {
	for _, f := range []struct {
		name  string
		value *string
	}{{"institutionDisclosureId", disclosureID}, {"institutionUserDisclosureId", userDisclosureID},
		{"institutionDisclosureName", name}, {"institutionUserDisclosureStatus", status}, {"accountId", accountID}} {
		if f.value != nil && !rules.SafeText(*f.value) {
			return problem(http.StatusBadRequest, dscNonPrintable, "/"+f.name, f.name+" has non-printable characters")
		}
	}
	return nil
}

// decide validates and records a user's decision (contract §7.7, 7.8): the consent rules
// decide, the store records.
func (s *Server) decide(ctx context.Context, r decisionRequest) error {
	b := r.body
	if b == nil {
		return problem(http.StatusBadRequest, dscBlank, "", "Request body is blank")
	}
	if err := unsafeUserDisclosureText(b.InstitutionDisclosureID, b.InstitutionUserDisclosureID, b.InstitutionDisclosureName,
		b.InstitutionUserDisclosureStatus, b.AccountID); err != nil {
		return err
	}
	h, err := s.disclosureUser(ctx, r.params)
	if err != nil {
		return err
	}
	w := consent.Write{DefinitionID: str(b.InstitutionDisclosureID), DefinitionName: str(b.InstitutionDisclosureName),
		Status: str(b.InstitutionUserDisclosureStatus), AccountID: b.AccountID, PaperWaiver: b.PaperWaiver,
		AccountTypeSent: r.accountType != nil, Update: r.update}
	if w.DefinitionID == "" {
		w.DefinitionID = str(b.InstitutionUserDisclosureID) // D19: the schema's name wins
	}
	def, err := s.definitionFor(ctx, h.Customer.InstitutionID, w)
	if err != nil {
		return err
	}
	d, err := consent.Check(w, *def, h.Accounts)
	if err != nil {
		return err
	}
	return s.recordDecision(ctx, &db.UserDecision{Customer: h.Customer, Disclosure: def, Status: d.Status, AccountID: d.AccountID,
		PaperWaiver: d.PaperWaiver}, r.ip, r.update)
}

// definitionFor finds the definition a write names, as the consent rules say.
func (s *Server) definitionFor(ctx context.Context, fi string, w consent.Write) (*models.Disclosure, error) {
	how, key, err := consent.Target(w)
	if err != nil {
		return nil, err
	}
	var def *models.Disclosure
	if how == consent.ByID {
		def, err = s.store.Disclosure(ctx, fi, key)
	} else {
		def, err = s.store.DisclosureByName(ctx, fi, key)
	}
	switch {
	case errors.Is(err, models.ErrNotFound):
		def = nil
	case err != nil:
		return nil, err
	}
	if err := consent.Found(w, how, def); err != nil {
		return nil, err
	}
	return def, nil
}

// recordDecision adds the evidence context (app, offering, device IP, trace) and stores it.
func (s *Server) recordDecision(ctx context.Context, d *db.UserDecision, ip *string, onlyExisting bool) error {
	info := infoFrom(ctx)
	tok := info.principal.token
	app, err := s.store.ClientAppByID(ctx, tok.ClientAppID)
	if err != nil {
		return err
	}
	d.ClientAppID, d.OfferingID, d.OriginatingIP = app.ID, app.OfferingID, info.clientIP
	if ip != nil && *ip != "" {
		d.OriginatingIP = *ip
	}
	d.Channel, d.TraceID, d.At = models.ChannelDisclosuresAPI, info.traceID, s.now().UTC()
	err = s.store.RecordUserDecision(ctx, d, onlyExisting)
	if errors.Is(err, models.ErrNotFound) {
		return problem(http.StatusBadRequest, dscNoData, "", "No such user disclosure")
	}
	return err
}

// CreateInstitutionUserDisclosure records a decision (contract §7.7).
func (s *Server) CreateInstitutionUserDisclosure(ctx context.Context, req gen.CreateInstitutionUserDisclosureRequestObject) (gen.CreateInstitutionUserDisclosureResponseObject, error) {
	p := req.Params
	err := s.decide(ctx, decisionRequest{params: userParams{p.HostUserID, p.LoginID, p.InstitutionCustomerID},
		accountType: p.AccountType, body: req.Body, ip: p.OriginatingIP})
	if err != nil {
		return nil, err
	}
	return gen.CreateInstitutionUserDisclosure204Response{}, nil
}

// UpdateInstitutionUserDisclosure changes an existing decision (contract §7.8).
func (s *Server) UpdateInstitutionUserDisclosure(ctx context.Context, req gen.UpdateInstitutionUserDisclosureRequestObject) (gen.UpdateInstitutionUserDisclosureResponseObject, error) {
	p := req.Params
	err := s.decide(ctx, decisionRequest{params: userParams{p.HostUserID, p.LoginID, p.InstitutionCustomerID},
		body: req.Body, ip: p.OriginatingIP, update: true})
	if err != nil {
		return nil, err
	}
	return gen.UpdateInstitutionUserDisclosure204Response{}, nil
}

// DeleteInstitutionUserDisclosure removes an OLS state for one account; the deletion is recorded
// as evidence (contract §7.9).
func (s *Server) DeleteInstitutionUserDisclosure(ctx context.Context, req gen.DeleteInstitutionUserDisclosureRequestObject) (gen.DeleteInstitutionUserDisclosureResponseObject, error) {
	b := req.Body
	if b == nil {
		return nil, problem(http.StatusBadRequest, dscBlank, "", "Request body is blank")
	}
	if err := unsafeUserDisclosureText(nil, nil, b.InstitutionDisclosureName, nil, b.AccountID); err != nil {
		return nil, err
	}
	if err := consent.Deletable(str(b.InstitutionDisclosureName)); err != nil {
		return nil, err
	}
	p := req.Params
	h, err := s.disclosureUser(ctx, userParams{p.HostUserID, p.LoginID, p.InstitutionCustomerID})
	if err != nil {
		return nil, err
	}
	accountID, err := consent.CheckDelete(str(b.InstitutionDisclosureName), str(b.AccountID), h.Accounts)
	if err != nil {
		return nil, err
	}
	def, err := s.definitionFor(ctx, h.Customer.InstitutionID, consent.Write{DefinitionName: consent.OLS})
	if err != nil {
		return nil, err
	}
	if err := s.recordDecision(ctx, &db.UserDecision{Customer: h.Customer, Disclosure: def, AccountID: accountID, Status: "DELETED"}, p.OriginatingIP, true); err != nil {
		return nil, err
	}
	return gen.DeleteInstitutionUserDisclosure204Response{}, nil
}
