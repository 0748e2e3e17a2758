package odata

import (
	"errors"
	"strings"
	"testing"
)

// contactDialect is a dialect like the institution users' contactMethods segment.
var contactDialect = EqualityDialect(map[string]Property{
	"id": {Field: "id"}, "protocol": {Field: "protocol"}, "contactInfo": {Field: "contactInfo"},
	"validated": {Field: "validated", Type: Boolean}, "host": {Field: "host", Type: Boolean},
})

var testSegments = map[string]Segment{
	"contactMethods":  {Name: "contactMethods", Filter: contactDialect},
	"postalAddresses": {Name: "postalAddresses", Filter: EqualityDialect(map[string]Property{"state": {Field: "state"}})},
	"postalAddress":   {Name: "postalAddresses", Filter: EqualityDialect(map[string]Property{"state": {Field: "state"}})},
	"subUsers":        {Name: "subUsers", Filter: EqualityDialect(map[string]Property{"lastName": {Field: "lastName"}})},
	"plain":           {Name: "plain"},
}

type contact map[string]string

func (c contact) Field(name string) string { return c[name] }

var contacts = []contact{
	{"id": "1", "protocol": "VOICE", "contactInfo": "4155550142", "validated": "true", "host": "false"},
	{"id": "2", "protocol": "SMS", "contactInfo": "4155550142", "validated": "true", "host": "false"},
	{"id": "3", "protocol": "EMAIL", "contactInfo": "a(b)'c@example.com", "validated": "false", "host": "true"},
	{"id": "4", "protocol": "VOICE"}, // validated and host absent: equal to neither literal
}

func TestParseExpandValid(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // segment[filter] list
	}{
		{"contactMethods", "contactMethods[]"},
		{"contactMethods,postalAddresses,subUsers", "contactMethods[] postalAddresses[] subUsers[]"},
		{" contactMethods , postalAddress ", "contactMethods[] postalAddresses[]"},
		{"contactMethods($filter=validated eq true)", "contactMethods[validated eq true]"},
		{"contactMethods($filter=(validated eq true) and (protocol eq 'VOICE')),postalAddresses($filter=state eq 'CA')",
			"contactMethods[validated eq true and protocol eq 'VOICE'] postalAddresses[state eq 'CA']"},
		{"contactMethods($filter=contactInfo eq 'a(b)''c@example.com')", "contactMethods[contactInfo eq 'a(b)''c@example.com']"},
		{"subUsers($filter=lastName eq 'Taylor')", "subUsers[lastName eq 'Taylor']"},
		{"contactMethods($filter=host eq false and validated eq host)", "contactMethods[host eq false and validated eq host]"},
	} {
		e, err := ParseExpand(tc.in, testSegments)
		if err != nil {
			t.Errorf("ParseExpand(%q): %v", tc.in, err)
			continue
		}
		var got []string
		for _, x := range e {
			got = append(got, x.Segment+"["+x.Filter.String()+"]")
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("ParseExpand(%q) = %v, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseExpandInvalid(t *testing.T) {
	for _, tc := range []struct {
		in  string
		pos int
		msg string
	}{
		{"", 0, "empty $expand"},
		{"contactMethods,", 15, "expected a segment name"},
		{",contactMethods", 0, "expected a segment name"},
		{"identificationDocuments", 0, `unknown segment "identificationDocume...`},
		{"ContactMethods", 0, "unknown segment"},
		{"contactMethods,contactMethods", 15, "expanded twice"},
		{"postalAddresses,postalAddress", 16, "expanded twice"},
		{"contactMethods postalAddresses", 15, `expected "," or end of $expand, found "p"`},
		{"contactMethods()", 15, "only $filter= is supported"},
		{"subUsers($expand=contactMethods)", 9, "only $filter= is supported"},
		{"contactMethods($select=id)", 15, "only $filter= is supported"},
		{"contactMethods($filter=validated eq true", 40, "is not closed"},
		{"contactMethods($filter=)", 23, "$filter of contactMethods: empty filter"},
		{"contactMethods($filter=validated eq 'true')", 36, "operands of \"eq\" are a boolean and a string"},
		{"contactMethods($filter=validated eq true)x", 41, `found "x"`},
		{"contactMethods($filter=protocol ne 'SMS')", 32, `unsupported operator "ne"`},
		{"contactMethods($filter=protocol eq 'SMS' or protocol eq 'VOICE')", 41, `unsupported operator "or"`},
		{"contactMethods($filter=contains(protocol,'S'))", 23, `unsupported function "contains"`},
		{"contactMethods($filter=tolower(protocol) eq 's')", 23, `unsupported function "tolower"`},
		{"contactMethods($filter=validated)", 32, "comparison operator after boolean value"},
		{"contactMethods($filter=enrolled eq 'x')", 23, `unknown property "enrolled"`},
		{"contactMethods($filter=validated eq null)", 36, "unsupported literal"},
		{"contactMethods($filter=validated eq 1)", 36, "unsupported number literal"},
		{"contactMethods($filter=protocol eq 'SMS)", 40, "is not closed"},
		{"plain($filter=x eq 'y')", 14, "plain cannot be filtered"},
		{strings.Repeat("x", MaxLength+1), MaxLength, "longer than 2048 bytes"},
	} {
		e, err := ParseExpand(tc.in, testSegments)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseExpand(%q) = %v, %v; want *SyntaxError", tc.in, e, err)
			continue
		}
		if se.In != "$expand" || se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("ParseExpand(%q) error = %q at %d, want %q at %d", tc.in, se.Msg, se.Pos, tc.msg, tc.pos)
		}
		if len(se.Msg) > 120 || !strings.HasPrefix(se.Error(), "invalid $expand at position ") {
			t.Errorf("ParseExpand(%q) error %q", tc.in, se.Error())
		}
	}
}

func TestExpandFilterMatch(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   string // ids
	}{
		{"validated eq true", "1 2"},
		{"validated eq false", "3"},
		{"host eq true", "3"},
		{"(validated eq true) and (protocol eq 'VOICE')", "1"},
		{"protocol eq 'VOICE'", "1 4"},
		{"validated eq host", "4"}, // absent equals absent, as null eq null
		{"contactInfo eq 'a(b)''c@example.com'", "3"},
		{"true eq true and id eq '2'", "2"},
	} {
		e, err := ParseExpand("contactMethods($filter="+tc.filter+")", testSegments)
		if err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		_, f := e.Has("contactMethods")
		var got []string
		for _, c := range contacts {
			if f.Match(c) {
				got = append(got, c["id"])
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q matched %v, want %s", tc.filter, got, tc.want)
		}
	}
}

func TestExpansionHas(t *testing.T) {
	e, err := ParseExpand("postalAddress,subUsers($filter=lastName eq 'Taylor')", testSegments)
	if err != nil {
		t.Fatal(err)
	}
	if ok, f := e.Has("postalAddresses"); !ok || f != nil {
		t.Errorf("postalAddresses: %v %v", ok, f)
	}
	if ok, f := e.Has("subUsers"); !ok || f.String() != "lastName eq 'Taylor'" {
		t.Errorf("subUsers: %v %v", ok, f)
	}
	if ok, _ := e.Has("contactMethods"); ok {
		t.Error("contactMethods was not expanded")
	}
}

func FuzzParseExpand(f *testing.F) {
	for _, s := range []string{"contactMethods", "contactMethods($filter=(validated eq true) and (protocol eq 'VOICE')),postalAddresses($filter=state eq 'CA')",
		"subUsers($filter=lastName eq 'O''Brien')", "contactMethods($filter=host eq true", "x(", "a,,b", "contactMethods($filter=(()))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpand(s, testSegments)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(s) || se.In != "$expand" {
				t.Fatalf("ParseExpand(%q): bad error %#v", s, err)
			}
			return
		}
		// A parsed expansion renders back to one that parses to the same items.
		var parts []string
		for _, x := range e {
			p := x.Segment
			if x.Filter != nil {
				p += "($filter=" + x.Filter.String() + ")"
			}
			parts = append(parts, p)
		}
		again, err := ParseExpand(strings.Join(parts, ","), testSegments)
		if err != nil || len(again) != len(e) {
			t.Fatalf("re-parse of %q (from %q): %v", strings.Join(parts, ","), s, err)
		}
		for i := range e {
			if again[i].Segment != e[i].Segment || again[i].Filter.String() != e[i].Filter.String() {
				t.Fatalf("round trip of %q: %v != %v", s, again[i], e[i])
			}
			for _, c := range contacts {
				if e[i].Filter.Match(c) != again[i].Filter.Match(c) {
					t.Fatalf("%q: filters disagree on %v", s, c)
				}
			}
		}
	})
}
