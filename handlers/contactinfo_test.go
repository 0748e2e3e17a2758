package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
)

// putContactInfo sends a contact-info update with a Customer v2 token.
func (a *api) putContactInfo(t testing.TB, token, path, body string) *response {
	t.Helper()
	h := ux(token)
	h["Content-Type"] = "application/json"
	return a.do(t, http.MethodPut, path, h, body)
}

// contactAudits counts the UpdateContactInfo audit events of a customer.
func (a *api) contactAudits(t testing.TB, customerID string) int64 {
	t.Helper()
	var n int64
	if err := a.store.Conn().Model(&models.AuditEvent{}).Where("event = ? AND customer_id = ?", db.AuditUpdateContactInfo, customerID).
		Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUpdateContactInfo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
		reader := a.v2For(t, fiCreditUnion, scopeUsersRead)
		before := a.getProfile(t, reader, customers+sandboxUserGUID)
		h := ux(admin)
		h["Content-Type"] = "application/json"
		r := a.do(t, http.MethodPut, customers+sandboxUserGUID+":contact-info", h, `{
		"phoneNumber": {"oldPhoneNumber": "4155550142", "oldCountryCode": "1", "newPhoneNumber": "4155550199", "newCountryCode": "1"},
		"email": {"emailAddress": "sam.new@example.com"},
		"postalAddress": {"address1": "200 Mission Street", "city": "San Francisco", "state": "CA", "postalCode": "94105-1234", "country": "us"}}`)
		if r.status != http.StatusNoContent || len(r.body) != 0 || r.header.Get("correlationId") != h["correlationId"] {
			t.Fatalf("%d %q %v", r.status, r.body, r.header)
		}
		p := a.getProfile(t, reader, customers+sandboxUserGUID)
		if p.EmailAddress == nil || *p.EmailAddress != "sam.new@example.com" {
			t.Errorf("email %v", p.EmailAddress)
		}
		if ad := p.PostalAddresses; len(ad) != 1 || ad[0].Address1 != "200 Mission Street" || ad[0].Address2 != nil ||
			deref(ad[0].PostalCode) != "94105-1234" || deref(ad[0].Country) != "US" {
			t.Errorf("address %+v", ad)
		}
		cm := p.ContactMethods
		if len(cm) != 3 || cm[0].ContactInfo != "4155550199" || cm[1].ContactInfo != "4155550199" || cm[2].ContactInfo != "sam.new@example.com" ||
			cm[0].Protocol != gen.ContactProtocolVOICE || cm[1].Protocol != gen.ContactProtocolSMS || cm[2].Protocol != gen.ContactProtocolEMAIL {
			t.Fatalf("contact methods %+v", cm)
		}
		for i := range cm {
			// New contact methods in the old ones' places: new ids, not yet validated.
			if cm[i].ID == before.ContactMethods[i].ID || cm[i].Validated || !cm[i].Activated {
				t.Errorf("contact method %d: was %+v, now %+v", i, before.ContactMethods[i], cm[i])
			}
		}
		// The audit trail names the customer and the request, nothing of the values.
		var ev models.AuditEvent
		if err := a.store.Conn().Where("event = ?", db.AuditUpdateContactInfo).Take(&ev).Error; err != nil {
			t.Fatal(err)
		}
		if ev.CustomerID == nil || *ev.CustomerID != sandboxUserGUID || ev.TraceID != h["correlationId"] || ev.InstitutionID != fiCreditUnion ||
			ev.Outcome != models.OutcomeSuccess || ev.OfferingID != sandboxApp {
			t.Errorf("audit event %+v", ev)
		}

		// By login id, in the body (the official place) or the query; one part at a time.
		for _, tc := range []struct{ path, body string }{
			{customers + sandboxUser + ":contact-info", `{"userIdType": "LOGIN_ID", "email": {"emailAddress": "sam.two@example.com"}}`},
			{customers + "SANDBOXUSER1:contact-info?userIdType=LOGIN_ID", `{"phoneNumber": {"oldPhoneNumber": "4155550199", "newPhoneNumber": "4155550142", "newCountryCode": "0"}}`},
			{"/ux-users/v1/customers/" + sandboxUserGUID + ":contact-info", `{"postalAddress": {"address1": "MG Road 1", "city": "Bengaluru", "state": "Karnataka", "postalCode": "560001", "country": "IN"}}`},
		} {
			if r := a.putContactInfo(t, admin, tc.path, tc.body); r.status != http.StatusNoContent {
				t.Errorf("%s %s: %d %s", tc.path, tc.body, r.status, r.body)
			}
		}
		p = a.getProfile(t, reader, customers+sandboxUserGUID)
		if *p.EmailAddress != "sam.two@example.com" || p.ContactMethods[0].ContactInfo != "4155550142" || deref(p.ContactMethods[0].TelephoneCountryCode) != "1" ||
			p.PostalAddresses[0].City != "Bengaluru" || deref(p.PostalAddresses[0].Country) != "IN" {
			t.Errorf("after the single-part updates: %+v", p)
		}
		if n := a.contactAudits(t, sandboxUserGUID); n != 4 {
			t.Errorf("%d audit events, want 4", n)
		}
		// The login id in the query and CUSTOMER_ID in the body disagree.
		wantProblem(t, a.putContactInfo(t, admin, customers+sandboxUser+":contact-info?userIdType=LOGIN_ID",
			`{"userIdType": "CUSTOMER_ID", "email": {"emailAddress": "x@example.com"}}`), http.StatusBadRequest, "UXU_10014", "userIdType")
	})
}

// TestUpdateContactInfoValidation: every rule answers 400 with the field's JSON pointer, and a
// refused request changes nothing, not even its valid parts.
func TestUpdateContactInfoValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
		reader := a.v2For(t, fiCreditUnion, scopeUsersRead)
		path := customers + sandboxUserGUID + ":contact-info"
		good := `"email": {"emailAddress": "sam.valid@example.com"}`
		phone := func(old, nw string) string {
			return `"phoneNumber": {"oldPhoneNumber": "` + old + `", "newPhoneNumber": "` + nw + `"}`
		}
		addr := func(fields string) string { return `"postalAddress": {` + fields + `}` }
		const usAddr = `"address1": "1 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US"`
		before := a.getProfile(t, reader, customers+sandboxUserGUID)
		for _, tc := range []struct {
			name, body, code, field string
		}{
			{"empty", `{}`, "UXU_99999", "/phoneNumber"},
			{"only userIdType", `{"userIdType": "CUSTOMER_ID"}`, "UXU_99999", "/email"},
			{"not JSON", `{"email":`, "UXU_99999", ""},
			{"unknown member", `{"phone": {"number": "4155550199"}}`, "UXU_99999", "/phone"},
			{"number as a JSON number", `{"phoneNumber": {"oldPhoneNumber": "4155550142", "newPhoneNumber": 4155550199}}`, "UXU_99999", "/phoneNumber/newPhoneNumber"},
			{"new phone not NANP", `{` + good + `, ` + phone("4155550142", "1155550199") + `}`, "UXU_99999", "/phoneNumber/newPhoneNumber"},
			{"new phone too short", `{` + phone("4155550142", "9999999") + `}`, "UXU_99999", "/phoneNumber/newPhoneNumber"},
			{"old phone missing", `{"phoneNumber": {"newPhoneNumber": "4155550199"}, ` + good + `}`, "UXU_99999", "/phoneNumber/oldPhoneNumber"},
			{"foreign country code", `{"phoneNumber": {"oldPhoneNumber": "4155550142", "newPhoneNumber": "4155550199", "newCountryCode": "44"}}`,
				"UXU_99999", "/phoneNumber/newCountryCode"},
			{"old phone not the user's", `{` + good + `, ` + phone("2125550100", "4155550199") + `}`, "UXU_88891", "/phoneNumber/oldPhoneNumber"},
			{"email invalid", `{"email": {"emailAddress": "sam@localhost"}}`, "UXU_99999", "/email/emailAddress"},
			{"email missing", `{"email": {}, ` + phone("4155550142", "4155550199") + `}`, "UXU_99999", "/email/emailAddress"},
			{"email too long", `{"email": {"emailAddress": "` + strings.Repeat("s", 60) + `@example.com"}}`, "UXU_99999", "/email/emailAddress"},
			{"state not USPS", `{` + good + `, ` + addr(strings.Replace(usAddr, `"IL"`, `"XX"`, 1)) + `}`, "UXU_99999", "/postalAddress/state"},
			{"ZIP invalid", `{` + addr(strings.Replace(usAddr, `"62701"`, `"6270"`, 1)) + `}`, "UXU_99999", "/postalAddress/postalCode"},
			{"city missing", `{` + addr(strings.Replace(usAddr, `"city": "Springfield", `, ``, 1)) + `}`, "UXU_99999", "/postalAddress/city"},
			{"address1 blank", `{` + addr(strings.Replace(usAddr, `"1 Main St"`, `"  "`, 1)) + `}`, "UXU_99999", "/postalAddress/address1"},
			{"control character", `{` + addr(strings.Replace(usAddr, `"1 Main St"`, `"1 Main\u0007St"`, 1)) + `}`, "UXU_99999", "/postalAddress/address1"},
			{"country unknown", `{` + addr(strings.Replace(usAddr, `"US"`, `"ZZ"`, 1)) + `}`, "UXU_99999", "/postalAddress/country"},
			{"address2 too long", `{` + addr(usAddr+`, "address2": "`+strings.Repeat("x", 129)+`"`) + `}`, "UXU_99999", "/postalAddress/address2"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantProblem(t, a.putContactInfo(t, admin, path, tc.body), http.StatusBadRequest, tc.code, tc.field)
			})
		}
		// Nothing was half-written and nothing audited.
		after := a.getProfile(t, reader, customers+sandboxUserGUID)
		if *after.EmailAddress != *before.EmailAddress || after.ContactMethods[0].ID != before.ContactMethods[0].ID ||
			after.ContactMethods[2].ID != before.ContactMethods[2].ID || after.PostalAddresses[0].Address1 != before.PostalAddresses[0].Address1 {
			t.Errorf("a refused update changed the profile:\nbefore %+v\nafter  %+v", before, after)
		}
		if n := a.contactAudits(t, sandboxUserGUID); n != 0 {
			t.Errorf("%d audit events after refused updates", n)
		}
		// The new number already is another of the user's phones.
		if err := a.store.Conn().Create(&models.CustomerPhone{CustomerID: sandboxUserGUID, Position: 1, Number: "4155550111", CountryCode: "1"}).Error; err != nil {
			t.Fatal(err)
		}
		wantProblem(t, a.putContactInfo(t, admin, path, `{`+phone("4155550142", "4155550111")+`}`), http.StatusBadRequest, "UXU_99999", "/phoneNumber/newPhoneNumber")
	})
}

func TestUpdateContactInfoAccess(t *testing.T) {
	a := newAPI(t)
	alexGUID, alexToken := a.registerAlex(t)
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	body := `{"email": {"emailAddress": "someone.else@example.com"}}`
	// Another FI's token and unknown users: 404 UXU_88888, nothing changed.
	for _, tc := range []struct{ token, path string }{
		{a.v2For(t, fiCommunityBank, scopeUsersWrite), customers + sandboxUserGUID + ":contact-info"},
		{admin, customers + "0123456789abcdef0123456789abcdef:contact-info"},
		{admin, customers + "nobody99:contact-info?userIdType=LOGIN_ID"},
	} {
		wantProblem(t, a.putContactInfo(t, tc.token, tc.path, body), http.StatusNotFound, "UXU_88888", "")
	}
	wantProblem(t, a.putContactInfo(t, a.v2For(t, fiCreditUnion, scopeUsersRead), customers+sandboxUserGUID+":contact-info", body),
		http.StatusForbidden, "UXU_10002", "")
	// A user's token changes its own contacts only.
	if r := a.putContactInfo(t, alexToken, customers+alexGUID+":contact-info", `{"email": {"emailAddress": "alex.new@example.com"}}`); r.status != http.StatusNoContent {
		t.Errorf("own: %d %s", r.status, r.body)
	}
	wantProblem(t, a.putContactInfo(t, alexToken, customers+sandboxUserGUID+":contact-info", body), http.StatusBadRequest, "UXU_10011", "")
	wantProblem(t, a.putContactInfo(t, alexToken, customers+sandboxUser+":contact-info", `{"userIdType": "LOGIN_ID", `+body[1:]),
		http.StatusBadRequest, "UXU_10011", "")
	p := a.getProfile(t, a.v2For(t, fiCreditUnion, scopeUsersRead), customers+sandboxUserGUID)
	if *p.EmailAddress != "sam.sandbox@example.com" || a.contactAudits(t, sandboxUserGUID) != 0 {
		t.Errorf("refused requests changed the sandbox user: %v", *p.EmailAddress)
	}
	// No body at all.
	h := ux(admin)
	h["Content-Type"] = "application/json"
	wantProblem(t, a.do(t, http.MethodPut, customers+sandboxUserGUID+":contact-info", h, ""), http.StatusBadRequest, "UXU_99999", "")
}

// TestContactValuesNeverLogged: neither a successful nor a refused contact-info update writes a
// contact value to the log, at any level.
func TestContactValuesNeverLogged(t *testing.T) {
	a := newAPI(t)
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	reader := a.v2For(t, fiCreditUnion, scopeUsersRead)
	path := customers + sandboxUserGUID + ":contact-info"
	secrets := []string{"4155550177", "quill.harbor@example.com", "77 Lighthouse Lane", "Port Townsend", "98368", "2125550100", "not-an@email", "1155550123"}
	for _, body := range []string{
		`{"phoneNumber": {"oldPhoneNumber": "4155550142", "newPhoneNumber": "4155550177"}, "email": {"emailAddress": "quill.harbor@example.com"},
		  "postalAddress": {"address1": "77 Lighthouse Lane", "city": "Port Townsend", "state": "WA", "postalCode": "98368", "country": "US"}}`,
		`{"phoneNumber": {"oldPhoneNumber": "2125550100", "newPhoneNumber": "1155550123"}, "email": {"emailAddress": "not-an@email"}}`,
		`{"phoneNumber": {"oldPhoneNumber": "2125550100", "newPhoneNumber": "4155550177"}}`,
	} {
		a.putContactInfo(t, admin, path, body)
	}
	a.getProfile(t, reader, customers+sandboxUserGUID)
	a.do(t, http.MethodGet, customers+sandboxUserGUID+"/contact-methods", ux(reader), "")
	logs := a.logs.String()
	if !strings.Contains(logs, "UpdateContactInfo") {
		t.Fatalf("the requests were not logged at all: %s", logs)
	}
	for _, s := range append(secrets, "4155550142", "sam.sandbox@example.com", "100 Market Street") {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains %q", s)
		}
	}
}
