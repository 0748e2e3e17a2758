package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/custreg/custreg/rules"
	"github.com/labstack/echo/v4"
)

const maxHeaderBytes = 8 << 10

// hygiene applies the request rules every family shares (contract §1.6): header size, printable
// ASCII (V2 families), body size, and a JSON-only body for accounts. Beyond the published rules,
// no text a request carries may hold control, bidi or invisible characters or invalid UTF-8
// (rules.SafeText): the decoded path and query, form values, JSON bodies (which must be UTF-8)
// and, in the V2 families, every string of a JSON body. Such bytes would otherwise be stored
// or, on PostgreSQL, fail the query and answer 500. The token and revoke endpoints take their
// credentials from the form body only.
func (s *Server) hygiene(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		info := infoFrom(c.Request().Context())
		codes := info.family.codes()
		strict := info.family == famToken || info.family == famAccounts || info.family == famDisclosures ||
			info.family == famCustomers || info.family == famInstitutionUsers
		for name, values := range r.Header {
			for _, v := range values {
				if len(name)+len(v) > maxHeaderBytes {
					return problem(http.StatusBadRequest, codes.headerTooLarge, "header:"+name, "Header "+name+" is too large")
				}
				if strict && !printableASCII(v) {
					return problem(http.StatusBadRequest, codes.nonPrintable, "header:"+name, "Request contains non-printable characters")
				}
			}
		}
		if err := checkRecordedHeaders(r, info.family); err != nil {
			return err
		}
		if err := checkClientCredentials(r, info.family); err != nil {
			return err
		}
		if strict && !printableASCII(r.URL.RawQuery) {
			return problem(http.StatusBadRequest, codes.nonPrintable, "query", "Request contains non-printable characters")
		}
		if info.family == famLegacyToken || info.family == famToken {
			if err := credentialsInQuery(info.family, r.URL.RawQuery); err != nil {
				return err
			}
			// Nothing binds from the query, even without a body: echo's FormParams would merge it.
			r.PostForm, r.Form = url.Values{}, url.Values{}
			// The token endpoints take forms only: another Content-Type is a header fault
			// (CMN_90010), answered before any body check could call it a malformed request.
			if r.Header.Get("Content-Type") != "" && mediaTypeOf(r) != echo.MIMEApplicationForm {
				return problem(http.StatusBadRequest, codes.unsupportedMT, "header:Content-Type", "Header Content-Type is invalid")
			}
		}
		if err := checkQuery(info.family, r.URL.RawQuery); err != nil {
			return err
		}
		if err := checkPath(c, info.family); err != nil {
			return err
		}
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		if r.ContentLength > s.maxBody {
			// Refused unread (the server then closes the connection), and held: a flood of
			// oversized bodies gets few answers a second.
			s.holdFailure(r.Context())
			return problem(http.StatusBadRequest, codes.bodyTooLarge, "", "Request body too large")
		}
		body, held, err := s.readBody(r.Context(), r, s.maxBody)
		defer s.limits.budget().Release(held) // after the answer: the body is in use until then
		_ = r.Body.Close()
		if err != nil {
			var mbe *http.MaxBytesError
			switch {
			case errors.Is(err, errNoBodyRoom):
				s.metrics.limited.WithLabelValues("body_bytes_in_flight").Inc()
				return spikeArrest(info.family)
			case errors.As(err, &mbe):
				return problem(http.StatusBadRequest, codes.bodyTooLarge, "", "Request body too large")
			}
			return problem(http.StatusBadRequest, codes.badRequest, "", "Request body could not be read")
		}
		if int64(len(body)) > s.maxBody {
			return problem(http.StatusBadRequest, codes.bodyTooLarge, "", "Request body too large")
		}
		if strict && !printableBody(body) {
			return problem(http.StatusBadRequest, codes.nonPrintable, "", "Request contains non-printable characters")
		}
		if info.family == famAccounts && len(body) > 0 && mediaTypeOf(r) != echo.MIMEApplicationJSON {
			return problem(http.StatusUnsupportedMediaType, codes.unsupportedMT, "header:Content-Type", "Request body must be JSON")
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		info.body = body
		if info.family == famLegacy && len(body) > 0 {
			recogniseLegacyBody(r, body)
			info.mediaType = negotiateLegacy(r)
		}
		if len(body) > 0 && mediaTypeOf(r) == echo.MIMEApplicationJSON {
			if !utf8.Valid(body) {
				// encoding/json would quietly turn the bad bytes into U+FFFD.
				return problem(http.StatusBadRequest, codes.nonPrintable, "", "Request body is not valid UTF-8")
			}
			if !json.Valid(body) {
				// One JSON document and nothing after it; decoders downstream stop at the first value.
				return problem(http.StatusBadRequest, codes.badRequest, "", "Request body is not well-formed JSON")
			}
			if strict {
				// Escapes such as \u0000 or \u202e are printable ASCII on the wire.
				if at, found := unsafeJSONString(body); found {
					msg := "Request contains non-printable characters"
					if at != "" && len(at) <= 256 && printableASCII(at) {
						msg += " at " + at
					}
					return problem(http.StatusBadRequest, codes.nonPrintable, at, msg)
				}
			}
		}
		if mediaTypeOf(r) == echo.MIMEApplicationForm {
			// Parse the form once here: net/http ignores bodies of DELETE in ParseForm (the
			// revoke endpoint carries its token there), every value is checked before any
			// handler sees it, and binding reads the body alone (r.Form set, so ParseForm adds
			// no query values). A malformed body is left to the validator, which refuses it.
			if form, err := url.ParseQuery(string(body)); err == nil {
				if err := checkForm(info.family, form); err != nil {
					return err
				}
				r.PostForm, r.Form = form, form
			}
		}
		return next(c)
	}
}

// recordedHeaders are kept with tokens, audit events and disclosure evidence (contract §1.3).
var recordedHeaders = []string{"user-agent", "offering_id", "originating_ip"}

// checkRecordedHeaders refuses recorded headers the V2 rule of printable ASCII does not
// already cover: in the legacy families each must be rules.SafeText (90002, as any header
// there, contract §3.4, 6.3); and a sent originating_ip must be an IP address wherever it is
// recorded (legacy families, disclosures). An empty value counts as absent, as the handlers
// read it.
func checkRecordedHeaders(r *http.Request, f family) error {
	for _, name := range recordedHeaders {
		for _, v := range r.Header.Values(name) {
			badIP := name == "originating_ip" && v != "" && !rules.IPAddress(v)
			switch {
			case f.legacy() && (badIP || !rules.SafeText(v)):
				return problem(http.StatusBadRequest, codeLegacyInvalid, "header:"+name, "Header '"+name+"' invalid")
			case f == famDisclosures && badIP:
				return problem(http.StatusBadRequest, dscInvalidRequest, "header:"+name, "Header "+name+" is invalid")
			}
		}
	}
	return nil
}

// checkClientCredentials refuses HTTP Basic client credentials that are not rules.SafeText
// as it refuses any unknown client, before the client id is looked up. The header itself is
// base64, so only its decoded form can carry such bytes.
func checkClientCredentials(r *http.Request, f family) error {
	if f != famLegacyToken && f != famToken {
		return nil
	}
	if id, secret, ok := r.BasicAuth(); ok && (!rules.SafeText(id) || !rules.SafeText(secret)) {
		msg := "Invalid client credentials"
		if f.legacy() {
			msg = "Client credentials are not valid"
		}
		return problem(http.StatusUnauthorized, f.codes().unauthorized, "header:Authorization", msg)
	}
	return nil
}

// queryCredentials are the form fields of the token and revoke endpoints and OAuth's other
// credential names. None may travel in the URL, which proxies and access logs keep.
var queryCredentials = []string{"username", "password", "client_id", "client_secret", "refresh_token",
	"token", "token_type_hint", "access_token", "grant_type", "scope", "scopes"}

// credentialsInQuery refuses a token or revoke request whose query names a credential, in any
// case: V1 90002; V2 the username and password codes, else CMN_90011. It never echoes a value.
func credentialsInQuery(f family, raw string) error {
	values, _ := url.ParseQuery(raw)
	for _, name := range queryCredentials {
		for sent := range values {
			if !strings.EqualFold(sent, name) {
				continue
			}
			switch {
			case f.legacy():
				return problem(http.StatusBadRequest, codeLegacyInvalid, "query:"+name, "Query param '"+name+"' not allowed")
			case name == "username":
				return problem(http.StatusBadRequest, cmnUsername, "query:"+name, "Query param username is not allowed")
			case name == "password":
				return problem(http.StatusBadRequest, cmnPassword, "query:"+name, "Query param password is not allowed")
			}
			return problem(http.StatusBadRequest, cmnRequest, "query:"+name, "Query param "+name+" is not allowed")
		}
	}
	return nil
}

// nameable reports whether a client-sent parameter or member name may appear in an error
// message: the names of the contract are short and plain.
func nameable(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_-.$", c) >= 0) {
			return false
		}
	}
	return true
}

// unsafeText is the 400 for a query or path parameter ("query", "path") that is not
// rules.SafeText. The message names the parameter, never its value.
func unsafeText(f family, in, name string) *Problem {
	code := f.codes().nonPrintable
	title := map[string]string{"query": "Query param", "path": "Path param"}[in]
	switch {
	case !nameable(name) && f.legacy():
		return problem(http.StatusBadRequest, code, in, title+" invalid")
	case !nameable(name):
		return problem(http.StatusBadRequest, code, in, title+" has non-printable characters")
	case f.legacy():
		return problem(http.StatusBadRequest, code, in+":"+name, title+" '"+name+"' invalid")
	}
	return problem(http.StatusBadRequest, code, in+":"+name, title+" "+name+" has non-printable characters")
}

// checkQuery refuses a query whose decoded names or values are not rules.SafeText (the raw
// query of %00 is printable). Pairs that do not decode are dropped here as by every reader.
func checkQuery(f family, raw string) error {
	values, _ := url.ParseQuery(raw)
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !rules.SafeText(name) {
			return unsafeText(f, "query", "")
		}
		for _, v := range values[name] {
			if !rules.SafeText(v) {
				return unsafeText(f, "query", name)
			}
		}
	}
	return nil
}

// checkPath refuses a decoded path that is not rules.SafeText, naming the route's parameter
// that holds the bytes when there is one.
func checkPath(c echo.Context, f family) error {
	if rules.SafeText(c.Request().URL.Path) {
		return nil
	}
	values := c.ParamValues()
	for i, name := range c.ParamNames() {
		if i >= len(values) {
			break
		}
		v := values[i]
		if u, err := url.PathUnescape(v); !rules.SafeText(v) || (err == nil && !rules.SafeText(u)) {
			return unsafeText(f, "path", name)
		}
	}
	return unsafeText(f, "path", "")
}

// checkForm refuses form fields that are not rules.SafeText: on the V1 token 90002 like any
// form parameter, on the V2 token the username and password codes, else the family's
// non-printable code.
func checkForm(f family, form url.Values) error {
	names := make([]string, 0, len(form))
	for name := range form {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if rules.SafeText(name) && !slices.ContainsFunc(form[name], func(v string) bool { return !rules.SafeText(v) }) {
			continue
		}
		if !nameable(name) {
			if f.legacy() {
				return problem(http.StatusBadRequest, f.codes().nonPrintable, "", "Form body invalid")
			}
			return problem(http.StatusBadRequest, f.codes().nonPrintable, "", "Form body has non-printable characters")
		}
		switch {
		case f.legacy():
			return problem(http.StatusBadRequest, f.codes().nonPrintable, "/"+name, "Form param '"+name+"' invalid")
		case f == famToken && name == "username":
			return problem(http.StatusBadRequest, cmnUsername, "/username", "Username is invalid")
		case f == famToken && name == "password":
			return problem(http.StatusBadRequest, cmnPassword, "/password", "Password is invalid")
		}
		return problem(http.StatusBadRequest, f.codes().nonPrintable, "/"+name, "Form param "+name+" has non-printable characters")
	}
	return nil
}

// unsafeJSONString finds the first string of a well-formed JSON document, member names
// included, that is not rules.SafeText. It returns the JSON pointer of the value, or of the
// object for a member name, reading every member (so duplicates too) in document order.
func unsafeJSONString(body []byte) (pointer string, found bool) {
	type frame struct {
		object  bool
		wantKey bool   // object: the next token is a member name
		key     string // object: the current member
		index   int    // array: the current element
	}
	var stack []frame
	at := func(depth int) string {
		var b strings.Builder
		for _, fr := range stack[:depth] {
			b.WriteByte('/')
			if fr.object {
				b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(fr.key))
			} else {
				b.WriteString(strconv.Itoa(fr.index))
			}
		}
		return b.String()
	}
	next := func() { // a value of the innermost container is complete
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false // the end (the body was checked to be one well-formed document)
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if key, ok := tok.(string); ok {
				if !rules.SafeText(key) {
					return at(n - 1), true
				}
				stack[n-1].key, stack[n-1].wantKey = key, false
				continue
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default: // '}' or ']'
				stack = stack[:len(stack)-1]
				next()
			}
		case string:
			if !rules.SafeText(t) {
				return at(len(stack)), true
			}
			next()
		default:
			next()
		}
	}
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// printableBody allows JSON whitespace (tab, CR, LF) between tokens besides printable ASCII.
func printableBody(b []byte) bool {
	for _, ch := range b {
		if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch > 0x7e {
			return false
		}
	}
	return true
}
