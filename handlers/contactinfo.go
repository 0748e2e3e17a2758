package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/rules"
)

// Bounds of the stored contact fields (package models' columns), as registration has them.
const (
	maxPostalCodeLen = 32
)

// UpdateContactInfo changes a user's phone, email or primary postal address (contract: PUT
// /v1/customers/{customerId}:contact-info). The values are checked by the registration rules
// first; then the whole change is applied in one transaction with its audit event.
func (s *Server) UpdateContactInfo(ctx context.Context, req gen.UpdateContactInfoRequestObject) (gen.UpdateContactInfoResponseObject, error) {
	body := req.Body
	idType, err := contactInfoIDType(req.Params.UserIDType, body.UserIDType)
	if err != nil {
		return nil, err
	}
	change, err := checkContactInfo(body)
	if err != nil {
		return nil, err
	}
	c, err := s.entitledCustomerOf(ctx, req.CustomerID, idType)
	if err != nil {
		return nil, err
	}
	if err := s.store.UpdateContactInfo(ctx, c, change, actorOf(ctx), s.now()); err != nil {
		return nil, err
	}
	return gen.UpdateContactInfo204Response{}, nil
}

// contactInfoIDType is the userIdType of a contact-info update: the body's (the official place)
// or the query's, which must agree when both are given.
func contactInfoIDType(query *gen.UpdateContactInfoParamsUserIDType, inBody *gen.ContactInfoUpdateUserIDType) (string, error) {
	switch {
	case query != nil && inBody != nil && string(*query) != string(*inBody):
		return "", problem(http.StatusBadRequest, uxuInvalidQuery, "query:userIdType",
			"Query param userIdType differs from /userIdType in the body")
	case inBody != nil:
		return string(*inBody), nil
	}
	return idTypeOf(query), nil
}

// contactRule is one field check of a contact-info update: the field's JSON pointer and whether
// it fails.
type contactRule struct {
	pointer string
	fails   bool
	why     string // what the value must be, without the value
}

// checkContactInfo applies the registration rules to the parts given and turns them into the
// store's change. Every failing field is reported, each as 400 UXU_99999 naming its pointer;
// messages never carry the values.
func checkContactInfo(b *gen.ContactInfoUpdate) (db.ContactChange, error) {
	var ch db.ContactChange
	if b.PhoneNumber == nil && b.Email == nil && b.PostalAddress == nil {
		return ch, problem(http.StatusBadRequest, uxuCannotHandle, "/",
			"At least one of /phoneNumber, /email and /postalAddress is required")
	}
	var checks []contactRule
	if p := b.PhoneNumber; p != nil {
		oldNumber, newNumber := deref(p.OldPhoneNumber), deref(p.NewPhoneNumber)
		checks = append(checks,
			contactRule{"/phoneNumber/oldPhoneNumber", !rules.NANPPhone(oldNumber), "a 10-digit NANP phone number, required"},
			contactRule{"/phoneNumber/oldCountryCode", !nanpCountryCode(p.OldCountryCode), "1 (or 0)"},
			contactRule{"/phoneNumber/newPhoneNumber", !rules.NANPPhone(newNumber), "a 10-digit NANP phone number, required"},
			contactRule{"/phoneNumber/newCountryCode", !nanpCountryCode(p.NewCountryCode), "1 (or 0)"})
		cc := deref(p.NewCountryCode)
		if cc == "" {
			cc = "1"
		}
		ch.Phone = &db.PhoneChange{Old: oldNumber, New: newNumber, NewCountryCode: cc}
	}
	if e := b.Email; e != nil {
		email := deref(e.EmailAddress)
		checks = append(checks, contactRule{"/email/emailAddress", !rules.Email(email) || !rules.SafeText(email),
			"an email address of at most 64 characters, required"})
		ch.Email = &email
	}
	if a := b.PostalAddress; a != nil {
		ad := db.AddressChange{Address1: deref(a.Address1), Address2: deref(a.Address2), City: deref(a.City),
			State: deref(a.State), PostalCode: deref(a.PostalCode), Country: deref(a.Country)}
		us := rules.IsUS(ad.Country)
		checks = append(checks,
			contactRule{"/postalAddress/address1", !storedText(ad.Address1, true, rules.MaxAddressLen), "required, at most 128 characters"},
			contactRule{"/postalAddress/address2", !storedText(ad.Address2, false, rules.MaxAddressLen), "at most 128 characters"},
			contactRule{"/postalAddress/city", !storedText(ad.City, true, rules.MaxAddressLen), "required, at most 128 characters"},
			contactRule{"/postalAddress/state", !storedText(ad.State, true, rules.MaxAddressLen) || (us && !rules.USState(ad.State)),
				"required; a USPS state code for a US address"},
			contactRule{"/postalAddress/postalCode", !storedText(ad.PostalCode, true, maxPostalCodeLen) || (us && !rules.USPostalCode(ad.PostalCode)),
				"required; a ZIP or ZIP+4 for a US address"},
			contactRule{"/postalAddress/country", !rules.Country(ad.Country), "an ISO 3166 country code, required"})
		ad.Country = strings.ToUpper(ad.Country)
		ch.Address = &ad
	}
	var ps Problems
	for _, r := range checks {
		if r.fails {
			ps = append(ps, problem(http.StatusBadRequest, uxuCannotHandle, r.pointer, "Invalid value at "+r.pointer+": "+r.why))
		}
	}
	if len(ps) > 0 {
		return ch, ps
	}
	return ch, nil
}

// storedText is registration's rule for a stored free-text field: present if required, at most
// max characters, nothing a reader could be misled by (rules.SafeText).
func storedText(v string, required bool, max int) bool {
	return (!required || !rules.Blank(v)) && !rules.TooLong(v, max) && rules.SafeText(v)
}

// nanpCountryCode accepts the country codes of a NANP number: none, "1", or the "0" of the
// Register v4 samples (D15).
func nanpCountryCode(cc *string) bool {
	return cc == nil || *cc == "" || *cc == "1" || *cc == "0"
}
