package handlers

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/custreg/custreg/registration"
)

// TestEveryFieldRuleHasACustomerV2Answer: the Customer v2 table answers every field rule of the
// registration domain, and only those, so a rule added to the domain cannot reach the Customer
// v2 adapter as an unnamed 400.
func TestEveryFieldRuleHasACustomerV2Answer(t *testing.T) {
	rules := map[registration.FieldRule]bool{}
	for _, r := range registration.FieldRules() {
		rules[registration.FieldRule{Field: anyIndex.ReplaceAllString(r.Field, "[]"), Code: r.Code}] = true
		if _, ok := customerV2RowOf(r.Field, r.Code); !ok {
			t.Errorf("no Customer v2 answer for the rule %s %s", r.Code, r.Field)
		}
	}
	seen := map[registration.FieldRule]bool{}
	for _, row := range customerV2Violations {
		key := registration.FieldRule{Field: row.field, Code: row.code}
		if !rules[key] {
			t.Errorf("a Customer v2 answer for %s %s, which is no rule of the domain", row.code, row.field)
		}
		if seen[key] {
			t.Errorf("two answers for %s %s", row.code, row.field)
		}
		seen[key] = true
		if row.pointer == "" && row.msg == "" {
			t.Errorf("%s %s: an answer without a field must say what is wrong", row.code, row.field)
		}
	}
}

// TestCustomerV2AnswersMatchTheSpec: every field the table points at is a field of the spec's
// CustomerRegistrationRequest, and where the spec gives that field an x-error-code (the code of
// a wrong type or a missing value), the table answers the field's rules with that code too.
func TestCustomerV2AnswersMatchTheSpec(t *testing.T) {
	spec, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	root := spec.Components.Schemas["CustomerRegistrationRequest"].Value
	byPointer := map[string]map[string]bool{}
	for _, row := range customerV2Violations {
		if row.pointer == "" {
			continue
		}
		if byPointer[row.pointer] == nil {
			byPointer[row.pointer] = map[string]bool{}
		}
		byPointer[row.pointer][row.uxu] = true
	}
	for pointer, codes := range byPointer {
		s := root
		for _, name := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
			ref, ok := s.Properties[name]
			if !ok || ref.Value == nil {
				t.Fatalf("%s is no field of CustomerRegistrationRequest", pointer)
			}
			s = ref.Value
		}
		if code := specCode(s); code != "" && !codes[code] {
			t.Errorf("%s: the spec's x-error-code is %s; the table answers %v", pointer, code, keys(codes))
		}
	}
}

func specCode(s *openapi3.Schema) string { return extString(s.Extensions, "x-error-code") }
