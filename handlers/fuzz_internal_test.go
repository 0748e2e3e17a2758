package handlers

// Fuzz targets for the parsers of the HTTP layer that need no database: content negotiation,
// alias rewriting, the custom-method router, the caller's address from X-Forwarded-For, the
// text checks of hygiene, the Register v4 and Customer v2 body decoding with the domain's rules
// behind it, and the disclosure definition rules. The whole stack, database included, is
// fuzzed by the targets of fuzz_http_test.go.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/oapi-codegen/runtime"

	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/internal/fuzzcorpus"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/registration"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/xmlcodec"
)

var qvalue = regexp.MustCompile(`^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$`)

func FuzzNegotiation(f *testing.F) {
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("json", "application/json", "", "", []byte(`{}`)),
		fuzzcorpus.S("xml-q", "application/json;q=0.5, application/xml", "", "application/json", []byte(`{}`)),
		fuzzcorpus.S("tie-xml-first", "text/xml, application/json", "", "", []byte(`<x/>`)),
		fuzzcorpus.S("two-headers", "application/xml;q=0.9", "application/json;q=0.91", "text/xml", []byte(`<x/>`)),
		fuzzcorpus.S("wildcard", "*/*", "", "", []byte(" \n<FICustomer/>")),
		fuzzcorpus.S("q-forms", "application/json;q=1.000, application/xml;Q=0.999", "", "", []byte(nil)),
		fuzzcorpus.S("q-invalid", "application/json;q=1.5, application/xml;q=-1", "", "", []byte(nil)),
		fuzzcorpus.S("q-garbage", "application/json;q=0.5x;q", "application/xml;;q==", "", []byte(nil)),
		fuzzcorpus.S("case", "APPLICATION/JSON", "", "Application/XML; charset=utf-8", []byte("{}")),
		fuzzcorpus.S("no-content-type", "", "", "", []byte("<x/>")),
		fuzzcorpus.S("no-content-type-json", "", "", "", []byte("[]")),
		fuzzcorpus.S("many-parts", strings.Repeat("application/json;q=0.1,", 500), "", "", []byte(nil)),
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("hostile-"+h.Name, h.Value, "application/json;q="+h.Value, h.Value, []byte(h.Value)))
	}
	fuzzcorpus.Check(f, seeds)
	f.Fuzz(func(t *testing.T, accept1, accept2, contentType string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/registration/v4/fis/01111/fiCustomers", nil)
		for _, a := range []string{accept1, accept2} {
			if a != "" {
				r.Header.Add("Accept", a)
			}
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		j, x := acceptRank(r.Header.Values("Accept"))
		all := strings.ToLower(accept1 + accept2)
		switch {
		case j < 0 || j > 1000 || x < 0 || x > 1000:
			t.Fatalf("acceptRank: q-values %d, %d out of range", j, x)
		case j > 0 && !strings.Contains(all, "json"), x > 0 && !strings.Contains(all, "xml"):
			t.Fatalf("acceptRank credits a media type the header does not name: %d, %d", j, x)
		}
		for _, part := range strings.Split(accept1, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && strings.EqualFold(k, "q") && qvalue.MatchString(strings.TrimSpace(v)) {
				want, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if got := parseQ(v); got != int(math.Round(want*1000)) {
					t.Fatalf("parseQ(%q) = %d, want %v", v, got, want*1000)
				}
			}
		}
		mt, errMT, acc := negotiateLegacy(r), negotiateLegacyError(r), acceptedLegacy(r)
		for _, m := range []string{mt, errMT} {
			if m != echo.MIMEApplicationJSON && m != echo.MIMEApplicationXML {
				t.Fatalf("negotiated %q", m)
			}
		}
		if acc != "" && (mt != acc || errMT != acc) {
			t.Fatalf("Accept prefers %s, negotiated %s and %s", acc, mt, errMT)
		}
		before := mediaTypeOf(r)
		recogniseLegacyBody(r, body)
		after := mediaTypeOf(r)
		switch {
		case before == "" || before == "text/xml":
			if after != echo.MIMEApplicationJSON && after != echo.MIMEApplicationXML {
				t.Fatalf("recogniseLegacyBody left %q for %q", after, before)
			}
		case after != before:
			t.Fatalf("recogniseLegacyBody changed %q to %q", before, after)
		}
	})
}

// FuzzCanonicalPath: a canonical path stays as it is, every alias (with or without the
// /digitalbanking[/stage] prefix) becomes its canonical path with the rest untouched, prefixes
// count only at a segment boundary, and one rewrite is final (a path that still has a prefix
// after it had the gateway prefix twice, which no client sends).
func FuzzCanonicalPath(f *testing.F) {
	var seeds []fuzzcorpus.Seed
	for i, a := range aliasPrefixes {
		seeds = append(seeds, fuzzcorpus.S(fmt.Sprintf("alias-%02d", i+1), a.from+"/x"))
	}
	for i, p := range []string{"", "/", "/v1/accounts", "/v1/accountsX", "/digitalbanking", "/digitalbanking/", "/digitalbanking/stage",
		"/digitalbanking/stagex/v1/accounts", "/digitalbanking/digitalbanking/v1/accounts", "/db-accounts/v1/accounts%2F..%2F",
		"/ux-users/v1/customers/abc:unlock-user", "/v4/fis/", "/v4/fis", "//v4/fis/", "/v1/customers/../../etc/passwd",
		"/db-users/v1/user-status?x=1", "/\x00", "/db-disclosures/v1/institution-disclosures\u202e"} {
		seeds = append(seeds, fuzzcorpus.S(fmt.Sprintf("path-%02d", i+1), p))
	}
	fuzzcorpus.Check(f, seeds)
	atBoundary := func(path, prefix string) bool {
		rest, ok := strings.CutPrefix(path, prefix)
		return ok && (rest == "" || rest[0] == '/' || strings.HasSuffix(prefix, "/"))
	}
	f.Fuzz(func(t *testing.T, path string) {
		got := CanonicalPath(path)
		prefixed := atBoundary(path, "/digitalbanking")
		for _, a := range aliasPrefixes {
			prefixed = prefixed || atBoundary(path, a.from)
		}
		if !prefixed && got != path {
			t.Fatalf("CanonicalPath(%+q) = %+q: no prefix to rewrite", path, got)
		}
		if again := CanonicalPath(got); again != got && !atBoundary(got, "/digitalbanking") {
			t.Fatalf("CanonicalPath(%+q) = %+q, rewritten again to %+q", path, got, again)
		}
		if strings.HasPrefix(path, "/") {
			for _, a := range aliasPrefixes {
				if !(path == "" || path[0] == '/' || strings.HasSuffix(a.from, "/")) {
					continue
				}
				want := a.to + path
				for _, gw := range []string{"", "/digitalbanking", "/digitalbanking/stage"} {
					if got := CanonicalPath(gw + a.from + path); got != want {
						t.Fatalf("CanonicalPath(%+q) = %+q, want %+q", gw+a.from+path, got, want)
					}
				}
			}
		}
	})
}

// FuzzActionRouter: a custom-method path reaches the handler of its last ":action" with the
// parameter value that precedes it, an unknown action is 404 (never the base path's handler
// with the suffix still in the value), a value without one reaches the base path, and nothing
// panics. Through a real Echo with the router, escaped and unescaped.
func FuzzActionRouter(f *testing.F) {
	e := echo.New()
	r := newActionRouter(e)
	probe := func(name string) echo.HandlerFunc {
		return func(c echo.Context) error {
			// Hex, so that the value comes back byte for byte (JSON would mend invalid UTF-8).
			return c.JSON(http.StatusOK, map[string]string{"route": name, "value": hex.EncodeToString([]byte(c.Param("customerId")))})
		}
	}
	r.PUT(`/v1/customers/:customerId\:unlock-user`, probe("unlock-user"))
	r.PUT(`/v1/customers/:customerId\:reset-password`, probe("reset-password"))
	r.GET(`/v1/customers/:customerId`, probe(""))
	r.GET(`/v1/customers/:customerId\:lookup`, probe("lookup"))
	r.POST(`/v1/customers/register`, probe("register"))
	known := map[string]map[string]bool{http.MethodPut: {"unlock-user": true, "reset-password": true}, http.MethodGet: {"": true, "lookup": true}}
	var seeds []fuzzcorpus.Seed
	for i, s := range []struct{ method, value string }{
		{"PUT", "8fe733f4e27246908f92e8f7c0b96847:unlock-user"}, {"PUT", "sandboxuser1:reset-password"}, {"PUT", "a:b:unlock-user"},
		{"PUT", "abc"}, {"PUT", "abc:"}, {"PUT", ":unlock-user"}, {"PUT", "abc:UNLOCK-USER"}, {"GET", "abc"}, {"GET", "abc:lookup"},
		{"GET", "abc:other"}, {"POST", "register"}, {"POST", "register:unlock-user"}, {"PUT", "a%3Aunlock-user"}, {"PUT", "a/b:unlock-user"},
		{"DELETE", "abc:unlock-user"}, {"PUT", "abc:unlock-user\x00"}, {"PUT", strings.Repeat(":", 300)},
	} {
		seeds = append(seeds, fuzzcorpus.S(fmt.Sprintf("case-%02d", i+1), s.method, s.value))
	}
	fuzzcorpus.Check(f, seeds)
	f.Fuzz(func(t *testing.T, method, value string) {
		if method != http.MethodGet && method != http.MethodPut && method != http.MethodPost && method != http.MethodDelete {
			return
		}
		for _, escaped := range []bool{false, true} {
			target := "/v1/customers/" + value
			if escaped {
				target = "/v1/customers/" + url.PathEscape(value)
			}
			u, err := url.ParseRequestURI(target)
			if err != nil || strings.ContainsAny(target, " \t\r\n#?") {
				continue
			}
			req := &http.Request{Method: method, URL: u, Header: http.Header{}, Host: "example.com"}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				if rec.Code >= 500 {
					t.Fatalf("%s %s: %d", method, target, rec.Code)
				}
				continue
			}
			var got struct{ Route, Value string }
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			raw, _ := hex.DecodeString(got.Value)
			got.Value = string(raw)
			if got.Route == "register" {
				continue
			}
			if !known[method][got.Route] {
				t.Fatalf("%s %s reached %q", method, target, got.Route)
			}
			if got.Route == "" && strings.Contains(got.Value, ":") {
				t.Fatalf("%s %s reached the base path with an action still in %q", method, target, got.Value)
			}
			if !escaped && !strings.ContainsAny(value, "%/") {
				want := value
				if got.Route != "" {
					if want = strings.TrimSuffix(value, ":"+got.Route); want == value {
						t.Fatalf("%s %s reached %q without its suffix", method, target, got.Route)
					}
				}
				if got.Value != want {
					t.Fatalf("%s %s: the handler got %q, want %q", method, target, got.Value, want)
				}
			}
		}
		// A plain value ending in a known action always reaches it.
		if i := strings.LastIndexByte(value, ':'); i >= 0 && !strings.ContainsAny(value, "%/?#\x00 \t\r\n") && value != "register" {
			if action := value[i+1:]; action != "" && known[method][action] {
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest(method, "/v1/customers/"+url.PathEscape(value[:i])+":"+action, nil))
				if rec.Code != http.StatusOK {
					t.Fatalf("%s %q: %d, want its action %q", method, value, rec.Code, action)
				}
			}
		}
	})
}

// FuzzClientIP: the caller's address is always an IP address of at most 45 characters (its
// column); the peer's own unless a trusted proxy forwarded the request; and else a hop of
// X-Forwarded-For after which only trusted proxies came (the peer again when a hop they added
// is no address).
func FuzzClientIP(f *testing.F) {
	_, a, _ := net.ParseCIDR("10.0.0.0/8")
	_, b, _ := net.ParseCIDR("2001:db8::/32")
	trusted := []*net.IPNet{a, b}
	proxied, direct := clientIPExtractor(trusted), clientIPExtractor(nil)
	var seeds []fuzzcorpus.Seed
	for i, s := range []struct{ xff1, xff2, remote string }{
		{"203.0.113.7", "", "10.0.0.1:4000"}, {"203.0.113.7, 10.0.0.2", "", "10.0.0.1:4000"}, {"10.0.0.3", "10.0.0.2", "10.0.0.1:1"},
		{"203.0.113.7", "", "198.51.100.1:1"}, {"[2001:db8::1]", "", "[2001:db8::2]:1"}, {"::ffff:10.0.0.9", "", "10.0.0.1:1"},
		{"0000:0000:0000:0000:0000:ffff:10.0.0.9", "", "10.0.0.1:1"}, {"unknown", "", "10.0.0.1:1"}, {"", "", "[2001:db8::9]:443"},
		{"203.0.113.7", "", "198.51.100.2:0"}, {"fe80::1%eth0", "", "10.0.0.1:1"}, {" 10.0.0.5 ,, ", "", "10.0.0.1:1"},
		{"203.0.113.7:8080", "", "10.0.0.1:1"}, {"[[10.0.0.5]]", "", "10.0.0.1:1"}, {strings.Repeat("10.0.0.5,", 200), "", "10.0.0.1:1"},
	} {
		seeds = append(seeds, fuzzcorpus.S(fmt.Sprintf("case-%02d", i+1), s.xff1, s.xff2, s.remote))
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("hostile-"+h.Name, h.Value, "10.0.0.2", "10.0.0.1:1"))
	}
	fuzzcorpus.Check(f, seeds)
	isTrusted := func(s string) bool {
		ip := net.ParseIP(s)
		return ip != nil && (a.Contains(ip) || b.Contains(ip))
	}
	f.Fuzz(func(t *testing.T, xff1, xff2, remote string) {
		// The peer address comes from the connection (net/http writes ip:port); only the
		// header is the caller's to choose.
		if host, _, err := net.SplitHostPort(remote); err != nil || net.ParseIP(host) == nil {
			return
		}
		req := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		for _, v := range []string{xff1, xff2} {
			if v != "" {
				req.Header.Add("X-Forwarded-For", v)
			}
		}
		peer := direct(req)
		got := proxied(req)
		for _, ip := range []string{peer, got} {
			if ip != "" && (!rules.IPAddress(ip) || len(ip) > 45) {
				t.Fatalf("caller address %+q (X-Forwarded-For %+q, %+q; peer %+q)", ip, xff1, xff2, remote)
			}
		}
		samePeer := net.ParseIP(got).Equal(net.ParseIP(peer)) // the peer, perhaps written canonically
		if (!isTrusted(peer) || len(req.Header["X-Forwarded-For"]) == 0) && !samePeer {
			t.Fatalf("peer %+q is not a trusted proxy, but the address is %+q", peer, got)
		}
		// Otherwise it is a hop of the header that only trusted proxies came after: never a
		// value a client wrote in front of an untrusted hop.
		if !samePeer {
			hops := strings.Split(strings.Join(req.Header["X-Forwarded-For"], ","), ",")
			at := -1
			for i, hop := range hops {
				if ip := net.ParseIP(strings.Trim(strings.TrimSpace(hop), "[]")); ip != nil && ip.Equal(net.ParseIP(got)) {
					at = i
				}
			}
			if at < 0 {
				t.Fatalf("address %+q is neither the peer %+q nor a hop of %+q", got, peer, hops)
			}
			for _, hop := range hops[at+1:] {
				if !isTrusted(strings.Trim(strings.TrimSpace(hop), "[]")) {
					t.Fatalf("address %+q was written before the untrusted hop %+q", got, hop)
				}
			}
		}
	})
}

// fixedMessage is every message the hygiene checks give for a query, path, form or JSON
// fault, with the parameter's name (when it may be named) as NAME: no value ever appears.
var fixedMessage = regexp.MustCompile(`^(Query param|Path param|Form param)( 'NAME')? invalid$` +
	`|^(Query param|Path param|Form param)( NAME)? has non-printable characters$` +
	`|^Form body (invalid|has non-printable characters)$|^(Username|Password) is invalid$` +
	`|^Query param '(NAME|[a-z_]+)' not allowed$|^Query param (NAME|[a-z_]+) is not allowed$`)

func checkMessage(t *testing.T, err error, names ...string) {
	t.Helper()
	if err == nil {
		return
	}
	var p *Problem
	if !errors.As(err, &p) || p.Status != http.StatusBadRequest {
		t.Fatalf("unexpected error %v", err)
	}
	msg := p.Message
	for _, n := range names {
		if nameable(n) {
			msg = strings.Replace(msg, "'"+n+"'", "'NAME'", 1)
			msg = strings.Replace(msg, "param "+n+" ", "param NAME ", 1)
		}
	}
	if !fixedMessage.MatchString(msg) {
		t.Fatalf("message %q is not one of the fixed texts", p.Message)
	}
}

// jsonStrings reports whether every string of a well-formed document, member names included,
// is safe text, read with its own walk of the token stream.
func jsonStringsSafe(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return true
		}
		if s, ok := tok.(string); ok && !rules.SafeText(s) {
			return false
		}
	}
}

func FuzzHygieneText(f *testing.F) {
	var seeds []fuzzcorpus.Seed
	for i, s := range []struct {
		body  string
		query string
	}{
		{`{"a":"b","c":[1,"d",{"e":"f"}]}`, "a=b&c=d"},
		{`{"a":"\u0000"}`, "a=%00"}, {`{"a\u202e":1}`, "%E2%80%AE=1"}, {`["ok","x\ty"]`, "username=x&password=y"},
		{`{"a":{"b":{"c":"\u200b"}}}`, "client_secret=s"}, {`{"a/b~c":"\u0085"}`, "Password=p&TOKEN=t"},
		{`"\ud83d\ude00"`, "a=%ZZ&b=%ff"}, {`{"a":"x","a":"\u2028"}`, "a=1;b=2"},
	} {
		seeds = append(seeds, fuzzcorpus.S(fmt.Sprintf("case-%02d", i+1), []byte(s.body), s.query))
	}
	for _, h := range fuzzcorpus.HostileJSON {
		seeds = append(seeds, fuzzcorpus.S("json-"+h.Name, []byte(h.Value), "x="+url.QueryEscape(h.Value)))
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("text-"+h.Name, []byte(`{"v":`+fuzzcorpus.JSONEscaped(h.Value)+`}`), url.QueryEscape(h.Value)+"="+url.QueryEscape(h.Value)))
	}
	fuzzcorpus.Check(f, seeds)
	families := []family{famGeneric, famLegacyToken, famLegacy, famToken, famDisclosures, famAccounts, famCustomers, famInstitutionUsers}
	f.Fuzz(func(t *testing.T, body []byte, query string) {
		if utf8.Valid(body) && json.Valid(body) {
			at, found := unsafeJSONString(body)
			if found == jsonStringsSafe(body) {
				t.Fatalf("unsafeJSONString(%+q) = %q, %v", body, at, found)
			}
			if found && at != "" && at[0] != '/' {
				t.Fatalf("unsafeJSONString(%+q): pointer %q", body, at)
			}
		}
		values, _ := url.ParseQuery(query)
		var names []string
		safe := true
		for name, vs := range values {
			names = append(names, name)
			safe = safe && rules.SafeText(name)
			for _, v := range vs {
				safe = safe && rules.SafeText(v)
			}
		}
		for _, fam := range families {
			err := checkQuery(fam, query)
			if (err == nil) != safe {
				t.Fatalf("checkQuery(%+q) = %v", query, err)
			}
			checkMessage(t, err, names...)
			form, _ := url.ParseQuery(string(body))
			var formNames []string
			for n := range form {
				formNames = append(formNames, n)
			}
			checkMessage(t, checkForm(fam, form), formNames...)
			if fam == famToken || fam == famLegacyToken {
				checkMessage(t, credentialsInQuery(fam, query), names...)
			}
		}
	})
}

// registrationFI is the policy the registration fuzz targets check against: FI 01111 of the
// sandbox, with disclosures accepted at registration or at first login.
func registrationFI(atFirstLogin bool) (models.Institution, []models.Disclosure) {
	fi := models.Institution{ID: "01111", Name: "Fuzz", DisclosureAcceptance: models.AcceptAtRegistration, UsernameMin: 8, UsernameMax: 20,
		PasswordMin: 6, PasswordMax: 32, MaxDestinations: 5}
	if atFirstLogin {
		fi.DisclosureAcceptance = models.AcceptAtFirstLogin
	}
	defs := []models.Disclosure{
		{ID: "50145570B91B5BD3E063B9E011AC7529", InstitutionID: "01111", Name: "IB", Enabled: true, Required: true},
		{ID: "6A2F1C0D9E8B4A7F8C3D2B1A0F9E8D7C", InstitutionID: "01111", Name: "ESIGN", Enabled: true, Required: true},
		{ID: "7B3E2D1C0A9F4B8E9D4C3B2A1F0E9D8C", InstitutionID: "01111", Name: "OLS", Enabled: true},
	}
	return fi, defs
}

var fuzzNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// checkPlan asserts what the store relies on in a plan that passed every rule: safe text only,
// every value within its column, the identity fields well-formed.
func checkPlan(t *testing.T, fi models.Institution, p registration.Plan) {
	t.Helper()
	fail := func(what string) { t.Helper(); t.Fatalf("accepted plan: %s", what) }
	within := func(s string, runes int) bool { return rules.SafeText(s) && utf8.RuneCountInString(s) <= runes }
	per := p.Person
	switch {
	case !rules.MemberNumber(p.MemberNumber):
		fail("member number")
	case !within(per.LoginID, fi.UsernameMax) || len(per.LoginID) < fi.UsernameMin:
		fail("login id")
	case !within(per.Password, fi.PasswordMax) || len(per.Password) > 128:
		fail("password")
	case !within(per.FirstName, rules.MaxNameLen) || rules.Blank(per.FirstName), !within(per.MiddleName, rules.MaxNameLen),
		!within(per.LastName, rules.MaxNameLen) || rules.Blank(per.LastName):
		fail("names")
	case per.Email != "" && !within(per.Email, rules.MaxEmailLen):
		fail("email")
	case !rules.SSN(per.SSN), !rules.BirthDate(per.BirthDate, fuzzNow):
		fail("SSN or birth date")
	case !within(per.MotherMaidenName, 128) || len(per.MotherMaidenName) > 320 || rules.Blank(per.MotherMaidenName):
		fail("maiden name")
	case !within(p.HostPIN, 32):
		fail("host PIN")
	case len(p.Addresses) == 0 || len(p.Phones) == 0 || len(p.Phones)+min(len(per.Email), 1) > fi.MaxDestinations:
		fail("contact points")
	}
	for _, a := range p.Addresses {
		for _, v := range []string{a.Address1, a.Address2, a.Address3, a.City, a.State} {
			if !within(v, rules.MaxAddressLen) {
				fail("address text")
			}
		}
		if !within(a.PostalCode, 32) || !rules.Country(a.Country) || len(a.Country) > 3 || a.Country != strings.ToUpper(a.Country) {
			fail("postal code or country")
		}
	}
	for _, ph := range p.Phones {
		if !rules.NANPPhone(ph.Number) || !within(ph.CountryCode, 4) {
			fail("phone")
		}
	}
	for _, d := range p.Destinations {
		if !within(d.ContactInfo, 128) || !within(d.CountryCode, 4) {
			fail("contact method")
		}
	}
}

// secretsOf are the submitted values no answer may carry: passwords, SSN, birth date, maiden
// name, host PIN (those of at least 4 bytes, so a match means something).
func secretsOf(a registration.Application) []string {
	var out []string
	vals := []string{a.SSN, a.BirthDate, a.MotherMaidenName, a.HostPIN}
	for _, c := range a.Channels {
		vals = append(vals, c.Password)
	}
	for _, v := range vals {
		if len(v) >= 4 && !strings.Contains(" invalid Invalid value Required field missing ", v) {
			out = append(out, v)
		}
	}
	return out
}

// checkViolations asserts that every refusal is answered in both families with messages that
// carry none of the submitted secrets.
func checkViolations(t *testing.T, a registration.Application, err error) {
	t.Helper()
	var vs registration.Violations
	if !errors.As(err, &vs) || len(vs) == 0 {
		t.Fatalf("Check: %v, want violations", err)
	}
	secrets := secretsOf(a)
	for _, v := range vs {
		for _, p := range []*Problem{violationProblem(v), customerV2Problem(v)} {
			if p.Status != http.StatusBadRequest || p.Code == "" {
				t.Fatalf("violation %+v answered %+v", v, p)
			}
			for _, s := range secrets {
				if strings.Contains(p.Message, s) || strings.Contains(p.Field, s) {
					t.Fatalf("message %q carries a submitted value", p.Message)
				}
			}
		}
	}
}

func registrationJSON(edit func(m map[string]any)) []byte {
	m := map[string]any{
		"id": map[string]any{"value": "0", "type": "GUID"}, "fiId": map[string]any{"value": "01111"}, "memberNumber": "R1000",
		"person": map[string]any{
			"personName": map[string]any{"firstName": "Jane", "lastName": "Doe"},
			"contactInfo": map[string]any{"emailAddress": "jane@example.com",
				"postalAddress": []any{map[string]any{"address1": "100 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US"}},
				"phoneNumber":   []any{map[string]any{"number": "2175550123", "countryCode": "0"}}},
			"birthDate": "1989-10-09"},
		"channelInfos": map[string]any{"channelInfo": []any{map[string]any{"channelType": "TPV_API",
			"credential": map[string]any{"loginId": "user00001", "password": "Blue!Sky42"}}}},
		"acceptedDisclosure": "true", "userType": "PRIMARY", "ssn": "123456789", "motherMaidenName": "Quellenberg",
		"hostCredential": map[string]any{"password": "8642"},
	}
	if edit != nil {
		edit(m)
	}
	b, _ := json.Marshal(map[string]any{"FICustomer": m})
	return b
}

// registrationXML renders a JSON registration document as the XML body Register v4 takes.
func registrationXML(doc []byte) []byte {
	var v map[string]any
	_ = json.Unmarshal(doc, &v)
	var b strings.Builder
	var write func(name string, v any)
	write = func(name string, v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				write(name, e)
			}
			return
		case map[string]any:
			b.WriteString("<" + name + ">")
			for _, k := range sortedKeys(x) {
				write(k, x[k])
			}
		default:
			b.WriteString("<" + name + ">" + fuzzcorpus.XMLText(fmt.Sprint(x)))
		}
		b.WriteString("</" + name + ">")
	}
	write("FICustomer", v["FICustomer"])
	return []byte(b.String())
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// registrationSeeds are Register v4 bodies in JSON and XML: valid ones, every hostile text
// value in each personal field, and hostile whole documents.
func registrationSeeds() []fuzzcorpus.Seed {
	set := func(path string, v any) func(map[string]any) {
		return func(m map[string]any) {
			steps := strings.Split(path, ".")
			cur := m
			for _, s := range steps[:len(steps)-1] {
				next, ok := cur[s].(map[string]any)
				if !ok {
					if arr, ok := cur[s].([]any); ok {
						next = arr[0].(map[string]any)
					} else {
						next = map[string]any{}
						cur[s] = next
					}
				}
				cur = next
			}
			cur[steps[len(steps)-1]] = v
		}
	}
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("json-valid", false, false, registrationJSON(nil)),
		fuzzcorpus.S("xml-valid", true, false, registrationXML(registrationJSON(nil))),
		fuzzcorpus.S("json-first-login", false, true, registrationJSON(set("acceptedDisclosure", false))),
		fuzzcorpus.S("json-disclosure-ids", false, false, registrationJSON(set("acceptedDisclosures", []any{"50145570B91B5BD3E063B9E011AC7529"}))),
		fuzzcorpus.S("json-bool-strings", false, false, registrationJSON(set("acceptedDisclosure", "TRUE"))),
		fuzzcorpus.S("json-number-as-string", false, false, registrationJSON(set("memberNumber", 12345))),
		fuzzcorpus.S("json-huge-number", false, false, []byte(strings.Replace(string(registrationJSON(nil)), `"R1000"`, `1e999999`, 1))),
		fuzzcorpus.S("json-null-person", false, false, registrationJSON(set("person", nil))),
		fuzzcorpus.S("json-empty-lists", false, false, registrationJSON(set("channelInfos", map[string]any{"channelInfo": []any{}}))),
		fuzzcorpus.S("json-two-channels", false, false, registrationJSON(set("channelInfos", map[string]any{"channelInfo": []any{
			map[string]any{"channelType": "TPV_API"}, map[string]any{"channelType": "TPV_API"}}}))),
		fuzzcorpus.S("json-many-phones", false, false, registrationJSON(set("person.contactInfo.phoneNumber", func() []any {
			var out []any
			for i := range 60 {
				out = append(out, map[string]any{"number": fmt.Sprintf("21755501%02d", i)})
			}
			return out
		}()))),
		fuzzcorpus.S("json-wrong-case-keys", false, false, []byte(strings.Replace(string(registrationJSON(nil)), `"ssn"`, `"SSN"`, 1))),
		fuzzcorpus.S("json-unwrapped", false, false, []byte(`{"memberNumber":"R1"}`)),
	}
	fields := map[string]string{
		"first-name": "person.personName.firstName", "email": "person.contactInfo.emailAddress", "city": "person.contactInfo.postalAddress.city",
		"country": "person.contactInfo.postalAddress.country", "phone": "person.contactInfo.phoneNumber.number",
		"phone-country": "person.contactInfo.phoneNumber.countryCode", "birth-date": "person.birthDate",
		"login": "channelInfos.channelInfo.credential.loginId", "password": "channelInfos.channelInfo.credential.password",
		"ssn": "ssn", "maiden-name": "motherMaidenName", "host-pin": "hostCredential.password", "member": "memberNumber",
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		for _, h := range fuzzcorpus.HostileText {
			switch h.Name {
			case "nul", "bidi-override", "zero-width", "invalid-utf8", "long", "huge-number", "crlf-header-injection":
			default:
				continue
			}
			doc := registrationJSON(set(fields[name], "@@"))
			raw := bytes.Replace(doc, []byte(`"@@"`), []byte(fuzzcorpus.JSONString(h.Value)), 1)
			escaped := bytes.Replace(doc, []byte(`"@@"`), []byte(fuzzcorpus.JSONEscaped(h.Value)), 1)
			seeds = append(seeds,
				fuzzcorpus.S("json-"+name+"-"+h.Name, false, false, raw),
				fuzzcorpus.S("json-escaped-"+name+"-"+h.Name, false, false, escaped),
				fuzzcorpus.S("xml-"+name+"-"+h.Name, true, false, bytes.Replace(registrationXML(doc), []byte("@@"), []byte(fuzzcorpus.XMLText(h.Value)), 1)))
		}
	}
	for _, h := range fuzzcorpus.HostileJSON {
		seeds = append(seeds, fuzzcorpus.S("json-doc-"+h.Name, false, false, []byte(h.Value)))
	}
	for _, h := range fuzzcorpus.HostileXML {
		seeds = append(seeds, fuzzcorpus.S("xml-doc-"+h.Name, true, false, []byte(h.Value)))
	}
	return seeds
}

// FuzzDecodeRegistration: a Register v4 body (JSON, or XML through the XML decoder with the
// spec's schema) is decoded as decodeRegistration does, without the validator in front, then
// checked by the domain's rules: nothing panics; the body hashes for idempotency; a plan that
// passes holds only what the store can keep; every refusal is answered without the values.
func FuzzDecodeRegistration(f *testing.F) {
	fuzzcorpus.Check(f, registrationSeeds())
	spec, err := LoadSpec()
	if err != nil {
		f.Fatal(err)
	}
	schema := spec.Components.Schemas["FICustomerRegistration"].Value
	f.Fuzz(func(t *testing.T, isXML, atFirstLogin bool, body []byte) {
		var doc any
		if isXML {
			inner, err := xmlcodec.Decode(bytes.NewReader(body), schema)
			if err != nil {
				return
			}
			doc = map[string]any{"FICustomer": inner}
		} else if err := json.Unmarshal(body, &doc); err != nil {
			return
		}
		var req gen.RegisterCustomerRequest
		if err := runtime.BindJSONValue(doc, &req); err != nil {
			return
		}
		if _, err := json.Marshal(struct {
			FI   string
			Body *gen.FICustomerRegistration
		}{"01111", &req.FICustomer}); err != nil {
			t.Fatalf("the body does not hash for idempotency: %v", err)
		}
		a := toApplication("01111", &req.FICustomer)
		fi, defs := registrationFI(atFirstLogin)
		plan, err := registration.Check(fi, defs, a, fuzzNow)
		if err != nil {
			checkViolations(t, a, err)
			return
		}
		checkPlan(t, fi, plan)
	})
}

// FuzzDecodeCustomerV2: the same for the flat Customer v2 registration body.
func FuzzDecodeCustomerV2(f *testing.F) {
	valid := map[string]any{"fiId": "01111", "memberNumber": "555000111", "firstName": "Robin", "lastName": "Lee",
		"emailAddress": "robin@example.com", "birthDate": "1990-04-05", "ssn": "123456789", "motherMaidenName": "Quellenberg",
		"loginId": "robin_lee1", "password": "Blue!Sky42", "acceptedDisclosure": true, "userRole": "PRIMARY", "hostPassword": "8642",
		"postalAddress": map[string]any{"address1": "1 Elm St", "address2": "", "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US"},
		"contactInfo":   map[string]any{"contactInfo": "2175550123", "telephoneCountryCode": "1"}}
	render := func(edit func(map[string]any)) []byte {
		m := map[string]any{}
		b, _ := json.Marshal(valid)
		_ = json.Unmarshal(b, &m)
		if edit != nil {
			edit(m)
		}
		out, _ := json.Marshal(m)
		return out
	}
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("valid", false, render(nil)),
		fuzzcorpus.S("first-login", true, render(func(m map[string]any) { delete(m, "acceptedDisclosure") })),
		fuzzcorpus.S("channel-type", false, render(func(m map[string]any) { m["channelType"] = "WEB" })),
		fuzzcorpus.S("missing-address", false, render(func(m map[string]any) { delete(m, "postalAddress") })),
		fuzzcorpus.S("wrong-case-key", false, bytes.Replace(render(nil), []byte(`"ssn"`), []byte(`"SSN"`), 1)),
		fuzzcorpus.S("numbers", false, render(func(m map[string]any) { m["memberNumber"] = 1e300; m["ssn"] = 123456789 })),
	}
	for _, field := range []string{"firstName", "loginId", "password", "ssn", "motherMaidenName", "emailAddress", "birthDate", "hostPassword"} {
		for _, h := range fuzzcorpus.HostileText {
			switch h.Name {
			case "nul", "bidi-override", "zero-width", "invalid-utf8", "long":
			default:
				continue
			}
			doc := render(func(m map[string]any) { m[field] = "@@" })
			seeds = append(seeds, fuzzcorpus.S(strings.ToLower(field)+"-"+h.Name, false,
				bytes.Replace(doc, []byte(`"@@"`), []byte(fuzzcorpus.JSONEscaped(h.Value)), 1)))
		}
	}
	for _, h := range fuzzcorpus.HostileJSON {
		seeds = append(seeds, fuzzcorpus.S("doc-"+h.Name, false, []byte(h.Value)))
	}
	fuzzcorpus.Check(f, seeds)
	f.Fuzz(func(t *testing.T, atFirstLogin bool, body []byte) {
		var req gen.CustomerRegistrationRequest
		if err := bindExactJSON(body, &req); err != nil {
			return
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatalf("the body does not hash for idempotency: %v", err)
		}
		a := toApplicationV2("01111", &req)
		fi, defs := registrationFI(atFirstLogin)
		plan, err := registration.Check(fi, defs, a, fuzzNow)
		if err != nil {
			checkViolations(t, a, err)
			return
		}
		checkPlan(t, fi, plan)
	})
}

// definitionMessages are checkDefinition's refusals: fixed texts, so no submitted value is in one.
var definitionMessages = map[string]bool{
	"institutionDisclosureName is required": true, "institutionDisclosureName exceeds 64 characters": true,
	"institutionDisclosureName has non-printable characters": true, "institutionDisclosureData exceeds 2048 characters": true,
	"institutionDisclosureData has non-printable characters":                  true,
	"institutionDisclosureData and institutionDisclosureDataType go together": true,
	"Only the URL data type is supported":                                     true, "institutionDisclosureData must be an http(s) URL": true,
}

// FuzzCheckDefinition: a disclosure definition that passes is what the columns and the
// contract allow, and a refusal never repeats the submitted text.
func FuzzCheckDefinition(f *testing.F) {
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("valid", "IB", "https://fi.example/ib.html", "URL"),
		fuzzcorpus.S("no-data", "Paper statements", "", ""),
		fuzzcorpus.S("data-without-type", "IB", "https://fi.example/ib.html", ""),
		fuzzcorpus.S("other-type", "IB", "<b>terms</b>", "HTML"),
		fuzzcorpus.S("javascript-url", "IB", "javascript:alert(1)", "URL"),
		fuzzcorpus.S("padded-name", "  IB  ", "http://fi.example", "URL"),
		fuzzcorpus.S("long-name", strings.Repeat("N", 65), "", ""),
		fuzzcorpus.S("long-data", "IB", "https://fi.example/"+strings.Repeat("a", 2048), "URL"),
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("hostile-"+h.Name, h.Value, "https://fi.example/"+h.Value, "URL"))
	}
	fuzzcorpus.Check(f, seeds)
	f.Fuzz(func(t *testing.T, name, data, dataType string) {
		yes := true
		spec, err := checkDefinition(definitionFields{name: &name, data: &data, dataType: &dataType, enabled: &yes, required: &yes})
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest {
				t.Fatalf("checkDefinition: %v", err)
			}
			if !definitionMessages[p.Message] {
				t.Fatalf("message %q is not one of the fixed texts", p.Message)
			}
			return
		}
		switch {
		case rules.Blank(spec.Name) || len(spec.Name) > 64 || !rules.Printable(spec.Name) || spec.Name != strings.TrimSpace(spec.Name):
			t.Fatalf("accepted name %+q", spec.Name)
		case len(spec.Data) > 2048 || !rules.Printable(spec.Data) || (spec.Data != "" && !rules.DisclosureDataURL(spec.Data)):
			t.Fatalf("accepted data %+q", spec.Data)
		case (spec.Data == "") != (spec.DataType == "") || (spec.DataType != "" && spec.DataType != "URL"):
			t.Fatalf("accepted data %+q with type %+q", spec.Data, spec.DataType)
		}
	})
}
