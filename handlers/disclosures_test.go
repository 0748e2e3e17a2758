package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/custreg/custreg/models"
)

type apiDisclosure struct {
	ID       string `json:"institutionDisclosureId"`
	FI       string `json:"institutionId"`
	Name     string `json:"institutionDisclosureName"`
	Data     string `json:"institutionDisclosureData"`
	DataType string `json:"institutionDisclosureDataType"`
	Enabled  bool   `json:"institutionDisclosureStatus"`
	Required bool   `json:"required"`
	Version  int    `json:"version"`
}

type apiUserDisclosure struct {
	Name        string `json:"institutionDisclosureName"`
	ID          string `json:"institutionDisclosureId"`
	UserDiscID  string `json:"institutionUserDisclosureId"`
	UserID      string `json:"institutionUserId"`
	Status      string `json:"institutionUserDisclosureStatus"`
	AccountID   string `json:"accountId"`
	PaperWaiver *bool  `json:"paperWaiver"`
}

// dsc sends a disclosures request with a V2 bearer token.
func (a *api) dsc(t testing.TB, method, path, token, body string) *response {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token, "transactionId": newTID()}
	if body != "" {
		h["Content-Type"] = "application/json"
	}
	return a.do(t, method, path, h, body)
}

// customerFlags reads the registration flags through Get FI Customer.
func (a *api) customerFlags(t testing.TB, fi, login string) map[string]any {
	t.Helper()
	r := a.do(t, http.MethodGet, "/bankingservices/v2/fis/"+fi+"/fiCustomers/"+login+"?fiCustomerIdType=LOGINID",
		map[string]string{"Authorization": "Bearer " + a.v1Token(t, fi), "di_tid": newTID(), "Accept": "application/json"}, "")
	var c profileJSON
	r.decode(t, &c)
	if r.status != 200 {
		t.Fatalf("get customer: %d %s", r.status, r.body)
	}
	return c.ChannelInfos.ChannelInfo[0].UserStatus
}

func TestListInstitutionDisclosures(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, "disclosures:read")
	for _, path := range []string{disclosures, "/db-disclosures" + disclosures, "/digitalbanking/db-disclosures" + disclosures} {
		r := a.dsc(t, http.MethodGet, path, tok, "")
		var out struct {
			InstitutionDisclosures []apiDisclosure `json:"institutionDisclosures"`
		}
		r.decode(t, &out)
		got := map[string]apiDisclosure{}
		for _, d := range out.InstitutionDisclosures {
			got[d.Name] = d
		}
		if r.status != 200 || len(got) != 3 || !got["IB"].Required || !got["ESIGN"].Required || got["OLS"].Required ||
			got["IB"].ID != ibID || got["IB"].Version != 1 || got["IB"].DataType != "URL" || got["IB"].FI != fiCreditUnion {
			t.Errorf("%s: %d %+v", path, r.status, out)
		}
	}
}

func TestDisclosureScopesAndHeaders(t *testing.T) {
	a := newAPI(t)
	limited := a.v2Token(t, limitedApp, limitedSecret, fiCreditUnion, "grant_type=client_credentials").AccessToken
	readOnly := a.v2For(t, fiCreditUnion, "disclosures:read")
	create := `{"institutionDisclosureName":"PRIVACY","institutionDisclosureData":"https://example.com/p.html","institutionDisclosureDataType":"URL"}`
	wantProblem(t, a.dsc(t, http.MethodGet, disclosures, limited, ""), 403, "DSC_11003", "")
	wantProblem(t, a.dsc(t, http.MethodPost, disclosures, limited, create), 403, "DSC_11003", "")
	wantProblem(t, a.dsc(t, http.MethodPost, disclosures, readOnly, create), 403, "DSC_11003", "")
	wantProblem(t, a.dsc(t, http.MethodGet, disclosures, "junk", ""), 401, "DSC_11002", "")
	wantProblem(t, a.dsc(t, http.MethodGet, disclosures, a.v1Token(t, fiCreditUnion), ""), 401, "DSC_11002", "")
	wantProblem(t, a.do(t, http.MethodGet, disclosures, map[string]string{"transactionId": newTID()}, ""), 401, "DSC_11001", "")
	wantProblem(t, a.do(t, http.MethodGet, disclosures, map[string]string{"Authorization": "Bearer " + readOnly}, ""), 400, "DSC_12002", "")
	wantProblem(t, a.do(t, http.MethodGet, disclosures, map[string]string{"Authorization": "Bearer " + readOnly, "transactionId": newTID() + "-0000"}, ""), 400, "DSC_12003", "")
	wantProblem(t, a.do(t, http.MethodGet, disclosures, map[string]string{"Authorization": "Bearer " + readOnly, "transactionId": newTID(),
		"callingAppId": strings.Repeat("c", 65)}, ""), 400, "DSC_12013", "")
	wantProblem(t, a.do(t, http.MethodGet, disclosures, map[string]string{"Authorization": "Bearer " + readOnly, "transactionId": newTID(),
		"X-Big": strings.Repeat("b", 9000)}, ""), 400, "DSC_12007", "")
	// The token's FI decides what is listed: 02222 has only its own IB.
	r := a.dsc(t, http.MethodGet, disclosures, a.v2For(t, fiCommunityBank, "disclosures:read"), "")
	if !strings.Contains(string(r.body), ib02222ID) || strings.Contains(string(r.body), ibID) {
		t.Errorf("02222 list: %s", r.body)
	}
}

func TestCreateAndUpdateInstitutionDisclosure(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, "")
	r := a.dsc(t, http.MethodPost, disclosures, tok, `{"institutionDisclosureName":"TEST_DISCLOSURE_123","institutionDisclosureData":"https://example.com/t.html","institutionDisclosureDataType":"URL"}`)
	var d apiDisclosure
	r.decode(t, &d)
	if r.status != 200 || len(d.ID) != 32 || d.Version != 1 || d.Enabled || d.Required || d.FI != fiCreditUnion {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	for _, tc := range []struct{ name, body, code string }{
		{"duplicate name", `{"institutionDisclosureName":"TEST_DISCLOSURE_123"}`, "DSC_10002"},
		{"missing name", `{"institutionDisclosureData":"https://example.com/x.html","institutionDisclosureDataType":"URL"}`, "DSC_12004"},
		{"long name", `{"institutionDisclosureName":"` + strings.Repeat("N", 65) + `"}`, "DSC_12011"},
		{"long data", `{"institutionDisclosureName":"X","institutionDisclosureData":"https://example.com/` + strings.Repeat("d", 2048) + `","institutionDisclosureDataType":"URL"}`, "DSC_12011"},
		{"not a URL", `{"institutionDisclosureName":"X","institutionDisclosureData":"ftp://x","institutionDisclosureDataType":"URL"}`, "DSC_12004"},
		{"data without type", `{"institutionDisclosureName":"X","institutionDisclosureData":"https://example.com/x.html"}`, "DSC_12004"},
		{"type RAW", `{"institutionDisclosureName":"X","institutionDisclosureData":"https://example.com/x.html","institutionDisclosureDataType":"RAW"}`, "DSC_12004"},
		{"id given", `{"institutionDisclosureId":"ABC","institutionDisclosureName":"X"}`, "DSC_12004"},
		{"wrong type", `{"institutionDisclosureName":"X","institutionDisclosureStatus":"yes"}`, "DSC_12004"},
		{"non-printable", `{"institutionDisclosureName":"X` + "\u00e9" + `"}`, "DSC_12001"},
		{"not JSON", `{"institutionDisclosureName":`, "DSC_10002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, a.dsc(t, http.MethodPost, disclosures, tok, tc.body), 400, tc.code, "")
		})
	}
	wantProblem(t, a.do(t, http.MethodPost, disclosures, map[string]string{"Authorization": "Bearer " + tok, "transactionId": newTID(),
		"Content-Type": "application/json"}, ""), 400, "DSC_12005", "")
	big := `{"institutionDisclosureName":"BIG","institutionDisclosureData":"https://example.com/` + strings.Repeat("x", 70<<10) + `"}`
	wantProblem(t, a.dsc(t, http.MethodPost, disclosures, tok, big), 400, "DSC_12014", "")

	// Update: same content keeps the version, new content raises it.
	path := disclosures + "/" + strings.ToLower(d.ID)
	r = a.dsc(t, http.MethodPut, path, tok, `{"institutionDisclosureId":"`+d.ID+`","institutionDisclosureName":"TEST_DISCLOSURE_123","institutionDisclosureStatus":true}`)
	r.decode(t, &d)
	if r.status != 200 || d.Version != 1 || !d.Enabled || d.Data != "https://example.com/t.html" {
		t.Fatalf("update status only: %d %s", r.status, r.body)
	}
	r = a.dsc(t, http.MethodPut, "/db-disclosures"+path, tok, `{"institutionDisclosureId":"`+d.ID+`","institutionDisclosureName":"TEST_DISCLOSURE_123","institutionDisclosureData":"https://example.com/t2.html","institutionDisclosureDataType":"URL"}`)
	r.decode(t, &d)
	if r.status != 200 || d.Version != 2 {
		t.Fatalf("update content: %d %s", r.status, r.body)
	}
	wantProblem(t, a.dsc(t, http.MethodPut, path, tok, `{"institutionDisclosureId":"`+ibID+`","institutionDisclosureName":"X"}`), 400, "DSC_12012", "")
	wantProblem(t, a.dsc(t, http.MethodPut, disclosures+"/00000000000000000000000000000000", tok,
		`{"institutionDisclosureId":"00000000000000000000000000000000","institutionDisclosureName":"X"}`), 404, "DSC_13001", "")
	wantProblem(t, a.dsc(t, http.MethodPut, path, tok, `{"institutionDisclosureId":"`+d.ID+`","institutionDisclosureName":"IB"}`), 400, "DSC_10002", "")
	// Another FI's token cannot touch it.
	other := a.v2For(t, fiCommunityBank, "")
	wantProblem(t, a.dsc(t, http.MethodPut, path, other, `{"institutionDisclosureId":"`+d.ID+`","institutionDisclosureName":"Y"}`), 404, "DSC_13001", "")
}

func TestDisclosureVersionBumpFlagsUsersUntilTheyAccept(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, "")
	if f := a.customerFlags(t, fiCreditUnion, sandboxUser); f["needsToAcceptDisclosure"] != false || f["registered"] != true {
		t.Fatalf("before: %v", f)
	}
	r := a.dsc(t, http.MethodPut, disclosures+"/"+ibID, tok, `{"institutionDisclosureId":"`+ibID+`","institutionDisclosureName":"IB","institutionDisclosureData":"https://sandbox.custreg.example/disclosures/01111/online-banking-agreement-v2.html","institutionDisclosureDataType":"URL"}`)
	if r.status != 200 {
		t.Fatalf("bump: %d %s", r.status, r.body)
	}
	if f := a.customerFlags(t, fiCreditUnion, sandboxUser); f["needsToAcceptDisclosure"] != true || f["acceptedDisclosure"] != false || f["registered"] != true {
		t.Fatalf("after the bump: %v", f)
	}
	// Declining changes nothing; accepting the new version clears the flag.
	if r := a.dsc(t, http.MethodPost, userDiscl+"?loginId=sandboxuser1", tok, `{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"NOT_ACCEPTED"}`); r.status != 204 {
		t.Fatalf("decline: %d %s", r.status, r.body)
	}
	if f := a.customerFlags(t, fiCreditUnion, sandboxUser); f["needsToAcceptDisclosure"] != true {
		t.Fatalf("after declining: %v", f)
	}
	if r := a.dsc(t, http.MethodPut, userDiscl+"?loginId=sandboxuser1", tok, `{"institutionUserDisclosureId":"`+ibID+`","institutionUserDisclosureStatus":"ACCEPTED"}`); r.status != 204 {
		t.Fatalf("accept (D19 field name): %d %s", r.status, r.body)
	}
	if f := a.customerFlags(t, fiCreditUnion, sandboxUser); f["needsToAcceptDisclosure"] != false || f["acceptedDisclosure"] != true {
		t.Fatalf("after accepting: %v", f)
	}
	export, err := a.store.ExportDisclosureHistory(context.Background(), fiCreditUnion, sandboxUser)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range export.History {
		got = append(got, e.DisclosureName+":"+e.Status+":"+e.Channel+":"+string(rune('0'+e.Version)))
	}
	want := []string{"ESIGN:ACCEPTED:PROVISIONING:1", "IB:ACCEPTED:PROVISIONING:1", "IB:NOT_ACCEPTED:DISCLOSURES_API:2", "IB:ACCEPTED:DISCLOSURES_API:2"}
	if strings.Join(got, ",") != strings.Join(want, ",") && strings.Join(got, ",") != strings.Join([]string{want[1], want[0], want[2], want[3]}, ",") {
		t.Errorf("history %v", got)
	}
	if len(export.History) > 2 && (export.History[3].ClientID != sandboxApp || export.History[3].TraceID == "" || export.History[3].OriginatingIP == "") {
		t.Errorf("evidence lacks context: %+v", export.History[3])
	}
}

func TestFirstLoginAcceptanceCompletesRegistration(t *testing.T) {
	a := newAPI(t)
	body := newRegistration(t, fiCommunityBank, withMember(memberJordan), withLogin("jrivera"), deleteField("acceptedDisclosure")).json(t)
	if r := a.registerJSON(t, a.v1Token(t, fiCommunityBank), fiCommunityBank, newTID(), body); r.status != 200 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	if f := a.customerFlags(t, fiCommunityBank, "jrivera"); f["needsToAcceptDisclosure"] != true || f["registered"] != false {
		t.Fatalf("after registration: %v", f)
	}
	tok := a.v2For(t, fiCommunityBank, "")
	var list struct {
		Items []apiUserDisclosure `json:"institutionUserDisclosures"`
	}
	a.dsc(t, http.MethodGet, userDiscl+"?hostUserId=700800900", tok, "").decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("list before: %+v", list)
	}
	if r := a.dsc(t, http.MethodPost, "/db-disclosures"+userDiscl+"?hostUserId=700800900", tok,
		`{"institutionDisclosureId":"`+ib02222ID+`","institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED"}`); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	if f := a.customerFlags(t, fiCommunityBank, "jrivera"); f["needsToAcceptDisclosure"] != false || f["registered"] != true || f["acceptedDisclosure"] != true {
		t.Fatalf("after acceptance: %v", f)
	}
	r := a.dsc(t, http.MethodGet, userDiscl+"?loginId=JRIVERA", tok, "")
	r.decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Status != "ACCEPTED" || list.Items[0].ID != ib02222ID || len(list.Items[0].UserID) != 32 {
		t.Fatalf("list after: %s", r.body)
	}
}

func TestOLSUserDisclosure(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, "")
	q := userDiscl + "?loginId=sandboxuser1&accountType=CHECKING"
	wantProblem(t, a.dsc(t, http.MethodPost, q, tok, `{"institutionDisclosureName":"OLS","institutionUserDisclosureStatus":"ACCEPTED","accountId":"`+samChecking+`"}`), 400, "DSC_12017", "")
	wantProblem(t, a.dsc(t, http.MethodPost, q, tok, `{"institutionDisclosureName":"OLS","institutionUserDisclosureStatus":"ACCEPTED","paperWaiver":true}`), 400, "DSC_12016", "")
	wantProblem(t, a.dsc(t, http.MethodPost, q, tok, `{"institutionDisclosureName":"OLS","institutionUserDisclosureStatus":"ACCEPTED","paperWaiver":true,"accountId":"`+alexChecking+`"}`), 400, "DSC_12016", "")
	wantProblem(t, a.dsc(t, http.MethodPost, q, tok, `{"institutionDisclosureName":"OLS","institutionUserDisclosureStatus":"ENROLLED","paperWaiver":true,"accountId":"`+samChecking+`"}`), 400, "DSC_12004", "")
	wantProblem(t, a.dsc(t, http.MethodPost, userDiscl+"?loginId=sandboxuser1&accountType=SHOES", tok, `{"institutionDisclosureName":"OLS"}`), 400, "DSC_12006", "")
	if r := a.dsc(t, http.MethodPost, q, tok, `{"institutionDisclosureName":"OLS","institutionUserDisclosureStatus":"ACCEPTED","paperWaiver":true,"accountId":"`+samChecking+`"}`); r.status != 204 {
		t.Fatalf("OLS: %d %s", r.status, r.body)
	}
	var list struct {
		Items []apiUserDisclosure `json:"institutionUserDisclosures"`
	}
	a.dsc(t, http.MethodGet, userDiscl+"?loginId=sandboxuser1", tok, "").decode(t, &list)
	var ols *apiUserDisclosure
	for i := range list.Items {
		if list.Items[i].Name == "OLS" {
			ols = &list.Items[i]
		}
	}
	if ols == nil || ols.AccountID != samChecking || ols.PaperWaiver == nil || !*ols.PaperWaiver {
		t.Fatalf("list: %+v", list)
	}
	wantProblem(t, a.dsc(t, http.MethodPut, userDiscl+"?loginId=sandboxuser1", tok, `{"institutionDisclosureName":"OLS","institutionUserDisclosureStatus":"NOT_ACCEPTED"}`), 400, "DSC_12015", "")
	wantProblem(t, a.dsc(t, http.MethodDelete, userDiscl+"?loginId=sandboxuser1", tok, `{"institutionDisclosureName":"OLS","accountId":"`+samChecking+`"}`), 400, "DSC_12006", "")
	wantProblem(t, a.dsc(t, http.MethodDelete, q, tok, `{"institutionDisclosureName":"ESIGN","accountId":"`+samChecking+`"}`), 400, "DSC_12015", "")
	wantProblem(t, a.dsc(t, http.MethodDelete, q, tok, `{"accountId":"`+samChecking+`"}`), 400, "DSC_12004", "")
	wantProblem(t, a.dsc(t, http.MethodDelete, q, tok, `{"institutionDisclosureName":"OLS"}`), 400, "DSC_12016", "")
	if r := a.dsc(t, http.MethodDelete, q, tok, `{"institutionDisclosureName":"OLS","accountId":"`+samChecking+`"}`); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	wantProblem(t, a.dsc(t, http.MethodDelete, q, tok, `{"institutionDisclosureName":"OLS","accountId":"`+samChecking+`"}`), 400, "DSC_13001", "")
	var ev []models.DisclosureEvidence
	a.store.Conn().Where("disclosure_name = ?", "OLS").Order("id").Find(&ev)
	if len(ev) != 2 || ev[0].Status != "ACCEPTED" || ev[1].Status != "DELETED" || ev[1].AccountID != samChecking {
		t.Errorf("OLS evidence %+v", ev)
	}
}

func TestUserDisclosureRequestErrors(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, "")
	accept := `{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED"}`
	for _, tc := range []struct{ name, method, query, body, code string }{
		{"no user", http.MethodGet, "", "", "DSC_10009"},
		{"both users", http.MethodGet, "?loginId=sandboxuser1&hostUserId=100200300", "", "DSC_10009"},
		{"unknown login", http.MethodGet, "?loginId=nobody_here", "", "DSC_13001"},
		{"member without a user", http.MethodGet, "?hostUserId=468531842", "", "DSC_13001"},
		{"other FI's member", http.MethodGet, "?hostUserId=700800900", "", "DSC_13001"},
		{"foreign location", http.MethodGet, "?loginId=sandboxuser1&institutionCustomerId=abc", "", "DSC_10009"},
		{"no status", http.MethodPost, "?loginId=sandboxuser1", `{"institutionDisclosureName":"IB"}`, "DSC_12004"},
		{"bad status", http.MethodPost, "?loginId=sandboxuser1", `{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"MAYBE"}`, "DSC_12004"},
		{"ESIGN enrolled", http.MethodPost, "?loginId=sandboxuser1", `{"institutionDisclosureName":"ESIGN","institutionUserDisclosureStatus":"ENROLLED"}`, "DSC_12004"},
		{"custom without id", http.MethodPost, "?loginId=sandboxuser1", `{"institutionDisclosureName":"PRIVACY","institutionUserDisclosureStatus":"ACCEPTED"}`, "DSC_12004"},
		{"unknown id", http.MethodPost, "?loginId=sandboxuser1", `{"institutionDisclosureId":"00000000000000000000000000000000","institutionUserDisclosureStatus":"ACCEPTED"}`, "DSC_12004"},
		{"id and name disagree", http.MethodPost, "?loginId=sandboxuser1", `{"institutionDisclosureId":"` + ibID + `","institutionDisclosureName":"ESIGN","institutionUserDisclosureStatus":"ACCEPTED"}`, "DSC_12004"},
		{"bad date-time", http.MethodPost, "?loginId=sandboxuser1", `{"institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED","institutionUserDisclosureStatusUpdateDateTime":"yesterday"}`, "DSC_12004"},
		{"blank body", http.MethodPost, "?loginId=sandboxuser1", "", "DSC_12005"},
		{"update of nothing", http.MethodPut, "?loginId=sandboxuser1", `{"institutionDisclosureId":"` + ibID + `","institutionUserDisclosureStatus":"ACCEPTED","institutionDisclosureName":"IB"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer " + tok, "transactionId": newTID(), "Content-Type": "application/json"}
			r := a.do(t, tc.method, userDiscl+tc.query, h, tc.body)
			if tc.code == "" {
				if r.status != 204 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				return
			}
			wantProblem(t, r, 400, tc.code, "")
		})
	}
	// A password-grant token's user needs no query parameter, and may not name another user.
	pw := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant).AccessToken
	if r := a.dsc(t, http.MethodPost, userDiscl, pw, accept); r.status != 204 {
		t.Fatalf("password grant: %d %s", r.status, r.body)
	}
	wantProblem(t, a.dsc(t, http.MethodGet, userDiscl+"?loginId=jdoe_2024", pw, ""), 400, "DSC_10009", "")
	// With only disclosures:read, writes are refused (D30).
	wantProblem(t, a.dsc(t, http.MethodPost, userDiscl+"?loginId=sandboxuser1", a.v2For(t, fiCreditUnion, "disclosures:read"), accept), 403, "DSC_11003", "")
}
