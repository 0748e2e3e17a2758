package odata

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/custreg/custreg/internal/fuzzcorpus"
)

// account is a fake Record. It panics on non-canonical field names, which
// also checks that the evaluator resolves synonyms.
type account map[string]string

func (a account) Field(name string) string {
	v, ok := a[name]
	if !ok {
		panic("non-canonical field " + name)
	}
	return v
}

var accounts = []account{
	{"id": "chk", "nickName": "Everyday Checking", "accountNumber": "12345678", "category": "DEPOSIT", "type": "CHECKING"},
	{"id": "FJLqiQAy1lvswlZXcu9rA0mD8ohakVblGGbi-f-r29A", "nickName": "Vacation Savings", "accountNumber": "99431234", "category": "DEPOSIT", "type": "SAVINGS"},
	{"id": "card", "nickName": "Bob's Card", "accountNumber": "4300111122223333", "category": "LOAN", "type": "CREDIT_CARD"},
}

const savID = "FJLqiQAy1lvswlZXcu9rA0mD8ohakVblGGbi-f-r29A"

func nest(n int, open, inner, close string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// validFilters maps accepted input to its String() rendering ("" = unchanged).
var validFilters = []struct{ in, want string }{
	{"category eq 'DEPOSIT'", ""},
	{"type eq 'CHECKING' or type eq 'SAVINGS'", ""},
	{"contains(tolower(nickName),'vacation')", ""},
	{"(category eq 'LOAN' or category eq 'DEPOSIT') and contains(accountNumber, '43')",
		"(category eq 'LOAN' or category eq 'DEPOSIT') and contains(accountNumber,'43')"},
	{"tolower(name) ne 'x'", ""},
	{"id eq '" + savID + "'", ""},
	{"  category \t eq   'A'  ", "category eq 'A'"},
	{"name eq 'Bob''s Card'", ""},
	{"name eq ''''", ""},
	{"name eq ''", ""},
	{"contains( name , 'x' )", "contains(name,'x')"},
	{"tolower (name) eq 'x'", "tolower(name) eq 'x'"},
	{"toupper(tolower('MiXed')) eq 'MIXED'", ""},
	{"nickName eq name", ""},
	{"'A' lt category", ""},
	{"contains(name,'a') and contains(name,'b')", ""},
	{"(category eq 'A')", "category eq 'A'"},
	// Precedence and associativity: only necessary parentheses are kept.
	{"type eq 'A' or type eq 'B' and type eq 'C'", ""},
	{"type eq 'A' or (type eq 'B' and type eq 'C')", "type eq 'A' or type eq 'B' and type eq 'C'"},
	{"(type eq 'A' or type eq 'B') and type eq 'C'", ""},
	{"(type eq 'A' or type eq 'B') or type eq 'C'", "type eq 'A' or type eq 'B' or type eq 'C'"},
	{"type eq 'A' or (type eq 'B' or type eq 'C')", ""},
	{"type eq 'A' and (type eq 'B' and type eq 'C')", ""},
	{nest(MaxDepth, "(", "type eq 'A'", ")"), "type eq 'A'"},
	{nest(MaxDepth, "tolower(", "name", ")") + " eq 'a'", ""},
	{"name eq '" + strings.Repeat("x", MaxLength-10) + "'", ""},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validFilters {
		f, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		want := tc.want
		if want == "" {
			want = tc.in
		}
		if got := f.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, want)
		}
	}
}

var invalidFilters = []struct {
	in  string
	pos int
	msg string // substring of the message
}{
	{"", 0, "empty filter"},
	{"   ", 3, "empty filter"},
	{"category eq", 11, "found end of filter"},
	{"category eq DEPOSIT", 12, `unknown property "DEPOSIT"`},
	{"balance gt '5'", 0, `unknown property "balance"`},
	{"Category eq 'A'", 0, "unknown property"},
	{"category eq 'A' and", 19, "found end of filter"},
	{"not (category eq 'A')", 0, `unsupported operator "not"`},
	{"startswith(name,'a')", 0, `unsupported function "startswith"`},
	{"category eq 'A')", 15, `expected "and", "or" or end of filter, found ")"`},
	{"(category eq 'A'", 16, `expected "and", "or" or ")", found end of filter`},
	{"'A' eq", 6, "found end of filter"},
	{"eq 'A'", 0, `found "eq"`},
	{"category eq 5", 12, `unsupported number literal "5"`},
	{"category eq -1.5", 12, "unsupported number literal"},
	{"category eq true", 12, "unsupported literal"},
	{"category eq null", 12, "unsupported literal"},
	{"category eq 'DEPOSIT", 12, "unterminated string literal"},
	{"category eq '''", 12, "unterminated string literal"},
	{"contains(name)", 0, "contains takes 2 argument(s), got 1"},
	{"contains(name,'a','b')", 0, "contains takes 2 argument(s), got 3"},
	{"tolower()", 0, "tolower takes 1 argument(s), got 0"},
	{"contains(name,)", 14, `found ")"`},
	{"contains(name 'a')", 14, `expected "," or ")", found string literal`},
	{"tolower name eq 'a'", 8, `expected "(" after tolower`},
	{"contains(contains(name,'a'),'b')", 9, "argument of contains must be a string"},
	{"tolower(name)", 13, "expected comparison operator after string expression, found end of filter"},
	{"name", 4, "expected comparison operator"},
	{"'A'", 3, "expected comparison operator"},
	{"category EQ 'A'", 9, `found "EQ"`},
	{"category eq 'A' eq 'B'", 16, "cannot be chained"},
	{"contains(name,'a') eq contains(name,'b')", 0, "left operand of \"eq\" must be a string"},
	{"(category eq 'A') eq (type eq 'B')", 0, "left operand"},
	{"name eq contains(name,'b')", 8, "right operand"},
	{"category eq'X'", 11, `missing whitespace after "eq"`},
	{"category eq 'A'and type eq 'B'", 15, `missing whitespace before "and"`},
	{"name eq 'a' && type eq 'b'", 12, `found "&&"`},
	{"category eq 'A' $top", 16, `found "$top"`},
	{"category\neq 'A'", 0, "unknown property"},
	{"averyveryverylongpropertyname eq 'x'", 0, `unknown property "averyveryverylongpro..."`},
	{nest(MaxDepth+1, "(", "type eq 'A'", ")"), MaxDepth, "nested deeper than 32"},
	{nest(MaxDepth+1, "tolower(", "name", ")") + " eq 'a'", 8 * MaxDepth, "nested deeper than 32"},
	{"name eq '" + strings.Repeat("x", MaxLength-9) + "'", MaxLength, "longer than 2048 bytes"},
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidFilters {
		f, err := Parse(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, %v; want *SyntaxError", tc.in, f, err)
			continue
		}
		if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("Parse(%q) error = %q at %d, want %q at %d", tc.in, se.Msg, se.Pos, tc.msg, tc.pos)
		}
		if len(se.Msg) > 120 {
			t.Errorf("Parse(%q) error message too long: %q", tc.in, se.Msg)
		}
	}
}

func TestSyntaxErrorString(t *testing.T) {
	_, err := Parse("category eq DEPOSIT")
	if got, want := err.Error(), `invalid $filter at position 12: unknown property "DEPOSIT"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   []string // ids of matching accounts
	}{
		{"category eq 'DEPOSIT'", []string{"chk", savID}},
		{"category eq 'deposit'", nil},
		{"tolower(category) eq 'deposit'", []string{"chk", savID}},
		{"category eq toupper('loan')", []string{"card"}},
		{"category ne 'DEPOSIT'", []string{"card"}},
		{"type eq 'CHECKING' or type eq 'SAVINGS'", []string{"chk", savID}},
		{"contains(tolower(nickName),'vacation')", []string{savID}},
		{"contains(nickName,'vacation')", nil},
		{"contains(toupper(name),'CARD')", []string{"card"}},
		{"(category eq 'LOAN' or category eq 'DEPOSIT') and contains(accountNumber, '43')", []string{savID, "card"}},
		{"tolower(name) ne 'x'", []string{"chk", savID, "card"}},
		{"id eq '" + savID + "'", []string{savID}},
		{"name eq 'Bob''s Card'", []string{"card"}},
		{"contains(name,'''')", []string{"card"}},
		{"contains(name,'')", []string{"chk", savID, "card"}},
		// Byte-wise ordering.
		{"accountNumber gt '5'", []string{savID}},
		{"accountNumber lt '4300111122223333'", []string{"chk"}},
		{"accountNumber le '4300111122223333'", []string{"chk", "card"}},
		{"accountNumber ge '4300111122223333'", []string{savID, "card"}},
		{"name gt 'a'", nil},
		// and binds tighter than or: A or (B and C), not (A or B) and C.
		{"type eq 'CHECKING' or type eq 'SAVINGS' and category eq 'LOAN'", []string{"chk"}},
		{"(type eq 'CHECKING' or type eq 'SAVINGS') and category eq 'LOAN'", nil},
		{"category eq 'LOAN' and type eq 'CHECKING' or type eq 'SAVINGS'", []string{savID}},
	} {
		f, err := Parse(tc.filter)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.filter, err)
			continue
		}
		var got []string
		for _, a := range accounts {
			if f.Match(a) {
				got = append(got, a["id"])
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q matched %q, want %q", tc.filter, got, tc.want)
		}
	}
}

func TestNilFilterMatchesAll(t *testing.T) {
	var f *Filter
	if !f.Match(accounts[0]) || f.String() != "" {
		t.Error("nil *Filter should match everything and render as empty")
	}
}

func FuzzParse(f *testing.F) {
	var seeds []fuzzcorpus.Seed
	for i, tc := range validFilters {
		seeds = append(seeds, fuzzcorpus.S(fmt.Sprintf("valid-%02d", i+1), tc.in))
	}
	for i, tc := range invalidFilters {
		seeds = append(seeds, fuzzcorpus.S(fmt.Sprintf("invalid-%02d", i+1), tc.in))
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("hostile-"+h.Name, "nickName eq '"+strings.ReplaceAll(h.Value, "'", "''")+"'"))
	}
	fuzzcorpus.Check(f, seeds)
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("Parse(%q): bad error %#v", s, err)
			}
			return
		}
		out := flt.String()
		if len(out) > len(s) {
			t.Errorf("String() %q longer than input %q", out, s)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", out, s, err)
		}
		if got := again.String(); got != out {
			t.Fatalf("round trip of %q: %q != %q", s, got, out)
		}
		for _, a := range accounts {
			if flt.Match(a) != again.Match(a) {
				t.Fatalf("%q and %q disagree on %v", s, out, a)
			}
		}
	})
}

// TestDialectLimits: a narrower dialect rejects by name what it leaves out, and a boolean dialect
// type-checks its comparisons; the accounts dialect keeps refusing boolean literals.
func TestDialectLimits(t *testing.T) {
	d := EqualityDialect(map[string]Property{"state": {Field: "state"}, "primary": {Field: "primary", Type: Boolean}})
	for _, tc := range []struct {
		in, msg string
	}{
		{"state ne 'CA'", `unsupported operator "ne"`},
		{"state gt 'CA'", `unsupported operator "gt"`},
		{"state eq 'CA' or state eq 'NY'", `unsupported operator "or"`},
		{"(state eq 'CA' or state eq 'NY')", `unsupported operator "or"`},
		{"contains(state,'C')", `unsupported function "contains"`},
		{"primary eq 'true'", "are a boolean and a string"},
		{"state eq true", "are a string and a boolean"},
		{"primary", "comparison operator after boolean value"},
		{"name eq 'x'", `unknown property "name"`},
	} {
		if _, err := d.Parse(tc.in); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) = %v, want %q", tc.in, err, tc.msg)
		}
	}
	for _, in := range []string{"state eq 'CA'", "primary eq true and state eq 'CA'", "(primary eq false) and (state eq 'CA')", "false eq primary"} {
		if _, err := d.Parse(in); err != nil {
			t.Errorf("Parse(%q): %v", in, err)
		}
	}
	if _, err := Parse("category eq true"); err == nil || !strings.Contains(err.Error(), "unsupported literal") {
		t.Errorf("accounts dialect took a boolean literal: %v", err)
	}
	if _, err := (&Dialect{Properties: d.Properties, Comparisons: []string{"eq", "gt"}, Booleans: true}).Parse("primary gt true"); err == nil ||
		!strings.Contains(err.Error(), `"gt" does not compare booleans`) {
		t.Errorf("gt on booleans: %v", err)
	}
}
