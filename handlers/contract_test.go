package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/custreg/custreg/consent"
	"github.com/custreg/custreg/registration"
)

var codePattern = regexp.MustCompile(`^((CMN|DSC|ACC|UXU|ISR)_[0-9]+|[0-9]{5,6})$`)

// specCodes reads the codes each family's error response declares in its description table.
func specCodes(t *testing.T, spec *openapi3.T) map[string]map[string]bool {
	t.Helper()
	row := regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\|")
	out := map[string]map[string]bool{}
	for _, name := range []string{"LegacyTokenError", "LegacyError", "TokenError", "DisclosuresError", "AccountsError", "CustomersError", "InstitutionUsersError"} {
		resp := spec.Components.Responses[name]
		if resp == nil || resp.Value == nil || resp.Value.Description == nil {
			t.Fatalf("spec has no response %s", name)
		}
		out[name] = map[string]bool{}
		for _, m := range row.FindAllStringSubmatch(*resp.Value.Description, -1) {
			out[name][m[1]] = true
		}
		if len(out[name]) == 0 {
			t.Fatalf("%s lists no codes", name)
		}
	}
	return out
}

// responseOf names the spec response that declares a family's codes.
var responseOf = map[family]string{famLegacyToken: "LegacyTokenError", famLegacy: "LegacyError", famToken: "TokenError",
	famDisclosures: "DisclosuresError", famAccounts: "AccountsError", famCustomers: "CustomersError",
	famInstitutionUsers: "InstitutionUsersError"}

// codeConstants parses the package's code constants (codes.go) and reports any code written as
// a literal elsewhere in the non-test sources: codes are named once.
func codeConstants(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, _ := strconv.Unquote(lit.Value)
			if !codePattern.MatchString(v) || v == "00000" { // "00000" pads a masked SSN
				return true
			}
			if f == "codes.go" {
				consts = append(consts, v)
			} else {
				t.Errorf("%s: code %s written as a literal; name it in codes.go", fset.Position(lit.Pos()), v)
			}
			return true
		})
	}
	return consts
}

// TestEveryCodeIsInTheSpec: every code the service answers — the family tables, the handlers'
// named codes, Register v4's and the consent rules' — is declared in openapi.yaml by its
// family's error response, so integrators reading the spec see every code they can get.
func TestEveryCodeIsInTheSpec(t *testing.T) {
	spec, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	declared := specCodes(t, spec)
	want := func(response, code, from string) {
		if !declared[response][code] {
			t.Errorf("%s (%s) is not declared by the spec's %s", code, from, response)
		}
	}
	for f, c := range codesByFamily {
		resp, ok := responseOf[f]
		if !ok {
			continue // operational endpoints: BAD_REQUEST and the like
		}
		for _, code := range []string{c.badRequest, c.unauthorized, c.forbidden, c.notFound, c.methodNotAllow, c.headerTooLarge,
			c.nonPrintable, c.bodyTooLarge, c.unsupportedMT, c.internal, c.unavailable, c.quota, c.spikeArrest} {
			want(resp, code, "family table")
		}
	}
	for _, code := range codeConstants(t) {
		switch {
		case strings.HasPrefix(code, "CMN_"):
			want("TokenError", code, "codes.go")
		case strings.HasPrefix(code, "DSC_"):
			want("DisclosuresError", code, "codes.go")
		case strings.HasPrefix(code, "ACC_"):
			want("AccountsError", code, "codes.go")
		case strings.HasPrefix(code, "UXU_"):
			want("CustomersError", code, "codes.go")
		case strings.HasPrefix(code, "ISR_"):
			want("InstitutionUsersError", code, "codes.go")
		default:
			if !declared["LegacyError"][code] && !declared["LegacyTokenError"][code] {
				t.Errorf("%s (codes.go) is declared by no legacy error response", code)
			}
		}
	}
	for _, code := range registration.Codes() {
		want("LegacyError", string(code), "registration")
	}
	for _, code := range []string{consent.CodeRequired, consent.CodeNotSupported, consent.CodeAccountID, consent.CodePaperWaiver} {
		want("DisclosuresError", code, "consent")
	}
}

// TestFieldRuleCodesMatchTheSpec: each field of the Register v4 request with an x-error-code in
// the spec has a rule with that code in registration's field table, and every rule's field with
// an x-error-code of its own has that code among its rules — so a code changed on one side only
// fails here.
func TestFieldRuleCodesMatchTheSpec(t *testing.T) {
	spec, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	root := spec.Components.Schemas["FICustomerRegistration"].Value
	// A rule on the single channel ("channelInfo[0]") is a rule on every element as the spec sees
	// it; the disclosure policy over acceptedDisclosure and acceptedDisclosures reports at the first.
	byField := map[string]map[string]bool{}
	for _, r := range registration.FieldRules() {
		f := strings.ReplaceAll(r.Field, "channelInfo[0]", "channelInfo[]")
		if byField[f] == nil {
			byField[f] = map[string]bool{}
		}
		byField[f][string(r.Code)] = true
	}
	byField["acceptedDisclosures"] = byField["acceptedDisclosure"]
	// covered reports whether a rule at p or below it has code (an object's code covers its parts).
	covered := func(p, code string) bool {
		for f, codes := range byField {
			if (f == p || strings.HasPrefix(f, p+".") || strings.HasPrefix(f, p+"[")) && codes[code] {
				return true
			}
		}
		return false
	}
	// The spec's side: every property with its own x-error-code.
	var walk func(s *openapi3.Schema, path string)
	walk = func(s *openapi3.Schema, path string) {
		for name, ref := range s.Properties {
			if ref.Value == nil {
				continue
			}
			p := strings.TrimPrefix(path+"."+name, ".")
			if code := extString(ref.Value.Extensions, "x-error-code"); code != "" && !covered(p, code) {
				t.Errorf("spec: %s has x-error-code %s; registration's field table has %v there", p, code, keys(byField[p]))
			}
			if ref.Value.Items != nil && ref.Value.Items.Value != nil {
				walk(ref.Value.Items.Value, p+"[]")
			}
			walk(ref.Value, p)
		}
	}
	walk(root, "")
	// The code's side: every rule's field that exists in the spec with a code of its own.
	for field, codes := range byField {
		s := schemaAt(root, field)
		if s == nil {
			continue // a rule on a group (person.personName) or a position (channelInfo[1])
		}
		if code := extString(s.Extensions, "x-error-code"); code != "" && !codes[code] {
			t.Errorf("registration: %s has codes %v; the spec's x-error-code there is %s", field, keys(codes), code)
		}
	}
}

// schemaAt walks a dotted path ("a.b[].c", "a.b[0].c") to its schema, or nil.
func schemaAt(s *openapi3.Schema, path string) *openapi3.Schema {
	for _, seg := range strings.Split(path, ".") {
		name, index, _ := strings.Cut(seg, "[")
		ref, ok := s.Properties[name]
		if !ok || ref.Value == nil {
			return nil
		}
		s = ref.Value
		if index != "" {
			if s.Items == nil || s.Items.Value == nil {
				return nil
			}
			s = s.Items.Value
		}
	}
	return s
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestEveryLimitedOperationDeclaresItsLimitAnswer: every operation that an abuse limit can
// refuse — each one called with client credentials or a token (the app's quota and spike
// arrest), each with a request body (the bodies in flight) — declares the status its family
// answers a limit with (limitStatus: 500 in the legacy and token families, 429 elsewhere), so
// the answer matches the spec. A new operation of a limited family fails here until it does.
func TestEveryLimitedOperationDeclaresItsLimitAnswer(t *testing.T) {
	spec, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range spec.Paths.Map() {
		f := familyOf(path)
		if f == famGeneric {
			continue // unauthenticated operational endpoints without bodies
		}
		for method, op := range item.Operations() {
			security := spec.Security // the document's default, unless the operation has its own
			if op.Security != nil {
				security = *op.Security
			}
			secured := len(security) > 0
			if !secured && op.RequestBody == nil {
				continue
			}
			status := strconv.Itoa(limitStatus(f))
			if op.Responses.Value(status) == nil {
				t.Errorf("%s %s (%s) declares no %s response for its limit answers (code %s / %s)",
					method, path, op.OperationID, status, f.codes().quota, f.codes().spikeArrest)
			}
		}
	}
}
