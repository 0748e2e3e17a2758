package handlers_test

// Register v4 and Get FI Customer over HTTP: what only the whole stack can show. The field
// rules are registration.TestCheckFieldRules (no HTTP); the store's conflicts and transactions
// are db's tests.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// ---------------------------------------------------------------- registration, tokens, duplicates, idempotency, concurrency

func TestRegisterThenReadBackAndLogIn(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	r := a.registerJSON(t, tok, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion, withMember(memberAlex), withLogin("jdoe_2024"), withSSN("123456780")).json(t))
	var got customerJSON
	r.decode(t, &got)
	if r.status != 200 || got.FICustomer.Ssn != "*****6780" || !got.FICustomer.AcceptedDisclosure {
		t.Fatalf("%d %s", r.status, r.body)
	}
	guid := got.FICustomer.ID.Value
	for _, q := range []string{guid, guid + "?fiCustomerIdType=GUID", "468531842?fiCustomerIdType=MEMNUMBER",
		"JDOE_2024?fiCustomerIdType=LOGINID", "468531842?fiCustomerIdType=HOSTID"} {
		r := a.do(t, http.MethodGet, "/v2/fis/01111/fiCustomers/"+q, map[string]string{"Authorization": "Bearer " + tok,
			"di_tid": newTID(), "Accept": "application/json"}, "")
		var back profileJSON // the bare FICustomer, no wrapper
		r.decode(t, &back)
		if r.status != 200 || back.ID.Value != guid || back.ChannelInfos.ChannelInfo[0].UserStatus["registered"] != true {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	// XML is the default answer of Get FI Customer.
	r = a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+guid, map[string]string{"Authorization": "Bearer " + tok, "di_tid": newTID()}, "")
	if r.status != 200 || !bytes.Contains(r.body, []byte("<FICustomer>")) || !bytes.Contains(r.body, []byte("<ssn>*****6780</ssn>")) {
		t.Errorf("XML read: %d %s", r.status, r.body)
	}
	// The user logs in as if registered through the FI's own form.
	lr := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username=jdoe_2024&password="+url.QueryEscape(regPassword), nil)
	if lr.status != 200 || !bytes.Contains(lr.body, []byte(guid)) {
		t.Errorf("password grant after registration: %d %s", lr.status, lr.body)
	}
}

// TestGetCustomerErrors: Get FI Customer's refusals, in JSON when asked for, APP_ERROR for 401 and
// 404 (USER_ERROR otherwise).
func TestGetCustomerErrors(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	other := a.v1Token(t, fiCommunityBank)
	const path = "/bankingservices/v2/fis/"
	for _, tc := range []struct {
		name, token, path string
		noTID             bool
		status            int
		code, message     string // message "" leaves it unchecked
		errorType         string
	}{
		{"unknown GUID", tok, path + "01111/fiCustomers/00000000000000000000000000000000", false, 404, "20404", "", "APP_ERROR"},
		{"unknown login", tok, path + "01111/fiCustomers/nobody?fiCustomerIdType=LOGINID", false, 404, "20404", "", "APP_ERROR"},
		{"token of another FI", other, path + "01111/fiCustomers/" + sandboxUserGUID, false, 401, "90001", "", "APP_ERROR"},
		// A 02222 token reading its own FI does not see 01111's customer.
		{"customer of another FI", other, path + "02222/fiCustomers/" + sandboxUserGUID, false, 404, "20404", "", "APP_ERROR"},
		{"unknown id type", tok, path + "01111/fiCustomers/x?fiCustomerIdType=EMAIL", false, 400, "20006", "", "USER_ERROR"},
		{"no di_tid", tok, path + "01111/fiCustomers/" + sandboxUserGUID, true, 400, "90002", "Header 'di_tid' invalid", "USER_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer " + tc.token, "di_tid": newTID(), "Accept": "application/json"}
			if tc.noTID {
				delete(h, "di_tid")
			}
			r := a.do(t, http.MethodGet, tc.path, h, "")
			var p *problem
			if tc.message != "" {
				p = wantMessage(t, r, tc.status, tc.code, tc.message)
			} else {
				p = wantProblem(t, r, tc.status, tc.code, "")
			}
			if p.mediaType != "application/json" || p.errors[0].Type != tc.errorType {
				t.Errorf("%s in %s, want %s in JSON", p.errors[0].Type, p.mediaType, tc.errorType)
			}
		})
	}
}

func TestRegisterTokenChecks(t *testing.T) {
	a := newAPI(t)
	body := newRegistration(t, fiCreditUnion).json(t)
	v1For02222 := a.v1Token(t, fiCommunityBank)
	wantProblem(t, a.registerJSON(t, v1For02222, fiCreditUnion, newTID(), body), 401, "90001", "")
	v2 := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials")
	wantProblem(t, a.registerJSON(t, v2.AccessToken, fiCreditUnion, newTID(), body), 401, "90001", "")
	wantProblem(t, a.registerJSON(t, "junk", fiCreditUnion, newTID(), body), 401, "90001", "")
	r := a.do(t, http.MethodPost, "/registration/v4/fis/01111/fiCustomers", map[string]string{"di_tid": newTID(),
		"Content-Type": "application/json", "Accept": "application/json"}, body)
	wantProblem(t, r, 401, "90001", "")
	tok := a.v1Token(t, fiCreditUnion)
	wantProblem(t, a.registerJSON(t, tok, fiCreditUnion, "not-a-uuid", body), 400, "90002", "")
	wantProblem(t, a.registerJSON(t, tok, "1111", newTID(), body), 400, "20006", "")

	// Expired, then revoked, tokens are refused.
	a.advance(1801 * time.Second)
	wantProblem(t, a.registerJSON(t, tok, fiCreditUnion, newTID(), body), 401, "90001", "")
	fresh := a.v1Token(t, fiCreditUnion)
	if err := a.store.Conn().Model(&models.Token{}).Where("hash = ?", hashToken(fresh)).Update("revoked_at", time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	wantProblem(t, a.registerJSON(t, fresh, fiCreditUnion, newTID(), body), 401, "90001", "")
}

func TestRegisterRevokedV2TokenIsRefusedEverywhere(t *testing.T) {
	// V1 tokens have no revoke endpoint; the V2 revoke endpoint reaches V2 tokens. A revoked V2
	// token is refused by a V1 operation for its generation, too.
	a := newAPI(t)
	v2 := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials")
	a.do(t, http.MethodDelete, "/oauth2/v1/revoke", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
		"transactionId": newTID(), "Content-Type": formContentType}, "token="+v2.AccessToken)
	if !a.tokenRevoked(t, v2.AccessToken) {
		t.Fatal("not revoked")
	}
}

func TestRegisterDuplicates(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	if r := a.registerJSON(t, tok, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion, withMember(memberAlex), withLogin("jdoe_2024"), withSSN("123456780")).json(t)); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// Same member again, new di_tid: already registered.
	wantProblem(t, a.registerJSON(t, tok, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion, withMember(memberAlex)).json(t)), 409, "26331", "")
	// Login taken, case-insensitively, by a user of another member.
	wantProblem(t, a.registerJSON(t, tok, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion, withLogin("JDoe_2024")).json(t)), 400, "26201", "")
	// The sandbox user's login too.
	wantProblem(t, a.registerJSON(t, tok, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion, withLogin("SANDBOXUSER1")).json(t)), 400, "26201", "")
	// Same person (SSN) under another member number (D32); the answer names no member or login.
	r := a.registerJSON(t, tok, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion, withMember(memberRobin), withSSN("123456780")).json(t))
	wantProblem(t, r, 409, "26331", "")
	if strings.Contains(string(r.body), memberAlex) || strings.Contains(string(r.body), "jdoe") {
		t.Errorf("the answer reveals the holder: %s", r.body)
	}
	// The same login id at another FI is fine.
	tok2 := a.v1Token(t, fiCommunityBank)
	body := newRegistration(t, fiCommunityBank, withMember(memberJordan), withLogin("jdoe_24"), withSSN("123456780")).json(t) // 02222 allows 6-12 characters
	if r := a.registerJSON(t, tok2, fiCommunityBank, newTID(), body); r.status != 200 {
		t.Errorf("other FI: %d %s", r.status, r.body)
	}
}

func TestRegisterIdempotency(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	tid := newTID()
	req := newRegistration(t, fiCreditUnion, withMember(memberAlex), withLogin("jdoe_2024"))
	body := req.json(t)
	first := a.registerJSON(t, tok, fiCreditUnion, tid, body)
	if first.status != 200 {
		t.Fatalf("%d %s", first.status, first.body)
	}
	again := a.registerJSON(t, tok, fiCreditUnion, tid, body)
	if again.status != 200 || !bytes.Equal(again.body, first.body) {
		t.Fatalf("replay differs: %d\n%s\n%s", again.status, again.body, first.body)
	}
	wantProblem(t, a.registerJSON(t, tok, fiCreditUnion, tid, newRegistration(t, fiCreditUnion).json(t)), 409, "26330", "")
	var n int64
	a.store.Conn().Model(&models.Customer{}).Where("institution_id = ?", fiCreditUnion).Count(&n)
	if n != 3 { // sandboxuser1, its sub-user sandboxsub1 and jdoe_2024
		t.Errorf("%d customers after a replay", n)
	}
	// A failed request leaves nothing behind: fixing the body under the same di_tid works.
	tid2 := newTID()
	retry := newRegistration(t, fiCreditUnion, withSSN("12345"))
	wantProblem(t, a.registerJSON(t, tok, fiCreditUnion, tid2, retry.json(t)), 400, "220001", "")
	withSSN("234567891")(t, retry)
	if r := a.registerJSON(t, tok, fiCreditUnion, tid2, retry.json(t)); r.status != 200 {
		t.Errorf("retry after failure: %d %s", r.status, r.body)
	}
	// The stored replay is encrypted: no PII in the idempotency table.
	var recs []models.IdempotencyRecord
	a.store.Conn().Find(&recs)
	for _, rec := range recs {
		if !strings.HasPrefix(rec.ResponseEnc, "v1.") || strings.Contains(rec.ResponseEnc, req.field("person.contactInfo.emailAddress")) || strings.Contains(rec.ResponseEnc, regMaiden) {
			t.Errorf("idempotency record holds PII in clear")
		}
	}
}

func TestRegisterEvidenceAndAudit(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	tid := newTID()
	req := newRegistration(t, fiCreditUnion)
	r := a.registerJSON(t, tok, fiCreditUnion, tid, req.json(t))
	var got customerJSON
	r.decode(t, &got)
	var ev []models.DisclosureEvidence
	a.store.Conn().Where("customer_id = ?", got.FICustomer.ID.Value).Order("disclosure_name").Find(&ev)
	if len(ev) != 2 || ev[0].DisclosureName != "ESIGN" || ev[1].DisclosureName != "IB" {
		t.Fatalf("evidence %+v", ev)
	}
	for _, e := range ev {
		if e.Status != "ACCEPTED" || e.OriginatingIP != "203.0.113.7" || e.OfferingID != "acme-onboarding" ||
			e.Channel != "TPV_API" || e.Version != 1 || len(e.ContentHash) != 64 || e.TraceID != tid {
			t.Errorf("evidence %+v", e)
		}
	}
	wantProblem(t, a.registerJSON(t, tok, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion, withLogin("x"), withSSN("123")).json(t)), 400, "220015", "")
	var audit []models.AuditEvent
	a.store.Conn().Order("id").Find(&audit)
	if len(audit) != 2 || audit[0].Outcome != "SUCCESS" || audit[1].Outcome != "FAILURE" ||
		!strings.Contains(audit[1].ErrorCodes, "220015") || audit[0].Event != "RegistrationUser" ||
		audit[0].UserProduct != "THIRD_PARTY_REGISTRATION" || audit[0].ChannelType != "TPV_API" {
		t.Fatalf("audit %+v", audit)
	}
	logs := a.logs.String()
	for _, secret := range []string{req.field("ssn"), regPassword, regBirthDate, regMaiden, regHostPIN + `"`} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q", secret)
		}
	}
	if !strings.Contains(logs, `"msg":"audit"`) {
		t.Errorf("audit events must reach the structured log")
	}
}

// TestRawDatabaseHoldsNoPIIInClear scans the SQLite file (and its WAL) for the submitted values.
func TestRawDatabaseHoldsNoPIIInClear(t *testing.T) {
	dir := t.TempDir()
	store := dbtest.SQLiteAt(t, filepath.Join(dir, "scan.db"))
	a := newAPIOn(t, store)
	tok := a.v1Token(t, fiCreditUnion)
	body := newRegistration(t, fiCreditUnion, withLogin("jdoe_2024"), withSSN("219099999"), setField("person.birthDate", "1977-03-14")).json(t)
	if r := a.registerJSON(t, tok, fiCreditUnion, newTID(), body); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// Checkpoint so the main file is scanned too, and close nothing: scan both files as they are.
	store.Conn().Exec("PRAGMA wal_checkpoint(FULL)")
	var raw []byte
	for _, f := range []string{"scan.db", "scan.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if !bytes.Contains(raw, []byte("jdoe_2024")) {
		t.Fatal("scan sanity check: the login id should be stored in clear")
	}
	for _, v := range []string{"219099999", "1977-03-14", regMaiden, regPassword, "Sandbox2024!", "123456789", "1985-04-12", "9876543210"} {
		if bytes.Contains(raw, []byte(v)) {
			t.Errorf("the database file contains %q in clear", v)
		}
	}
}

// TestConcurrentRegistrations fires 20 registrations at once for one login id, then 20 for one
// member number, and finds exactly one user each time.
func TestConcurrentRegistrations(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			tok := a.v1Token(t, fiCreditUnion)
			race := func(edit func(i int) []regEdit) map[int]int {
				bodies := make([]string, 20)
				for i := range bodies {
					bodies[i] = newRegistration(t, fiCreditUnion, edit(i)...).json(t)
				}
				var wg sync.WaitGroup
				var mu sync.Mutex
				statuses := map[int]int{}
				start := make(chan struct{})
				for _, body := range bodies {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						status, code := a.registerConcurrently(t, tok, body)
						mu.Lock()
						defer mu.Unlock()
						statuses[status]++
						if status != 200 && code != "26330" && code != "26201" && code != "26331" {
							t.Errorf("unexpected failure %d %s", status, code)
						}
					}()
				}
				close(start)
				wg.Wait()
				return statuses
			}
			sameLogin := race(func(i int) []regEdit {
				return []regEdit{withMember(fmt.Sprintf("RACE%03d", i)), withLogin("race_login")}
			})
			sameMember := race(func(i int) []regEdit { return []regEdit{withMember(memberAlex)} })
			t.Logf("statuses: same login %v, same member %v", sameLogin, sameMember)
			for name, st := range map[string]map[int]int{"login": sameLogin, "member": sameMember} {
				if st[200] != 1 {
					t.Errorf("%s race: %d successes (%v)", name, st[200], st)
				}
			}
			var logins, primaries int64
			a.store.Conn().Model(&models.Customer{}).Where("login_id_norm = ?", "race_login").Count(&logins)
			a.store.Conn().Model(&models.Customer{}).Joins("JOIN members ON members.id = customers.member_id").
				Where("members.member_number = ?", memberAlex).Count(&primaries)
			if logins != 1 || primaries != 1 {
				t.Errorf("users: %d with the login, %d for the member", logins, primaries)
			}
			var orphans int64
			a.store.Conn().Model(&models.Member{}).Where("member_number LIKE ?", "RACE%").Count(&orphans)
			if orphans > 1 {
				t.Errorf("%d members created by failed registrations", orphans)
			}
			var inflight int64
			a.store.Conn().Model(&models.InFlight{}).Count(&inflight)
			if inflight != 0 {
				t.Errorf("%d in-flight markers left behind", inflight)
			}
		})
	}
}

// ---------------------------------------------------------------- envelopes and negotiation (D1, D2, D22, D26)

// TestRegisterSuccessJSONAndXML: a valid registration in either format is answered in the
// negotiated one (D1), with the SSN masked and no password (D2); error answers negotiate the same way.
func TestRegisterSuccessJSONAndXML(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	const js, xm = "application/json", "application/xml"
	cases := []struct {
		name                string
		in                  bodyFormat
		contentType, accept string // "" leaves the header out
		answer              bodyFormat
		errors              bodyFormat // JSON only when Accept names it: a JSON body alone does not
	}{
		{"JSON body, Accept JSON", formatJSON, js, js, formatJSON, formatJSON},
		{"XML body, no Accept", formatXML, xm, "", formatXML, formatXML},
		{"JSON body, Accept XML", formatJSON, js, xm, formatXML, formatXML},
		{"XML body, Accept JSON", formatXML, xm, js, formatJSON, formatJSON},
		{"JSON body, no Accept", formatJSON, js, "", formatJSON, formatXML},
		{"JSON body, Accept */*", formatJSON, js, "*/*", formatJSON, formatXML},
		{"XML body without Content-Type, no Accept", formatXML, "", "", formatXML, formatXML},
		{"JSON body, Accept XML then JSON", formatJSON, js, "application/xml, application/json;q=0.9", formatXML, formatXML},
		{"JSON body, Accept JSON preferred", formatJSON, js, "application/xml;q=0.5, application/json", formatJSON, formatJSON},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := newRegistration(t, fiCreditUnion)
			if i < 2 { // the two main cases with three phones and a second address line
				phones(3)(t, req)
				setField(inAddr0+"address2", "Apt 4")(t, req)
			}
			r := a.registerAs(t, tok, fiCreditUnion, tc.contentType, tc.accept, req.in(t, tc.in))
			c := decodeRegisteredCustomer(t, r, tc.answer, req, true)
			for _, p := range []string{"person.contactInfo.postalAddress[0].city", "person.contactInfo.postalAddress[0].address2",
				"person.contactInfo.emailAddress", "person.personName.lastName", "channelInfos.channelInfo[0].channelType"} {
				if got, want := fieldAt(c, p), fieldAt(req, "FICustomer."+p); want != nil && got != want {
					t.Errorf("%s %v, want %v", p, got, want)
				}
			}
			phones, _ := fieldAt(c, "person.contactInfo.phoneNumber").([]any)
			sent, _ := fieldAt(req, "FICustomer.person.contactInfo.phoneNumber").([]any)
			if len(phones) != len(sent) {
				t.Errorf("phoneNumber %v, want %d", phones, len(sent))
			}
		})
		// Error bodies are XML unless Accept asks for JSON (issue 12: the official operation
		// declares XML errors; the request's Content-Type does not count).
		t.Run(tc.name+", error", func(t *testing.T) {
			req := newRegistration(t, fiCreditUnion)
			setField("ssn", "666123456")(t, req)
			r := a.registerAs(t, tok, fiCreditUnion, tc.contentType, tc.accept, req.in(t, tc.in))
			wantProblem(t, r, http.StatusBadRequest, "220001", "FICustomer.ssn").refusedIn(t, tc.errors)
		})
	}
}

// TestRegisterReportsAllFailuresInOrder: every failure is one errorInfo (repeated elements in
// XML), in the field table's order whatever the document's (D26), and none carries a value.
func TestRegisterReportsAllFailuresInOrder(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	want := []struct{ code, field string }{
		{"20006", "FICustomer.memberNumber"},
		{"220006", "FICustomer.person.contactInfo.emailAddress"},
		{"220008", "FICustomer." + inAddr0 + "city"},
		{"220013", "FICustomer.person.birthDate"},
		{"220018", "FICustomer." + inPassword},
		{"220001", "FICustomer.ssn"},
	}
	for _, f := range bothFormat {
		t.Run(f.name, func(t *testing.T) {
			req := newRegistration(t, fiCreditUnion)
			// Edits deliberately in another order than the field table.
			for _, e := range []regEdit{setField("ssn", "000123456"), setField(inPassword, "secret"), setField("person.birthDate", "2023-02-29"),
				setField(inAddr0+"city", ""), setField("person.contactInfo.emailAddress", "not-an-email"), setField("memberNumber", "A-1")} {
				e(t, req)
			}
			r := a.registerAs(t, tok, fiCreditUnion, f.mediaType, f.mediaType, req.in(t, f))
			var codes []string
			for _, w := range want {
				codes = append(codes, w.code)
			}
			p := wantCodes(t, r, http.StatusBadRequest, codes...)
			p.refusedIn(t, f)
			if n := bytes.Count(r.body, []byte("<errorInfo>")); f == formatXML && n != len(want) {
				t.Errorf("%d <errorInfo> elements, want one per failure: %s", n, r.body)
			}
			for i, w := range want {
				if e := p.errors[i]; !strings.Contains(e.Message, w.field) {
					t.Errorf("errorInfo[%d] = %s %q, want %s naming %s", i, e.Code, e.Message, w.code, w.field)
				}
			}
			for _, s := range req.secrets() {
				if bytes.Contains(r.body, []byte(s)) {
					t.Errorf("the error answer carries %q", s)
				}
			}
		})
	}
}

// TestRegisterAbsentOrEmptyMembersFailTheirRules: a member left out of the document, or a list
// sent empty, binds as an empty value and fails its rule (registration.TestCheckFieldRules has
// the rules), in JSON and in XML, every failure reported in the field table's order, each
// naming its member.
func TestRegisterAbsentOrEmptyMembersFailTheirRules(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	cases := []struct {
		name   string
		absent []string // in the order their failures are reported
		empty  bool     // send the members as empty lists rather than leave them out
		want   []string // one code per member
	}{
		{"absent values", []string{"memberNumber", "person.personName.firstName", "person.personName.lastName", "person.contactInfo.emailAddress",
			inAddr0 + "address1", inAddr0 + "city", inAddr0 + "state", inAddr0 + "postalCode", inAddr0 + "country", "person.birthDate",
			inLogin, inPassword, "acceptedDisclosure", "ssn", "motherMaidenName"}, false,
			[]string{"20006", "220002", "220003", "220006", "220010", "220008", "220009", "220007", "220011", "220013", "220015", "220018",
				"220020", "20006", "220012"}},
		{"absent lists", []string{"person.contactInfo.postalAddress", inPhones, "channelInfos"}, false, []string{"220010", "220014", "20006"}},
		{"empty lists", []string{"person.contactInfo.postalAddress", inPhones, "channelInfos.channelInfo"}, true, []string{"220010", "220014", "20006"}},
	}
	for _, tc := range cases {
		for _, f := range bothFormat {
			t.Run(tc.name+"/"+f.name, func(t *testing.T) {
				req := newRegistration(t, fiCreditUnion)
				for _, path := range tc.absent {
					if tc.empty {
						setField(path, []any{})(t, req)
					} else {
						deleteField(path)(t, req)
					}
				}
				p := wantCodes(t, a.registerAs(t, tok, fiCreditUnion, f.mediaType, f.mediaType, req.in(t, f)), http.StatusBadRequest, tc.want...)
				p.refusedIn(t, f)
				for i, e := range p.errors {
					if i < len(tc.absent) && !strings.Contains(e.Message, "FICustomer."+tc.absent[i]) {
						t.Errorf("errorInfo[%d] %s %q does not name %s", i, e.Code, e.Message, tc.absent[i])
					}
				}
			})
		}
	}
}

// TestRegisterFieldRulesThroughHTTP: the rules themselves are registration.TestCheckFieldRules;
// these rows show what only the HTTP stack can: documents that do not decode, how members bind
// (names are exact, JSON types, lists in both renderings), the FI's stored policy, and the
// conflicts the store finds (26201, 26331), whose answers name no other member or login.
func TestRegisterFieldRulesThroughHTTP(t *testing.T) {
	a := newAPI(t)
	tokens := map[string]string{fiCreditUnion: a.v1Token(t, fiCreditUnion), fiCommunityBank: a.v1Token(t, fiCommunityBank)}
	registered := []string{memberSam, sandboxUser, sandboxUserGUID} // the sandbox's registered user
	for _, tc := range []struct {
		name    string
		fi      string                                                           // of the path, the token and fiId.value (default 01111)
		edits   []regEdit                                                        // of a fresh valid request
		body    func(t testing.TB, f bodyFormat, req registrationRequest) string // replaces the rendered request
		formats []bodyFormat                                                     // default JSON and XML
		status  int                                                              // default 400; 200 when code is ""
		code    string
		field   string   // what the message of code names
		forbid  []string // what the answer must not carry besides the request's secrets
	}{
		// Binding.
		{name: "ssn spelt SSN", edits: []regEdit{renameField("ssn", "SSN")}, code: "20006", field: "FICustomer.ssn"},
		{name: "memberNumber as a JSON number", formats: []bodyFormat{formatJSON}, edits: []regEdit{setField("memberNumber", 12345678)},
			code: "20006", field: "memberNumber"},
		{name: "acceptedDisclosure the JSON boolean false", formats: []bodyFormat{formatJSON},
			edits: []regEdit{setField("acceptedDisclosure", false)}, code: "220020", field: "FICustomer.acceptedDisclosure"},
		{name: "acceptedDisclosure the JSON boolean true accepted", formats: []bodyFormat{formatJSON},
			edits: []regEdit{setField("acceptedDisclosure", true)}},
		{name: "acceptedDisclosures lists only IB", edits: []regEdit{setField("acceptedDisclosures", []any{ibID})},
			code: "220020", field: "FICustomer.acceptedDisclosure"},
		{name: "acceptedDisclosures lists IB and ESIGN with acceptedDisclosure false accepted", edits: []regEdit{
			setField("acceptedDisclosures", []any{ibID, esignID}), setField("acceptedDisclosure", "false")}},
		// The FI of the path decides the policy.
		{name: "loginId 13 characters at 02222", fi: fiCommunityBank, edits: []regEdit{withLogin("janedoe123456")},
			code: "220019", field: "FICustomer." + inLogin},
		// Documents that do not decode.
		{name: "malformed document", code: "20006", body: func(_ testing.TB, f bodyFormat, _ registrationRequest) string {
			if f == formatXML {
				return `<FICustomer><memberNumber>R1</FICustomer>`
			}
			return `{"FICustomer": {"memberNumber": "R1"`
		}},
		{name: "JSON document with trailing content", formats: []bodyFormat{formatJSON}, code: "20006",
			body: func(t testing.TB, _ bodyFormat, req registrationRequest) string { return req.json(t) + "}" }},
		{name: "XML document with a second root", formats: []bodyFormat{formatXML}, code: "20006",
			body: func(_ testing.TB, _ bodyFormat, req registrationRequest) string { return req.xml() + "<FICustomer/>" }},
		{name: "XML root other than FICustomer", formats: []bodyFormat{formatXML}, code: "20006",
			body: func(_ testing.TB, _ bodyFormat, req registrationRequest) string {
				doc := strings.Replace(req.xml(), "<FICustomer>", "<Customer>", 1)
				return strings.Replace(doc, "</FICustomer>", "</Customer>", 1)
			}},
		// Conflicts with what is stored (D32).
		{name: "loginId taken in the FI, other case", edits: []regEdit{withLogin("SandboxUser1")}, code: "26201", field: "FICustomer." + inLogin,
			forbid: []string{memberSam, sandboxUserGUID}},
		{name: "ssn of a registered person under another member", edits: []regEdit{withSSN("123456789")},
			status: http.StatusConflict, code: "26331", forbid: registered},
		{name: "member already registered", edits: []regEdit{withMember(memberSam)}, status: http.StatusConflict, code: "26331",
			field: "FICustomer.memberNumber", forbid: registered[1:]},
	} {
		formats := tc.formats
		if formats == nil {
			formats = bothFormat
		}
		for _, f := range formats {
			t.Run(tc.name+"/"+f.name, func(t *testing.T) {
				fi := tc.fi
				if fi == "" {
					fi = fiCreditUnion
				}
				req := newRegistration(t, fi, tc.edits...)
				body := req.in(t, f)
				if tc.body != nil {
					body = tc.body(t, f, req)
				}
				r := a.registerAs(t, tokens[fi], fi, f.mediaType, f.mediaType, body)
				if tc.code == "" {
					decodeRegisteredCustomer(t, r, f, req, true)
					return
				}
				status := tc.status
				if status == 0 {
					status = http.StatusBadRequest
				}
				p := wantProblem(t, r, status, tc.code, tc.field)
				p.refusedIn(t, f)
				for _, e := range p.errors[1:] {
					if e.Code != tc.code {
						t.Errorf("unexpected code %s (%s)", e.Code, e.Message)
					}
				}
				for _, s := range append(req.secrets(), tc.forbid...) {
					if bytes.Contains(r.body, []byte(s)) {
						t.Errorf("the error answer carries %q: %s", s, r.body)
					}
				}
			})
		}
	}
}

// ---------------------------------------------------------------- atFirstLogin (D4, D31)

func TestRegisterAtFirstLoginFI(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCommunityBank)
	req := newRegistration(t, fiCommunityBank)
	setField("memberNumber", "700800900")(t, req)
	deleteField("acceptedDisclosure")(t, req)
	r := a.registerAs(t, tok, fiCommunityBank, formatJSON.mediaType, formatJSON.mediaType, req.json(t))
	c := decodeRegisteredCustomer(t, r, formatJSON, req, false)
	guid, _ := fieldAt(c, "id.value").(string)

	g := a.do(t, http.MethodGet, "/bankingservices/v2/fis/"+fiCommunityBank+"/fiCustomers/"+guid, map[string]string{
		"Authorization": "Bearer " + tok, "di_tid": newTID(), "Accept": "application/json"}, "")
	if g.status != http.StatusOK || !strings.HasPrefix(g.header.Get("Content-Type"), "application/json") {
		t.Fatalf("Get FI Customer: %d %s %s", g.status, g.header.Get("Content-Type"), g.body)
	}
	var got map[string]any // the bare FICustomer object (official schema), no wrapper
	g.decode(t, &got)
	if _, wrapped := got["FICustomer"]; wrapped {
		t.Errorf("Get FI Customer JSON is wrapped in FICustomer: %s", g.body)
	}
	if id := fieldAt(got, "id.value"); id != guid {
		t.Errorf("id %v, want %s", id, guid)
	}
	if m := fieldAt(got, "memberNumber"); m != "700800900" {
		t.Errorf("memberNumber %v", m)
	}
	checkBool(t, formatJSON, "acceptedDisclosure", fieldAt(got, "acceptedDisclosure"), false)
	checkBool(t, formatJSON, "userStatus.needsToAcceptDisclosure", fieldAt(got, "channelInfos.channelInfo[0].userStatus.needsToAcceptDisclosure"), true)
	checkBool(t, formatJSON, "userStatus.registered", fieldAt(got, "channelInfos.channelInfo[0].userStatus.registered"), false)
	checkBool(t, formatJSON, "userStatus.acceptedDisclosure", fieldAt(got, "channelInfos.channelInfo[0].userStatus.acceptedDisclosure"), false)
}

// ---------------------------------------------------------------- reading answers

// customerJSON is Register v4's JSON answer: the profile wrapped in {"FICustomer": …} (the
// official RegisterCustomerResponse).
type customerJSON struct {
	FICustomer profileJSON `json:"FICustomer"`
}

// profileJSON is a profile; Get FI Customer answers it bare (the official FICustomer schema).
type profileJSON struct {
	ID struct {
		Value string `json:"value"`
	} `json:"id"`
	MemberNumber       string `json:"memberNumber"`
	AcceptedDisclosure bool   `json:"acceptedDisclosure"`
	Ssn                string `json:"ssn"`
	ChannelInfos       struct {
		ChannelInfo []struct {
			Credential struct {
				LoginID string `json:"loginId"`
			} `json:"credential"`
			UserStatus map[string]any `json:"userStatus"`
		} `json:"channelInfo"`
	} `json:"channelInfos"`
}

// refusedIn checks what every refused registration shows: the negotiated format (D1) and
// USER_ERROR on every errorInfo.
func (p *problem) refusedIn(t testing.TB, f bodyFormat) {
	t.Helper()
	if p.mediaType != f.mediaType {
		t.Errorf("error answer in %s, want %s", p.mediaType, f.mediaType)
	}
	for _, e := range p.errors {
		if e.Type != "USER_ERROR" {
			t.Errorf("errorType %s for %s, want USER_ERROR", e.Type, e.Code)
		}
	}
}

// decodeRegisteredCustomer checks a 200 Register v4 answer in format f against the request
// (contract §5.6, D2) and returns the FICustomer object.
func decodeRegisteredCustomer(t *testing.T, r *response, f bodyFormat, req registrationRequest, accepted bool) map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("want 200, got %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, f.mediaType) {
		t.Fatalf("answer is %q, want %s: %s", ct, f.mediaType, r.body)
	}
	var c map[string]any
	if f == formatXML {
		root, m, err := xmlTree(r.body)
		if err != nil || root != "FICustomer" {
			t.Fatalf("not an XML FICustomer (%s, %v): %s", root, err, r.body)
		}
		c = m
	} else {
		var doc map[string]any
		r.decode(t, &doc)
		c, _ = doc["FICustomer"].(map[string]any)
		if c == nil || len(doc) != 1 {
			t.Fatalf("not a JSON {\"FICustomer\": …}: %s", r.body)
		}
	}
	str := func(path string) string { s, _ := fieldAt(c, path).(string); return s }
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	if !hex32.MatchString(str("id.value")) || str("id.type") != "GUID" {
		t.Errorf("id %v", c["id"])
	}
	if !hex32.MatchString(str("authId")) {
		t.Errorf("authId %q, want 32 lower-case hex", str("authId"))
	}
	if str("hostCredential.loginId") == "" {
		t.Errorf("no hostCredential.loginId: %v", c["hostCredential"])
	}
	if got, want := str("memberNumber"), req.field("memberNumber"); got != want {
		t.Errorf("memberNumber %q, want %q", got, want)
	}
	// Destinations: one VOICE and one SMS per phone, one EMAIL (5.5, 5.6).
	want := map[string]int{}
	phones, _ := fieldAt(req, "FICustomer.person.contactInfo.phoneNumber").([]any)
	for i := range phones {
		n := req.field(fmt.Sprintf("person.contactInfo.phoneNumber[%d].number", i))
		want["VOICE "+n]++
		want["SMS "+n]++
	}
	want["EMAIL "+req.field("person.contactInfo.emailAddress")]++
	got := map[string]int{}
	dests, _ := fieldAt(c, "destinations.destination").([]any)
	for _, d := range dests {
		dm, _ := d.(map[string]any)
		got[fmt.Sprint(dm["protocol"], " ", dm["contactInfo"])]++
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("destinations %v, want %v", got, want)
	}
	checkBool(t, f, "acceptedDisclosure", c["acceptedDisclosure"], accepted)
	ssn := req.field("ssn")
	if got := str("ssn"); got != "*****"+ssn[len(ssn)-4:] {
		t.Errorf("ssn %q, want *****%s", got, ssn[len(ssn)-4:])
	}
	cred, _ := fieldAt(c, "channelInfos.channelInfo[0].credential").(map[string]any)
	if len(cred) != 1 || cred["loginId"] != req.field("channelInfos.channelInfo[0].credential.loginId") {
		t.Errorf("credential %v, want only the loginId", cred)
	}
	// No password anywhere (D2), nor the full SSN.
	pin := req.field("hostCredential.password")
	for _, s := range []string{req.field("channelInfos.channelInfo[0].credential.password"), `"` + pin + `"`, ">" + pin + "<",
		ssn, `"password"`, "<password>"} {
		if s != "" && bytes.Contains(r.body, []byte(s)) {
			t.Errorf("the answer carries %q: %s", s, r.body)
		}
	}
	return c
}

// checkBool checks a response boolean: a JSON boolean, or the XML text true/false.
func checkBool(t *testing.T, f bodyFormat, name string, v any, want bool) {
	t.Helper()
	if f == formatXML {
		if v != strconv.FormatBool(want) {
			t.Errorf("%s %v, want %v", name, v, want)
		}
	} else if v != want {
		t.Errorf("%s %#v, want the JSON boolean %v", name, v, want)
	}
}

// xmlArrayElements are the response elements that are array items (repeated elements).
var xmlArrayElements = map[string]bool{"postalAddress": true, "phoneNumber": true, "channelInfo": true,
	"destination": true, "errorInfo": true}

// xmlTree reads an XML document into the JSON shape (objects, arrays of the xmlArrayElements,
// strings for every leaf) and returns the root element's name and content.
func xmlTree(data []byte) (string, map[string]any, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return "", nil, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			v, err := xmlNode(d)
			m, _ := v.(map[string]any)
			return se.Name.Local, m, err
		}
	}
}

func xmlNode(d *xml.Decoder) (any, error) {
	var text strings.Builder
	var obj map[string]any
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			v, err := xmlNode(d)
			if err != nil {
				return nil, err
			}
			if obj == nil {
				obj = map[string]any{}
			}
			if name := t.Name.Local; xmlArrayElements[name] {
				prev, _ := obj[name].([]any)
				obj[name] = append(prev, v)
			} else {
				obj[name] = v
			}
		case xml.EndElement:
			if obj != nil {
				return obj, nil
			}
			return text.String(), nil
		}
	}
}

// TestXMLElementOrderFollowsTheOfficialSchemas: XML elements come in the official schemas'
// property order, not the generated types' alphabetical one (issue 12; some XML binders are
// order-sensitive). Register v4 answers in the official FICustomerResponse's order (the
// request's), Get FI Customer in the official FICustomer's (alphabetical), errors as Status
// lists them (statusMessage, then errorInfo).
func TestXMLElementOrderFollowsTheOfficialSchemas(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	registered := []string{"FICustomer", "id", "fiId", "memberNumber", "name", "memberRegistrationDate", "authId", "person",
		"channelInfos", "hostCredential", "billPayEnabled", "destinations", "acceptedDisclosure", "userType", "ssn", "motherMaidenName"}
	r := a.registerAs(t, tok, fiCreditUnion, formatXML.mediaType, "", newRegistration(t, fiCreditUnion).in(t, formatXML))
	if r.status != http.StatusOK {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	got := elementOrder(t, r.body)
	if !inOrderOf(got, registered) || !slices.Contains(got, "ssn") {
		t.Errorf("Register v4 XML elements %v, want the order of %v", got, registered)
	}
	if i := bytes.Index(r.body, []byte("<personName>")); i < 0 || i > bytes.Index(r.body, []byte("<contactInfo>")) {
		t.Errorf("person: personName must come before contactInfo: %s", r.body)
	}
	var id struct {
		ID string `xml:"id>value"`
	}
	if err := xml.Unmarshal(r.body, &id); err != nil || id.ID == "" {
		t.Fatalf("no id in %s", r.body)
	}

	g := a.do(t, http.MethodGet, "/bankingservices/v2/fis/"+fiCreditUnion+"/fiCustomers/"+id.ID, map[string]string{
		"Authorization": "Bearer " + tok, "di_tid": newTID()}, "")
	got = elementOrder(t, g.body)
	if g.status != http.StatusOK || len(got) < 10 || got[0] != "FICustomer" || !slices.IsSorted(got[1:]) {
		t.Errorf("Get FI Customer XML elements %v, want the official FICustomer's (alphabetical) order", got)
	}
	if c, f, u := bytes.Index(g.body, []byte("<credential>")), bytes.Index(g.body, []byte("<failedLoginCount>")),
		bytes.Index(g.body, []byte("<userStatus>")); c < 0 || c > f || f > u {
		t.Errorf("channelInfo: want credential, failedLoginCount, userStatus in this order: %s", g.body)
	}

	e := a.do(t, http.MethodGet, "/bankingservices/v2/fis/"+fiCreditUnion+"/fiCustomers/nobody", map[string]string{
		"Authorization": "Bearer " + tok, "di_tid": newTID()}, "")
	wantProblem(t, e, http.StatusNotFound, "20404", "")
	if got := elementOrder(t, e.body); !slices.Equal(got, []string{"Status", "statusMessage", "errorInfo"}) {
		t.Errorf("Status XML elements %v, want statusMessage then errorInfo", got)
	}
}

// inOrderOf reports whether every name of got is in want, in want's relative order.
func inOrderOf(got, want []string) bool {
	at := 0
	for _, g := range got {
		i := slices.Index(want[at:], g)
		if i < 0 {
			return false
		}
		at += i + 1
	}
	return true
}
