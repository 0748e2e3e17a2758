package handlers_test

// The Customer v2 registration (POST /v1/customers/register) over HTTP: the second adapter over
// package registration. The rules themselves are registration's tests; these show that the flat
// body reaches them, that their violations and outcomes come back as UXU codes naming the flat
// body's fields, and that idempotency, races, disclosures and PII behave as in Register v4.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/models"
)

const registerV2Path = "/v1/customers/register"

// customerRegistration is a Customer v2 registration body as the Go value of its flat JSON
// document: objects are map[string]any.
type customerRegistration map[string]any

// cuEdit changes a body built by newCustomerRegistration.
type cuEdit func(customerRegistration)

// newCustomerRegistration returns a valid Customer v2 registration for fi, changed by edits.
// Member number, login id, email and SSN are unique per call (registrationSeq is shared with
// the Register v4 builder); the login id fits both sandbox FIs' ranges.
func newCustomerRegistration(fi string, edits ...cuEdit) customerRegistration {
	n := registrationSeq.Add(1)
	body := customerRegistration{
		"fiId":         fi,
		"memberNumber": fmt.Sprintf("C%08d", n),
		"firstName":    "Jane",
		"middleName":   "Q",
		"lastName":     "Doe",
		"emailAddress": fmt.Sprintf("jane.v2.%d@example.com", n),
		"contactInfo": map[string]any{"id": "0", "contactInfo": "2175550123", "telephoneCountryCode": "1", "protocol": "VOICE",
			"activated": true, "enrolledDateTime": "2026-01-01T00:00:00Z", "validated": true, "primary": true},
		"birthDate":          regBirthDate,
		"channelType":        "TPV_API",
		"loginId":            fmt.Sprintf("cu%07d", n),
		"password":           regPassword,
		"acceptedDisclosure": true,
		"userType":           "RETAIL",
		"userRole":           "PRIMARY",
		"ssn":                fmt.Sprintf("%03d77%04d", 100+(n/9999)%500, 1+n%9999),
		"motherMaidenName":   regMaiden,
		"hostPassword":       regHostPIN,
		"postalAddress": map[string]any{"address1": "100 Main St", "address2": "Apt 4", "address3": "", "city": "Springfield",
			"postalCode": "62701", "primary": true, "index": "1", "state": "IL", "country": "US", "type": "PHYSICAL_HOME_ADDRESS"},
	}
	for _, e := range edits {
		e(body)
	}
	return body
}

// set puts v at a "/"-separated path of the body ("postalAddress/city").
func set(path string, v any) cuEdit {
	return func(b customerRegistration) {
		obj, name := b.parent(path)
		obj[name] = v
	}
}

// unset removes the member at a "/"-separated path.
func unset(path string) cuEdit {
	return func(b customerRegistration) {
		obj, name := b.parent(path)
		delete(obj, name)
	}
}

func (b customerRegistration) parent(path string) (map[string]any, string) {
	parts := strings.Split(path, "/")
	obj := map[string]any(b)
	for _, p := range parts[:len(parts)-1] {
		obj = obj[p].(map[string]any)
	}
	return obj, parts[len(parts)-1]
}

func (b customerRegistration) str(name string) string { s, _ := b[name].(string); return s }

func (b customerRegistration) json(t testing.TB) string {
	t.Helper()
	out, err := json.Marshal(map[string]any(b))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// secrets are the body's values no answer and no log line may carry.
func (b customerRegistration) secrets() []string {
	return []string{b.str("ssn"), b.str("password"), b.str("birthDate"), b.str("motherMaidenName"), `"` + b.str("hostPassword") + `"`}
}

// registerV2 posts a Customer v2 registration with a V2 token under correlationId cid.
func (a *api) registerV2(t testing.TB, token, cid, body string) *response {
	t.Helper()
	return a.do(t, http.MethodPost, registerV2Path, map[string]string{"Authorization": "Bearer " + token, "correlationId": cid,
		"Content-Type": "application/json"}, body)
}

// registeredV2 is the 201 answer.
type registeredV2 struct {
	CustomerID, UserID, LoginID, UserName, FiID, MemberNumber string
	Registered, AcceptedDisclosure                            bool
}

func (a *api) mustRegisterV2(t testing.TB, token string, body customerRegistration) registeredV2 {
	t.Helper()
	r := a.registerV2(t, token, newTID(), body.json(t))
	var out registeredV2
	r.decode(t, &out)
	if r.status != http.StatusCreated || out.CustomerID == "" {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	return out
}

// customerCount counts the customers of an FI.
func (a *api) customerCount(t testing.TB, fi string) int64 {
	t.Helper()
	var n int64
	if err := a.store.Conn().Model(&models.Customer{}).Where("institution_id = ?", fi).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// ---------------------------------------------------------------- success

func TestRegisterCustomerV2ThenLogInAndRead(t *testing.T) {
	a := newAPI(t)
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	body := newCustomerRegistration(fiCreditUnion, set("memberNumber", memberAlex), set("loginId", "jdoe_v2_2024"), set("ssn", "123456780"))
	cid := newTID()
	r := a.registerV2(t, admin, cid, body.json(t))
	var got registeredV2
	r.decode(t, &got)
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if got.FiID != fiCreditUnion || got.MemberNumber != memberAlex || got.UserName != "jdoe_v2_2024" || !got.Registered || !got.AcceptedDisclosure ||
		!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got.CustomerID) || !regexp.MustCompile(`^[0-9A-F]{32}$`).MatchString(got.UserID) ||
		!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got.LoginID) {
		t.Errorf("answer %+v", got)
	}
	if r.header.Get("correlationId") != cid {
		t.Errorf("correlationId echoed %q", r.header.Get("correlationId"))
	}
	for _, secret := range body.secrets() {
		if strings.Contains(string(r.body), strings.Trim(secret, `"`)) {
			t.Errorf("the answer carries %q", secret)
		}
	}

	// The identity mapping: customerId the GUID, userId the institution user id, loginId the authId.
	ctx := context.Background()
	v, err := a.store.FindCustomer(ctx, fiCreditUnion, "GUID", got.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	c := v.Customer
	if c.InstitutionUserID != got.UserID || c.AuthID != got.LoginID || c.LoginID != got.UserName || c.Member.MemberNumber != memberAlex ||
		c.FirstName != "Jane" || c.MiddleName != "Q" || c.LastName != "Doe" || c.Email != body.str("emailAddress") || c.ChannelType != models.ChannelTPVAPI {
		t.Errorf("stored %+v", c)
	}
	if len(v.Addresses) != 1 || v.Addresses[0].Address2 != "Apt 4" || v.Addresses[0].City != "Springfield" || len(v.Phones) != 1 ||
		v.Phones[0].Number != "2175550123" || v.Phones[0].CountryCode != "1" {
		t.Errorf("rows %+v %+v", v.Addresses, v.Phones)
	}
	var protocols []string
	for _, d := range v.Destinations {
		protocols = append(protocols, d.Protocol)
		if d.Validated {
			t.Errorf("the caller's validated flag was believed: %+v", d)
		}
	}
	if strings.Join(protocols, " ") != "VOICE SMS EMAIL" {
		t.Errorf("contact methods %v", protocols)
	}
	// PII sealed as Register v4 seals it.
	pii, err := a.store.CustomerPII(&c)
	if want := (db.CustomerPII{SSNLast4: "6780", BirthDate: regBirthDate, MotherMaidenName: regMaiden}); err != nil || pii != want {
		t.Errorf("PII %+v %v, want %+v", pii, err, want)
	}
	if c.SSNEnc == "" || strings.Contains(c.SSNEnc, "123456780") || c.HostPINEnc == "" || strings.Contains(c.HostPINEnc, regHostPIN) {
		t.Errorf("PII not sealed")
	}
	if pin, err := dbtest.Keys(a.store).DecryptString(c.HostPINEnc, db.AAD(fiCreditUnion, c.ID, "host_pin")); err != nil || pin != regHostPIN {
		t.Errorf("host password: %v", err)
	}
	// Acceptance evidence of both required disclosures, under the correlationId.
	var ev []models.DisclosureEvidence
	a.store.Conn().Where("customer_id = ?", c.ID).Order("disclosure_name").Find(&ev)
	if len(ev) != 2 || ev[0].DisclosureName != "ESIGN" || ev[1].DisclosureName != "IB" {
		t.Fatalf("evidence %+v", ev)
	}
	for _, e := range ev {
		if e.Status != "ACCEPTED" || e.TraceID != cid || e.Channel != models.ChannelTPVAPI {
			t.Errorf("evidence %+v", e)
		}
	}

	// The user logs in with the password grant, V2 and V1.
	tok := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username=jdoe_v2_2024&password="+url.QueryEscape(regPassword))
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Errorf("password grant: %+v", tok)
	}
	lr := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username=JDOE_V2_2024&password="+url.QueryEscape(regPassword), nil)
	if lr.status != 200 || !bytes.Contains(lr.body, []byte(got.CustomerID)) {
		t.Errorf("V1 password grant: %d %s", lr.status, lr.body)
	}
	// And the customer reads back through Get FI Customer, by GUID and by login.
	v1 := a.v1Token(t, fiCreditUnion)
	for _, q := range []string{got.CustomerID, "jdoe_v2_2024?fiCustomerIdType=LOGINID"} {
		g := a.do(t, http.MethodGet, "/v2/fis/01111/fiCustomers/"+q, map[string]string{"Authorization": "Bearer " + v1, "di_tid": newTID(), "Accept": "application/json"}, "")
		var back profileJSON
		g.decode(t, &back)
		if g.status != 200 || back.ID.Value != got.CustomerID || back.Ssn != "*****6780" || !back.AcceptedDisclosure {
			t.Errorf("%s: %d %s", q, g.status, g.body)
		}
	}
	// The audit event is the registration's, and the logs hold none of the secrets.
	var audit []models.AuditEvent
	a.store.Conn().Where("trace_id = ?", cid).Find(&audit)
	if len(audit) != 1 || audit[0].Event != "RegistrationUser" || audit[0].Outcome != models.OutcomeSuccess || audit[0].CustomerID == nil || *audit[0].CustomerID != c.ID {
		t.Errorf("audit %+v", audit)
	}
	a.wantLogsFreeOf(t, body.secrets()...)
}

func TestRegisterCustomerV2Alias(t *testing.T) {
	a := newAPI(t)
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	r := a.do(t, http.MethodPost, "/ux-users/v1/customers/register", map[string]string{"Authorization": "Bearer " + admin,
		"correlationId": newTID(), "Content-Type": "application/json"}, newCustomerRegistration(fiCreditUnion).json(t))
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// wantLogsFreeOf fails the test when a log line carries any of the values.
func (a *api) wantLogsFreeOf(t testing.TB, values ...string) {
	t.Helper()
	logs := a.logs.String()
	for _, v := range values {
		if v != "" && v != `""` && strings.Contains(logs, v) {
			t.Errorf("the log contains %q", v)
		}
	}
}

// ---------------------------------------------------------------- disclosures (D4)

func TestRegisterCustomerV2Disclosures(t *testing.T) {
	a := newAPI(t)
	// FI 01111 accepts at registration: false, or nothing, is refused and stores nothing.
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	before := a.customerCount(t, fiCreditUnion)
	for _, edit := range []cuEdit{set("acceptedDisclosure", false), unset("acceptedDisclosure")} {
		wantProblem(t, a.registerV2(t, admin, newTID(), newCustomerRegistration(fiCreditUnion, edit).json(t)), 400, "UXU_99999", "/acceptedDisclosure")
	}
	if n := a.customerCount(t, fiCreditUnion); n != before {
		t.Errorf("%d customers stored by refused registrations", n-before)
	}
	// FI 02222 accepts at first login: the user is created, not yet registered, whatever the
	// flag says (as in Register v4, the acceptance is taken through the user-disclosures API).
	other := a.v2For(t, fiCommunityBank, scopeUsersWrite)
	for _, edit := range []cuEdit{set("acceptedDisclosure", false), unset("acceptedDisclosure"), set("acceptedDisclosure", true)} {
		got := a.mustRegisterV2(t, other, newCustomerRegistration(fiCommunityBank, edit))
		if got.Registered || got.AcceptedDisclosure || got.FiID != fiCommunityBank {
			t.Errorf("atFirstLogin user %+v", got)
		}
		c, err := a.store.CustomerByID(context.Background(), got.CustomerID)
		if err != nil || !c.NeedsToAcceptDisclosure || c.Registered {
			t.Errorf("stored %+v %v", c, err)
		}
		// The user accepts through the user-disclosures API and is registered then.
		r := a.dsc(t, http.MethodPost, userDiscl+"?loginId="+got.UserName, a.v2For(t, fiCommunityBank, "disclosures:write"),
			`{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED"}`)
		if c, err := a.store.CustomerByID(context.Background(), got.CustomerID); r.status != http.StatusNoContent || err != nil || !c.Registered {
			t.Errorf("after accepting IB: %d %s, registered %v", r.status, r.body, c != nil && c.Registered)
		}
	}
}

// ---------------------------------------------------------------- codes

// TestRegisterCustomerV2Codes: each refusal's status, UXU code and the field its message names;
// none of them stores anything or shows a submitted value.
func TestRegisterCustomerV2Codes(t *testing.T) {
	a := newAPI(t)
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	r := strings.Repeat
	// A member number that is a valid login id, for the login-equals-member rule.
	const memberLike = "M123456789"
	for _, tc := range []struct {
		name   string
		edits  []cuEdit
		status int
		code   string
		field  string
	}{
		// UXU_13001: names, alone and together (Register v4's rule: first + last ≤ 39).
		{"firstName 40 characters", []cuEdit{set("firstName", r("J", 40))}, 400, "UXU_13001", "/firstName"},
		{"firstName empty", []cuEdit{set("firstName", "")}, 400, "UXU_13001", "/firstName"},
		{"middleName 40 characters", []cuEdit{set("middleName", r("M", 40))}, 400, "UXU_13001", "/middleName"},
		{"lastName missing", []cuEdit{unset("lastName")}, 400, "UXU_13001", "/lastName"},
		{"first and last 40 together", []cuEdit{set("firstName", r("J", 20)), set("lastName", r("D", 20))}, 400, "UXU_13001", "/firstName, /lastName"},
		// UXU_13002: the FI's password policy.
		{"password too short", []cuEdit{set("password", "a1!")}, 400, "UXU_13002", "/password"},
		{"password of letters only", []cuEdit{set("password", "abcdefghij")}, 400, "UXU_13002", "/password"},
		{"password inside the login", []cuEdit{set("loginId", "blue_sky_42_x"), set("password", "sky_42")}, 400, "UXU_13002", "/password"},
		{"password missing", []cuEdit{unset("password")}, 400, "UXU_13002", "/password"},
		// UXU_13005: the birth date.
		{"birthDate in US format", []cuEdit{set("birthDate", "10/09/1989")}, 400, "UXU_13005", "/birthDate"},
		{"birthDate 2023-02-29", []cuEdit{set("birthDate", "2023-02-29")}, 400, "UXU_13005", "/birthDate"},
		{"birthDate tomorrow", []cuEdit{set("birthDate", time.Now().AddDate(0, 0, 2).Format("2006-01-02"))}, 400, "UXU_13005", "/birthDate"},
		// UXU_13007: the login equals the member number.
		{"loginId equals memberNumber", []cuEdit{set("memberNumber", memberLike), set("loginId", memberLike)}, 400, "UXU_13007", "/loginId"},
		// UXU_99999 with the field: every other rule.
		{"loginId outside the FI's range", []cuEdit{set("loginId", "abc1234")}, 400, "UXU_99999", "/loginId"},
		{"loginId with a space", []cuEdit{set("loginId", "jane doe 1")}, 400, "UXU_99999", "/loginId"},
		{"fiId of another FI", []cuEdit{set("fiId", fiCommunityBank)}, 400, "UXU_99999", "/fiId"},
		{"fiId of four digits", []cuEdit{set("fiId", "2509")}, 400, "UXU_99999", "/fiId"},
		{"fiId missing", []cuEdit{unset("fiId")}, 400, "UXU_99999", "/fiId"},
		{"memberNumber with a dash", []cuEdit{set("memberNumber", "A12-345")}, 400, "UXU_99999", "/memberNumber"},
		{"emailAddress invalid", []cuEdit{set("emailAddress", "jane.example.com")}, 400, "UXU_99999", "/emailAddress"},
		{"state ZZ", []cuEdit{set("postalAddress/state", "ZZ")}, 400, "UXU_99999", "/postalAddress/state"},
		{"postalCode 1234", []cuEdit{set("postalAddress/postalCode", "1234")}, 400, "UXU_99999", "/postalAddress/postalCode"},
		{"address2 missing", []cuEdit{unset("postalAddress/address2")}, 400, "UXU_99999", "/postalAddress/address2"},
		{"address type unknown", []cuEdit{set("postalAddress/type", "CASTLE")}, 400, "UXU_99999", "/postalAddress/type"},
		{"phone with dashes", []cuEdit{set("contactInfo/contactInfo", "217-555-0123")}, 400, "UXU_99999", "/contactInfo/contactInfo"},
		{"phone countryCode 5 characters", []cuEdit{set("contactInfo/telephoneCountryCode", "00001")}, 400, "UXU_99999", "/contactInfo/telephoneCountryCode"},
		{"contact method EMAIL", []cuEdit{set("contactInfo/protocol", "EMAIL")}, 400, "UXU_99999", "/contactInfo/protocol"},
		{"channelType WEB", []cuEdit{set("channelType", "WEB")}, 400, "UXU_99999", "/channelType"},
		{"userType BUSINESS", []cuEdit{set("userType", "BUSINESS")}, 400, "UXU_99999", "/userType"},
		{"userRole ENTITLED", []cuEdit{set("userRole", "ENTITLED")}, 400, "UXU_99999", "/userRole"},
		{"acceptedDisclosure a string", []cuEdit{set("acceptedDisclosure", "true")}, 400, "UXU_99999", "/acceptedDisclosure"},
		{"ssn of 5 digits", []cuEdit{set("ssn", "12345")}, 400, "UXU_99999", "/ssn"},
		{"ssn 000-area", []cuEdit{set("ssn", "000123456")}, 400, "UXU_99999", "/ssn"},
		{"motherMaidenName missing", []cuEdit{unset("motherMaidenName")}, 400, "UXU_99999", "/motherMaidenName"},
		{"hostPassword 33 characters", []cuEdit{set("hostPassword", r("7", 33))}, 400, "UXU_99999", "/hostPassword"},
		// The outcomes after the rules: login taken, already registered (member or person).
		{"loginId taken (any case)", []cuEdit{set("loginId", "SandboxUser1")}, 400, "UXU_13003", "/loginId"},
		{"member already registered", []cuEdit{set("memberNumber", memberSam)}, 409, "UXU_13008", "/memberNumber"},
		{"the same person under another member", []cuEdit{set("ssn", "123456789")}, 409, "UXU_13008", "/memberNumber"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := a.customerCount(t, fiCreditUnion)
			body := newCustomerRegistration(fiCreditUnion, tc.edits...)
			res := a.registerV2(t, admin, newTID(), body.json(t))
			wantProblem(t, res, tc.status, tc.code, tc.field)
			for _, secret := range body.secrets() {
				if len(secret) >= 4 && strings.Contains(string(res.body), strings.Trim(secret, `"`)) {
					t.Errorf("the answer shows %q: %s", secret, res.body)
				}
			}
			if n := a.customerCount(t, fiCreditUnion); n != before {
				t.Errorf("%d customers stored", n-before)
			}
		})
	}
	// Registration in progress: another request holds the login (its marker in the database).
	held := newCustomerRegistration(fiCreditUnion)
	if err := a.store.Conn().Create(&models.InFlight{InstitutionID: fiCreditUnion, Kind: "login", Value: held.str("loginId"),
		TraceID: "another-request", CreatedAt: time.Now()}).Error; err != nil {
		t.Fatal(err)
	}
	wantProblem(t, a.registerV2(t, admin, newTID(), held.json(t)), 409, "UXU_13008", "in progress")
	// A refused registration is audited with the codes it was answered.
	var audit []models.AuditEvent
	a.store.Conn().Where("outcome = ?", models.OutcomeFailure).Find(&audit)
	codes := map[string]bool{}
	for _, e := range audit {
		codes[e.ErrorCodes] = true
	}
	for _, want := range []string{"UXU_13002", "UXU_13003", "UXU_13008"} {
		if !codes[want] {
			t.Errorf("no failure audit with %s (%v)", want, codes)
		}
	}
	a.wantLogsFreeOf(t, regPassword, regMaiden, regBirthDate, `"`+regHostPIN+`"`, "123456789")
}

func TestRegisterCustomerV2Access(t *testing.T) {
	a := newAPI(t)
	body := newCustomerRegistration(fiCreditUnion).json(t)
	send := func(h map[string]string) *response {
		h["Content-Type"] = "application/json"
		return a.do(t, http.MethodPost, registerV2Path, h, body)
	}
	// A user's token, even with the scope, never registers anyone.
	user := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
	wantProblem(t, send(ux(user.AccessToken)), 403, "UXU_10002", "")
	refreshed := a.v2Token(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token="+user.RefreshToken)
	wantProblem(t, send(ux(refreshed.AccessToken)), 403, "UXU_10002", "")
	// A client token without institution-users:write.
	wantProblem(t, send(ux(a.v2For(t, fiCreditUnion, scopeUsersRead))), 403, "UXU_10002", "")
	// A V1 token, no token, a bad header.
	wantProblem(t, send(ux(a.v1Token(t, fiCreditUnion))), 401, "UXU_10001", "")
	wantProblem(t, send(map[string]string{"correlationId": newTID()}), 401, "UXU_10005", "")
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	h := ux(admin)
	delete(h, "correlationId")
	wantProblem(t, send(h), 400, "UXU_10006", "correlationId")
	h = ux(admin)
	h["correlationId"] = "not-a-guid"
	wantProblem(t, send(h), 400, "UXU_10007", "correlationId")
	// A token of FI 02222 cannot register at 01111 by naming it in the body.
	wantProblem(t, send(ux(a.v2For(t, fiCommunityBank, scopeUsersWrite))), 400, "UXU_99999", "/fiId")
	// Not JSON.
	r := a.do(t, http.MethodPost, registerV2Path, map[string]string{"Authorization": "Bearer " + admin, "correlationId": newTID(),
		"Content-Type": "application/xml"}, "<x/>")
	wantProblem(t, r, 400, "UXU_99999", "")
	if n := a.customerCount(t, fiCreditUnion) + a.customerCount(t, fiCommunityBank); n != 2 {
		t.Errorf("%d customers after refused requests (want the sandbox user and its sub-user only)", n)
	}
}

// ---------------------------------------------------------------- idempotency (D7)

func TestRegisterCustomerV2Idempotency(t *testing.T) {
	a := newAPI(t)
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	cid := newTID()
	body := newCustomerRegistration(fiCreditUnion)
	first := a.registerV2(t, admin, cid, body.json(t))
	if first.status != http.StatusCreated {
		t.Fatalf("%d %s", first.status, first.body)
	}
	// The same correlationId and body: the first answer again, byte for byte, with any token of the app.
	for _, tok := range []string{admin, a.v2For(t, fiCreditUnion, scopeUsersWrite)} {
		again := a.registerV2(t, tok, strings.ToUpper(cid), body.json(t))
		if again.status != http.StatusCreated || !bytes.Equal(again.body, first.body) {
			t.Fatalf("replay differs: %d\n%s\n%s", again.status, again.body, first.body)
		}
	}
	// The same correlationId with another body is refused, like Register v4's di_tid reuse.
	wantProblem(t, a.registerV2(t, admin, cid, newCustomerRegistration(fiCreditUnion).json(t)), 409, "UXU_13008", "correlationId")
	// A Register v4 request under the same UUID is another request too.
	wantProblem(t, a.registerJSON(t, a.v1Token(t, fiCreditUnion), fiCreditUnion, cid, newRegistration(t, fiCreditUnion).json(t)), 409, "26330", "")
	if n := a.customerCount(t, fiCreditUnion); n != 3 { // sandboxuser1, its sub-user and this one
		t.Errorf("%d customers after replays", n)
	}
	// A refused request leaves nothing behind: fixed, the same correlationId goes through.
	cid2 := newTID()
	retry := newCustomerRegistration(fiCreditUnion, set("ssn", "12345"))
	wantProblem(t, a.registerV2(t, admin, cid2, retry.json(t)), 400, "UXU_99999", "/ssn")
	set("ssn", "234567891")(retry)
	if r := a.registerV2(t, admin, cid2, retry.json(t)); r.status != http.StatusCreated {
		t.Errorf("retry after failure: %d %s", r.status, r.body)
	}
	// The stored replies are encrypted.
	var recs []models.IdempotencyRecord
	a.store.Conn().Find(&recs)
	for _, rec := range recs {
		if !strings.HasPrefix(rec.ResponseEnc, "v1.") || strings.Contains(rec.ResponseEnc, body.str("loginId")) {
			t.Errorf("idempotency record holds its reply in clear")
		}
	}
}

// ---------------------------------------------------------------- all or nothing

// tableRows counts the rows of every table a registration writes.
func tableRows(t testing.TB, store *db.Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for name, model := range map[string]any{
		"members": &models.Member{}, "customers": &models.Customer{}, "customer_addresses": &models.CustomerAddress{},
		"customer_phones": &models.CustomerPhone{}, "destinations": &models.Destination{}, "user_disclosures": &models.UserDisclosure{},
		"disclosure_evidences": &models.DisclosureEvidence{}, "audit_events": &models.AuditEvent{},
		"idempotency_records": &models.IdempotencyRecord{}, "in_flights": &models.InFlight{},
	} {
		var n int64
		if err := store.Conn().Model(model).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", name, err)
		}
		out[name] = n
	}
	return out
}

// TestRegisterCustomerV2NothingHalfWritten fails a registration at the last write of its
// transaction (the idempotent reply, after every row of the user), on both databases: the
// answer is 500 UXU_13009, nothing but the failure's audit event stays, and the same
// correlationId then registers.
func TestRegisterCustomerV2NothingHalfWritten(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			store := b.Open(t)
			a := newAPIOn(t, store)
			admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
			var armed sync.Mutex
			fail := true
			cb := store.Conn().Callback().Update()
			if err := cb.Before("gorm:update").Register("test:fail_reply", func(tx *gorm.DB) {
				armed.Lock()
				defer armed.Unlock()
				if fail && tx.Statement.Table == "idempotency_records" {
					_ = tx.AddError(errors.New("injected: the reply could not be stored"))
				}
			}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cb.Remove("test:fail_reply") })
			before := tableRows(t, store)
			cid := newTID()
			body := newCustomerRegistration(fiCreditUnion)
			wantProblem(t, a.registerV2(t, admin, cid, body.json(t)), 500, "UXU_13009", "")
			after := tableRows(t, store)
			for table, n := range before {
				want := n
				if table == "audit_events" {
					want++ // the failure's own event
				}
				if after[table] != want {
					t.Errorf("%s: %d rows before, %d after the failure", table, n, after[table])
				}
			}
			var ev models.AuditEvent
			if err := store.Conn().Where("trace_id = ?", cid).Take(&ev).Error; err != nil || ev.Outcome != models.OutcomeFailure || ev.ErrorCodes != "UXU_13009" {
				t.Errorf("failure audit %+v %v", ev, err)
			}
			armed.Lock()
			fail = false
			armed.Unlock()
			if r := a.registerV2(t, admin, cid, body.json(t)); r.status != http.StatusCreated {
				t.Fatalf("retry under the same correlationId: %d %s", r.status, r.body)
			}
			a.wantLogsFreeOf(t, body.secrets()...)
		})
	}
}

// ---------------------------------------------------------------- races

// raceStatuses fires the requests at once and counts the answers by "status code".
func raceStatuses(t *testing.T, requests []func() (int, string)) map[string]int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	out := map[string]int{}
	start := make(chan struct{})
	for _, send := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, code := send()
			mu.Lock()
			defer mu.Unlock()
			out[fmt.Sprintf("%d %s", status, code)]++
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// registerV2Concurrently posts a Customer v2 registration from any goroutine (t.Error only) and
// returns the status and the code ("" for a success).
func (a *api) registerV2Concurrently(t testing.TB, token, body string) (int, string) {
	t.Helper()
	r, err := a.try(t, http.MethodPost, registerV2Path, map[string]string{"Authorization": "Bearer " + token, "correlationId": newTID(),
		"Content-Type": "application/json"}, body)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	if p, err := readProblem(r); err == nil {
		return r.status, p.errors[0].Code
	}
	return r.status, ""
}

// TestRegisterCustomerV2Races: 20 Customer v2 registrations at once for one login (distinct
// correlationIds, members and people), 20 for one member, and Register v4 and Customer v2
// registrations of one member racing each other, on both databases (two instances on
// PostgreSQL): exactly one user each time; every loser is told the documented conflict.
func TestRegisterCustomerV2Races(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			store := b.Open(t)
			a := newAPIOn(t, store)
			two := newAPIOn(t, dbtest.SecondInstance(t, store)) // its own pool, the same database
			admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
			v1 := a.v1Token(t, fiCreditUnion)
			instance := func(i int) *api { return []*api{a, two}[i%2] }
			check := func(name string, got map[string]int, allowed ...string) {
				t.Helper()
				t.Logf("%s: %v", name, got)
				if got["201 "]+got["200 "] != 1 {
					t.Errorf("%s: %d successes, want 1 (%v)", name, got["201 "]+got["200 "], got)
				}
				for k := range got {
					if k != "201 " && k != "200 " && !slices.Contains(allowed, k) {
						t.Errorf("%s: unexpected answer %q", name, k)
					}
				}
			}

			// One login, 20 members and people. A loser still running beside the winner is told
			// 409 UXU_13008 (in progress); one that starts after the winner committed, 400 UXU_13003.
			var sameLogin []func() (int, string)
			for i := range 20 {
				body := newCustomerRegistration(fiCreditUnion, set("loginId", "race_login_v2")).json(t)
				sameLogin = append(sameLogin, func() (int, string) { return instance(i).registerV2Concurrently(t, admin, body) })
			}
			check("same login", raceStatuses(t, sameLogin), "409 UXU_13008", "400 UXU_13003")

			// One member, 20 logins and people: in progress or already registered, both 409 UXU_13008.
			var sameMember []func() (int, string)
			for i := range 20 {
				body := newCustomerRegistration(fiCreditUnion, set("memberNumber", memberAlex)).json(t)
				sameMember = append(sameMember, func() (int, string) { return instance(i).registerV2Concurrently(t, admin, body) })
			}
			check("same member", raceStatuses(t, sameMember), "409 UXU_13008")

			// One member through both adapters at once.
			var both []func() (int, string)
			for i := range 10 {
				v2 := newCustomerRegistration(fiCreditUnion, set("memberNumber", memberRobin)).json(t)
				v4 := newRegistration(t, fiCreditUnion, withMember(memberRobin)).json(t)
				both = append(both,
					func() (int, string) { return instance(i).registerV2Concurrently(t, admin, v2) },
					func() (int, string) { return instance(i+1).registerConcurrently(t, v1, v4) })
			}
			check("v4 and v2", raceStatuses(t, both), "409 UXU_13008", "409 26330", "409 26331")

			for _, c := range []struct {
				what, where string
				args        []any
			}{
				{"users with the login", "login_id_norm = ?", []any{"race_login_v2"}},
				{"users of member " + memberAlex, "members.member_number = ?", []any{memberAlex}},
				{"users of member " + memberRobin, "members.member_number = ?", []any{memberRobin}},
			} {
				var n int64
				store.Conn().Model(&models.Customer{}).Joins("JOIN members ON members.id = customers.member_id").Where(c.where, c.args...).Count(&n)
				if n != 1 {
					t.Errorf("%d %s, want 1", n, c.what)
				}
			}
			var orphans, inflight int64
			store.Conn().Model(&models.Member{}).Where("member_number LIKE ? AND id NOT IN (?)", "C%",
				store.Conn().Model(&models.Customer{}).Select("member_id")).Count(&orphans)
			store.Conn().Model(&models.InFlight{}).Count(&inflight)
			if orphans != 0 || inflight != 0 {
				t.Errorf("%d members without a user and %d in-flight markers left behind", orphans, inflight)
			}
			a.wantLogsFreeOf(t, regPassword, regMaiden, `"`+regHostPIN+`"`)
		})
	}
}

// ---------------------------------------------------------------- the /docs examples

// TestRegisterCustomerV2DocsExamples: the request example registers at both sandbox FIs (with
// 02222's free member), and each error example is what the service answers in its case.
func TestRegisterCustomerV2DocsExamples(t *testing.T) {
	spec, err := handlers.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	op := spec.Paths.Find(registerV2Path).Post
	raw, err := json.Marshal(op.RequestBody.Value.Content["application/json"].Example)
	if err != nil {
		t.Fatal(err)
	}
	example := func(t *testing.T, edits ...cuEdit) string {
		var body customerRegistration
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		for _, e := range edits {
			e(body)
		}
		return body.json(t)
	}
	for _, tc := range []struct{ fi, member string }{{fiCreditUnion, ""}, {fiCommunityBank, memberJordan}} {
		t.Run(tc.fi, func(t *testing.T) {
			a := newAPI(t)
			var edits []cuEdit
			if tc.member != "" {
				edits = []cuEdit{set("fiId", tc.fi), set("memberNumber", tc.member)}
			}
			if r := a.registerV2(t, a.v2For(t, tc.fi, scopeUsersWrite), newTID(), example(t, edits...)); r.status != http.StatusCreated {
				t.Fatalf("the /docs example answers %d at %s: %s", r.status, tc.fi, r.body)
			}
		})
	}
	a := newAPI(t)
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	reused := newTID()
	a.registerV2(t, admin, reused, newCustomerRegistration(fiCreditUnion).json(t))
	// Each example's request: the /docs body changed by edit, under a fresh correlationId or cid.
	cases := map[string]struct {
		cid  string
		edit cuEdit
	}{
		"password":    {"", set("password", "short")},
		"loginTaken":  {"", set("loginId", sandboxUser)},
		"disclosures": {"", set("acceptedDisclosure", false)},
		"registered":  {"", set("memberNumber", memberSam)},
		"inProgress":  {reused, set("memberNumber", "555000111")},
	}
	ran := 0
	for status, ref := range op.Responses.Map() {
		if ref.Value == nil || ref.Value.Content == nil {
			continue
		}
		for name, ex := range ref.Value.Content["application/json"].Examples {
			ran++
			c, ok := cases[name]
			if !ok {
				t.Errorf("%s example %s: no case sends it", status, name)
				continue
			}
			if c.cid == "" {
				c.cid = newTID()
			}
			want := ex.Value.Value.(map[string]any)
			r := a.registerV2(t, admin, c.cid, example(t, c.edit))
			wantMessage(t, r, int(want["status"].(float64)), want["code"].(string), want["message"].(string))
			if fmt.Sprint(r.status) != status {
				t.Errorf("example %s under %s answered %d", name, status, r.status)
			}
		}
	}
	if ran != len(cases) {
		t.Errorf("%d error examples, %d cases", ran, len(cases))
	}
}
