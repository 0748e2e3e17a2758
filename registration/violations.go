package registration

import (
	"fmt"
	"strings"
)

// Code is a legacy-family error code of Register v4.
type Code string

// The codes of Register v4 (contract §5.7; 220020 is this implementation's extension, D4).
const (
	CodeInvalidInput        Code = "20006"
	CodeInvalidSSN          Code = "220001"
	CodeInvalidFirstName    Code = "220002"
	CodeInvalidLastName     Code = "220003"
	CodeInvalidMiddleName   Code = "220005"
	CodeInvalidEmail        Code = "220006"
	CodeInvalidPostalCode   Code = "220007"
	CodeInvalidCity         Code = "220008"
	CodeInvalidState        Code = "220009"
	CodeInvalidStreet       Code = "220010"
	CodeInvalidCountry      Code = "220011"
	CodeInvalidMaidenName   Code = "220012"
	CodeInvalidBirthDate    Code = "220013"
	CodeInvalidPhone        Code = "220014"
	CodeInvalidLoginID      Code = "220015"
	CodeLoginIDIsMember     Code = "220016"
	CodeInvalidPassword     Code = "220018"
	CodeLoginIDOutOfRange   Code = "220019"
	CodeDisclosuresRequired Code = "220020"
	CodeLoginTaken          Code = "26201"
	CodeTooManyDestinations Code = "26214"
	CodeInProgress          Code = "26330"
	CodeAlreadyRegistered   Code = "26331"
	CodeCustomerNotFound    Code = "20404" // Get FI Customer
)

var messages = map[Code]string{
	CodeInvalidInput:        "Invalid input",
	CodeInvalidSSN:          "Invalid SSN",
	CodeInvalidFirstName:    "Invalid first name",
	CodeInvalidLastName:     "Invalid last name",
	CodeInvalidMiddleName:   "Invalid middle name",
	CodeInvalidEmail:        "Invalid email address",
	CodeInvalidPostalCode:   "Invalid postal code",
	CodeInvalidCity:         "Invalid city",
	CodeInvalidState:        "Invalid state",
	CodeInvalidStreet:       "Invalid street address",
	CodeInvalidCountry:      "Invalid country",
	CodeInvalidMaidenName:   "Invalid mother's maiden name",
	CodeInvalidBirthDate:    "Invalid date of birth",
	CodeInvalidPhone:        "Invalid phone number",
	CodeInvalidLoginID:      "Invalid login id",
	CodeLoginIDIsMember:     "Login id must not equal the member number",
	CodeInvalidPassword:     "Invalid password",
	CodeLoginIDOutOfRange:   "Login id length is outside the FI's range",
	CodeDisclosuresRequired: "Required disclosures not accepted",
	CodeLoginTaken:          "Login id already taken",
	CodeTooManyDestinations: "Too many destinations",
	CodeInProgress:          "Registration already in progress",
	CodeAlreadyRegistered:   "User already registered",
	CodeCustomerNotFound:    "FICustomer not found",
}

// Codes lists every code of the package (for the spec agreement test).
func Codes() []Code {
	out := make([]Code, 0, len(messages))
	for c := range messages {
		out = append(out, c)
	}
	return out
}

// Message is the human-readable text of a code, without any submitted value.
func (c Code) Message() string { return messages[c] }

// Violation is one failed rule: the field it points at — a dotted path under FICustomer such as
// person.contactInfo.postalAddress[0].city ("" for the request as a whole) — and its code.
type Violation struct {
	Field string
	Code  Code
}

// Path is the field's full dotted path, FICustomer included.
func (v Violation) Path() string {
	if v.Field == "" {
		return "FICustomer"
	}
	return "FICustomer." + v.Field
}

// Pointer is the field as a JSON pointer (/FICustomer/person/contactInfo/postalAddress/0/city).
func (v Violation) Pointer() string {
	return "/" + strings.NewReplacer(".", "/", "[", "/", "]", "").Replace(v.Path())
}

// Message is the violation's text: the code's message and the field's path, never its value.
func (v Violation) Message() string { return fmt.Sprintf("%s (%s)", v.Code.Message(), v.Path()) }

// Violations are every failed rule of one application, in reporting order (D26). It is the
// error Check returns.
type Violations []Violation

func (vs Violations) Error() string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = string(v.Code) + " " + v.Path()
	}
	return "registration refused: " + strings.Join(parts, "; ")
}
