package registration

import (
	"fmt"
	"time"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
)

// Bounds of stored fields the contract leaves open, set by their columns (package models).
const (
	maxCountryCodeLen = 4  // customer_phones.country_code
	maxHostPINLen     = 32 // the host PIN, encrypted
	maxMaidenNameLen  = 128
	// The encrypted maiden name (512 characters with a 32-character key id) holds 329 bytes of
	// plain text: more than any name, less than 128 characters of four bytes each.
	maxMaidenNameBytes = 320
	maxPostalCodeLen   = 32
	maxPasswordBytes   = 128 // never hashed beyond this
)

// subject is what the rules look at: the application, the FI's policy and the moment.
type subject struct {
	a   *Application
	fi  *models.Institution
	now time.Time
	// disclosuresOK is the outcome of the FI's disclosure policy, decided before the rules run.
	disclosuresOK bool
}

func (s *subject) oneChannel() bool { return len(s.a.Channels) == 1 }

func (s *subject) username() rules.UsernameProblem {
	if !s.oneChannel() {
		return rules.UsernameOK
	}
	login := s.a.Channels[0].LoginID
	if !rules.SafeText(login) {
		return rules.UsernameInvalid
	}
	return rules.CheckUsername(login, s.fi.UsernameMin, s.fi.UsernameMax, s.a.MemberNumber)
}

// rule is one row of the field table: the field it reports, its code, and when it fails. A row
// with each applies its element rows to every element of the list at field, in order, so an
// element's failures are reported together (postalAddress[0].city before postalAddress[1].city).
type rule struct {
	field string
	code  Code
	fails func(s *subject) bool
	each  *listRule
}

// listRule is the rows applied to each element of a list.
type listRule struct {
	count func(a *Application) int
	rows  []elementRule
}

// elementRule is one row for the element at index i; field is relative to the element.
type elementRule struct {
	field string
	code  Code
	fails func(s *subject, i int) bool
}

// text is a stored free-text field: required or not, at most max characters, safe to show.
func text(v string, required bool, max int) bool {
	return (!required || !rules.Blank(v)) && !rules.TooLong(v, max) && rules.SafeText(v)
}

// fieldRules is the table of docs/registration.md in its reporting order (D26).
var fieldRules = []rule{
	{field: "fiId.value", code: CodeInvalidInput, fails: func(s *subject) bool { // D23
		return s.a.BodyFIID != nil && *s.a.BodyFIID != s.a.FIID
	}},
	{field: "memberNumber", code: CodeInvalidInput, fails: func(s *subject) bool {
		return !rules.MemberNumber(s.a.MemberNumber) || !rules.SafeText(s.a.MemberNumber)
	}},
	{field: "person.personName.firstName", code: CodeInvalidFirstName, fails: func(s *subject) bool {
		return !text(s.a.FirstName, true, rules.MaxNameLen)
	}},
	{field: "person.personName.middleName", code: CodeInvalidMiddleName, fails: func(s *subject) bool {
		return !text(s.a.MiddleName, false, rules.MaxNameLen)
	}},
	{field: "person.personName.lastName", code: CodeInvalidLastName, fails: func(s *subject) bool {
		return !text(s.a.LastName, true, rules.MaxNameLen)
	}},
	{field: "person.personName", code: CodeInvalidInput, fails: func(s *subject) bool {
		return rules.CombinedNameTooLong(s.a.FirstName, s.a.LastName)
	}},
	{field: "person.contactInfo.emailAddress", code: CodeInvalidEmail, fails: func(s *subject) bool {
		return !rules.Email(s.a.Email) || !rules.SafeText(s.a.Email)
	}},
	{field: "person.contactInfo.postalAddress", code: CodeInvalidStreet, fails: func(s *subject) bool {
		return len(s.a.Addresses) == 0 // D27
	}},
	{field: "person.contactInfo.postalAddress", each: &listRule{
		count: func(a *Application) int { return len(a.Addresses) },
		rows: []elementRule{
			{"address1", CodeInvalidStreet, func(s *subject, i int) bool { return !text(s.a.Addresses[i].Address1, true, rules.MaxAddressLen) }},
			{"address2", CodeInvalidInput, func(s *subject, i int) bool { return !text(s.a.Addresses[i].Address2, false, rules.MaxAddressLen) }},
			{"address3", CodeInvalidInput, func(s *subject, i int) bool { return !text(s.a.Addresses[i].Address3, false, rules.MaxAddressLen) }},
			{"city", CodeInvalidCity, func(s *subject, i int) bool { return !text(s.a.Addresses[i].City, true, rules.MaxAddressLen) }},
			{"state", CodeInvalidState, func(s *subject, i int) bool {
				a := s.a.Addresses[i]
				return !text(a.State, true, rules.MaxAddressLen) || (rules.IsUS(a.Country) && !rules.USState(a.State))
			}},
			{"postalCode", CodeInvalidPostalCode, func(s *subject, i int) bool {
				a := s.a.Addresses[i]
				return !text(a.PostalCode, true, maxPostalCodeLen) || (rules.IsUS(a.Country) && !rules.USPostalCode(a.PostalCode))
			}},
			{"country", CodeInvalidCountry, func(s *subject, i int) bool {
				c := s.a.Addresses[i].Country
				return !rules.Country(c) || !rules.SafeText(c)
			}},
		},
	}},
	{field: "person.contactInfo.phoneNumber", code: CodeInvalidPhone, fails: func(s *subject) bool {
		return len(s.a.Phones) == 0 // D27
	}},
	{field: "person.contactInfo.phoneNumber", each: &listRule{
		count: func(a *Application) int { return len(a.Phones) },
		rows: []elementRule{
			{"number", CodeInvalidPhone, func(s *subject, i int) bool {
				n := s.a.Phones[i].Number
				return !rules.NANPPhone(n) || !rules.SafeText(n)
			}},
			{"countryCode", CodeInvalidInput, func(s *subject, i int) bool { return !text(s.a.Phones[i].CountryCode, false, maxCountryCodeLen) }},
		},
	}},
	{field: "person.contactInfo", code: CodeTooManyDestinations, fails: func(s *subject) bool { // D24
		return contactPoints(s.a) > s.fi.MaxDestinations
	}},
	{field: "person.birthDate", code: CodeInvalidBirthDate, fails: func(s *subject) bool {
		return !rules.BirthDate(s.a.BirthDate, s.now)
	}},
	{field: "channelInfos.channelInfo", code: CodeInvalidInput, fails: func(s *subject) bool { return len(s.a.Channels) == 0 }},
	{field: "channelInfos.channelInfo[1]", code: CodeInvalidInput, fails: func(s *subject) bool { // one TPV_API registration per request
		return len(s.a.Channels) > 1
	}},
	{field: "channelInfos.channelInfo[0].channelType", code: CodeInvalidInput, fails: func(s *subject) bool {
		return s.oneChannel() && s.a.Channels[0].Type != models.ChannelTPVAPI
	}},
	{field: "channelInfos.channelInfo[0].credential.loginId", code: CodeInvalidLoginID, fails: func(s *subject) bool {
		return s.username() == rules.UsernameInvalid
	}},
	{field: "channelInfos.channelInfo[0].credential.loginId", code: CodeLoginIDOutOfRange, fails: func(s *subject) bool {
		return s.username() == rules.UsernameOutOfRange
	}},
	{field: "channelInfos.channelInfo[0].credential.loginId", code: CodeLoginIDIsMember, fails: func(s *subject) bool {
		return s.username() == rules.UsernameEqualsMember
	}},
	{field: "channelInfos.channelInfo[0].credential.password", code: CodeInvalidPassword, fails: func(s *subject) bool {
		if !s.oneChannel() {
			return false
		}
		c := s.a.Channels[0]
		return !PasswordAcceptable(*s.fi, c.LoginID, c.Password)
	}},
	{field: "acceptedDisclosure", code: CodeDisclosuresRequired, fails: func(s *subject) bool { return !s.disclosuresOK }},
	{field: "userType", code: CodeInvalidInput, fails: func(s *subject) bool { return s.a.UserType != "" && s.a.UserType != "PRIMARY" }},
	{field: "ssn", code: CodeInvalidInput, fails: func(s *subject) bool { return s.a.SSN == "" }}, // missing: generic invalid input
	{field: "ssn", code: CodeInvalidSSN, fails: func(s *subject) bool { return s.a.SSN != "" && !rules.SSN(s.a.SSN) }},
	{field: "motherMaidenName", code: CodeInvalidMaidenName, fails: func(s *subject) bool {
		m := s.a.MotherMaidenName
		return !text(m, true, maxMaidenNameLen) || len(m) > maxMaidenNameBytes
	}},
	{field: "hostCredential.password", code: CodeInvalidInput, fails: func(s *subject) bool { return !text(s.a.HostPIN, false, maxHostPINLen) }},
}

// contactPoints counts the phones and email addresses submitted (D24).
func contactPoints(a *Application) int {
	n := len(a.Phones)
	if a.Email != "" {
		n++
	}
	return n
}

// violations runs the table.
func violations(s *subject) Violations {
	var out Violations
	for _, r := range fieldRules {
		if r.each == nil {
			if r.fails(s) {
				out = append(out, Violation{Field: r.field, Code: r.code})
			}
			continue
		}
		for i := 0; i < r.each.count(s.a); i++ {
			for _, e := range r.each.rows {
				if e.fails(s, i) {
					out = append(out, Violation{Field: fmt.Sprintf("%s[%d].%s", r.field, i, e.field), Code: e.code})
				}
			}
		}
	}
	return out
}

// FieldRule is one row of the field table as documentation and the spec agreement test see it:
// the field ("[]" marks every element of a list) and its code.
type FieldRule struct {
	Field string
	Code  Code
}

// FieldRules lists the field table in reporting order.
func FieldRules() []FieldRule {
	var out []FieldRule
	for _, r := range fieldRules {
		if r.each == nil {
			out = append(out, FieldRule{r.field, r.code})
			continue
		}
		for _, e := range r.each.rows {
			out = append(out, FieldRule{r.field + "[]." + e.field, e.code})
		}
	}
	return out
}
