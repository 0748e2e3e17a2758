package webapp

import (
	"fmt"
	"strings"
)

// step is one page of the wizard.
type step struct {
	number int
	slug   string // its path under the base path
	title  string
	intro  string
	fields []*field
}

const disclosuresStep = 4

// field is one input of the first three steps.
type field struct {
	name         string // form name, element id and key in session.values
	label        string
	kind         string // input type
	autocomplete string
	inputmode    string
	optional     bool
	missing      string // the message when a required field is empty
	hint         func(p Policy) string
	normalize    func(string) string
	step         int // set by init
}

var (
	fUsername = &field{name: "username", label: "Username", kind: "text", autocomplete: "username", missing: "Enter a username",
		hint: func(p Policy) string {
			return fmt.Sprintf("%d to %d characters: letters, digits and @ $ * _ - = . ! ~. Not only digits, and not your member number.",
				p.UsernameMin, p.UsernameMax)
		}}
	fPassword = &field{name: "password", label: "Password", kind: "password", autocomplete: "new-password", missing: "Enter a password",
		hint: func(p Policy) string {
			return fmt.Sprintf("%d to %d characters with at least two of: letters, digits, special characters. No spaces, and not part of your username.",
				p.PasswordMin, p.PasswordMax)
		}}
	fPasswordConfirm = &field{name: "passwordConfirm", label: "Confirm password", kind: "password", autocomplete: "new-password",
		missing: "Enter the password again"}

	fMemberNumber = &field{name: "memberNumber", label: "Member number", kind: "text", autocomplete: "off", missing: "Enter your member number",
		hint: func(Policy) string {
			return "The member number of your account: up to 16 letters or digits."
		}}
	fFirstName  = &field{name: "firstName", label: "First name", kind: "text", autocomplete: "given-name", missing: "Enter your first name"}
	fMiddleName = &field{name: "middleName", label: "Middle name", kind: "text", autocomplete: "additional-name", optional: true}
	fLastName   = &field{name: "lastName", label: "Last name", kind: "text", autocomplete: "family-name", missing: "Enter your last name"}
	fSSN        = &field{name: "ssn", label: "Social Security number", kind: "text", autocomplete: "off", inputmode: "numeric",
		missing: "Enter your Social Security number", normalize: digitsOnly,
		hint: func(Policy) string { return "9 digits, for example 123-45-6789." }}
	fBirthDate = &field{name: "birthDate", label: "Date of birth", kind: "date", autocomplete: "bday", missing: "Enter your date of birth",
		hint: func(Policy) string { return "For example, 31 January 1990." }}
	fMaidenName = &field{name: "maidenName", label: "Mother's maiden name", kind: "text", autocomplete: "off",
		missing: "Enter your mother's maiden name"}

	fAddress1 = &field{name: "address1", label: "Street address", kind: "text", autocomplete: "address-line1", missing: "Enter your street address"}
	fAddress2 = &field{name: "address2", label: "Apartment, suite or unit", kind: "text", autocomplete: "address-line2", optional: true}
	fCity     = &field{name: "city", label: "City", kind: "text", autocomplete: "address-level2", missing: "Enter your city"}
	fState    = &field{name: "state", label: "State", kind: "text", autocomplete: "address-level1", missing: "Enter your state", normalize: strings.ToUpper,
		hint: func(Policy) string { return "Two-letter USPS code, for example IL." }}
	fPostalCode = &field{name: "postalCode", label: "ZIP code", kind: "text", autocomplete: "postal-code", inputmode: "numeric", missing: "Enter your ZIP code"}
	fPhone      = &field{name: "phone", label: "Phone number", kind: "tel", autocomplete: "tel-national", missing: "Enter your phone number", normalize: usPhone,
		hint: func(Policy) string { return "A US number of 10 digits, for example 217-555-0123." }}
	fEmail = &field{name: "email", label: "Email address", kind: "email", autocomplete: "email", missing: "Enter your email address"}
)

var steps = []*step{
	{number: 1, slug: "account", title: "Choose your username and password",
		intro:  "You will use these to sign in to online banking.",
		fields: []*field{fUsername, fPassword, fPasswordConfirm}},
	{number: 2, slug: "about-you", title: "About you",
		intro:  "We check these against the records of your account.",
		fields: []*field{fMemberNumber, fFirstName, fMiddleName, fLastName, fSSN, fBirthDate, fMaidenName}},
	{number: 3, slug: "contact", title: "Address and contact",
		fields: []*field{fAddress1, fAddress2, fCity, fState, fPostalCode, fPhone, fEmail}},
	{number: disclosuresStep, slug: "disclosures", title: "Agreements and disclosures",
		intro: "Read each document, then tick the box to accept it."},
}

// fieldsByName maps a field to its step, for errors the API reports on another page.
var fieldsByName = map[string]*field{}

func init() {
	for _, st := range steps {
		for _, f := range st.fields {
			f.step = st.number
			fieldsByName[f.name] = f
		}
	}
}

func stepByNumber(n int) *step { return steps[n-1] }

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s)
}

// usPhone keeps the digits of a US number written as 217-555-0123, (217) 555-0123 or
// +1 217 555 0123; anything else is left for the API to judge.
func usPhone(s string) string {
	digits := strings.Map(func(r rune) rune {
		if strings.ContainsRune(" -().+", r) {
			return -1
		}
		return r
	}, s)
	if len(digits) == 11 && digits[0] == '1' {
		digits = digits[1:]
	}
	return digits
}

// checkStep applies the app's own checks to a step's answers: required fields, the policy's
// lengths, the repeated password. Every other rule is the API's, reported at submit. It
// returns the messages by field.
func checkStep(st *step, v map[string]string, p Policy, passwordKept bool) map[string]string {
	errs := map[string]string{}
	for _, f := range st.fields {
		if f == fPassword || f == fPasswordConfirm {
			continue
		}
		if !f.optional && v[f.name] == "" {
			errs[f.name] = f.missing
		}
	}
	if st.number != 1 {
		return errs
	}
	if u := v[fUsername.name]; u != "" {
		if n := len([]rune(u)); n < p.UsernameMin || n > p.UsernameMax {
			errs[fUsername.name] = fmt.Sprintf("Username must be %d to %d characters", p.UsernameMin, p.UsernameMax)
		}
	}
	pw, again := v[fPassword.name], v[fPasswordConfirm.name]
	switch {
	case pw == "" && again == "" && passwordKept:
		// The password entered before stays.
	case pw == "":
		errs[fPassword.name] = fPassword.missing
	case len([]rune(pw)) < p.PasswordMin || len([]rune(pw)) > p.PasswordMax:
		errs[fPassword.name] = fmt.Sprintf("Password must be %d to %d characters", p.PasswordMin, p.PasswordMax)
	case again == "":
		errs[fPasswordConfirm.name] = fPasswordConfirm.missing
	case again != pw:
		errs[fPasswordConfirm.name] = "The passwords do not match"
	}
	return errs
}
