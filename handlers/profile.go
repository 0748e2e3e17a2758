package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// entitledCustomerOf is customerOf for the operations whose official 404 is UXU_88888 ("no
// entitled customers found": the profile, contact info and accounts examples) rather than
// UXU_10000. Unknown and foreign users are still answered alike.
func (s *Server) entitledCustomerOf(ctx context.Context, ref, idType string) (*models.Customer, error) {
	c, err := s.customerOf(ctx, ref, idType)
	var p *Problem
	if errors.As(err, &p) && p.Code == uxuNotFound {
		return nil, problem(http.StatusNotFound, uxuNoEntitled, p.Field, "No entitled customers found")
	}
	return c, err
}

// GetCustomerInformation reads a user's profile (contract: GET /v1/customers/{customerId}).
func (s *Server) GetCustomerInformation(ctx context.Context, req gen.GetCustomerInformationRequestObject) (gen.GetCustomerInformationResponseObject, error) {
	c, err := s.entitledCustomerOf(ctx, req.CustomerID, idTypeOf(req.Params.UserIDType))
	if err != nil {
		return nil, err
	}
	v, err := s.store.CustomerViewOf(ctx, c)
	if err != nil {
		return nil, err
	}
	pii, err := s.store.CustomerPII(c)
	if err != nil {
		return nil, fmt.Errorf("open customer PII: %w", err)
	}
	out, err := toCustomerInformation(v, pii)
	if err != nil {
		return nil, err
	}
	return gen.GetCustomerInformation200JSONResponse(out), nil
}

// GetCustomerContactMethods lists where a one-time passcode can go, masked (contract: GET
// /ux-users/v1/customers/{customerId}/contact-methods).
func (s *Server) GetCustomerContactMethods(ctx context.Context, req gen.GetCustomerContactMethodsRequestObject) (gen.GetCustomerContactMethodsResponseObject, error) {
	c, err := s.customerOf(ctx, req.CustomerID, idTypeOf(req.Params.UserIDType))
	if err != nil {
		return nil, err
	}
	v, err := s.store.CustomerViewOf(ctx, c)
	if err != nil {
		return nil, err
	}
	out := gen.ContactMethodResponse{CustomerID: c.ID, ContactMethods: make([]gen.ContactMethodDestination, len(v.Destinations))}
	for i, d := range v.Destinations {
		out.ContactMethods[i] = toContactMethodDestination(d)
	}
	return gen.GetCustomerContactMethods200JSONResponse(out), nil
}

// toCustomerInformation converts a stored customer, its contacts and its opened PII into the
// profile (identity mapping: docs/decisions.md).
func toCustomerInformation(v *db.CustomerView, pii db.CustomerPII) (gen.CustomerInformation, error) {
	c := &v.Customer
	out := gen.CustomerInformation{
		UserID:                   c.InstitutionUserID,
		FiID:                     c.InstitutionID,
		LoginID:                  c.AuthID,
		UserName:                 c.LoginID,
		FailedLoginCount:         int32(c.FailedLoginCount),
		FailedPasswordResetCount: failedPasswordResetCount(c),
		FirstName:                c.FirstName,
		MiddleName:               nonEmpty(c.MiddleName),
		LastName:                 c.LastName,
		FullName:                 fullName(c),
		UserStatus:               customerUserStatus(c),
		PostalAddresses:          make([]gen.CustomerPostalAddress, len(v.Addresses)),
		ContactMethods:           make([]gen.CustomerContactMethod, len(v.Destinations)),
		RegistrationDateTime:     &openapi_types.Date{Time: c.CreatedAt.UTC()},
		UserType:                 gen.CustomerUserTypeRETAIL,
		UserRole:                 gen.CustomerUserRolePRIMARY,
		Customers: []gen.EntitledCustomer{{CustomerID: c.ID, MemberNumber: c.Member.MemberNumber,
			CustomerType: gen.EntitledCustomerTypeRETAIL, HostLoginID: c.HostLoginID}},
		AcceptedDisclosure: c.AcceptedDisclosure,
		BillPayChecked:     c.BillPayEnabled,
	}
	if c.UserType != "PRIMARY" {
		out.UserRole = gen.CustomerUserRoleENTITLED
	}
	if c.Email != "" {
		out.EmailAddress = ptr(openapi_types.Email(c.Email))
	}
	if pii.BirthDate != "" {
		day, err := time.Parse(time.DateOnly, pii.BirthDate)
		if err != nil {
			return out, errors.New("stored birth date is not yyyy-MM-dd") // never the value
		}
		out.BirthDate = &openapi_types.Date{Time: day}
	}
	for i, a := range v.Addresses {
		out.PostalAddresses[i] = gen.CustomerPostalAddress{Index: strconv.Itoa(i + 1), Address1: a.Address1,
			Address2: nonEmpty(a.Address2), Address3: nonEmpty(a.Address3), City: a.City, State: a.State,
			PostalCode: nonEmpty(a.PostalCode), Country: nonEmpty(a.Country), Type: gen.AddressTypeUNKNOWN}
	}
	for i, d := range v.Destinations {
		out.ContactMethods[i] = gen.CustomerContactMethod{ID: strconv.FormatUint(uint64(d.ID), 10), ContactInfo: d.ContactInfo,
			TelephoneCountryCode: telephoneCountryCode(d), Protocol: gen.ContactProtocol(d.Protocol), Activated: d.Activated,
			Validated: d.Validated, EnrolledDateTime: openapi_types.Date{Time: d.CreatedAt.UTC()}, Primary: i == 0}
	}
	return out, nil
}

// failedPasswordResetCount is the user's count of wrong passcodes since their last successful
// password reset.
func failedPasswordResetCount(c *models.Customer) int32 { return int32(c.FailedPasswordResetCount) }

// customerUserStatus derives the profile's status flags from the stored user (their meaning is
// in the spec's CustomerUserStatus). No holds, pending resets or rejections are kept here.
func customerUserStatus(c *models.Customer) gen.CustomerUserStatus {
	return gen.CustomerUserStatus{
		Active:                  c.Registered && !c.Locked,
		Locked:                  c.Locked,
		Registered:              c.Registered,
		Approved:                c.Registered,
		InvalidEmailID:          c.Email != "" && !rules.Email(c.Email),
		AcceptedDisclosure:      c.AcceptedDisclosure,
		NeedsToAcceptDisclosure: c.NeedsToAcceptDisclosure,
	}
}

// fullName is first, middle and last name joined by single spaces.
func fullName(c *models.Customer) string {
	return strings.Join(strings.Fields(c.FirstName+" "+c.MiddleName+" "+c.LastName), " ")
}

// telephoneCountryCode is a phone contact method's E.164 country code: the NANP's "1", also for
// the "0" Register v4 samples send (D15) and for none; email contact methods have none.
func telephoneCountryCode(d models.Destination) *string {
	switch {
	case d.Protocol == db.ProtocolEmail:
		return nil
	case d.CountryCode == "" || d.CountryCode == "0":
		return ptr("1")
	}
	return ptr(d.CountryCode)
}

// toContactMethodDestination converts a contact method for the reset-password list: the value
// masked, a phone to its last four digits, an email to its first character and domain.
func toContactMethodDestination(d models.Destination) gen.ContactMethodDestination {
	masked := secure.MaskLast4(d.ContactInfo)
	if d.Protocol == db.ProtocolEmail {
		masked = secure.MaskEmail(d.ContactInfo)
	}
	return gen.ContactMethodDestination{ID: strconv.FormatUint(uint64(d.ID), 10), TelephoneCountryCode: telephoneCountryCode(d),
		ContactInfo: masked, Protocol: gen.ContactProtocol(d.Protocol), IsActivated: d.Activated, EnrolledDateTime: d.CreatedAt.UTC()}
}
