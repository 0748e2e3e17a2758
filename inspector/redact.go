package inspector

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Size limits of the bodies an entry shows.
const (
	// MaxRedactBytes is the largest body that is parsed and redacted; a larger one is not shown.
	MaxRedactBytes = 64 << 10
	// MaxShownBytes is how much of a redacted body an entry keeps.
	MaxShownBytes = 8 << 10
)

// Redacted replaces every value the inspector does not show.
const Redacted = "[redacted]"

// sensitiveFragments: a field whose name (lower-cased, letters and digits only) contains one
// of these is redacted, with everything inside it. The list errs on the side of hiding: the
// inspector is for seeing what an app sent and got, not the people it sent it about.
var sensitiveFragments = []string{
	// secrets and credentials
	"password", "passwd", "passphrase", "secret", "token", "passcode", "credential", "assertion", "hostpin",
	// identity documents and dates
	"ssn", "socialsecurity", "taxid", "birth", "maiden", "identification",
	// names
	"firstname", "middlename", "lastname", "fullname", "surname", "givenname", "familyname", "nickname",
	"membername", "holdername", "personname", "suffix", "titleprefix",
	// logins
	"username", "loginid", "hostlogin",
	// contact details
	"address", "street", "city", "postal", "zip", "phone", "mobile", "email", "contactinfo", "destination",
	// account and member numbers
	"accountnumber", "membernumber", "hostvalue", "micr",
}

// sensitiveNames are redacted when the whole name is one of these (as fragments they would hit
// too much): a PIN or one-time password, a generic name, a US state, a phone's number.
var sensitiveNames = []string{"pin", "otp", "dob", "name", "state", "number", "code"}

// leafOnlyNames hide their own value but not what they contain: the legacy token answer's root
// element <token> holds the access token, its lifetime and the FI, and only the first is secret;
// a registration's destinations hold a contact (hidden by its own name) and a protocol.
var leafOnlyNames = []string{"token", "destination", "destinations"}

// shownNames contain a fragment but carry nothing personal or secret.
var shownNames = []string{"tokentype", "refreshtokenexpiresin", "tokenendpoint", "tokenendpointauthmethodssupported"}

// errorCode is what a "code" field holds in an error envelope (CMN_90016, 220019): shown. Any
// other code (an authorization code) is a credential.
var errorCode = regexp.MustCompile(`^[A-Z0-9_]{1,24}$`)

func normalizeName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Sensitive reports whether a field of this name is redacted.
func Sensitive(name string) bool {
	n := normalizeName(name)
	if slices.Contains(shownNames, n) {
		return false
	}
	if slices.Contains(sensitiveNames, n) {
		return true
	}
	for _, f := range sensitiveFragments {
		if strings.Contains(n, f) {
			return true
		}
	}
	return false
}

// sensitiveSubtree reports whether everything inside a field of this name is redacted.
func sensitiveSubtree(name string) bool {
	return Sensitive(name) && !slices.Contains(leafOnlyNames, normalizeName(name))
}

// sensitiveValue reports whether the field's value is redacted: "code" only when it is not an
// error code.
func sensitiveValue(name, value string) bool {
	if normalizeName(name) == "code" {
		return !errorCode.MatchString(value)
	}
	return true
}

// Redactor redacts the bodies of one request and its response by field name (JSON, XML and
// form bodies), and remembers the values it hid so that Scrub can remove them wherever else
// they appear (an answer echoing what was sent). Bodies of other media types, malformed ones and
// those over MaxRedactBytes are described, never shown.
type Redactor struct {
	hidden []string
}

// Body returns body (of the given Content-Type) as the inspector shows it.
func (r *Redactor) Body(contentType string, body []byte) string {
	if len(body) == 0 {
		return ""
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	kind := ""
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		kind = "json"
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		kind = "xml"
	case mt == "application/x-www-form-urlencoded":
		kind = "form"
	}
	describe := mt
	if describe == "" {
		describe = "untyped"
	}
	if kind == "" {
		return fmt.Sprintf("[%s body of %d bytes not shown]", describe, len(body))
	}
	if len(body) > MaxRedactBytes {
		return r.TooLarge(contentType, len(body))
	}
	if !utf8.Valid(body) {
		return fmt.Sprintf("[%s body of %d bytes not shown: not UTF-8]", describe, len(body))
	}
	var out string
	switch kind {
	case "json":
		out, err = r.json(body)
	case "xml":
		out, err = r.xml(body)
	default:
		out, err = r.form(body)
	}
	if err != nil {
		return fmt.Sprintf("[malformed %s body of %d bytes not shown]", describe, len(body))
	}
	return out
}

// TooLarge describes a body of size bytes that was not kept whole, so cannot be redacted.
func (r *Redactor) TooLarge(contentType string, size int) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt == "" {
		mt = "untyped"
	}
	return fmt.Sprintf("[%s body of %d bytes not shown: over %d KiB]", mt, size, MaxRedactBytes>>10)
}

// hide records a redacted value for Scrub.
func (r *Redactor) hide(v string) {
	v = strings.TrimSpace(v)
	if len(v) >= 4 && !slices.Contains(r.hidden, v) {
		r.hidden = append(r.hidden, v)
	}
}

// Scrub removes every value the redactor hid from s, then caps s at MaxShownBytes.
func (r *Redactor) Scrub(s string) string {
	// Longest first, so a value containing another is replaced whole.
	hidden := slices.Clone(r.hidden)
	slices.SortFunc(hidden, func(a, b string) int { return len(b) - len(a) })
	for _, v := range hidden {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	if len(s) > MaxShownBytes {
		cut := MaxShownBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + fmt.Sprintf("\n… (%d more bytes not shown)", len(s)-cut)
	}
	return s
}

// maxDepth bounds the nesting the JSON walk follows.
const maxDepth = 64

var errTooDeep = errors.New("nested too deeply")

// json re-indents a JSON document in its own order, values of sensitive fields redacted.
func (r *Redactor) json(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var b strings.Builder
	if _, err := r.jsonValue(dec, &b, "", false, false, 0); err != nil {
		return "", err
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("trailing data")
	}
	return b.String(), nil
}

// jsonValue writes the next value of dec and returns it when it is a string (as sent). hide
// redacts it if it is a scalar; subtree redacts every scalar inside it (the value of a sensitive
// field, whatever its shape).
func (r *Redactor) jsonValue(dec *json.Decoder, b *strings.Builder, field string, hide, subtree bool, depth int) (string, error) {
	if depth > maxDepth {
		return "", errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	indent := "\n" + strings.Repeat("  ", depth+1)
	switch t := tok.(type) {
	case json.Delim:
		closing, open := "]", t == '['
		if t == '{' {
			closing = "}"
		} else if !open {
			return "", errors.New("unexpected delimiter")
		}
		b.WriteString(t.String())
		first := true
		// In a key/value entry ({"key": "billPayLoginId", "value": …}) the key names the value.
		entryHides := false
		for dec.More() {
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString(indent)
			name, hideChild, subtreeChild := field, subtree || hide, subtree || (hide && sensitiveSubtree(field))
			if !open {
				k, err := dec.Token()
				if err != nil {
					return "", err
				}
				key, ok := k.(string)
				if !ok {
					return "", errors.New("object key is not a string")
				}
				name, hideChild, subtreeChild = key, subtree || Sensitive(key), subtree || sensitiveSubtree(key)
				if key == "value" && entryHides {
					hideChild, subtreeChild = true, true
				}
				kb, _ := json.Marshal(key)
				b.Write(kb)
				b.WriteString(": ")
			}
			got, err := r.jsonValue(dec, b, name, hideChild, subtreeChild, depth+1)
			if err != nil {
				return "", err
			}
			if !open && name == "key" {
				entryHides = Sensitive(got)
			}
		}
		if _, err := dec.Token(); err != nil {
			return "", err
		}
		if !first {
			b.WriteString("\n" + strings.Repeat("  ", depth))
		}
		b.WriteString(closing)
		return "", nil
	case string:
		shown := t
		if hide && sensitiveValue(field, t) {
			r.hide(t)
			shown = Redacted
		}
		sb, _ := json.Marshal(shown)
		b.Write(sb)
		return t, nil
	case json.Number:
		if hide {
			r.hide(t.String())
			b.WriteString(`"` + Redacted + `"`)
			return "", nil
		}
		b.WriteString(t.String())
	case bool:
		fmt.Fprint(b, t)
	case nil:
		b.WriteString("null")
	}
	return "", nil
}

// xml re-indents an XML document, the text and attributes of sensitive elements redacted.
func (r *Redactor) xml(body []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	var out bytes.Buffer
	enc := xml.NewEncoder(&out)
	enc.Indent("", "  ")
	// Per open element: whether its own text is redacted, and whether everything inside it is.
	type open struct {
		name          string
		text, subtree bool
		entryHides    bool // a key/value entry whose <key> names a sensitive value
	}
	var hidden []open
	elements := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if elements++; len(hidden) >= maxDepth {
				return "", errTooDeep
			}
			inherited := len(hidden) > 0 && (hidden[len(hidden)-1].subtree || (t.Name.Local == "value" && hidden[len(hidden)-1].entryHides))
			hide := inherited || Sensitive(t.Name.Local)
			hidden = append(hidden, open{name: t.Name.Local, text: hide, subtree: inherited || sensitiveSubtree(t.Name.Local)})
			el := xml.StartElement{Name: xml.Name{Local: t.Name.Local}}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				v := a.Value
				if hide || Sensitive(a.Name.Local) {
					r.hide(v)
					v = Redacted
				}
				el.Attr = append(el.Attr, xml.Attr{Name: xml.Name{Local: a.Name.Local}, Value: v})
			}
			err = enc.EncodeToken(el)
		case xml.EndElement:
			hidden = hidden[:len(hidden)-1]
			err = enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: t.Name.Local}})
		case xml.CharData:
			text := strings.TrimSpace(string(t))
			if text == "" {
				continue
			}
			if n := len(hidden); n > 1 && hidden[n-1].name == "key" && Sensitive(text) {
				hidden[n-2].entryHides = true
			}
			if len(hidden) > 0 && hidden[len(hidden)-1].text {
				r.hide(text)
				text = Redacted
			}
			err = enc.EncodeToken(xml.CharData(text))
		default:
			continue // declarations, comments, directives: not shown
		}
		if err != nil {
			return "", err
		}
	}
	if elements == 0 {
		return "", errors.New("no element")
	}
	if err := enc.Flush(); err != nil {
		return "", err
	}
	return out.String(), nil
}

// form lists a form body's fields in order, one name=value per line, decoded, sensitive
// values redacted.
func (r *Redactor) form(body []byte) (string, error) {
	var lines []string
	for pair := range strings.SplitSeq(string(body), "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			return "", err
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return "", err
		}
		if Sensitive(name) && sensitiveValue(name, value) {
			r.hide(value)
			value = Redacted
		}
		lines = append(lines, name+"="+value)
	}
	return strings.Join(lines, "\n"), nil
}
