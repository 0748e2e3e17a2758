package db_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/internal/fuzzcorpus"
	"github.com/custreg/custreg/rules"
)

// provisionTemplate is a small valid provisioning file; %s is replaced by one YAML scalar in
// the hostile seeds, at the places listed in provisionSlots.
const provisionTemplate = `institutions:
  - id: "03333"
    name: %s
    policy: {usernameLength: {min: 6, max: 20}, lockoutCooldown: 30m}
    disclosures:
      - {name: %s, data: "https://fi.example/ib.html", dataType: URL, required: true}
    members:
      - memberNumber: "M100"
        name: %s
        accounts:
          - {number: "12345678", category: DEPOSIT, type: CHECKING, description: %s, nickName: %s,
             primaryHolderName: %s, currentBalance: "10.00", currency: USD}
        users:
          - {loginId: fuzzuser1, password: %s, firstName: %s, lastName: Doe, email: "f@example.com",
             ssn: "123451234", birthDate: "1980-01-02", motherMaidenName: %s,
             postalAddresses: [{address1: %s, city: %s, state: IL, postalCode: "62701", country: US}]}
clientApps:
  - {clientId: %s, secret: %s, name: %s, offeringId: %s, institutions: ["03333"], grants: [client_credentials]}
`

// provisionSlots name the %s of provisionTemplate in order, with the value each holds in the
// valid file.
var provisionSlots = []struct{ name, valid string }{
	{"institution-name", "Fuzz Bank"}, {"disclosure-name", "IB"}, {"member-name", "Jane Doe"},
	{"account-description", "Checking"}, {"account-nickname", "Bills"}, {"holder-name", "Jane Doe"},
	{"user-password", "Blue!Sky42"}, {"user-first-name", "Jane"}, {"user-maiden-name", "Quellenberg"},
	{"address1", "100 Main St"}, {"city", "Springfield"}, {"client-id", "fuzz-app"}, {"client-secret", "fuzz-secret-1"},
	{"app-name", "Fuzz App"}, {"offering-id", "fuzz-offering"},
}

// yamlQuoted renders s as a YAML double-quoted scalar: characters YAML cannot carry raw as
// \u escapes (so NUL and bidi overrides reach the parser as escapes), invalid UTF-8 left raw.
func yamlQuoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteByte(s[i])
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case !rules.SafeText(string(r)) && r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		case !rules.SafeText(string(r)):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// provisionFile fills the template, slot at holding value (-1: every slot valid).
func provisionFile(at int, value string) []byte {
	args := make([]any, len(provisionSlots))
	for i, s := range provisionSlots {
		args[i] = yamlQuoted(s.valid)
		if i == at {
			args[i] = yamlQuoted(value)
		}
	}
	return []byte(fmt.Sprintf(provisionTemplate, args...))
}

func provisionSeeds() []fuzzcorpus.Seed {
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("valid", provisionFile(-1, "")),
		fuzzcorpus.S("sandbox", db.SandboxYAML),
		fuzzcorpus.S("json", []byte(`{"institutions":[{"id":"03334","name":"JSON Bank"}]}`)),
		fuzzcorpus.S("empty", []byte("")),
		fuzzcorpus.S("alias-bomb", []byte("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"+
			"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ninstitutions: [*e]\n")),
		fuzzcorpus.S("merge-key", []byte("base: &b {id: \"03335\", name: Merged}\ninstitutions:\n  - <<: *b\n")),
		fuzzcorpus.S("deep-nesting", []byte("institutions: "+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+"\n")),
		fuzzcorpus.S("deep-mapping", []byte(strings.Repeat("a: {", 5000)+strings.Repeat("}", 5000)+"\n")),
		fuzzcorpus.S("huge-integers", []byte("institutions:\n  - id: \"03336\"\n    name: Big\n    policy: {maxDestinations: 99999999999999999999, lockoutThreshold: -9223372036854775808}\n")),
		fuzzcorpus.S("float-for-int", []byte("clientApps:\n  - {clientId: a, secret: abcdefgh, institutions: [\"01111\"], grants: [client_credentials], tokenLifetimes: {v1: 1e9}}\n")),
		fuzzcorpus.S("unquoted-id", []byte("institutions:\n  - id: 01111\n    name: Octal\n")),
		fuzzcorpus.S("binary-tag", []byte("institutions:\n  - id: !!binary MDMzMzc=\n    name: Tagged\n")),
		fuzzcorpus.S("duplicate-keys", []byte("institutions:\n  - id: \"03338\"\n    id: \"03339\"\n    name: Twice\n")),
		fuzzcorpus.S("unknown-field", []byte("institutions:\n  - id: \"03340\"\n    name: X\n    colour: red\n")),
		fuzzcorpus.S("two-documents", []byte("institutions: []\n---\nclientApps: []\n")),
		fuzzcorpus.S("bad-duration", []byte("institutions:\n  - id: \"03341\"\n    name: D\n    policy: {lockoutCooldown: 9999999999999999h}\n")),
		fuzzcorpus.S("secret-hash", []byte("clientApps:\n  - {clientId: h, secretHash: \"hmac-sha256$k1$x\", institutions: [\"01111\"], grants: [client_credentials]}\n")),
		fuzzcorpus.S("tab-indent", []byte("institutions:\n\t- id: \"03342\"\n")),
		fuzzcorpus.S("raw-nul", []byte("institutions:\n  - id: \"03343\"\n    name: a\x00b\n")),
		fuzzcorpus.S("raw-invalid-utf8", []byte("institutions:\n  - id: \"03344\"\n    name: a\xffb\n")),
		fuzzcorpus.S("bom", []byte("\ufeffinstitutions: []\n")),
	}
	for i, slot := range provisionSlots {
		for _, h := range fuzzcorpus.HostileText {
			switch h.Name {
			case "nul", "bidi-override", "zero-width", "invalid-utf8", "crlf-header-injection", "tab", "c1-nel", "line-separator", "long":
				seeds = append(seeds, fuzzcorpus.S(slot.name+"-"+h.Name, provisionFile(i, h.Value)))
			}
		}
	}
	return seeds
}

// FuzzParseProvisionFile: a provisioning file is parsed without panicking and refused with its
// faults, or accepted holding only safe text (rules.SafeText: what the API refuses in requests
// must not arrive by the operator's file either, and NUL or invalid UTF-8 would fail on
// PostgreSQL); and an accepted file applies, or is refused with a *ProvisionError, on SQLite
// and (when configured) PostgreSQL: never a raw database error.
func FuzzParseProvisionFile(f *testing.F) {
	fuzzcorpus.Check(f, provisionSeeds())
	stores := []*db.Store{dbtest.SQLite(f)}
	if dbtest.PostgresConfigured() {
		stores = append(stores, dbtest.Postgres(f))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := db.ParseProvisionFile(data)
		if err != nil {
			var pe *db.ProvisionError
			if !errors.As(err, &pe) || len(pe.Faults) == 0 {
				t.Fatalf("ParseProvisionFile: %T %v", err, err)
			}
			return
		}
		if at, bad := unsafeString(reflect.ValueOf(pf).Elem(), "file"); bad {
			t.Fatalf("accepted a file whose %s is not safe text", at)
		}
		for _, store := range stores {
			err := store.Provision(context.Background(), pf)
			var pe *db.ProvisionError
			if err != nil && !errors.As(err, &pe) {
				t.Fatalf("%s: Provision of an accepted file: %v", store.Conn().Name(), err)
			}
		}
	})
}

// unsafeString finds an exported string field, at any depth, that is not rules.SafeText (a
// multi-line field, a PEM block, line by line).
func unsafeString(v reflect.Value, at string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return at, !rules.SafeText(v.String())
	case reflect.Pointer:
		if v.IsNil() {
			return "", false
		}
		return unsafeString(v.Elem(), at)
	case reflect.Slice:
		for i := range v.Len() {
			if where, bad := unsafeString(v.Index(i), fmt.Sprintf("%s[%d]", at, i)); bad {
				return where, true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			switch {
			case !f.IsExported():
			case f.Tag.Get("text") == "multiline" && v.Field(i).Kind() == reflect.String:
				// A PEM block: each line is text like any other.
				for _, line := range strings.Split(strings.ReplaceAll(v.Field(i).String(), "\r\n", "\n"), "\n") {
					if !rules.SafeText(line) {
						return at + "." + f.Name, true
					}
				}
			default:
				if where, bad := unsafeString(v.Field(i), at+"."+f.Name); bad {
					return where, true
				}
			}
		}
	}
	return "", false
}
