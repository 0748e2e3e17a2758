package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// validationProblems maps kin-openapi request-validation errors onto contract codes. Codes come
// from the spec: the x-error-code extension of the parameter or of the nearest schema on the
// path to the failing body field, else the family's catch-all.
func (s *Server) validationProblems(info *requestInfo, err error) Problems {
	var errs []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		errs = flatten(me)
	} else {
		errs = []error{err}
	}
	codes := info.family.codes()
	var out, auth Problems
	for _, e := range errs {
		var sre *openapi3filter.SecurityRequirementsError
		var re *openapi3filter.RequestError
		switch {
		case errors.As(e, &sre):
			p, internal := securityProblem(info.family, sre)
			if internal != nil { // the check itself failed (e.g. the database): not the caller's fault
				return plainProblems(info.family, info.operation, internal)
			}
			auth = append(auth, p)
		case errors.As(e, &re) && re.Parameter != nil:
			out = append(out, parameterProblem(info, re))
		case errors.As(e, &re) && re.RequestBody != nil:
			out = append(out, bodyProblems(info, re)...)
		default:
			out = append(out, problem(http.StatusBadRequest, codes.badRequest, "", "Invalid request"))
		}
	}
	// A trace-header or other header fault outranks authentication (the published token flows
	// answer 400 90002 for a bad di_tid even without credentials); authentication outranks
	// body validation.
	var headerFaults Problems
	for _, p := range out {
		if p.Field != "" && !strings.HasPrefix(p.Field, "/") && isHeaderField(p.Field) {
			headerFaults = append(headerFaults, p)
		}
	}
	switch {
	case len(headerFaults) > 0:
		return headerFaults
	case len(auth) > 0:
		return auth[:1]
	}
	return out
}

func isHeaderField(field string) bool { return strings.HasPrefix(field, "header:") }

func flatten(me openapi3.MultiError) []error {
	var out []error
	for _, e := range me {
		var inner openapi3.MultiError
		if errors.As(e, &inner) && len(inner) > 0 && !isRequestError(e) {
			out = append(out, flatten(inner)...)
			continue
		}
		out = append(out, e)
	}
	return out
}

func isRequestError(e error) bool {
	var re *openapi3filter.RequestError
	var sre *openapi3filter.SecurityRequirementsError
	return errors.As(e, &re) || errors.As(e, &sre)
}

// securityProblem unwraps the Problem our authentication function returned, or answers the
// family's 401. An error that is not a Problem means the check could not be made; it is returned
// as internal.
func securityProblem(f family, sre *openapi3filter.SecurityRequirementsError) (*Problem, error) {
	for _, e := range sre.Errors {
		var p *Problem
		if errors.As(e, &p) {
			return p, nil
		}
		if !errors.Is(e, openapi3filter.ErrAuthenticationServiceMissing) {
			return nil, e
		}
	}
	return problem(http.StatusUnauthorized, f.codes().unauthorized, "header:Authorization", "Unauthorized"), nil
}

func extString(ext map[string]any, name string) string {
	switch v := ext[name].(type) {
	case string:
		return v
	case json.RawMessage:
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return ""
}

// parameterProblem maps a failed header, query or path parameter.
func parameterProblem(info *requestInfo, re *openapi3filter.RequestError) *Problem {
	param := re.Parameter
	codes := info.family.codes()
	code := extString(param.Extensions, "x-error-code")
	missing := errors.Is(re.Err, openapi3filter.ErrInvalidRequired) || errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue)
	if c := extString(param.Extensions, "x-error-code-too-long"); c != "" && !missing && param.Schema != nil &&
		param.Schema.Value != nil && param.Schema.Value.MaxLength != nil && param.In == openapi3.ParameterInHeader &&
		uint64(len(re.Input.Request.Header.Get(param.Name))) > *param.Schema.Value.MaxLength {
		code = c
	}
	if c := extString(param.Extensions, "x-error-code-missing"); c != "" && missing {
		code = c
	}
	if code == "" {
		code = codes.badRequest
	}
	var msg string
	switch {
	case info.family.legacy():
		msg = fmt.Sprintf("%s '%s' invalid", titleOf(param.In), param.Name)
	case missing:
		msg = fmt.Sprintf("%s %s is missing", titleOf(param.In), param.Name)
	default:
		msg = fmt.Sprintf("%s %s is invalid", titleOf(param.In), param.Name)
	}
	return problem(http.StatusBadRequest, code, param.In+":"+param.Name, msg)
}

func titleOf(in string) string {
	switch in {
	case openapi3.ParameterInHeader:
		return "Header"
	case openapi3.ParameterInQuery:
		return "Query param"
	case openapi3.ParameterInPath:
		return "Path param"
	}
	return "Param"
}

// bodyProblems maps a failed request body: each schema violation points at its field and carries
// the code of the nearest schema with x-error-code on the path to it.
func bodyProblems(info *requestInfo, re *openapi3filter.RequestError) Problems {
	codes := info.family.codes()
	form := info.family == famLegacyToken || info.family == famToken
	var schema *openapi3.Schema
	if re.RequestBody != nil {
		if mt := re.RequestBody.Content.Get(mediaTypeOf(re.Input.Request)); mt != nil && mt.Schema != nil {
			schema = mt.Schema.Value
		}
	}
	if schema == nil || strings.Contains(re.Reason, "Content-Type") {
		return Problems{problem(http.StatusBadRequest, codes.unsupportedMT, "header:Content-Type", "Header Content-Type is invalid")}
	}
	var schemaErrs []*openapi3.SchemaError
	var me openapi3.MultiError
	var se *openapi3.SchemaError
	switch {
	case errors.As(re.Err, &me):
		for _, e := range me {
			if errors.As(e, &se) {
				schemaErrs = append(schemaErrs, se)
			}
		}
	case errors.As(re.Err, &se):
		schemaErrs = append(schemaErrs, se)
	}
	if len(schemaErrs) == 0 {
		if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) || errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue) {
			return Problems{problem(http.StatusBadRequest, codeOrDefault(extString(schema.Extensions, "x-error-code-blank"), codes.badRequest), "", "Request body is empty")}
		}
		return Problems{problem(http.StatusBadRequest, codeOrDefault(extString(schema.Extensions, "x-error-code"), codes.badRequest), "", "Request body is not well-formed")}
	}
	// An XML body is the root element itself: name it, so pointers read as in JSON.
	root := ""
	if schema.XML != nil && schema.XML.Name != "" && strings.HasSuffix(mediaTypeOf(re.Input.Request), "xml") {
		root = "/" + schema.XML.Name
	}
	out := make(Problems, 0, len(schemaErrs))
	for _, se := range schemaErrs {
		path := se.JSONPointer()
		if se.SchemaField == "required" || (se.SchemaField == "properties" && strings.HasSuffix(se.Reason, "is unsupported")) {
			// The pointer names the object; the member missing or not allowed is in the reason.
			if name := missingProperty(se.Reason); name != "" && (len(path) == 0 || path[len(path)-1] != name) {
				path = append(path, name)
			}
		}
		code := codeOrDefault(codeAlong(schema, path), codes.badRequest)
		field := root + "/" + strings.Join(path, "/")
		var msg string
		switch {
		case form && info.family.legacy():
			msg = fmt.Sprintf("Form param '%s' invalid", strings.Join(path, "."))
		case form:
			msg = fmt.Sprintf("Form param %s is invalid", strings.Join(path, "."))
		case se.SchemaField == "required":
			msg = "Required field missing: " + field
		default:
			msg = "Invalid value at " + field
		}
		out = append(out, problem(http.StatusBadRequest, code, field, msg))
	}
	return out
}

func codeOrDefault(code, def string) string {
	if code == "" {
		return def
	}
	return code
}

// missingProperty extracts the name from kin-openapi's `property "x" is missing` (or `is
// unsupported`) reason.
func missingProperty(reason string) string {
	_, rest, ok := strings.Cut(reason, `property "`)
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, `"`)
	return name
}

// codeAlong walks the schema along path and returns the x-error-code of the deepest schema that
// has one.
func codeAlong(schema *openapi3.Schema, path []string) string {
	code := extString(schema.Extensions, "x-error-code")
	cur := schema
	for _, seg := range path {
		var next *openapi3.SchemaRef
		if cur.Type.Is(openapi3.TypeArray) || cur.Items != nil {
			next = cur.Items
		} else if ref, ok := cur.Properties[seg]; ok {
			next = ref
		}
		if next == nil || next.Value == nil {
			break
		}
		cur = next.Value
		if c := extString(cur.Extensions, "x-error-code"); c != "" {
			code = c
		}
	}
	return code
}

func mediaTypeOf(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}
