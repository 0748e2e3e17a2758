package handlers

// Customer v2 registration (POST /v1/customers/register): the second adapter over package
// registration. It reads the flat body into the application Register v4's body also becomes,
// runs the one registration flow (enrol: rules, disclosure policy, idempotency, in-flight
// markers, one transaction, sealed PII), and answers the domain's violations and outcomes with
// UXU codes that point at the flat body's fields.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/oapi-codegen/runtime"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/registration"
)

// RegisterCustomerV2 registers a customer of the token's FI from the flat Customer v2 body and
// answers 201 with the new user's identifiers. correlationId is the idempotency key.
func (s *Server) RegisterCustomerV2(ctx context.Context, req gen.RegisterCustomerV2RequestObject) (gen.RegisterCustomerV2ResponseObject, error) {
	info := infoFrom(ctx)
	var body gen.CustomerRegistrationRequest
	if err := bindExactJSON(info.body, &body); err != nil {
		return nil, problem(http.StatusBadRequest, uxuCannotHandle, "", "Request body is not a Customer v2 registration")
	}
	fiID := info.principal.token.InstitutionID
	origin, err := customerRegistrationOrigin(info, req, fiID, &body)
	if err != nil {
		return nil, err
	}
	reply, err := s.enrol(ctx, registerV2, fiID, toApplicationV2(fiID, &body), origin,
		func(_ registration.Plan, done *db.Registered) ([]byte, string, error) {
			b, err := json.Marshal(toRegisteredV2(done))
			return b, "application/json", err
		})
	if err != nil {
		return nil, err
	}
	return rawJSON201(reply.Body), nil
}

// customerRegistrationOrigin says where a Customer v2 registration comes from: the token's app
// and offering, the caller's address, the correlationId (the idempotency key) and the hash
// identifying the request. The hash names the operation, so a Register v4 request under the
// same UUID is another request, never replayed here.
func customerRegistrationOrigin(info *requestInfo, req gen.RegisterCustomerV2RequestObject, fiID string, body *gen.CustomerRegistrationRequest) (db.Origin, error) {
	canonical, err := json.Marshal(struct {
		Operation, FI string
		Body          *gen.CustomerRegistrationRequest
	}{registerV2.op, fiID, body})
	if err != nil {
		return db.Origin{}, err
	}
	sum := sha256.Sum256(canonical)
	tok := info.principal.token
	return db.Origin{ClientAppID: tok.ClientAppID, OfferingID: tok.OfferingID, OriginatingIP: info.clientIP,
		TraceID: req.Params.CorrelationID.String(), RequestHash: hex.EncodeToString(sum[:])}, nil
}

// bindExactJSON decodes a JSON document into dst matching member names exactly (the validator
// checked "ssn"; encoding/json alone would also take "SSN").
func bindExactJSON(raw []byte, dst any) error {
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	return runtime.BindJSONValue(doc, dst)
}

// rawJSON201 is an already-encoded JSON answer sent with 201 (replays are byte-identical).
type rawJSON201 []byte

func (r rawJSON201) VisitRegisterCustomerV2Response(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, err := w.Write(r)
	return err
}

// customerV2Row is how the Customer v2 adapter answers one field rule of the domain.
type customerV2Row struct {
	field   string            // the rule's field as registration.FieldRules lists it, any index written "[]"
	code    registration.Code // the rule's code
	uxu     string            // the answer's code
	pointer string            // the flat body's field as a JSON pointer ("" when no one field is at fault)
	msg     string            // "" for the domain's message with the pointer
}

// customerV2Violations is the one table from the registration domain's field rules to the
// Customer v2 answers. Every rule has a row (TestEveryFieldRuleHasACustomerV2Answer).
var customerV2Violations = []customerV2Row{
	{"fiId.value", registration.CodeInvalidInput, uxuCannotHandle, "/fiId", ""},
	{"memberNumber", registration.CodeInvalidInput, uxuCannotHandle, "/memberNumber", ""},
	{"person.personName.firstName", registration.CodeInvalidFirstName, uxuNameLength, "/firstName", ""},
	{"person.personName.middleName", registration.CodeInvalidMiddleName, uxuNameLength, "/middleName", ""},
	{"person.personName.lastName", registration.CodeInvalidLastName, uxuNameLength, "/lastName", ""},
	{"person.personName", registration.CodeInvalidInput, uxuNameLength, "",
		"First and last name together are longer than 39 characters (/firstName, /lastName)"},
	{"person.contactInfo.emailAddress", registration.CodeInvalidEmail, uxuCannotHandle, "/emailAddress", ""},
	{"person.contactInfo.postalAddress", registration.CodeInvalidStreet, uxuCannotHandle, "/postalAddress", ""},
	{"person.contactInfo.postalAddress[].address1", registration.CodeInvalidStreet, uxuCannotHandle, "/postalAddress/address1", ""},
	{"person.contactInfo.postalAddress[].address2", registration.CodeInvalidInput, uxuCannotHandle, "/postalAddress/address2", ""},
	{"person.contactInfo.postalAddress[].address3", registration.CodeInvalidInput, uxuCannotHandle, "/postalAddress/address3", ""},
	{"person.contactInfo.postalAddress[].city", registration.CodeInvalidCity, uxuCannotHandle, "/postalAddress/city", ""},
	{"person.contactInfo.postalAddress[].state", registration.CodeInvalidState, uxuCannotHandle, "/postalAddress/state", ""},
	{"person.contactInfo.postalAddress[].postalCode", registration.CodeInvalidPostalCode, uxuCannotHandle, "/postalAddress/postalCode", ""},
	{"person.contactInfo.postalAddress[].country", registration.CodeInvalidCountry, uxuCannotHandle, "/postalAddress/country", ""},
	{"person.contactInfo.phoneNumber", registration.CodeInvalidPhone, uxuCannotHandle, "/contactInfo", ""},
	{"person.contactInfo.phoneNumber[].number", registration.CodeInvalidPhone, uxuCannotHandle, "/contactInfo/contactInfo", ""},
	{"person.contactInfo.phoneNumber[].countryCode", registration.CodeInvalidInput, uxuCannotHandle, "/contactInfo/telephoneCountryCode", ""},
	{"person.contactInfo", registration.CodeTooManyDestinations, uxuCannotHandle, "/contactInfo", ""},
	{"person.birthDate", registration.CodeInvalidBirthDate, uxuDateFormat, "/birthDate", ""},
	{"channelInfos.channelInfo", registration.CodeInvalidInput, uxuCannotHandle, "/channelType", ""},
	{"channelInfos.channelInfo[]", registration.CodeInvalidInput, uxuCannotHandle, "/channelType", ""},
	{"channelInfos.channelInfo[].channelType", registration.CodeInvalidInput, uxuCannotHandle, "/channelType", ""},
	{"channelInfos.channelInfo[].credential.loginId", registration.CodeInvalidLoginID, uxuCannotHandle, "/loginId", ""},
	{"channelInfos.channelInfo[].credential.loginId", registration.CodeLoginIDOutOfRange, uxuCannotHandle, "/loginId", ""},
	{"channelInfos.channelInfo[].credential.loginId", registration.CodeLoginIDIsMember, uxuLoginIsMember, "/loginId", ""},
	{"channelInfos.channelInfo[].credential.password", registration.CodeInvalidPassword, uxuPassword, "/password", ""},
	{"acceptedDisclosure", registration.CodeDisclosuresRequired, uxuCannotHandle, "/acceptedDisclosure", ""},
	{"userType", registration.CodeInvalidInput, uxuCannotHandle, "/userRole", ""},
	{"ssn", registration.CodeInvalidInput, uxuCannotHandle, "/ssn", ""},
	{"ssn", registration.CodeInvalidSSN, uxuCannotHandle, "/ssn", ""},
	{"motherMaidenName", registration.CodeInvalidMaidenName, uxuCannotHandle, "/motherMaidenName", ""},
	{"hostCredential.password", registration.CodeInvalidInput, uxuCannotHandle, "/hostPassword", ""},
}

var anyIndex = regexp.MustCompile(`\[[0-9]+\]`)

// customerV2RowOf finds the table's row for a rule (its field with any index written "[]").
func customerV2RowOf(field string, code registration.Code) (customerV2Row, bool) {
	field = anyIndex.ReplaceAllString(field, "[]")
	for _, r := range customerV2Violations {
		if r.field == field && r.code == code {
			return r, true
		}
	}
	return customerV2Row{}, false
}

// customerV2Problem is the 400 of a field rule as the Customer v2 adapter answers it: the
// table's code, and a message with the domain's text and the field's JSON pointer (the UXU
// envelope has no field of its own), never the submitted value.
func customerV2Problem(v registration.Violation) *Problem {
	r, ok := customerV2RowOf(v.Field, v.Code)
	if !ok { // a rule the table does not know yet (the test forbids it): still a 400
		r = customerV2Row{uxu: uxuCannotHandle}
	}
	msg := r.msg
	switch {
	case msg != "":
	case r.pointer != "":
		msg = fmt.Sprintf("%s (%s)", v.Code.Message(), r.pointer)
	default:
		msg = v.Code.Message()
	}
	return &Problem{Status: http.StatusBadRequest, Code: r.uxu, Field: r.pointer, Message: msg}
}
