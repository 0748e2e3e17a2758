package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/rules"
)

// aliasPrefixes maps legacy paths onto canonical ones (D9). Longest prefixes first; the
// /digitalbanking prefixes are stripped before this table applies.
var aliasPrefixes = []struct{ from, to string }{
	{"/db-disclosures/v1/institution-user-disclosures", "/v1/institution-user-disclosures"},
	{"/db-disclosures/v1/institution-disclosures", "/v1/institution-disclosures"},
	{"/db-accounts/v1/accounts", "/v1/accounts"},
	{"/accounts/v1/accounts", "/v1/accounts"},
	{"/v4/fis/", "/registration/v4/fis/"},
	{"/v2/fis/", "/bankingservices/v2/fis/"},
}

// CanonicalPath strips the optional /digitalbanking[/stage] prefix and rewrites an alias path to
// its canonical form, so routing, validation and handlers only ever see canonical paths.
func CanonicalPath(path string) string {
	for _, prefix := range []string{"/digitalbanking/stage", "/digitalbanking"} {
		if rest, ok := strings.CutPrefix(path, prefix); ok && (rest == "" || rest[0] == '/') {
			path = rest
			break
		}
	}
	for _, a := range aliasPrefixes {
		if rest, ok := strings.CutPrefix(path, a.from); ok && (rest == "" || rest[0] == '/' || strings.HasSuffix(a.from, "/")) {
			return a.to + rest
		}
	}
	return path
}

// canonicalPath is a pre-routing middleware applying CanonicalPath to the request.
func canonicalPath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if p := CanonicalPath(r.URL.Path); p != r.URL.Path {
			r.URL.Path = p
			r.URL.RawPath = ""
		}
		return next(c)
	}
}

// requestInfo is what the stack learns about a request as it passes through; handlers reach it
// through the request context.
type requestInfo struct {
	family     family
	traceID    string
	mediaType  string // legacy response media type per D1
	clientIP   string
	operation  string
	errorCodes Problems
	principal  *principal
	body       []byte // the raw body of legacy-family requests, for strict decoding
}

type requestInfoKey struct{}

// requestInfoOf returns the request's info (a blank one outside the stack, never nil).
func requestInfoOf(c echo.Context) *requestInfo {
	if info, ok := c.Request().Context().Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{family: familyOf(c.Request().URL.Path)}
}

// infoFrom returns the request info inside a strict handler.
func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// observe sets up the request info, echoes the trace header, and records metrics and the
// access log (route template only: paths and queries can carry identifiers).
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		r := c.Request()
		f := familyOf(r.URL.Path)
		info := &requestInfo{family: f, mediaType: negotiateLegacy(r), clientIP: c.RealIP()}
		if h := f.traceHeader(); h != "" {
			info.traceID = r.Header.Get(h)
			if info.traceID != "" && len(info.traceID) <= 64 {
				c.Response().Header().Set(h, info.traceID)
			}
		}
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" || route == "/*" {
			route = "unmatched"
		}
		status := c.Response().Status
		elapsed := time.Since(start)
		s.metrics.observe(route, r.Method, status, elapsed)
		attrs := []any{"method", r.Method, "route", route, "status", status, "duration_ms", float64(elapsed.Microseconds()) / 1000}
		if info.traceID != "" && len(info.traceID) <= 64 {
			attrs = append(attrs, "trace_id", info.traceID)
		}
		if info.operation != "" {
			attrs = append(attrs, "operation", info.operation)
		}
		if len(info.errorCodes) > 0 {
			codes := make([]string, len(info.errorCodes))
			for i, p := range info.errorCodes {
				codes[i] = p.Code
			}
			attrs = append(attrs, "error_codes", codes)
		}
		s.log.InfoContext(r.Context(), "request", attrs...)
		return nil
	}
}

// negotiateLegacy picks the legacy response media type (D1): an Accept naming JSON or XML
// wins, else the request's Content-Type, else XML.
func negotiateLegacy(r *http.Request) string {
	json, xml := acceptRank(r.Header.Values("Accept"))
	switch {
	case json > 0 && json >= xml:
		return echo.MIMEApplicationJSON
	case xml > 0:
		return echo.MIMEApplicationXML
	}
	switch mediaTypeOf(r) {
	case echo.MIMEApplicationJSON:
		return echo.MIMEApplicationJSON
	}
	return echo.MIMEApplicationXML
}

// acceptRank gives the q-values (x1000) Accept assigns to JSON and XML; 0 means not named.
// Equal values favour JSON only when JSON comes first.
func acceptRank(values []string) (json, xml int) {
	pos := 0
	jsonPos, xmlPos := -1, -1
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			q := 1000
			for _, p := range strings.Split(params, ";") {
				if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
					q = parseQ(val)
				}
			}
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/json":
				json, jsonPos = q, pos
			case "application/xml", "text/xml":
				xml, xmlPos = q, pos
			}
			pos++
		}
	}
	if json == xml && json > 0 && xmlPos < jsonPos {
		json-- // the first named wins a tie
	}
	return json, xml
}

func parseQ(v string) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	whole, frac, _ := strings.Cut(v, ".")
	q := 0
	switch whole {
	case "1":
		return 1000
	case "0":
	default:
		return 0
	}
	for i, mul := 0, 100; i < len(frac) && i < 3; i, mul = i+1, mul/10 {
		if frac[i] < '0' || frac[i] > '9' {
			return 0
		}
		q += int(frac[i]-'0') * mul
	}
	return q
}

const maxHeaderBytes = 8 << 10

// hygiene applies the request rules every family shares (CONTRACT.md 1.6): header size, printable
// ASCII (V2 families), body size, and a JSON-only body for accounts. Beyond the published rules,
// no text a request carries may hold control, bidi or invisible characters or invalid UTF-8
// (rules.SafeText): the decoded path and query, form values, JSON bodies (which must be UTF-8)
// and, in the V2 families, every string of a JSON body. Such bytes would otherwise be stored
// or, on PostgreSQL, fail the query and answer 500. The token and revoke endpoints take their
// credentials from the form body only.
func (s *Server) hygiene(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		info := requestInfoOf(c)
		codes := info.family.codes()
		strict := info.family == famToken || info.family == famAccounts || info.family == famDisclosures
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
		body, err := io.ReadAll(io.LimitReader(r.Body, s.maxBody+1))
		_ = r.Body.Close()
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
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
		if info.family == famLegacy && len(body) > 0 {
			// Content-Type is optional on Register v4: recognise the body, and read text/xml
			// as application/xml, before validation and negotiation (D1).
			switch mediaTypeOf(r) {
			case "":
				if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '<' {
					r.Header.Set("Content-Type", echo.MIMEApplicationXML)
				} else {
					r.Header.Set("Content-Type", echo.MIMEApplicationJSON)
				}
			case "text/xml":
				r.Header.Set("Content-Type", echo.MIMEApplicationXML)
			}
			info.mediaType = negotiateLegacy(r)
			info.body = body
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

// recordedHeaders are kept with tokens, audit events and disclosure evidence (CONTRACT.md 1.3).
var recordedHeaders = []string{"user-agent", "offering_id", "originating_ip"}

// checkRecordedHeaders refuses recorded headers the V2 rule of printable ASCII does not
// already cover: in the legacy families each must be rules.SafeText (90002, as any header
// there, CONTRACT.md 3.4, 6.3); and a sent originating_ip must be an IP address wherever it is
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
