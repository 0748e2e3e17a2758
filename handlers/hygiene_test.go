package handlers_test

// Client bytes that must never reach the database (security finding 7): control characters,
// bidi and other invisible format characters and invalid UTF-8 are refused with the family's
// 400 in every stored field, recorded header, parameter and form value, on both databases.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// unsafeJSON are unsafe strings a JSON body can carry (escaped by encoding/json where needed);
// unsafeXML those an XML 1.0 document can (NUL and most C0 controls cannot appear in XML at all,
// and the parser refuses them as malformed).
var (
	unsafeJSON = []string{"\x00", "\t", "\x7f", "\u0085", "\u202e", "\u2066", "\u200f", "\u200b", "\ufeff"}
	unsafeXML  = []string{"\t", "\u0085", "\u202e", "\u2067", "\ufeff"}
)

// countRows counts the rows of a model's table.
func countRows(t *testing.T, a *api, model any) int64 {
	t.Helper()
	var n int64
	if err := a.store.Conn().Model(model).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// noEcho fails when a response carries the refused value or its unsafe character, raw or as
// a JSON escape.
func noEcho(t *testing.T, r *response, value, bad string) {
	t.Helper()
	escaped, _ := json.Marshal(bad)
	for _, s := range []string{value, bad, strings.Trim(string(escaped), `"`)} {
		if len(s) > 0 && bytes.Contains(r.body, []byte(s)) {
			t.Errorf("the answer echoes %+q: %s", s, r.body)
		}
	}
}

// taint puts bad inside v (or makes it the whole value when v is empty).
func taint(v, bad string) string {
	if len(v) < 2 {
		return v + bad
	}
	return v[:1] + bad + v[1:]
}

// unsafeRegistrationFields are the stored text fields of Register v4 with the code of each
// (contract §5.3; fields without a code of their own answer 20006).
var unsafeRegistrationFields = []struct {
	path, code string
	nonUS      bool // state and postal code are free text outside the US
}{
	{path: "memberNumber", code: "20006"},
	{path: "person.personName.firstName", code: "220002"},
	{path: "person.personName.middleName", code: "220005"},
	{path: "person.personName.lastName", code: "220003"},
	{path: "person.contactInfo.emailAddress", code: "220006"},
	{path: "person.contactInfo.postalAddress[0].address1", code: "220010"},
	{path: "person.contactInfo.postalAddress[0].address2", code: "20006"},
	{path: "person.contactInfo.postalAddress[0].address3", code: "20006"},
	{path: "person.contactInfo.postalAddress[0].city", code: "220008"},
	{path: "person.contactInfo.postalAddress[0].state", code: "220009"},
	{path: "person.contactInfo.postalAddress[0].state", code: "220009", nonUS: true},
	{path: "person.contactInfo.postalAddress[0].postalCode", code: "220007"},
	{path: "person.contactInfo.postalAddress[0].postalCode", code: "220007", nonUS: true},
	{path: "person.contactInfo.postalAddress[0].country", code: "220011"},
	{path: "person.contactInfo.phoneNumber[0].number", code: "220014"},
	{path: "person.contactInfo.phoneNumber[0].countryCode", code: "20006"},
	{path: "channelInfos.channelInfo[0].credential.loginId", code: "220015"},
	{path: "channelInfos.channelInfo[0].credential.password", code: "220018"},
	{path: "motherMaidenName", code: "220012"},
	{path: "hostCredential.password", code: "20006"},
}

func TestRegisterRefusesUnsafeTextInEveryStoredField(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			tok := a.v1Token(t, fiCreditUnion)
			before := countRows(t, a, &models.Customer{})
			for _, f := range bothFormat {
				bads := unsafeJSON
				if f == formatXML {
					bads = unsafeXML
				}
				for _, field := range unsafeRegistrationFields {
					for _, bad := range bads {
						req := newRegistration(t, fiCreditUnion)
						at := "person.contactInfo.postalAddress[0]."
						if field.nonUS {
							setField(at+"country", "CA")(t, req)
							setField(at+"state", "Ontario")(t, req)
							setField(at+"postalCode", "K1A 0B1")(t, req)
						}
						setField(at+"address2", "Suite 5")(t, req)
						setField(at+"address3", "Building C")(t, req)
						value := taint(req.field(field.path), bad)
						setField(field.path, value)(t, req)
						r := a.registerAs(t, tok, fiCreditUnion, f.mediaType, f.mediaType, req.in(t, f))
						if r.status != http.StatusBadRequest {
							t.Errorf("%s %s %+q: want 400 %s, got %d %s", f.name, field.path, bad, field.code, r.status, r.body)
							continue
						}
						p := wantCodes(t, r, http.StatusBadRequest, field.code)
						if p.mediaType != f.mediaType || !strings.Contains(p.errors[0].Message, "FICustomer."+field.path) {
							t.Errorf("%s %s %+q: want one %s naming the field, got %s", f.name, field.path, bad, field.code, r.body)
						}
						noEcho(t, r, value, bad)
					}
				}
			}
			if after := countRows(t, a, &models.Customer{}); after != before {
				t.Errorf("%d customers stored from refused registrations", after-before)
			}
		})
	}
}

func TestRegisterReportsUnsafeFieldsTogetherInOrder(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	for _, f := range bothFormat {
		req := newRegistration(t, fiCreditUnion)
		setField("person.personName.firstName", "Ja\u202ene")(t, req)
		setField("person.contactInfo.postalAddress[0].city", "Spring\tfield")(t, req)
		setField("channelInfos.channelInfo[0].credential.password", "Blue\u0085Sky42")(t, req)
		setField("motherMaidenName", "\ufeffQuellenberg")(t, req)
		setField("hostCredential.password", "86\u200b42")(t, req)
		r := a.registerAs(t, tok, fiCreditUnion, f.mediaType, f.mediaType, req.in(t, f))
		if r.status != http.StatusBadRequest {
			t.Fatalf("%s: %d %s", f.name, r.status, r.body)
		}
		if p := wantCodes(t, r, http.StatusBadRequest, "220002", "220008", "220018", "220012", "20006"); p.mediaType != f.mediaType {
			t.Errorf("%s: answered in %s", f.name, p.mediaType)
		}
	}
}

func TestJSONBodiesMustBeUTF8(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			tok := a.v1Token(t, fiCreditUnion)
			before := countRows(t, a, &models.Customer{})
			for _, ct := range []string{"application/json", ""} { // Content-Type is optional (D1)
				req := newRegistration(t, fiCreditUnion)
				setField("person.personName.firstName", "Ja\xffne")(t, req)
				body := strings.Replace(req.json(t), `Ja\ufffdne`, "Ja\xffne", 1)
				r := a.registerAs(t, tok, fiCreditUnion, ct, "application/json", body)
				if p := wantMessage(t, r, http.StatusBadRequest, "20006", "Request body is not valid UTF-8"); p.mediaType != "application/json" {
					t.Errorf("Content-Type %q: answered in %s", ct, p.mediaType)
				}
			}
			if after := countRows(t, a, &models.Customer{}); after != before {
				t.Errorf("%d customers stored", after-before)
			}
			wantProblem(t, a.dsc(t, http.MethodPost, disclosures, a.v2For(t, fiCreditUnion, ""), "{\"institutionDisclosureName\":\"A\xffB\"}"),
				http.StatusBadRequest, "DSC_12001", "non-printable")
		})
	}
}

func TestDecodedQueryAndPathMustBeSafeText(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			v1 := a.v1Token(t, fiCreditUnion)
			v2 := a.v2For(t, fiCreditUnion, "")
			// legacy reads a Get FI Customer path asking for JSON and expects the message.
			legacy := func(path, message string) {
				t.Helper()
				r := a.do(t, http.MethodGet, path, map[string]string{"Authorization": "Bearer " + v1, "di_tid": newTID(), "Accept": "application/json"}, "")
				if p := wantMessage(t, r, http.StatusBadRequest, "20006", message); p.mediaType != "application/json" {
					t.Errorf("%s: answered in %s", path, p.mediaType)
				}
			}
			for _, bad := range []string{"%00", "%FF", "%E2%80%AE", "%C2%85", "%09", "%E2%80%8B"} {
				// Accounts and disclosures look the user up by these parameters.
				wantProblem(t, a.getAccounts(t, "/v1/accounts?loginId=a"+bad+"b", v2, nil), 400, "ACC_99995", "loginId")
				wantProblem(t, a.getAccounts(t, "/v1/accounts?hostUserId="+bad, v2, nil), 400, "ACC_99995", "hostUserId")
				wantProblem(t, a.getAccounts(t, "/v1/accounts/"+bad+"?hostUserId="+memberAlex, v2, nil), 400, "ACC_99995", "accountId")
				wantProblem(t, a.dsc(t, http.MethodGet, userDiscl+"?loginId="+bad, v2, ""), 400, "DSC_12001", "loginId")
				wantProblem(t, a.dsc(t, http.MethodPut, disclosures+"/"+bad, v2, `{"institutionDisclosureId":"x","institutionDisclosureName":"X"}`), 400, "DSC_12001", "institutionDisclosureId")
				// Get FI Customer, also under its alias.
				legacy("/bankingservices/v2/fis/01111/fiCustomers/a"+bad+"?fiCustomerIdType=LOGINID", "Path param 'fiCustomerId' invalid")
				legacy("/v2/fis/01111/fiCustomers/"+bad+"?fiCustomerIdType=MEMNUMBER", "Path param 'fiCustomerId' invalid")
				legacy("/bankingservices/v2/fis/01111/fiCustomers/"+sandboxUserGUID+"?trace="+bad, "Query param 'trace' invalid")
				// The token endpoints.
				wantMessage(t, a.v1TokenRequest(t, "/v1/oauth/token?trace="+bad, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials", nil),
					400, "90002", "Query param 'trace' invalid")
				r := a.do(t, http.MethodPost, "/oauth2/v1/token?trace="+bad, map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
					"transactionId": newTID(), "institutionId": fiCreditUnion, "Content-Type": formContentType}, "grant_type=client_credentials")
				wantProblem(t, r, 400, "CMN_90017", "trace")
			}
			// Spaces and quotes are text: an OData filter still works.
			if got := a.listAccounts(t, v2, q("hostUserId", memberAlex, "$filter", "category eq 'DEPOSIT'")); len(got) == 0 {
				t.Errorf("filter with spaces and quotes: nothing listed")
			}
		})
	}
}

func TestDecodedFormValuesMustBeSafeText(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			v2 := a.v2For(t, fiCreditUnion, "")
			tokens := countRows(t, a, &models.Token{})
			for _, bad := range []string{"%00", "%FF", "%E2%80%AE", "%C2%9B", "%0A", "%EF%BB%BF"} {
				v1 := func(form string) *response {
					return a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, form, nil)
				}
				wantMessage(t, v1("grant_type=password&username=sandbox"+bad+"user1&password=x"), 400, "90002", "Form param 'username' invalid")
				wantMessage(t, v1("grant_type=password&username=sandboxuser1&password=Sandbox2024!"+bad), 400, "90002", "Form param 'password' invalid")
				wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username="+bad+"sandboxuser1&password=x"), 400, "CMN_90013", "Username")
				wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username=sandboxuser1&password="+bad), 400, "CMN_90014", "Password")
				wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials&scopes=accounts:read"+bad), 400, "CMN_90017", "scopes")
				wantProblem(t, a.v2TokenRequest(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token=abc"+bad), 400, "CMN_90017", "refresh_token")
				for _, method := range []string{http.MethodDelete, http.MethodPost} {
					r := a.do(t, method, "/oauth2/v1/revoke", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
						"transactionId": newTID(), "Content-Type": formContentType}, "token="+v2[:8]+bad)
					wantProblem(t, r, 400, "CMN_90017", "token")
				}
			}
			if after := countRows(t, a, &models.Token{}); after != tokens {
				t.Errorf("%d tokens issued", after-tokens)
			}
			if strings.Contains(a.logs.String(), "Sandbox2024!") {
				t.Errorf("the logs carry a submitted password")
			}
			var c models.Customer
			if err := a.store.Conn().First(&c, "id = ?", sandboxUserGUID).Error; err != nil || c.FailedLoginCount != 0 {
				t.Errorf("the refused grants counted as login failures: %d (%v)", c.FailedLoginCount, err)
			}
		})
	}
}

func TestV2JSONBodiesCarryOnlySafeStrings(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			tok := a.v2For(t, fiCreditUnion, "")
			evidence := countRows(t, a, &models.DisclosureEvidence{})
			defs := countRows(t, a, &models.Disclosure{})
			q := userDiscl + "?loginId=sandboxuser1&accountType=CHECKING"
			for _, bad := range []string{`\u0000`, `\u001b`, `\u007f`, `\u0085`, `\u202e`, `\u2066`, `\u200e`, `\u061c`, `\ufeff`, `\u200d`} {
				for _, tc := range []struct{ method, path, body, pointer string }{
					{http.MethodPost, q, `{"institutionDisclosureId":"` + ibID + bad + `","institutionUserDisclosureStatus":"ACCEPTED"}`, "/institutionDisclosureId"},
					{http.MethodPost, q, `{"institutionUserDisclosureId":"` + bad + `","institutionUserDisclosureStatus":"ACCEPTED"}`, "/institutionUserDisclosureId"},
					{http.MethodPost, q, `{"institutionDisclosureName":"OLS` + bad + `","institutionUserDisclosureStatus":"ACCEPTED","paperWaiver":true,"accountId":"` + samChecking + `"}`, "/institutionDisclosureName"},
					{http.MethodPost, q, `{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED` + bad + `"}`, "/institutionUserDisclosureStatus"},
					{http.MethodPut, userDiscl + "?loginId=sandboxuser1", `{"institutionDisclosureId":"` + bad + ibID + `","institutionUserDisclosureStatus":"ACCEPTED"}`, "/institutionDisclosureId"},
					{http.MethodDelete, q, `{"institutionDisclosureName":"OLS","accountId":"` + samChecking + bad + `"}`, "/accountId"},
					{http.MethodPost, disclosures, `{"institutionDisclosureName":"Privacy` + bad + `","institutionDisclosureStatus":true}`, "/institutionDisclosureName"},
					{http.MethodPost, disclosures, `{"institutionDisclosureName":"Privacy","institutionDisclosureData":"https://example.com/p` + bad + `","institutionDisclosureDataType":"URL"}`, "/institutionDisclosureData"},
					{http.MethodPost, disclosures, `{"institutionDisclosureName":"Privacy","institutionDisclosureData":"https://example.com/p","institutionDisclosureDataType":"URL` + bad + `"}`, "/institutionDisclosureDataType"},
					{http.MethodPut, disclosures + "/" + ibID, `{"institutionDisclosureId":"` + ibID + bad + `","institutionDisclosureName":"IB"}`, "/institutionDisclosureId"},
					{http.MethodPost, disclosures, `{"institutionDisclosureName":"Privacy","extra":["ok",{"deep":"x` + bad + `"}]}`, "/extra/1/deep"},
					{http.MethodPost, disclosures, `{"institutionDisclosureName":"Privacy","` + bad + `":1}`, "non-printable"},
				} {
					r := a.dsc(t, tc.method, tc.path, tok, tc.body)
					wantProblem(t, r, 400, "DSC_12001", tc.pointer)
					noEcho(t, r, "", bad)
				}
			}
			if n := countRows(t, a, &models.DisclosureEvidence{}); n != evidence {
				t.Errorf("%d evidence records stored", n-evidence)
			}
			if n := countRows(t, a, &models.Disclosure{}); n != defs {
				t.Errorf("%d definitions stored", n-defs)
			}
		})
	}
}

// unsafeInHeaders are unsafe characters an HTTP/1.1 client can send inside a header value
// (net/http refuses to send NUL and the other C0 controls but tab).
var unsafeInHeaders = []string{"\xff", "\u202e", "\t", "\u0085", "\u200b", "\ufeff"}

func TestLegacyRecordedHeadersMustBeSafeText(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			tok := a.v1Token(t, fiCreditUnion)
			tokens := countRows(t, a, &models.Token{})
			customers := countRows(t, a, &models.Customer{})
			audits := countRows(t, a, &models.AuditEvent{})
			operations := []struct {
				name string
				send func(header, value string) *response
				xml  bool
			}{
				{"V1 token", func(h, v string) *response {
					return a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials", map[string]string{h: v})
				}, true},
				{"Register v4", func(h, v string) *response {
					return a.do(t, http.MethodPost, "/v4/fis/01111/fiCustomers", map[string]string{"Authorization": "Bearer " + tok, "di_tid": newTID(),
						"Content-Type": "application/json", "Accept": "application/json", h: v}, newRegistration(t, fiCreditUnion).json(t))
				}, false},
				{"Get FI Customer", func(h, v string) *response {
					return a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+sandboxUserGUID, map[string]string{"Authorization": "Bearer " + tok,
						"di_tid": newTID(), "Accept": "application/json", h: v}, "")
				}, false},
			}
			check := func(op string, xml bool, r *response, header string) {
				t.Helper()
				p := wantMessage(t, r, http.StatusBadRequest, "90002", "Header '"+header+"' invalid")
				want := "application/json"
				if xml {
					want = "application/xml"
				}
				if p.mediaType != want {
					t.Errorf("%s: answered in %s, want %s", op, p.mediaType, want)
				}
			}
			for _, op := range operations {
				// Header names match whatever their case.
				for _, h := range []struct{ sent, name string }{{"USER-AGENT", "user-agent"}, {"Offering_ID", "offering_id"}, {"originating_ip", "originating_ip"}} {
					for _, bad := range unsafeInHeaders {
						v := "Acme/" + bad + "1.0"
						if h.name == "originating_ip" {
							v = "203.0.113." + bad + "7"
						}
						r := op.send(h.sent, v)
						check(op.name, op.xml, r, h.name)
						noEcho(t, r, v, bad)
					}
				}
				for _, ip := range []string{"not-an-ip", "300.1.1.1", "203.0.113.07", "203.0.113.7:443", "fe80::1%eth0", "[2001:db8::1]", "203.0.113.0/24"} {
					check(op.name, op.xml, op.send("ORIGINATING_IP", ip), "originating_ip")
				}
			}
			if n := countRows(t, a, &models.Token{}); n != tokens {
				t.Errorf("%d tokens issued", n-tokens)
			}
			if n := countRows(t, a, &models.Customer{}); n != customers {
				t.Errorf("%d customers stored", n-customers)
			}
			if n := countRows(t, a, &models.AuditEvent{}); n != audits {
				t.Errorf("%d audit events recorded", n-audits)
			}
			// Addresses of either family are recorded as sent.
			for _, ip := range []string{"2001:db8::7", "::ffff:203.0.113.7"} {
				if r := operations[0].send("originating_ip", ip); r.status != http.StatusOK {
					t.Errorf("originating_ip %s: %d %s", ip, r.status, r.body)
				}
				if r := operations[1].send("originating_ip", ip); r.status != http.StatusOK {
					t.Errorf("Register v4 with originating_ip %s: %d %s", ip, r.status, r.body)
				}
			}
		})
	}
}

func TestV2RecordedHeadersMustBePrintableASCII(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			v2 := a.v2For(t, fiCreditUnion, "")
			evidence := countRows(t, a, &models.DisclosureEvidence{})
			ib := `{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED"}`
			for _, bad := range unsafeInHeaders {
				v := "Acme/" + bad + "1.0"
				for _, h := range []string{"User-Agent", "offering_id", "ORIGINATING_IP"} {
					r := a.do(t, http.MethodPost, "/oauth2/v1/token", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
						"transactionId": newTID(), "institutionId": fiCreditUnion, "Content-Type": formContentType, h: v}, "grant_type=client_credentials")
					wantProblem(t, r, 400, "CMN_90017", "non-printable")
					wantProblem(t, a.getAccounts(t, "/v1/accounts?hostUserId="+memberAlex, v2, map[string]string{h: v}), 400, "ACC_99995", "non-printable")
					r = a.do(t, http.MethodPost, userDiscl+"?loginId=sandboxuser1", map[string]string{"Authorization": "Bearer " + v2,
						"transactionId": newTID(), "Content-Type": "application/json", h: v}, ib)
					wantProblem(t, r, 400, "DSC_12001", "non-printable")
				}
			}
			// Disclosure evidence keeps originating_ip: it must be an address.
			for _, ip := range []string{"not-an-ip", "300.1.1.1", "fe80::1%eth0", "203.0.113.7:443"} {
				r := a.do(t, http.MethodPost, userDiscl+"?loginId=sandboxuser1", map[string]string{"Authorization": "Bearer " + v2,
					"transactionId": newTID(), "Content-Type": "application/json", "originating_ip": ip}, ib)
				wantProblem(t, r, 400, "DSC_10002", "originating_ip")
			}
			if n := countRows(t, a, &models.DisclosureEvidence{}); n != evidence {
				t.Errorf("%d evidence records stored", n-evidence)
			}
			r := a.do(t, http.MethodPost, userDiscl+"?loginId=sandboxuser1", map[string]string{"Authorization": "Bearer " + v2,
				"transactionId": newTID(), "Content-Type": "application/json", "originating_ip": "2001:db8::9"}, ib)
			if r.status != http.StatusNoContent {
				t.Fatalf("valid originating_ip: %d %s", r.status, r.body)
			}
			var ev models.DisclosureEvidence
			if err := a.store.Conn().Order("id desc").First(&ev).Error; err != nil || ev.OriginatingIP != "2001:db8::9" {
				t.Errorf("evidence originating_ip %q (%v)", ev.OriginatingIP, err)
			}
		})
	}
}

func TestUnsafeBasicClientIDNeverLookedUp(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			for _, id := range []string{"sandbox\x00app", "sandbox\xffapp", "sandbox-app\u202e", "sandbox\u200bapp"} {
				auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+sandboxSecret))
				r := a.do(t, http.MethodPost, "/digitalbanking/v1/oauth/token", map[string]string{"Authorization": auth, "di_tid": newTID(),
					"di_fiid": fiCreditUnion, "Content-Type": formContentType}, "grant_type=client_credentials")
				wantMessage(t, r, http.StatusUnauthorized, "90001", "Client credentials are not valid")
				r = a.do(t, http.MethodPost, "/oauth2/v1/token", map[string]string{"Authorization": auth, "transactionId": newTID(),
					"institutionId": fiCreditUnion, "Content-Type": formContentType}, "grant_type=client_credentials")
				wantProblem(t, r, http.StatusUnauthorized, "CMN_90004", "Invalid client credentials")
				r = a.do(t, http.MethodDelete, "/oauth2/v1/revoke", map[string]string{"Authorization": auth, "transactionId": newTID(),
					"Content-Type": formContentType}, "token=abc")
				wantProblem(t, r, http.StatusUnauthorized, "CMN_90004", "Invalid client credentials")
			}
		})
	}
}

// Fields the contract leaves unbounded are bounded by their columns; a longer value failed the
// insert on PostgreSQL (varchar) and answered 500.
func TestRegisterRefusesValuesLongerThanTheirColumns(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			tok := a.v1Token(t, fiCreditUnion)
			before := countRows(t, a, &models.Customer{})
			at := "person.contactInfo.postalAddress[0]."
			for _, tc := range []struct{ path, value, code string }{
				{at + "address2", strings.Repeat("a", 129), "20006"},
				{at + "address3", strings.Repeat("日", 129), "20006"},
				{"person.contactInfo.phoneNumber[0].countryCode", "12345", "20006"},
				{"motherMaidenName", strings.Repeat("😀", 128), "220012"}, // 128 characters, 512 bytes
				{"motherMaidenName", strings.Repeat("日", 110), "220012"},
				{"hostCredential.password", strings.Repeat("9", 33), "20006"},
			} {
				for _, f := range bothFormat {
					req := newRegistration(t, fiCreditUnion)
					setField(tc.path, tc.value)(t, req)
					r := a.registerAs(t, tok, fiCreditUnion, f.mediaType, f.mediaType, req.in(t, f))
					if r.status != http.StatusBadRequest {
						t.Errorf("%s %s: want 400 %s, got %d %s", f.name, tc.path, tc.code, r.status, r.body)
						continue
					}
					if p := wantCodes(t, r, http.StatusBadRequest, tc.code); p.mediaType != f.mediaType || !strings.Contains(p.errors[0].Message, "FICustomer."+tc.path) {
						t.Errorf("%s %s: want one %s naming the field, got %s", f.name, tc.path, tc.code, r.body)
					}
				}
			}
			if after := countRows(t, a, &models.Customer{}); after != before {
				t.Errorf("%d customers stored", after-before)
			}
			// At the bounds everything is stored.
			req := newRegistration(t, fiCreditUnion)
			setField(at+"address2", strings.Repeat("日", 128))(t, req)
			setField(at+"address3", strings.Repeat("a", 128))(t, req)
			setField("person.contactInfo.phoneNumber[0].countryCode", "1234")(t, req)
			setField("motherMaidenName", strings.Repeat("é", 128))(t, req)
			setField("hostCredential.password", strings.Repeat("😀", 32))(t, req)
			if r := a.registerAs(t, tok, fiCreditUnion, "application/json", "application/json", req.json(t)); r.status != http.StatusOK {
				t.Errorf("values at their bounds: %d %s", r.status, r.body)
			}
		})
	}
}
