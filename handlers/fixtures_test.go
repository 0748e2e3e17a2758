package handlers_test

// The sandbox the tests run against (db/sandbox.yaml), the tokens they hold, and the one builder
// of Register v4 requests.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/custreg/custreg/gen"
)

// ---------------------------------------------------------------- the sandbox

// Institutions, apps and the registered user.
const (
	fiCreditUnion   = "01111" // disclosures accepted at registration; login ids of 8-20 characters
	fiCommunityBank = "02222" // disclosures accepted at first login; login ids of 6-12 characters
	sandboxApp      = "sandbox-app"
	sandboxSecret   = "sandbox-secret"
	limitedApp      = "sandbox-limited" // accounts:read at 01111 only, client credentials only
	limitedSecret   = "sandbox-limited-secret"
	sandboxUser     = "sandboxuser1" // member 100200300 at 01111
	sandboxPassword = "Sandbox2024!"
	sandboxUserGUID = "8fe733f4e27246908f92e8f7c0b96847"
	sandboxUserIUID = "A9F87530DFC43E2F1ECF44F6FD8B8351" // institutionUserId
	sandboxUserAuth = "5d0c8e2a7b9f4136a1e4c7d2b8f06a35" // authId (InstitutionUser.userId)
)

// Members and their accounts.
const (
	memberAlex     = "468531842" // FI 01111, not registered: checking, savings, credit card
	memberSam      = "100200300" // FI 01111, registered as sandboxuser1: one checking account
	memberRobin    = "555000111" // FI 01111, no accounts
	memberJordan   = "700800900" // FI 02222: a mortgage
	alexChecking   = "FJLqiQAy1lvswlZXcu9rA0mD8ohakVblGGbi-f-r29A"
	alexSavings    = "Kp2vT8wXq4LmN6rS0uYb3ZcA7dEf9gHi1jKlMnOpQrs"
	alexCard       = "Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fEdCbA-_qwert"
	samChecking    = "Qw3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qWe9"
	jordanMortgage = "Mn8bV6cX4zL2kJ0hG8fD6sA4pO2iU0yT8rE6wQ4mN2b"
	alexCheckingNo = "9876543210"
	alexSavingsNo  = "9876543211"
	alexCardNo     = "4111222233334444"
	samCheckingNo  = "1234567890"
)

// Disclosure definitions.
const (
	ibID      = "50145570B91B5BD3E063B9E011AC7529" // IB at 01111, required
	esignID   = "6A2F1C0D9E8B4A7F8C3D2B1A0F9E8D7C" // ESIGN at 01111, required
	ib02222ID = "9C4F3E2D1B0A4C9F8E7D6C5B4A3F2E1D" // IB at 02222
)

// Paths, media types and scopes several files use.
const (
	disclosures       = "/v1/institution-disclosures"
	userDiscl         = "/v1/institution-user-disclosures"
	formContentType   = "application/x-www-form-urlencoded"
	legacyNamespaceNS = "http://schema.intuit.com/fs/common/v2"
	scopeAccounts     = "accounts:read"
	scopeAccountsAll  = "accounts:read,accounts:read_unmasked"
	customers         = "/v1/customers/"
	scopeUsersRead    = "institution-users:read"
	scopeUsersWrite   = "institution-users:write"
)

// ux is a Customer v2 request's headers: a V2 bearer token and a fresh correlationId.
func ux(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token, "correlationId": newTID()}
}

// sandboxUserGrant is the password-grant form of sandboxuser1.
var sandboxUserGrant = "grant_type=password&username=" + sandboxUser + "&password=" + url.QueryEscape(sandboxPassword)

func newTID() string { return uuid.NewString() }

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// ---------------------------------------------------------------- tokens

// xmlToken is the V1 token answer (XML by default).
type xmlToken struct {
	XMLName               xml.Name `xml:"token"`
	DiFiid                string   `xml:"di_fiid"`
	AccessToken           string   `xml:"access_token"`
	ExpiresIn             string   `xml:"expires_in"`
	DiFicustomer          string   `xml:"di_ficustomer"`
	DiMemberNumber        string   `xml:"di_member_number"`
	RefreshToken          string   `xml:"refresh_token"`
	RefreshTokenExpiresIn string   `xml:"refresh_token_expires_in"`
}

// v2Token is the V2 token answer.
type v2Token struct {
	AccessToken           string `json:"access_token"`
	ExpiresIn             string `json:"expires_in"`
	TokenType             string `json:"token_type"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn string `json:"refresh_token_expires_in"`
}

// v1TokenRequest posts a V1 token form at path (the endpoint or one of its aliases); extra
// headers override the usual ones ("" removes one).
func (a *api) v1TokenRequest(t testing.TB, path, client, secret, fi, form string, extra map[string]string) *response {
	t.Helper()
	h := map[string]string{"Authorization": basic(client, secret), "di_tid": newTID(), "di_fiid": fi, "Content-Type": formContentType}
	for k, v := range extra {
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	return a.do(t, http.MethodPost, path, h, form)
}

// v1Token obtains a client-credentials V1 token of the sandbox app.
func (a *api) v1Token(t testing.TB, fi string) string {
	t.Helper()
	r := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fi, "grant_type=client_credentials", nil)
	var tok xmlToken
	if err := xml.Unmarshal(r.body, &tok); err != nil || r.status != 200 {
		t.Fatalf("V1 token: %d %s", r.status, r.body)
	}
	return tok.AccessToken
}

// v2TokenRequest posts a V2 token form; fi "" leaves institutionId out.
func (a *api) v2TokenRequest(t testing.TB, client, secret, fi, form string) *response {
	t.Helper()
	h := map[string]string{"Authorization": basic(client, secret), "transactionId": newTID(), "Content-Type": formContentType}
	if fi != "" {
		h["institutionId"] = fi
	}
	return a.do(t, http.MethodPost, "/oauth2/v1/token", h, form)
}

// v2Token obtains a V2 token with the given grant form.
func (a *api) v2Token(t testing.TB, client, secret, fi, form string) v2Token {
	t.Helper()
	r := a.v2TokenRequest(t, client, secret, fi, form)
	var tok v2Token
	r.decode(t, &tok)
	if r.status != 200 {
		t.Fatalf("V2 token: %d %s", r.status, r.body)
	}
	return tok
}

// v2For is a client-credentials V2 access token of the sandbox app for fi with the given scopes
// ("" = all of the app's).
func (a *api) v2For(t testing.TB, fi, scopes string) string {
	t.Helper()
	form := "grant_type=client_credentials"
	if scopes != "" {
		form += "&scopes=" + url.QueryEscape(scopes)
	}
	return a.v2Token(t, sandboxApp, sandboxSecret, fi, form).AccessToken
}

// ---------------------------------------------------------------- Register v4 requests

// Values every request newRegistration builds carries: error answers show none of them, success
// answers neither the password nor the host PIN (D2).
const (
	regPassword  = "Blue!Sky42"
	regHostPIN   = "8642"
	regMaiden    = "Quellenberg"
	regBirthDate = "1989-10-09"
)

// Dotted paths under FICustomer that edits often name.
const (
	inPhones   = "person.contactInfo.phoneNumber"
	inAddr0    = "person.contactInfo.postalAddress[0]."
	inLogin    = "channelInfos.channelInfo[0].credential.loginId"
	inPassword = "channelInfos.channelInfo[0].credential.password"
)

// registrationSeq numbers the requests newRegistration builds, so that member numbers, login ids,
// emails and SSNs never collide inside one test database.
var registrationSeq atomic.Int64

// registrationRequest is a Register v4 request as the Go value of its JSON document
// {"FICustomer": {...}} (contract §5.8): objects are map[string]any, arrays []any.
type registrationRequest map[string]any

// regEdit changes a request built by newRegistration.
type regEdit func(t testing.TB, req registrationRequest)

// newRegistration returns a valid Register v4 request for fi, changed by edits. Member number,
// login id, email and SSN are unique per call; the SSN stays a possibly-issued number (area
// 100-599, group 77, serial 0001-9999).
func newRegistration(t testing.TB, fi string, edits ...regEdit) registrationRequest {
	t.Helper()
	n := registrationSeq.Add(1)
	req := registrationRequest{"FICustomer": map[string]any{
		"id":           map[string]any{"value": "0", "type": "GUID"},
		"fiId":         map[string]any{"value": fi},
		"memberNumber": fmt.Sprintf("R%08d", n),
		"person": map[string]any{
			"personName": map[string]any{"firstName": "Jane", "lastName": "Doe"},
			"contactInfo": map[string]any{
				"emailAddress": fmt.Sprintf("jane.doe%d@example.com", n),
				"postalAddress": []any{map[string]any{"address1": "100 Main St", "city": "Springfield", "state": "IL",
					"postalCode": "62701", "country": "US"}},
				"phoneNumber": []any{map[string]any{"number": "2175550123", "countryCode": "0"}},
			},
			"birthDate": regBirthDate,
		},
		"channelInfos": map[string]any{"channelInfo": []any{map[string]any{"channelType": "TPV_API",
			"credential": map[string]any{"loginId": fmt.Sprintf("user%05d", n), "password": regPassword}}}},
		"acceptedDisclosure": "true",
		"userType":           "PRIMARY",
		"ssn":                fmt.Sprintf("%03d77%04d", 100+(n/9999)%500, 1+n%9999),
		"motherMaidenName":   regMaiden,
		"hostCredential":     map[string]any{"password": regHostPIN},
	}}
	for _, e := range edits {
		e(t, req)
	}
	return req
}

func withMember(m string) regEdit { return setField("memberNumber", m) }
func withLogin(l string) regEdit  { return setField(inLogin, l) }
func withSSN(s string) regEdit    { return setField("ssn", s) }

// setField sets the value at a dotted path under FICustomer ("person.contactInfo.postalAddress[0].city"),
// creating missing objects on the way.
func setField(path string, v any) regEdit {
	return func(t testing.TB, req registrationRequest) { walkField(t, req, path, &v, false) }
}

// deleteField removes the member (or array element) at a dotted path under FICustomer.
func deleteField(path string) regEdit {
	return func(t testing.TB, req registrationRequest) { walkField(t, req, path, nil, true) }
}

// renameField moves the value at a dotted path to another member name of the same object.
func renameField(path, newName string) regEdit {
	return func(t testing.TB, req registrationRequest) {
		v := fieldAt(req, "FICustomer."+path)
		dir := ""
		if i := strings.LastIndexByte(path, '.'); i >= 0 {
			dir = path[:i+1]
		}
		walkField(t, req, path, nil, true)
		walkField(t, req, dir+newName, &v, false)
	}
}

// phones replaces the phone list with n distinct numbers.
func phones(n int) regEdit {
	list := make([]any, n)
	for i := range list {
		list[i] = map[string]any{"number": fmt.Sprintf("21755501%02d", i), "countryCode": "0"}
	}
	return setField(inPhones, list)
}

// field reads a string at a dotted path under FICustomer ("" when absent).
func (req registrationRequest) field(path string) string {
	s, _ := fieldAt(req, "FICustomer."+path).(string)
	return s
}

// json renders the request as its JSON document.
func (req registrationRequest) json(t testing.TB) string {
	t.Helper()
	b, err := json.Marshal(map[string]any(req))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// xml renders the request in the standard OpenAPI XML rendering (contract §5.2): root
// <FICustomer>, one child element per object member in sorted key order, arrays as repeated
// elements bearing the member's name, scalars as text.
func (req registrationRequest) xml() string {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	writeXMLElement(&b, "FICustomer", req["FICustomer"])
	return b.String()
}

// in renders the request in format f.
func (req registrationRequest) in(t testing.TB, f bodyFormat) string {
	t.Helper()
	if f == formatXML {
		return req.xml()
	}
	return req.json(t)
}

// secrets are the personal and secret values of the request that no answer may carry in clear
// (D2; error messages name fields, never values).
func (req registrationRequest) secrets() []string {
	var out []string
	for _, p := range []string{"ssn", inPassword, "person.birthDate", "motherMaidenName", "hostCredential.password"} {
		if v := req.field(p); len(v) >= 4 {
			out = append(out, v)
		}
	}
	return out
}

func writeXMLElement(b *bytes.Buffer, name string, v any) {
	switch x := v.(type) {
	case nil:
		return
	case []any:
		for _, e := range x {
			writeXMLElement(b, name, e)
		}
		return
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("<" + name + ">")
		for _, k := range keys {
			writeXMLElement(b, k, x[k])
		}
	default:
		b.WriteString("<" + name + ">")
		_ = xml.EscapeText(b, []byte(fmt.Sprint(x)))
	}
	b.WriteString("</" + name + ">")
}

// pathStep is one segment of a dotted path: a member name and, for name[i], an index.
type pathStep struct {
	name  string
	index int // -1 when the segment has no index
}

func parsePath(path string) ([]pathStep, error) {
	var steps []pathStep
	for _, seg := range strings.Split(path, ".") {
		st := pathStep{name: seg, index: -1}
		if open := strings.IndexByte(seg, '['); open >= 0 && strings.HasSuffix(seg, "]") {
			i, err := strconv.Atoi(seg[open+1 : len(seg)-1])
			if err != nil || i < 0 {
				return nil, fmt.Errorf("bad path %q", path)
			}
			st = pathStep{name: seg[:open], index: i}
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// walkField sets *v at a dotted path under FICustomer, or deletes what is there when del is true.
func walkField(t testing.TB, req registrationRequest, path string, v *any, del bool) {
	t.Helper()
	cur, _ := req["FICustomer"].(map[string]any)
	steps, err := parsePath(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range steps {
		last := i == len(steps)-1
		if st.index < 0 {
			switch {
			case last && del:
				delete(cur, st.name)
			case last:
				cur[st.name] = *v
			default:
				next, ok := cur[st.name].(map[string]any)
				if !ok {
					next = map[string]any{}
					cur[st.name] = next
				}
				cur = next
			}
			continue
		}
		arr, ok := cur[st.name].([]any)
		if !ok || st.index >= len(arr) {
			t.Fatalf("path %q: no element %s[%d]", path, st.name, st.index)
		}
		switch {
		case last && del:
			cur[st.name] = append(arr[:st.index:st.index], arr[st.index+1:]...)
		case last:
			arr[st.index] = *v
		default:
			next, ok := arr[st.index].(map[string]any)
			if !ok {
				t.Fatalf("path %q: %s[%d] is not an object", path, st.name, st.index)
			}
			cur = next
		}
	}
}

// fieldAt reads the value at a dotted path below m (nil when absent).
func fieldAt(m map[string]any, path string) any {
	steps, err := parsePath(path)
	if err != nil {
		panic(err) // a typo in a test's literal path
	}
	var cur any = m
	for _, st := range steps {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[st.name]
		if st.index >= 0 {
			arr, ok := cur.([]any)
			if !ok || st.index >= len(arr) {
				return nil
			}
			cur = arr[st.index]
		}
	}
	return cur
}

// bodyFormat is a request or response media type of Register v4 (D1).
type bodyFormat struct {
	name      string
	mediaType string
}

var (
	formatJSON = bodyFormat{"JSON", "application/json"}
	formatXML  = bodyFormat{"XML", "application/xml"}
	bothFormat = []bodyFormat{formatJSON, formatXML}
)

// ---------------------------------------------------------------- posting registrations

// registerJSON posts a JSON registration with a V1 token for fi under the di_tid tid, asking for
// JSON, with the origin headers evidence records (originating_ip, offering_id). Whatever the
// outcome, the answer must be JSON (D1).
func (a *api) registerJSON(t testing.TB, token, fi, tid, body string) *response {
	t.Helper()
	r := a.do(t, http.MethodPost, "/registration/v4/fis/"+fi+"/fiCustomers", map[string]string{
		"Authorization": "Bearer " + token, "di_tid": tid, "Content-Type": "application/json", "Accept": "application/json",
		"originating_ip": "203.0.113.7", "offering_id": "acme-onboarding"}, body)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Register v4 asked for JSON answered %d in %q", r.status, ct)
	}
	return r
}

// registerAs posts a registration body for fi with a fresh di_tid and the given Content-Type and
// Accept ("" leaves that header out).
func (a *api) registerAs(t testing.TB, token, fi, contentType, accept, body string) *response {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token, "di_tid": newTID()}
	if contentType != "" {
		h["Content-Type"] = contentType
	}
	if accept != "" {
		h["Accept"] = accept
	}
	return a.do(t, http.MethodPost, "/registration/v4/fis/"+fi+"/fiCustomers", h, body)
}

// mustRegister registers req through Register v4 with a fresh V1 token for its FI and returns the
// new customer's GUID.
func (a *api) mustRegister(t testing.TB, req registrationRequest) string {
	t.Helper()
	fi := req.field("fiId.value")
	r := a.registerJSON(t, a.v1Token(t, fi), fi, newTID(), req.json(t))
	var out gen.FICustomerResponse
	r.decode(t, &out)
	if r.status != http.StatusOK || out.FICustomer.ID.Value == "" {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	return out.FICustomer.ID.Value
}

// registerConcurrently posts a JSON registration for FI 01111 with a fresh di_tid from any
// goroutine: failures are reported with t.Error only. It returns the status and the first error
// code ("" for none).
func (a *api) registerConcurrently(t testing.TB, token, body string) (int, string) {
	t.Helper()
	r, err := a.try(t, http.MethodPost, "/registration/v4/fis/"+fiCreditUnion+"/fiCustomers", map[string]string{
		"Authorization": "Bearer " + token, "di_tid": newTID(), "Content-Type": "application/json"}, body)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	p, err := readProblem(r)
	if err != nil {
		return r.status, ""
	}
	return r.status, p.errors[0].Code
}
