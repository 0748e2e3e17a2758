package handlers_test

import (
	"bytes"

	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

type customerJSON struct {
	FICustomer struct {
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
	} `json:"FICustomer"`
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
		var back customerJSON
		r.decode(t, &back)
		if r.status != 200 || back.FICustomer.ID.Value != guid || back.FICustomer.ChannelInfos.ChannelInfo[0].UserStatus["registered"] != true {
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

func TestGetCustomerErrors(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	other := a.v1Token(t, fiCommunityBank)
	h := func(token string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + token, "di_tid": newTID(), "Accept": "application/json"}
	}
	wantProblem(t, a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/00000000000000000000000000000000", h(tok), ""), 404, "20404", "")
	wantProblem(t, a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+sandboxUserGUID, h(other), ""), 401, "90001", "")
	// A 02222 token reading its own FI does not see 01111's customer.
	wantProblem(t, a.do(t, http.MethodGet, "/bankingservices/v2/fis/02222/fiCustomers/"+sandboxUserGUID, h(other), ""), 404, "20404", "")
	wantProblem(t, a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/x?fiCustomerIdType=EMAIL", h(tok), ""), 400, "20006", "")
	wantMessage(t, a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+sandboxUserGUID, map[string]string{"Authorization": "Bearer " + tok, "Accept": "application/json"}, ""), 400, "90002", "Header 'di_tid' invalid")
	if p := wantProblem(t, a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/nobody?fiCustomerIdType=LOGINID", h(tok), ""), 404, "20404", ""); p.errors[0].Type != "APP_ERROR" || p.mediaType != "application/json" {
		t.Errorf("404: errorType %s in %s, want APP_ERROR in JSON", p.errors[0].Type, p.mediaType)
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
	if n != 2 { // sandboxuser1 and jdoe_2024
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
