package handlers

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// aliasPrefixes maps legacy paths onto canonical ones (D9). Longest prefixes first; the
// /digitalbanking prefixes are stripped before this table applies.
var aliasPrefixes = []struct{ from, to string }{
	{"/db-disclosures/v1/institution-user-disclosures", "/v1/institution-user-disclosures"},
	{"/db-disclosures/v1/institution-disclosures", "/v1/institution-disclosures"},
	{"/db-accounts/v1/accounts", "/v1/accounts"},
	{"/ux-users/v1/customers", "/v1/customers"},
	{"/db-users/v1/institution-users", "/v1/institution-users"},
	{"/db-users/v1/user-status", "/v1/user-status"},
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

// canonicalPath is a pre-routing middleware applying CanonicalPath to the request. The escaped
// form (RawPath, which Echo routes on when set) is rewritten too, so that an alias routes exactly
// like its canonical path: %2F and %3A stay inside their segment instead of becoming a slash or
// the separator of a custom method. Only when the prefix itself was escaped does the escaped
// form not follow, and routing falls back to the decoded path.
func canonicalPath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		if p := CanonicalPath(u.Path); p != u.Path {
			raw := ""
			if u.RawPath != "" {
				// The raw path as sent, not EscapedPath: that re-encodes Path when RawPath holds a
				// byte it would escape (a '"'), decoding the client's %3A, so an alias would route
				// what its canonical path does not (found by FuzzHTTPAliases).
				raw = CanonicalPath(u.RawPath)
				if decoded, err := url.PathUnescape(raw); err != nil || decoded != p {
					raw = ""
				}
			}
			u.Path, u.RawPath = p, raw
		}
		return next(c)
	}
}
