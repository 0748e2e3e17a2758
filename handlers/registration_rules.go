package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
)

// Messages of the registration codes; each problem adds the dotted path of its field.
var registrationMessages = map[string]string{
	"20006":  "Invalid input",
	"220001": "Invalid SSN",
	"220002": "Invalid first name",
	"220003": "Invalid last name",
	"220005": "Invalid middle name",
	"220006": "Invalid email address",
	"220007": "Invalid postal code",
	"220008": "Invalid city",
	"220009": "Invalid state",
	"220010": "Invalid street address",
	"220011": "Invalid country",
	"220012": "Invalid mother's maiden name",
	"220013": "Invalid date of birth",
	"220014": "Invalid phone number",
	"220015": "Invalid login id",
	"220016": "Login id must not equal the member number",
	"220018": "Invalid password",
	"220019": "Login id length is outside the FI's range",
	"220020": "Required disclosures not accepted",
	"26201":  "Login id already taken",
	"26214":  "Too many destinations",
	"26330":  "Registration already in progress",
	"26331":  "User already registered",
}

// fieldProblem is a 400 pointing at a registration field, given as a dotted path such as
// person.contactInfo.postalAddress[0].city (under FICustomer).
func fieldProblem(code, path string) *Problem {
	full := "FICustomer"
	if path != "" {
		full += "." + path
	}
	return &Problem{Status: http.StatusBadRequest, Code: code, Field: pointerOf(full),
		Message: fmt.Sprintf("%s (%s)", registrationMessages[code], full)}
}

// pointerOf turns a dotted path with [i] indexes into a JSON pointer.
func pointerOf(path string) string {
	r := strings.NewReplacer(".", "/", "[", "/", "]", "")
	return "/" + r.Replace(path)
}

// Bounds of stored fields the contract leaves open, set by their columns (package models): a
// longer value failed the insert on PostgreSQL (varchar) and answered 500.
const (
	maxCountryCodeLen = 4 // customer_phones.country_code
	maxHostPINLen     = 32
	// The encrypted maiden name (512 characters with a 32-character key id) holds 329 bytes of
	// plain text: far more than any name, less than 128 characters of four bytes each.
	maxMaidenNameBytes = 320
)

// registrationPlan is a validated request, before any write.
type registrationPlan struct {
	reg        db.Registration
	ssnLast4   string
	birthDate  string
	maidenName string
}

// checkRegistration applies every rule of CONTRACT.md 5.3-5.4 with D3-D6 and D23-D27, and
// reports all failures in the order of the field table (D26). Every text field that is stored
// must also be rules.SafeText; an unsafe one fails with the field's own code (20006 where the
// field has none), so control, bidi and invisible characters never reach the database.
func checkRegistration(fi *models.Institution, pathFI string, in *gen.FICustomerRegistration, disclosures []models.Disclosure, now time.Time) (*registrationPlan, Problems) {
	var ps Problems
	add := func(code, path string) { ps = append(ps, fieldProblem(code, path)) }
	plan := &registrationPlan{}
	reg := &plan.reg
	reg.FI = fi

	if in.FiId != nil && in.FiId.Value != nil && *in.FiId.Value != pathFI {
		add("20006", "fiId.value") // D23
	}
	member := str(in.MemberNumber)
	if !rules.MemberNumber(member) || !rules.SafeText(member) {
		add("20006", "memberNumber")
	}
	reg.MemberNumber = member

	var name gen.RegistrationPersonName
	var contact gen.RegistrationContactInfo
	var birthDate string
	if in.Person != nil {
		if in.Person.PersonName != nil {
			name = *in.Person.PersonName
		}
		if in.Person.ContactInfo != nil {
			contact = *in.Person.ContactInfo
		}
		birthDate = str(in.Person.BirthDate)
	}
	first, middle, last := str(name.FirstName), str(name.MiddleName), str(name.LastName)
	if rules.Blank(first) || rules.NameTooLong(first) || !rules.SafeText(first) {
		add("220002", "person.personName.firstName")
	}
	if rules.NameTooLong(middle) || !rules.SafeText(middle) {
		add("220005", "person.personName.middleName")
	}
	if rules.Blank(last) || rules.NameTooLong(last) || !rules.SafeText(last) {
		add("220003", "person.personName.lastName")
	}
	if rules.CombinedNameTooLong(first, last) {
		add("20006", "person.personName")
	}
	email := str(contact.EmailAddress)
	if !rules.Email(email) || !rules.SafeText(email) {
		add("220006", "person.contactInfo.emailAddress")
	}

	addresses := deref0(contact.PostalAddress)
	if len(addresses) == 0 {
		add("220010", "person.contactInfo.postalAddress")
	}
	for i, a := range addresses {
		at := fmt.Sprintf("person.contactInfo.postalAddress[%d].", i)
		a1, a2, a3 := str(a.Address1), str(a.Address2), str(a.Address3)
		city, state, zip, country := str(a.City), str(a.State), str(a.PostalCode), str(a.Country)
		if rules.Blank(a1) || rules.TooLong(a1, rules.MaxAddressLen) || !rules.SafeText(a1) {
			add("220010", at+"address1")
		}
		if rules.TooLong(a2, rules.MaxAddressLen) || !rules.SafeText(a2) {
			add("20006", at+"address2")
		}
		if rules.TooLong(a3, rules.MaxAddressLen) || !rules.SafeText(a3) {
			add("20006", at+"address3")
		}
		if rules.Blank(city) || rules.TooLong(city, rules.MaxAddressLen) || !rules.SafeText(city) {
			add("220008", at+"city")
		}
		us := rules.IsUS(country)
		switch {
		case rules.Blank(state) || rules.TooLong(state, rules.MaxAddressLen) || !rules.SafeText(state):
			add("220009", at+"state")
		case us && !rules.USState(state):
			add("220009", at+"state")
		}
		switch {
		case rules.Blank(zip) || rules.TooLong(zip, 32) || !rules.SafeText(zip):
			add("220007", at+"postalCode")
		case us && !rules.USPostalCode(zip):
			add("220007", at+"postalCode")
		}
		if !rules.Country(country) || !rules.SafeText(country) {
			add("220011", at+"country")
		}
		reg.Addresses = append(reg.Addresses, models.CustomerAddress{Address1: a1, Address2: a2, Address3: a3,
			City: city, State: state, PostalCode: zip, Country: strings.ToUpper(country)})
	}

	phones := deref0(contact.PhoneNumber)
	if len(phones) == 0 {
		add("220014", "person.contactInfo.phoneNumber")
	}
	for i, p := range phones {
		number, countryCode := str(p.Number), str(p.CountryCode)
		if !rules.NANPPhone(number) || !rules.SafeText(number) {
			add("220014", fmt.Sprintf("person.contactInfo.phoneNumber[%d].number", i))
		}
		if rules.TooLong(countryCode, maxCountryCodeLen) || !rules.SafeText(countryCode) {
			add("20006", fmt.Sprintf("person.contactInfo.phoneNumber[%d].countryCode", i))
		}
		reg.Phones = append(reg.Phones, models.CustomerPhone{Number: number, CountryCode: countryCode})
		reg.Destinations = append(reg.Destinations,
			models.Destination{ContactInfo: number, Protocol: "VOICE", Activated: true},
			models.Destination{ContactInfo: number, Protocol: "SMS", Activated: true})
	}
	if email != "" {
		reg.Destinations = append(reg.Destinations, models.Destination{ContactInfo: email, Protocol: "EMAIL", Activated: true})
	}
	contactPoints := len(phones)
	if email != "" {
		contactPoints++
	}
	if contactPoints > fi.MaxDestinations { // D24
		add("26214", "person.contactInfo")
	}
	if !rules.BirthDate(birthDate, now) {
		add("220013", "person.birthDate")
	}

	var login, password string
	var channels []gen.RegistrationChannelInfo
	if in.ChannelInfos != nil && in.ChannelInfos.ChannelInfo != nil {
		channels = *in.ChannelInfos.ChannelInfo
	}
	switch {
	case len(channels) == 0:
		add("20006", "channelInfos.channelInfo")
	case len(channels) > 1:
		add("20006", "channelInfos.channelInfo[1]") // one TPV_API registration per request
	default:
		ch := channels[0]
		if str(ch.ChannelType) != models.ChannelTPVAPI {
			add("20006", "channelInfos.channelInfo[0].channelType")
		}
		if ch.Credential != nil {
			login, password = str(ch.Credential.LoginId), str(ch.Credential.Password)
		}
		username := rules.CheckUsername(login, fi.UsernameMin, fi.UsernameMax, member)
		if !rules.SafeText(login) {
			username = rules.UsernameInvalid
		}
		switch username {
		case rules.UsernameInvalid:
			add("220015", "channelInfos.channelInfo[0].credential.loginId")
		case rules.UsernameOutOfRange:
			add("220019", "channelInfos.channelInfo[0].credential.loginId")
		case rules.UsernameEqualsMember:
			add("220016", "channelInfos.channelInfo[0].credential.loginId")
		}
		if len(password) > 128 || !rules.CheckPassword(password, login, fi.PasswordMin, fi.PasswordMax) || !rules.SafeText(password) {
			add("220018", "channelInfos.channelInfo[0].credential.password")
		}
	}

	accepted, ok := checkDisclosures(fi, in, disclosures)
	if !ok {
		add("220020", "acceptedDisclosure")
	}
	reg.Accepted = accepted

	if t := str(in.UserType); t != "" && t != "PRIMARY" {
		add("20006", "userType")
	}
	ssn := str(in.Ssn)
	switch {
	case in.Ssn == nil || ssn == "":
		add("20006", "ssn") // missing SSN is the generic invalid input
	case !rules.SSN(ssn):
		add("220001", "ssn")
	}
	maiden := str(in.MotherMaidenName)
	if rules.Blank(maiden) || rules.TooLong(maiden, 128) || len(maiden) > maxMaidenNameBytes || !rules.SafeText(maiden) {
		add("220012", "motherMaidenName")
	}
	var hostPIN string
	if in.HostCredential != nil {
		hostPIN = str(in.HostCredential.Password)
	}
	if rules.TooLong(hostPIN, maxHostPINLen) || !rules.SafeText(hostPIN) {
		add("20006", "hostCredential.password")
	}
	if len(ps) > 0 {
		return nil, ps
	}
	reg.Customer = db.NewCustomerInput{LoginID: login, Password: password, FirstName: first, MiddleName: middle, LastName: last,
		Email: email, SSN: ssn, BirthDate: birthDate, MotherMaidenName: maiden}
	reg.HostPIN = hostPIN
	plan.ssnLast4, plan.birthDate, plan.maidenName = ssn[len(ssn)-4:], birthDate, maiden
	return plan, nil
}

// checkDisclosures applies the FI's disclosure policy (D3, D4) and returns the disclosures to
// record acceptance evidence for, and whether the policy is satisfied.
func checkDisclosures(fi *models.Institution, in *gen.FICustomerRegistration, all []models.Disclosure) ([]models.Disclosure, bool) {
	flag, flagOK := acceptedFlag(in.AcceptedDisclosure)
	if !flagOK {
		return nil, false
	}
	var required []models.Disclosure
	byID := map[string]models.Disclosure{}
	for _, d := range all {
		if d.Enabled {
			byID[strings.ToUpper(d.ID)] = d
			if d.Required {
				required = append(required, d)
			}
		}
	}
	var listed []models.Disclosure
	if in.AcceptedDisclosures != nil {
		for _, id := range *in.AcceptedDisclosures {
			d, ok := byID[strings.ToUpper(strings.TrimSpace(id))]
			if !ok {
				return nil, false // not a disclosure of this FI
			}
			listed = append(listed, d)
		}
	}
	if fi.DisclosureAcceptance == models.AcceptAtFirstLogin {
		return nil, true // accepted later through the user-disclosures API
	}
	if in.AcceptedDisclosures != nil {
		for _, r := range required {
			if !containsDisclosure(listed, r.ID) {
				return nil, false
			}
		}
		return listed, true
	}
	if len(required) > 0 && !flag {
		return nil, false
	}
	if flag {
		return required, true
	}
	return nil, true
}

func containsDisclosure(ds []models.Disclosure, id string) bool {
	for _, d := range ds {
		if d.ID == id {
			return true
		}
	}
	return false
}

// acceptedFlag reads acceptedDisclosure as a boolean or the strings "true"/"false" (D3); absent
// is false. ok is false for any other value.
func acceptedFlag(v any) (value, ok bool) {
	switch x := v.(type) {
	case nil:
		return false, true
	case bool:
		return x, true
	case string:
		switch strings.TrimSpace(x) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func deref0[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}
