package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
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
// ASCII (V2 families), body size, and a JSON-only body for accounts.
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
		if strict && !printableASCII(r.URL.RawQuery) {
			return problem(http.StatusBadRequest, codes.nonPrintable, "query", "Request contains non-printable characters")
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
		if len(body) > 0 && mediaTypeOf(r) == echo.MIMEApplicationJSON && !json.Valid(body) {
			// One JSON document and nothing after it; decoders downstream stop at the first value.
			return problem(http.StatusBadRequest, codes.badRequest, "", "Request body is not well-formed JSON")
		}
		if r.Method == http.MethodDelete && mediaTypeOf(r) == echo.MIMEApplicationForm {
			// net/http ignores bodies of DELETE in ParseForm; the revoke endpoint carries its
			// token there, so parse it once here for the generated binder.
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return problem(http.StatusBadRequest, codes.badRequest, "", "Form body is not well-formed")
			}
			r.PostForm = form
		}
		return next(c)
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
