package handlers_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"github.com/custreg/custreg/handlers"
)

// TestRegisterV4DocsExampleSucceeds posts Register v4's /docs request example, as "Try it out"
// sends it, to a fresh sandbox at both sandbox FIs (with 02222's free member), so the example can
// never again name a registered member, a used SSN or a login outside an FI's range.
func TestRegisterV4DocsExampleSucceeds(t *testing.T) {
	spec, err := handlers.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	op := spec.Paths.Find("/registration/v4/fis/{di_fiid}/fiCustomers").Post
	example := op.RequestBody.Value.Content["application/json"].Example
	raw, err := json.Marshal(example)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ fi, member string }{{"01111", ""}, {"02222", "700800900"}} {
		t.Run(tc.fi, func(t *testing.T) {
			var body map[string]map[string]any
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatal(err)
			}
			if tc.member != "" {
				body["FICustomer"]["memberNumber"] = tc.member
				body["FICustomer"]["fiId"] = map[string]any{"value": tc.fi}
			}
			b, _ := json.Marshal(body)
			a := newAPI(t)
			r := a.registerJSON(t, a.v1Token(t, tc.fi), tc.fi, newTID(), string(b))
			if r.status != http.StatusOK {
				t.Fatalf("the /docs example answers %d at %s: %s", r.status, tc.fi, r.body)
			}
		})
	}
}

// TestRegisterV4ErrorExamplesPerStatus: every error status of Register v4 shows examples of its
// own, each with a code the LegacyError table declares for that status.
func TestRegisterV4ErrorExamplesPerStatus(t *testing.T) {
	spec, err := handlers.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	table := *spec.Components.Responses["LegacyError"].Value.Description
	op := spec.Paths.Find("/registration/v4/fis/{di_fiid}/fiCustomers").Post
	seen := map[string]string{}
	for status, ref := range op.Responses.Map() {
		if status[0] != '4' && status[0] != '5' {
			continue
		}
		examples := ref.Value.Content["application/json"].Examples
		if len(examples) == 0 {
			t.Errorf("%s has no examples of its own", status)
		}
		for name, ex := range examples {
			v := ex.Value.Value.(map[string]any)
			info := v["errorInfo"].([]any)[0].(map[string]any)
			code := info["errorCode"].(string)
			row := regexp.MustCompile("(?m)^\\| `" + code + "` \\| ([0-9 /]+) \\|").FindStringSubmatch(table)
			if row == nil || !regexp.MustCompile(`\b`+status+`\b`).MatchString(row[1]) {
				t.Errorf("%s example %s: code %s is not declared for %s", status, name, code, status)
			}
			if other, dup := seen[code+status]; dup {
				t.Errorf("%s examples %s and %s share code %s", status, other, name, code)
			}
			seen[code+status] = name
		}
	}
}
