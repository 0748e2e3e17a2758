package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/custreg/custreg/access"
	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/odata"
)

// The institution users family ("db-users") names its user by an institutionUserId path
// parameter of any of the user's identifiers (userIdType), always of the token's FI.

// additionalInfo keys (named here, not by the generated constants, whose names depend on the
// whole spec's enums).
const (
	keyLegacyUserGUID gen.KeyValueKey = "legacyUserGuid" // a profile's customer GUID
	keyBillPayLoginID gen.KeyValueKey = "billPayLoginId" // a relationship's bill pay login id
)

// Segments of the institution users' $expand.
const (
	segContactMethods          = "contactMethods"
	segPostalAddresses         = "postalAddresses"
	segSubUsers                = "subUsers"
	segIdentificationDocuments = "identificationDocuments"
)

// The filter dialects of the segments: the properties the contract lists, eq, and, parentheses,
// strings and booleans. Booleans are Boolean properties; the rest compare as the answer renders
// them.
var (
	contactMethodFilter = odata.EqualityDialect(props("id", "protocol", "enrolledDateTime", "telephoneCountryCode",
		"contactInfo", "contactMethodType", "+activated", "+validated", "+host", "+primary"))
	postalAddressFilter = odata.EqualityDialect(props("id", "streetAddress1", "streetAddress2", "streetAddress3", "city",
		"state", "postalCode", "country", "postalAddressType", "+primary"))
	subUserFilter = odata.EqualityDialect(props("institutionUserId", "institutionId", "institutionUserRole",
		"institutionUserType", "userId", "userName", "lastName", "firstName", "middleName", "email", "birthDate"))
	documentFilter = odata.EqualityDialect(props("id", "maskedId", "issuerState", "issuerCountry", "issuedDate",
		"expiryDate", "identificationDocumentType"))

	expandV1 = map[string]odata.Segment{
		segContactMethods:  {Name: segContactMethods, Filter: contactMethodFilter},
		segPostalAddresses: {Name: segPostalAddresses, Filter: postalAddressFilter},
		"postalAddress":    {Name: segPostalAddresses, Filter: postalAddressFilter},
		segSubUsers:        {Name: segSubUsers, Filter: subUserFilter},
	}
	expandV2 = func() map[string]odata.Segment {
		m := map[string]odata.Segment{segIdentificationDocuments: {Name: segIdentificationDocuments, Filter: documentFilter}}
		for k, v := range expandV1 {
			m[k] = v
		}
		return m
	}()
)

// props builds a dialect's properties; a leading "+" marks a boolean one. Each property reads the
// Record field of its own name.
func props(names ...string) map[string]odata.Property {
	m := make(map[string]odata.Property, len(names))
	for _, n := range names {
		if n[0] == '+' {
			m[n[1:]] = odata.Property{Field: n[1:], Type: odata.Boolean}
		} else {
			m[n] = odata.Property{Field: n}
		}
	}
	return m
}

// record is an answer's object as a $filter sees it: its fields as rendered.
type record map[string]string

// Field implements odata.Record.
func (r record) Field(name string) string { return r[name] }

// parseExpand parses an optional $expand; a bad one is 400 ISR_10009, by position only (a filter
// may hold a contact value).
func parseExpand(v *string, segments map[string]odata.Segment) (odata.Expansion, error) {
	if v == nil {
		return nil, nil
	}
	e, err := odata.ParseExpand(*v, segments)
	if err != nil {
		msg := "Error processing OData expression"
		var se *odata.SyntaxError
		if errors.As(err, &se) {
			msg = fmt.Sprintf("Error processing OData expression: query param $expand is invalid at position %d", se.Pos)
		}
		return nil, problem(http.StatusBadRequest, isrOData, "query:$expand", msg)
	}
	return e, nil
}

// institutionUserOf resolves the path's user within the token's FI. An unknown user and another
// FI's are 404 ISR_10001; so is, for a user-bound token, any user but its own, existing or not,
// so such a token learns nothing about other users.
func (s *Server) institutionUserOf(ctx context.Context, ref, idType string) (*models.Customer, error) {
	caller := infoFrom(ctx).principal
	tok := caller.token
	c, err := s.store.InstitutionUserByRef(ctx, tok.InstitutionID, idType, ref)
	if err == nil && caller.kind.UserBound() && caller.policy.OwnUserOnly && (tok.CustomerID == nil || *tok.CustomerID != c.ID) {
		err = models.ErrNotFound
	}
	if errors.Is(err, models.ErrNotFound) {
		return nil, problem(http.StatusNotFound, isrNotFound, "path:institutionUserId", "InstitutionUser not found")
	}
	return c, err
}

// requireScope refuses a request whose token lacks scope: 403 ISR_11003.
func requireScope(ctx context.Context, scope, what string) error {
	if !infoFrom(ctx).principal.hasScope(scope) {
		return problem(http.StatusForbidden, isrForbidden, "header:Authorization", what+" needs the scope "+scope)
	}
	return nil
}

// profileRequest is what one profile read asks for.
type profileRequest struct {
	expand  odata.Expansion
	billPay bool
}

// GetInstitutionUserV1 reads a user's profile (contract: GET /v1/institution-users/{id}).
func (s *Server) GetInstitutionUserV1(ctx context.Context, req gen.GetInstitutionUserV1RequestObject) (gen.GetInstitutionUserV1ResponseObject, error) {
	p := req.Params
	expand, err := parseExpand(p.Expand, expandV1)
	if err != nil {
		return nil, err
	}
	billPay := p.RetrieveBillPayCredentials != nil && *p.RetrieveBillPayCredentials
	if billPay {
		if err := requireScope(ctx, access.ScopeUsersBillPay, "Bill pay credentials"); err != nil {
			return nil, err
		}
	}
	out, err := s.profile(ctx, req.InstitutionUserID, idTypeOrDefault(p.UserIDType), profileRequest{expand: expand, billPay: billPay})
	if err != nil {
		return nil, err
	}
	return gen.GetInstitutionUserV1200JSONResponse(*out), nil
}

// GetInstitutionUserV2 reads a user's profile with its identification documents (contract:
// GET /v2/institution-users/{id}).
func (s *Server) GetInstitutionUserV2(ctx context.Context, req gen.GetInstitutionUserV2RequestObject) (gen.GetInstitutionUserV2ResponseObject, error) {
	p := req.Params
	expand, err := parseExpand(p.Expand, expandV2)
	if err != nil {
		return nil, err
	}
	if ok, _ := expand.Has(segIdentificationDocuments); ok {
		if err := requireScope(ctx, access.ScopeUsersReadPII, "Identification documents"); err != nil {
			return nil, err
		}
	}
	out, err := s.profile(ctx, req.InstitutionUserID, idTypeOrDefault(p.UserIDType), profileRequest{expand: expand})
	if err != nil {
		return nil, err
	}
	return gen.GetInstitutionUserV2200JSONResponse(*out), nil
}

// idTypeOrDefault reads a profile's optional userIdType (default INSTITUTION_USER_ID).
func idTypeOrDefault[T ~string](v *T) string {
	if v == nil {
		return db.ByInstitutionUserID
	}
	return string(*v)
}

// profile builds a user's profile as req asks.
func (s *Server) profile(ctx context.Context, ref, idType string, req profileRequest) (*gen.InstitutionUser, error) {
	fi, err := s.store.Institution(ctx, infoFrom(ctx).principal.token.InstitutionID)
	if err != nil {
		return nil, err
	}
	docs, docFilter := req.expand.Has(segIdentificationDocuments)
	if docs && fi.DocumentKey == "" {
		return nil, models.ErrNoDocumentKey // whoever the user: the answer does not depend on them
	}
	c, err := s.institutionUserOf(ctx, ref, idType)
	if err != nil {
		return nil, err
	}
	rel, err := s.store.RelativesOf(ctx, c)
	if err != nil {
		return nil, err
	}
	out, err := s.userProfile(c, rel.Parent)
	if err != nil {
		return nil, err
	}
	if req.billPay && c.UserType == models.RolePrimary && c.Member.BillPayLoginID != "" {
		out.InstitutionCustomers[0].AdditionalInfo = &gen.KeyValueEntries{Entry: []gen.KeyValue{{Key: keyBillPayLoginID, Value: c.Member.BillPayLoginID}}}
	}
	cm, cmFilter := req.expand.Has(segContactMethods)
	pa, paFilter := req.expand.Has(segPostalAddresses)
	if cm || pa {
		contacts, err := s.store.ContactsOf(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if cm {
			out.ContactMethods = contactMethods(contacts.Destinations, cmFilter)
		}
		if pa {
			out.PostalAddresses = postalAddresses(contacts.Addresses, paFilter)
		}
	}
	if ok, f := req.expand.Has(segSubUsers); ok {
		subs := []gen.InstitutionUser{}
		for i := range rel.SubUsers {
			sub, err := s.userProfile(&rel.SubUsers[i], c)
			if err != nil {
				return nil, err
			}
			if f.Match(subUserRecord(sub)) {
				subs = append(subs, *sub)
			}
		}
		out.SubUsers = &subs
	}
	if docs {
		exported, err := s.store.ExportDocuments(fi, c)
		if err != nil {
			return nil, err
		}
		list := []gen.IdentificationDocument{}
		for _, d := range exported {
			if docFilter.Match(record{"id": d.Number, "maskedId": d.MaskedID, "identificationDocumentType": d.Type}) {
				list = append(list, gen.IdentificationDocument{ID: d.Number, MaskedID: d.MaskedID,
					IdentificationDocumentType: gen.IdentificationDocumentIdentificationDocumentType(d.Type)})
			}
		}
		out.IdentificationDocuments = &list
	}
	return out, nil
}

// userProfile is the unexpanded profile of c; parent is an ENTITLED user's PRIMARY user (nil for
// a PRIMARY user), whose relationship the sub-user's institutionCustomers shows.
func (s *Server) userProfile(c, parent *models.Customer) (*gen.InstitutionUser, error) {
	owner := c // the relationship's PRIMARY user
	if c.UserType == models.RoleEntitled && parent != nil {
		owner = parent
	}
	out := &gen.InstitutionUser{
		InstitutionUserID: c.InstitutionUserID, InstitutionID: c.InstitutionID,
		RegistrationDateTime: wireTime(&c.CreatedAt),
		InstitutionUserRole:  gen.InstitutionUserInstitutionUserRole(c.UserType), InstitutionUserType: gen.InstitutionUserInstitutionUserType("RETAIL"),
		InstitutionCustomers: []gen.InstitutionCustomer{{InstitutionCustomerID: owner.ID, MemberNumber: c.Member.MemberNumber,
			MemberName: optional(c.Member.Name), CustomerType: gen.InstitutionCustomerCustomerType("RETAIL"), HostLoginID: optional(owner.HostLoginID)}},
		UserID: c.AuthID, UserName: c.LoginID, FirstName: c.FirstName, MiddleName: optional(c.MiddleName), LastName: c.LastName,
		FullName:         fullName(c),
		FailedLoginCount: c.FailedLoginCount, FailedPasswordResetCount: failedResets(c),
		LastLoginDateTime: wireTime(c.LastLoginAt),
		UserStatus:        flagsOf(c).userStatus(),
		AdditionalInfo:    gen.KeyValueEntries{Entry: []gen.KeyValue{{Key: keyLegacyUserGUID, Value: c.ID}}},
	}
	if c.ParentID != nil && parent != nil {
		out.ParentInstitutionUserID = &parent.InstitutionUserID
	}
	if c.Email != "" {
		e := openapi_types.Email(c.Email)
		out.Email = &e
	}
	birth, err := s.store.BirthDate(c)
	if err != nil {
		return nil, err
	}
	if birth != "" {
		d, err := time.Parse(time.DateOnly, birth)
		if err != nil {
			return nil, fmt.Errorf("stored birth date: %w", err)
		}
		out.BirthDate = &openapi_types.Date{Time: d}
	}
	return out, nil
}

// failedResets is the user's failed password-reset count, as the Customer v2 profile shows it.
func failedResets(c *models.Customer) int { return int(failedPasswordResetCount(c)) }

// wireTime is a stored time as the answers carry it: UTC, whole seconds (nil stays nil).
func wireTime(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	v := t.UTC().Truncate(time.Second)
	return &v
}

// rendered is a time as JSON renders it, for $filter ("" for none).
func rendered(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// optional is v, or nil when empty (an omitted field).
func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// contactMethods renders the user's contact methods that match f.
func contactMethods(ds []models.Destination, f *odata.Filter) *[]gen.InstitutionUserContactMethod {
	out := []gen.InstitutionUserContactMethod{}
	for _, d := range ds {
		m := gen.InstitutionUserContactMethod{ID: strconv.FormatUint(uint64(d.ID), 10), Protocol: gen.InstitutionUserContactMethodProtocol(d.Protocol),
			Activated: d.Activated, EnrolledDateTime: wireTime(&d.CreatedAt), TelephoneCountryCode: optional(d.CountryCode),
			ContactInfo: d.ContactInfo, Validated: d.Validated, Host: false}
		r := record{"id": m.ID, "protocol": d.Protocol, "activated": strconv.FormatBool(m.Activated), "enrolledDateTime": rendered(m.EnrolledDateTime),
			"telephoneCountryCode": d.CountryCode, "contactInfo": d.ContactInfo, "validated": strconv.FormatBool(m.Validated), "host": "false"}
		if f.Match(r) {
			out = append(out, m)
		}
	}
	return &out
}

// postalAddresses renders the user's postal addresses that match f; the first is the primary one.
func postalAddresses(as []models.CustomerAddress, f *odata.Filter) *[]gen.InstitutionUserPostalAddress {
	out := []gen.InstitutionUserPostalAddress{}
	for i, a := range as {
		p := gen.InstitutionUserPostalAddress{ID: strconv.FormatUint(uint64(a.ID), 10), StreetAddress1: a.Address1,
			StreetAddress2: optional(a.Address2), StreetAddress3: optional(a.Address3), City: a.City, State: a.State,
			PostalCode: a.PostalCode, Country: a.Country, Primary: i == 0, PostalAddressType: gen.InstitutionUserPostalAddressPostalAddressType("UNKNOWN")}
		r := record{"id": p.ID, "streetAddress1": a.Address1, "streetAddress2": a.Address2, "streetAddress3": a.Address3,
			"city": a.City, "state": a.State, "postalCode": a.PostalCode, "country": a.Country, "primary": strconv.FormatBool(p.Primary),
			"postalAddressType": string(p.PostalAddressType)}
		if f.Match(r) {
			out = append(out, p)
		}
	}
	return &out
}

// subUserRecord is a sub-user's profile as its segment's $filter sees it.
func subUserRecord(u *gen.InstitutionUser) record {
	r := record{"institutionUserId": u.InstitutionUserID, "institutionId": u.InstitutionID, "institutionUserRole": string(u.InstitutionUserRole),
		"institutionUserType": string(u.InstitutionUserType), "userId": u.UserID, "userName": u.UserName, "lastName": u.LastName,
		"firstName": u.FirstName}
	if u.MiddleName != nil {
		r["middleName"] = *u.MiddleName
	}
	if u.Email != nil {
		r["email"] = string(*u.Email)
	}
	if u.BirthDate != nil {
		r["birthDate"] = u.BirthDate.Format(time.DateOnly)
	}
	return r
}

// flags are a user's status flags (contract: only the true ones are sent).
type flags struct{ active, locked, registered, approved bool }

// flagsOf derives c's flags as the Customer v2 profile does (customerUserStatus), so one user has
// one status in every family: locked the password-grant lockout, registered once registration
// (disclosure acceptance included) is complete, approved with it (no separate approval step),
// active when registered and not locked.
func flagsOf(c *models.Customer) flags {
	st := customerUserStatus(c)
	return flags{active: st.Active, locked: st.Locked, registered: st.Registered, approved: st.Approved}
}

// trueFlag is a flag as sent: present when true, absent otherwise.
func trueFlag(v bool) *gen.TrueFlag {
	if !v {
		return nil
	}
	t := gen.TrueFlag(true)
	return &t
}

// userStatus renders the flags as a profile's userStatus.
func (f flags) userStatus() gen.InstitutionUserFlags {
	return gen.InstitutionUserFlags{Active: trueFlag(f.active), Locked: trueFlag(f.locked), Registered: trueFlag(f.registered), Approved: trueFlag(f.approved)}
}

// statusInfo is user-status's additionalInfo of c.
func statusInfo(c *models.Customer) gen.UserStatusAdditionalInfo {
	return gen.UserStatusAdditionalInfo{FailedLoginCount: c.FailedLoginCount, FailedPasswordResetCount: failedResets(c), LastLoginDateTime: wireTime(c.LastLoginAt)}
}

// GetUserStatusV1 reads a user's status (contract: GET /v1/user-status/{id}).
func (s *Server) GetUserStatusV1(ctx context.Context, req gen.GetUserStatusV1RequestObject) (gen.GetUserStatusV1ResponseObject, error) {
	c, err := s.institutionUserOf(ctx, req.InstitutionUserID, string(req.Params.UserIDType))
	if err != nil {
		return nil, err
	}
	rel, err := s.store.RelativesOf(ctx, c)
	if err != nil {
		return nil, err
	}
	f := flagsOf(c)
	out := gen.GetUserStatusV1200JSONResponse{InstitutionUserID: c.InstitutionUserID, AdditionalInfo: statusInfo(c),
		Active: trueFlag(f.active), Locked: trueFlag(f.locked), Registered: trueFlag(f.registered), Approved: trueFlag(f.approved)}
	if rel.Parent != nil {
		out.ParentInstitutionUserID = &rel.Parent.InstitutionUserID
	}
	if len(rel.SubUsers) > 0 {
		subs := make([]gen.SubUserStatusDetails, len(rel.SubUsers))
		for i := range rel.SubUsers {
			sub := &rel.SubUsers[i]
			sf := flagsOf(sub)
			subs[i] = gen.SubUserStatusDetails{InstitutionUserID: sub.InstitutionUserID, AdditionalInfo: statusInfo(sub),
				Active: trueFlag(sf.active), Locked: trueFlag(sf.locked), Registered: trueFlag(sf.registered), Approved: trueFlag(sf.approved)}
		}
		out.SubUsers = &subs
	}
	return out, nil
}
