package fuzzcorpus

import (
	"fmt"
	"strings"
)

// Named is a hostile value with a name fit for a seed file.
type Named struct {
	Name  string
	Value string
}

// HostileText are values any text field of a request must survive: answered, never 5xx,
// never stored as they are when they are not safe text (rules.SafeText).
var HostileText = []Named{
	{"nul", "Ja\x00ne"},
	{"bidi-override", "Jane\u202eeoD"},
	{"bidi-isolate", "\u2066Jane\u2069"},
	{"zero-width", "Ja\u200bne"},
	{"bom", "\ufeffJane"},
	{"soft-hyphen", "Ja\u00adne"},
	{"invalid-utf8", "Ja\xffne"},
	{"overlong-nul", "Ja\xc0\x80ne"},
	{"surrogate", "Ja\xed\xa0\x80ne"},
	{"beyond-max-rune", "\xf4\x90\x80\x80"},
	{"crlf-header-injection", "Jane\r\nSet-Cookie: a=b"},
	{"tab", "Ja\tne"},
	{"c1-nel", "Ja\u0085ne"},
	{"line-separator", "Ja\u2028ne"},
	{"tag-characters", "Jane\U000e0041"},
	{"hangul-filler", "\u3164"},
	{"combining-marks", "Ja\u0301\u0301\u0301ne"},
	{"right-to-left-text", "\u05e9\u05dc\u05d5\u05dd"},
	{"emoji", "Jane \U0001f600"},
	{"huge-number", "1e999999"},
	{"long-digits", strings.Repeat("9", 400)},
	{"negative-zero", "-0"},
	{"sql", "Jane'); DROP TABLE customers; --"},
	{"format-verbs", "%s%n%x%!"},
	{"xml-entity-text", "&xxe;&lt;&#0;"},
	{"template", "{{.}}${jndi:ldap://x}"},
	{"long", strings.Repeat("A", 5000)},
	{"blank", "   "},
	{"empty", ""},
}

// JSONString renders s as a JSON string literal, escaping only what JSON requires (quote,
// backslash, control characters) and leaving every other byte as it is, invalid UTF-8
// included: encoding/json would turn those into U+FFFD.
func JSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// JSONEscaped renders s as a JSON string literal of printable ASCII, every other character
// written as a \u escape (surrogate pairs beyond the BMP): how a client hides NUL or a bidi
// override in a body that looks clean on the wire. Invalid UTF-8 becomes U+FFFD.
func JSONEscaped(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// XMLText escapes s for an XML text node, leaving bytes XML cannot carry (NUL, invalid UTF-8)
// as they are, so the parser meets them.
func XMLText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// DeepJSON is n nested arrays around a number: deeper than encoding/json's limit (10000) for
// n above it.
func DeepJSON(n int) string { return strings.Repeat("[", n) + "1" + strings.Repeat("]", n) }

// DeepJSONObject is n nested objects {"a":…} around null.
func DeepJSONObject(n int) string {
	return strings.Repeat(`{"a":`, n) + "null" + strings.Repeat("}", n)
}

// DeepXML is n nested elements named name.
func DeepXML(name string, n int) string {
	return strings.Repeat("<"+name+">", n) + strings.Repeat("</"+name+">", n)
}

// HostileJSON are whole bodies that are not (or barely) JSON documents.
var HostileJSON = []Named{
	{"deep-arrays", DeepJSON(20000)},
	{"deep-objects", DeepJSONObject(20000)},
	{"huge-exponent", `{"a":1e999999}`},
	{"long-integer", `{"a":` + strings.Repeat("9", 5000) + `}`},
	{"negative-zero", `{"a":-0.0e-0}`},
	{"nan-literal", `{"a":NaN}`},
	{"duplicate-keys", `{"a":1,"a":"x","A":true}`},
	{"lone-surrogate-escape", `{"a":"\ud800"}`},
	{"nul-escape", `{"a\u0000":"\u0000"}`},
	{"bom-prefix", "\ufeff{}"},
	{"trailing-garbage", `{}{}`},
	{"truncated", `{"a":"b`},
	{"invalid-utf8", "{\"a\":\"\xff\"}"},
	{"empty", ""},
	{"whitespace", " \t\r\n"},
	{"null", "null"},
	{"array", "[]"},
	{"string", `"x"`},
}

// HostileXML are whole bodies that try the XML parser: DTDs and entities (which must never be
// expanded: the decoder refuses every directive), nesting, encodings and bad characters.
var HostileXML = []Named{
	{"internal-entity", `<?xml version="1.0"?><!DOCTYPE FICustomer [<!ENTITY x "EXPANDED">]><FICustomer><memberNumber>&x;</memberNumber></FICustomer>`},
	{"billion-laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><FICustomer><memberNumber>&lol3;</memberNumber></FICustomer>`},
	{"external-entity", `<?xml version="1.0"?><!DOCTYPE FICustomer [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><FICustomer><memberNumber>&xxe;</memberNumber></FICustomer>`},
	{"parameter-entity", `<?xml version="1.0"?><!DOCTYPE FICustomer [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd">%p;]><FICustomer/>`},
	{"external-dtd", `<?xml version="1.0"?><!DOCTYPE FICustomer SYSTEM "http://127.0.0.1:9/x.dtd"><FICustomer/>`},
	{"undefined-entity", `<FICustomer><memberNumber>&undefined;</memberNumber></FICustomer>`},
	{"nul-char-ref", `<FICustomer><memberNumber>&#0;</memberNumber></FICustomer>`},
	{"bidi-char-ref", `<FICustomer><memberNumber>&#x202e;1</memberNumber></FICustomer>`},
	{"xinclude", `<FICustomer xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd"/></FICustomer>`},
	{"processing-instruction", `<?xml-stylesheet href="x"?><FICustomer><?php echo 1; ?></FICustomer>`},
	{"cdata", `<FICustomer><memberNumber><![CDATA[<&>]]></memberNumber></FICustomer>`},
	{"utf16-declaration", `<?xml version="1.0" encoding="UTF-16"?><FICustomer/>`},
	{"deep-nesting", DeepXML("FICustomer", 20000)},
	{"two-roots", `<FICustomer/><FICustomer/>`},
	{"unclosed", `<FICustomer><memberNumber>1`},
	{"raw-nul", "<FICustomer><memberNumber>1\x002</memberNumber></FICustomer>"},
	{"invalid-utf8", "<FICustomer><memberNumber>\xff</memberNumber></FICustomer>"},
	{"duplicate-attributes", `<FICustomer a="1" a="2"><memberNumber x="&amp;">1</memberNumber></FICustomer>`},
}
