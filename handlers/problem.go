package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/custreg/custreg/consent"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/registration"
)

// Problem is one client-facing failure: status, contract code, a message free of secrets and PII,
// and the field it points at (a JSON pointer, a parameter name, or "").
type Problem struct {
	Status  int
	Code    string
	Message string
	Field   string
	// RetryAfter, when positive, is sent as the Retry-After header (seconds).
	RetryAfter int
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Message) }

// Problems are several failures of one request, reported together (D26). The first decides the
// HTTP status.
type Problems []*Problem

func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "; ")
}

// problem builds a single Problem.
func problem(status int, code, field, msg string) *Problem {
	return &Problem{Status: status, Code: code, Field: field, Message: msg}
}

// outcome is one row of the outcome table: a sentinel (for one operation, or "" for any) and the
// answer it gets.
type outcome struct {
	err    error
	op     string // operation name as the strict server knows it; "" for any operation
	status int
	code   string
	field  string // JSON pointer, or parameter ("path:fiCustomerId"), or ""
	msg    string
}

// outcomes is the one table from sentinel (and operation) to status, code and field. Register
// v4's rows take field and message from its violation; sentinels it does not list fall through to
// the family's generic answers (not found, unavailable, internal).
var outcomes = []outcome{
	registrationOutcome(models.ErrLoginTaken, http.StatusBadRequest,
		registration.Violation{Field: "channelInfos.channelInfo[0].credential.loginId", Code: registration.CodeLoginTaken}),
	registrationOutcome(models.ErrAlreadyRegistered, http.StatusConflict, registration.Violation{Field: "memberNumber", Code: registration.CodeAlreadyRegistered}),
	registrationOutcome(models.ErrInFlight, http.StatusConflict, registration.Violation{Code: registration.CodeInProgress}),
	// The Customer v2 registration's outcomes (its field rules are customerV2Violations).
	{err: models.ErrLoginTaken, op: registerV2.op, status: http.StatusBadRequest, code: uxuLoginTaken, field: "/loginId",
		msg: "Login id already taken (/loginId)"},
	{err: models.ErrAlreadyRegistered, op: registerV2.op, status: http.StatusConflict, code: uxuAlreadyRegistered, field: "/memberNumber",
		msg: "User already registered: the member, or the same person at this FI (/memberNumber)"},
	{err: models.ErrInFlight, op: registerV2.op, status: http.StatusConflict, code: uxuAlreadyRegistered,
		msg: "Registration already in progress, or the correlationId was used with another body"},
	{err: models.ErrNotFound, op: "GetCustomerV2", status: http.StatusNotFound, code: codeCustomerNotFound, field: "path:fiCustomerId", msg: "FICustomer not found"},
	{err: models.ErrConflict, op: "CreateInstitutionDisclosure", status: http.StatusBadRequest, code: dscInvalidRequest,
		field: "/institutionDisclosureName", msg: "A disclosure of that name exists"},
	{err: models.ErrNotFound, op: "UpdateInstitutionDisclosure", status: http.StatusNotFound, code: dscNoData,
		field: "path:institutionDisclosureId", msg: "No such disclosure"},
	{err: models.ErrConflict, op: "UpdateInstitutionDisclosure", status: http.StatusBadRequest, code: dscInvalidRequest,
		field: "/institutionDisclosureName", msg: "A disclosure of that name exists"},
	{err: models.ErrPhoneNotFound, op: "UpdateContactInfo", status: http.StatusBadRequest, code: uxuContactNotFound,
		field: "/phoneNumber/oldPhoneNumber", msg: "Host phone not found: /phoneNumber/oldPhoneNumber is not a phone of the user"},
	{err: models.ErrPhoneOnFile, op: "UpdateContactInfo", status: http.StatusBadRequest, code: uxuCannotHandle,
		field: "/phoneNumber/newPhoneNumber", msg: "Invalid value at /phoneNumber/newPhoneNumber: already another phone of the user"},
	{err: models.ErrNoDocumentKey, op: "GetInstitutionUserV2", status: http.StatusInternalServerError, code: isrNoDocumentKey,
		field: "query:$expand", msg: "Missing encryption key for this FI"},
}

func registrationOutcome(err error, status int, v registration.Violation) outcome {
	return outcome{err: err, op: "RegisterCustomerV4", status: status, code: string(v.Code), field: v.Pointer(), msg: v.Message()}
}

// domainProblems renders what handlers and stores return: Problems as they are, registration
// Violations (in Register v4's codes, or the Customer v2 registration's) and consent Violations
// pointing at their fields, and the outcome table's sentinels.
// It returns nil for anything else.
func domainProblems(f family, op string, err error) Problems {
	var ps Problems
	var p *Problem
	var vs registration.Violations
	var cv *consent.Violation
	switch {
	case errors.As(err, &ps):
		return ps
	case errors.As(err, &p):
		return Problems{p}
	case errors.As(err, &vs):
		render := violationProblem
		if op == registerV2.op {
			render = customerV2Problem
		}
		out := make(Problems, len(vs))
		for i, v := range vs {
			out[i] = render(v)
		}
		return out
	case errors.As(err, &cv):
		return Problems{problem(http.StatusBadRequest, cv.Code, cv.Field, cv.Message)}
	case errors.Is(err, models.ErrBusy):
		return Problems{spikeArrest(f)}
	}
	for _, o := range outcomes {
		if errors.Is(err, o.err) && (o.op == "" || o.op == op) {
			return Problems{problem(o.status, o.code, o.field, o.msg)}
		}
	}
	return nil
}

// violationProblem is the 400 of a registration field rule.
func violationProblem(v registration.Violation) *Problem {
	return &Problem{Status: http.StatusBadRequest, Code: string(v.Code), Field: v.Pointer(), Message: v.Message()}
}

// internalByOperation gives the internal failure of an operation whose contract has a code of its
// own for it, instead of the family's: a Customer v2 registration that failed on our side (and
// stored nothing) is UXU_13009.
var internalByOperation = map[string]*Problem{
	registerV2.op: {Status: http.StatusInternalServerError, Code: uxuRegisterFailed, Message: "Error while registering the user"},
}
