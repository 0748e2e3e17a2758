package handlers_test

// Client bytes that must never reach the database (security finding 7): control characters,
// bidi and other invisible format characters and invalid UTF-8 are refused with the family's
// 400 in every stored field, recorded header, parameter and form value, on both databases.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
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
	if err := a.store.DB.Model(model).Count(&n).Error; err != nil {
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
// (CONTRACT.md 5.3; fields without a code of their own answer 20006).
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
			tok := a.v1Token(fiCreditUnion)
			before := countRows(t, a, &models.Customer{})
			for _, f := range bothFormat {
				bads := unsafeJSON
				if f == formatXML {
					bads = unsafeXML
				}
				for _, field := range unsafeRegistrationFields {
					for _, bad := range bads {
						req := validRegistrationRequest(fiCreditUnion)
						at := "person.contactInfo.postalAddress[0]."
						if field.nonUS {
							setField(at+"country", "CA")(t, req)
							setField(at+"state", "Ontario")(t, req)
							setField(at+"postalCode", "K1A 0B1")(t, req)
						}
						setField(at+"address2", "Suite 5")(t, req)
						setField(at+"address3", "Building C")(t, req)
						value := taint(fieldString(req, field.path), bad)
						setField(field.path, value)(t, req)
						r := postRegisterV4(apiFor(a, t), fiCreditUnion, tok, f.mediaType, f.mediaType, f.render(t, req))
						if r.status != http.StatusBadRequest {
							t.Errorf("%s %s %+q: want 400 %s, got %d %s", f.name, field.path, bad, field.code, r.status, r.body)
							continue
						}
						st := decodeLegacyStatus(t, r, f)
						if len(st.ErrorInfo) != 1 || st.ErrorInfo[0].ErrorCode != field.code ||
							!strings.Contains(st.ErrorInfo[0].ErrorMessage, "FICustomer."+field.path) {
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
	tok := a.v1Token(fiCreditUnion)
	for _, f := range bothFormat {
		req := validRegistrationRequest(fiCreditUnion)
		setField("person.personName.firstName", "Ja\u202ene")(t, req)
		setField("person.contactInfo.postalAddress[0].city", "Spring\tfield")(t, req)
		setField("channelInfos.channelInfo[0].credential.password", "Blue\u0085Sky42")(t, req)
		setField("motherMaidenName", "\ufeffQuellenberg")(t, req)
		setField("hostCredential.password", "86\u200b42")(t, req)
		r := postRegisterV4(apiFor(a, t), fiCreditUnion, tok, f.mediaType, f.mediaType, f.render(t, req))
		if r.status != http.StatusBadRequest {
			t.Fatalf("%s: %d %s", f.name, r.status, r.body)
		}
		st := decodeLegacyStatus(t, r, f)
		if want := []string{"220002", "220008", "220018", "220012", "20006"}; !slices.Equal(st.codes(), want) {
			t.Errorf("%s: codes %v, want %v", f.name, st.codes(), want)
		}
	}
}
