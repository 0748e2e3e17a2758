package handlers

import (
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
