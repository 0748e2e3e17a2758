package handlers_test

// Register v4 field rules (contract §5.3, 5.7; D1, D3-D6, D23-D27, D32), driven through the
// whole HTTP stack in JSON and in XML.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

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

// ---------------------------------------------------------------- HTTP and envelopes

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

// ---------------------------------------------------------------- field rules

// ruleCase is one request of TestRegisterFieldRules: a valid request changed by edits.
type ruleCase struct {
	name string
	// fi is the FI of the path, the token and fiId.value (default 01111).
	fi string
	// edits change a fresh valid request.
	edits []regEdit
	// body, when set, replaces the rendered request (documents that do not decode).
	body func(t testing.TB, f bodyFormat, req registrationRequest) string
	// formats to send the request in (default JSON and XML).
	formats []bodyFormat
	// code is the expected errorCode, with status (default 400); "" means the registration
	// succeeds (200).
	status int
	code   string
	// field is what the errorMessage of that code must name: the dotted path of the field.
	field string
	// also lists further codes the answer may carry (D26: a 40-character first name also
	// breaks the combined-name rule).
	also []string
	// forbid lists strings the answer must not contain besides the request's secrets.
	forbid []string
}

const (
	atMember   = "FICustomer.memberNumber"
	atFirst    = "FICustomer.person.personName.firstName"
	atMiddle   = "FICustomer.person.personName.middleName"
	atLast     = "FICustomer.person.personName.lastName"
	atEmail    = "FICustomer.person.contactInfo.emailAddress"
	atAddrList = "FICustomer.person.contactInfo.postalAddress"
	atAddr     = "FICustomer.person.contactInfo.postalAddress[0]."
	atPhones   = "FICustomer.person.contactInfo.phoneNumber"
	atPhone    = "FICustomer.person.contactInfo.phoneNumber[0].number"
	atBirth    = "FICustomer.person.birthDate"
	atLogin    = "FICustomer.channelInfos.channelInfo[0].credential.loginId"
	atPassword = "FICustomer.channelInfos.channelInfo[0].credential.password"
	atDisclose = "FICustomer.acceptedDisclosure"
	atSSN      = "FICustomer.ssn"
	atMaiden   = "FICustomer.motherMaidenName"
)

// setFieldFunc is setField with the value computed when the edit is applied.
func setFieldFunc(path string, v func() any) regEdit {
	return func(t testing.TB, req registrationRequest) { setField(path, v())(t, req) }
}

// uniqueDigits gives prefix, a fresh sequence number in exactly width digits, and suffix: for
// values of a fixed length that must not collide between the JSON and the XML run of a case.
func uniqueDigits(prefix string, width int, suffix string) func() any {
	return func() any {
		mod := int64(1)
		for i := 0; i < width && mod < 1e17; i++ {
			mod *= 10
		}
		return fmt.Sprintf("%s%0*d%s", prefix, width, registrationSeq.Add(1)%mod, suffix)
	}
}

// uniqueSSN gives a fresh SSN starting with the five digits of area and group (serial never 0000).
func uniqueSSN(areaGroup string) func() any {
	return func() any { return fmt.Sprintf("%s%04d", areaGroup, 1+registrationSeq.Add(1)%9999) }
}

// uniqueLetters gives prefix and six fresh letters.
func uniqueLetters(prefix string) func() any {
	return func() any {
		n, b := registrationSeq.Add(1), []byte(prefix+"aaaaaa")
		for i := len(b) - 1; i >= len(prefix); i-- {
			b[i] = byte('a' + n%26)
			n /= 26
		}
		return string(b)
	}
}

func ruleCases() []ruleCase {
	r := strings.Repeat
	utcDate := func(years, days int) func() any {
		return func() any { return time.Now().UTC().AddDate(years, 0, days).Format("2006-01-02") }
	}
	return []ruleCase{
		// memberNumber, fiId (5.3, D23)
		{name: "memberNumber empty", edits: []regEdit{setField("memberNumber", "")}, code: "20006", field: atMember},
		{name: "memberNumber missing", edits: []regEdit{deleteField("memberNumber")}, code: "20006", field: atMember},
		{name: "memberNumber 17 chars", edits: []regEdit{setField("memberNumber", "A1234567890123456")}, code: "20006", field: atMember},
		{name: "memberNumber with a dash", edits: []regEdit{setField("memberNumber", "A123-4567")}, code: "20006", field: atMember},
		{name: "fiId.value differs from path", edits: []regEdit{setField("fiId.value", "02222")}, code: "20006", field: "FICustomer.fiId.value"},
		{name: "memberNumber 16 chars accepted", edits: []regEdit{setFieldFunc("memberNumber", uniqueDigits("M", 15, ""))}},
		// names
		{name: "firstName missing", edits: []regEdit{deleteField("person.personName.firstName")}, code: "220002", field: atFirst},
		{name: "firstName 40 chars", edits: []regEdit{setField("person.personName.firstName", r("J", 40))}, code: "220002", field: atFirst, also: []string{"20006"}},
		{name: "middleName 40 chars", edits: []regEdit{setField("person.personName.middleName", r("M", 40))}, code: "220005", field: atMiddle},
		{name: "middleName 39 chars accepted", edits: []regEdit{setField("person.personName.middleName", r("M", 39))}},
		{name: "lastName missing", edits: []regEdit{deleteField("person.personName.lastName")}, code: "220003", field: atLast},
		{name: "lastName 40 chars", edits: []regEdit{setField("person.personName.lastName", r("D", 40))}, code: "220003", field: atLast, also: []string{"20006"}},
		{name: "first and last 40 combined", edits: []regEdit{setField("person.personName.firstName", r("J", 20)),
			setField("person.personName.lastName", r("D", 20))}, code: "20006", field: "FICustomer.person.personName"},
		{name: "first and last 39 combined accepted", edits: []regEdit{setField("person.personName.firstName", r("J", 20)),
			setField("person.personName.lastName", r("D", 19))}},
		// email (D6, D23)
		{name: "email missing", edits: []regEdit{deleteField("person.contactInfo.emailAddress")}, code: "220006", field: atEmail},
		{name: "email invalid", edits: []regEdit{setField("person.contactInfo.emailAddress", "jane.doe.example.com")}, code: "220006", field: atEmail},
		{name: "email 65 chars", edits: []regEdit{setField("person.contactInfo.emailAddress", r("j", 53)+"@example.com")}, code: "220006", field: atEmail},
		{name: "email with a display name", edits: []regEdit{setField("person.contactInfo.emailAddress", "Jane <jane@example.com>")}, code: "220006", field: atEmail},
		{name: "email 64 chars accepted", edits: []regEdit{setFieldFunc("person.contactInfo.emailAddress", uniqueDigits("", 52, "@example.com"))}},
		// postal address (5.3, D6, D27)
		{name: "postalAddress missing", edits: []regEdit{deleteField("person.contactInfo.postalAddress")}, code: "220010", field: atAddrList},
		{name: "postalAddress empty list", edits: []regEdit{setField("person.contactInfo.postalAddress", []any{})}, code: "220010", field: atAddrList},
		{name: "address1 missing", edits: []regEdit{deleteField(inAddr0 + "address1")}, code: "220010", field: atAddr + "address1"},
		{name: "address1 129 chars", edits: []regEdit{setField(inAddr0+"address1", r("a", 129))}, code: "220010", field: atAddr + "address1"},
		{name: "address1 128 chars accepted", edits: []regEdit{setField(inAddr0+"address1", r("a", 128))}},
		{name: "city missing", edits: []regEdit{deleteField(inAddr0 + "city")}, code: "220008", field: atAddr + "city"},
		{name: "state missing", edits: []regEdit{deleteField(inAddr0 + "state")}, code: "220009", field: atAddr + "state"},
		{name: "state ZZ in the US", edits: []regEdit{setField(inAddr0+"state", "ZZ")}, code: "220009", field: atAddr + "state"},
		{name: "state 129 chars outside the US", edits: []regEdit{setField(inAddr0+"country", "CA"), setField(inAddr0+"state", r("O", 129)),
			setField(inAddr0+"postalCode", "K1A 0B1")}, code: "220009", field: atAddr + "state"},
		{name: "state 128 chars outside the US accepted", edits: []regEdit{setField(inAddr0+"country", "CA"), setField(inAddr0+"state", r("O", 128)),
			setField(inAddr0+"postalCode", "K1A 0B1")}},
		{name: "state PR (territory) accepted", edits: []regEdit{setField(inAddr0+"state", "PR"), setField(inAddr0+"postalCode", "00901")}},
		{name: "postalCode missing", edits: []regEdit{deleteField(inAddr0 + "postalCode")}, code: "220007", field: atAddr + "postalCode"},
		{name: "postalCode 1234 in the US", edits: []regEdit{setField(inAddr0+"postalCode", "1234")}, code: "220007", field: atAddr + "postalCode"},
		{name: "postalCode 62701-123 in the US", edits: []regEdit{setField(inAddr0+"postalCode", "62701-123")}, code: "220007", field: atAddr + "postalCode"},
		{name: "postalCode ZIP+4 with dash accepted", edits: []regEdit{setField(inAddr0+"postalCode", "62701-1234")}},
		{name: "postalCode ZIP+4 without dash accepted", edits: []regEdit{setField(inAddr0+"postalCode", "627011234")}},
		{name: "country missing", edits: []regEdit{deleteField(inAddr0 + "country")}, code: "220011", field: atAddr + "country"},
		{name: "country XX", edits: []regEdit{setField(inAddr0+"country", "XX")}, code: "220011", field: atAddr + "country"},
		{name: "country CA with free-form state and postal code accepted", edits: []regEdit{setField(inAddr0+"country", "CA"),
			setField(inAddr0+"state", "Ontario"), setField(inAddr0+"postalCode", "K1A 0B1")}},
		{name: "country USA accepted", edits: []regEdit{setField(inAddr0+"country", "USA")}},
		// phones and contact points (D6, D24, D27)
		{name: "phoneNumber missing", edits: []regEdit{deleteField(inPhones)}, code: "220014", field: atPhones},
		{name: "phoneNumber empty list", edits: []regEdit{setField(inPhones, []any{})}, code: "220014", field: atPhones},
		{name: "phone number with dashes", edits: []regEdit{setField(inPhones+"[0].number", "217-555-0123")}, code: "220014", field: atPhone},
		{name: "phone number 9 digits", edits: []regEdit{setField(inPhones+"[0].number", "217555012")}, code: "220014", field: atPhone},
		{name: "phone area code starting 1", edits: []regEdit{setField(inPhones+"[0].number", "1175550123")}, code: "220014", field: atPhone},
		{name: "phone exchange starting 1", edits: []regEdit{setField(inPhones+"[0].number", "2171550123")}, code: "220014", field: atPhone},
		{name: "5 phones and an email", edits: []regEdit{phones(5)}, code: "26214", field: "FICustomer.person.contactInfo"},
		{name: "4 phones and an email accepted", edits: []regEdit{phones(4)}},
		{name: "phone countryCode 1 accepted", edits: []regEdit{setField(inPhones+"[0].countryCode", "1")}},
		// birth date (D6)
		{name: "birthDate missing", edits: []regEdit{deleteField("person.birthDate")}, code: "220013", field: atBirth},
		{name: "birthDate 2023-02-29", edits: []regEdit{setField("person.birthDate", "2023-02-29")}, code: "220013", field: atBirth},
		{name: "birthDate tomorrow", edits: []regEdit{setFieldFunc("person.birthDate", utcDate(0, 1))}, code: "220013", field: atBirth},
		{name: "birthDate 126 years ago", edits: []regEdit{setFieldFunc("person.birthDate", utcDate(-126, 0))}, code: "220013", field: atBirth},
		{name: "birthDate 10/09/1989", edits: []regEdit{setField("person.birthDate", "10/09/1989")}, code: "220013", field: atBirth},
		{name: "birthDate 1989-1-9", edits: []regEdit{setField("person.birthDate", "1989-1-9")}, code: "220013", field: atBirth},
		{name: "birthDate 2024-02-29 accepted", edits: []regEdit{setField("person.birthDate", "2024-02-29")}},
		{name: "birthDate today accepted", edits: []regEdit{setFieldFunc("person.birthDate", utcDate(0, 0))}},
		{name: "birthDate 125 years ago accepted", edits: []regEdit{setFieldFunc("person.birthDate", utcDate(-125, 0))}},
		// channel (5.3)
		{name: "channelInfo missing", edits: []regEdit{deleteField("channelInfos.channelInfo")}, code: "20006", field: "FICustomer.channelInfos.channelInfo"},
		{name: "channelInfos missing", edits: []regEdit{deleteField("channelInfos")}, code: "20006", field: "FICustomer.channelInfos.channelInfo"},
		{name: "channelType WEB", edits: []regEdit{setField("channelInfos.channelInfo[0].channelType", "WEB")}, code: "20006",
			field: "FICustomer.channelInfos.channelInfo[0].channelType"},
		// username (D5, D27)
		{name: "loginId missing", edits: []regEdit{deleteField(inLogin)}, code: "220015", field: atLogin},
		{name: "loginId with a space", edits: []regEdit{setField(inLogin, "jane doe99")}, code: "220015", field: atLogin},
		{name: "loginId all digits", edits: []regEdit{setField(inLogin, "123456789")}, code: "220015", field: atLogin},
		{name: "loginId 300 chars", edits: []regEdit{setField(inLogin, r("a", 300))}, code: "220015", field: atLogin},
		{name: "loginId 257 chars", edits: []regEdit{setField(inLogin, r("a", 257))}, code: "220015", field: atLogin},
		{name: "loginId 5 chars", edits: []regEdit{setField(inLogin, "jane1")}, code: "220015", field: atLogin},
		{name: "loginId with #", edits: []regEdit{setField(inLogin, "jane#doe99")}, code: "220015", field: atLogin},
		{name: "loginId 256 chars", edits: []regEdit{setField(inLogin, r("a", 256))}, code: "220019", field: atLogin},
		{name: "loginId 7 chars at 01111", edits: []regEdit{setField(inLogin, "janedoe")}, code: "220019", field: atLogin},
		{name: "loginId 21 chars at 01111", edits: []regEdit{setField(inLogin, r("j", 21))}, code: "220019", field: atLogin},
		{name: "loginId 13 chars at 02222", fi: fiCommunityBank, edits: []regEdit{setField(inLogin, "janedoe123456")}, code: "220019", field: atLogin},
		{name: "loginId 8 chars at 01111 accepted", edits: []regEdit{setFieldFunc(inLogin, uniqueDigits("u", 7, ""))}},
		{name: "loginId 20 chars at 01111 accepted", edits: []regEdit{setFieldFunc(inLogin, uniqueDigits("u", 19, ""))}},
		{name: "loginId 6 chars at 02222 accepted", fi: fiCommunityBank, edits: []regEdit{setFieldFunc(inLogin, uniqueDigits("u", 5, ""))}},
		{name: "loginId 12 chars at 02222 accepted", fi: fiCommunityBank, edits: []regEdit{setFieldFunc(inLogin, uniqueDigits("u", 11, ""))}},
		{name: "loginId only letters accepted", edits: []regEdit{setFieldFunc(inLogin, uniqueLetters("jdoe"))}},
		{name: "loginId with every special accepted", edits: []regEdit{setFieldFunc(inLogin, uniqueDigits("j@$*_-=.!~", 5, ""))}},
		{name: "loginId equals memberNumber", edits: []regEdit{setField("memberNumber", "abc12345xy"), setField(inLogin, "abc12345xy")},
			code: "220016", field: atLogin},
		{name: "loginId taken in the FI, other case", edits: []regEdit{setField(inLogin, "SandboxUser1")}, code: "26201", field: atLogin},
		// password (D5, D27)
		{name: "password missing", edits: []regEdit{deleteField(inPassword)}, code: "220018", field: atPassword},
		{name: "password 5 chars", edits: []regEdit{setField(inPassword, "Ab1!x")}, code: "220018", field: atPassword},
		{name: "password 33 chars", edits: []regEdit{setField(inPassword, r("Ab1!", 8)+"Z")}, code: "220018", field: atPassword},
		{name: "password only letters", edits: []regEdit{setField(inPassword, "BlueSkyHigh")}, code: "220018", field: atPassword},
		{name: "password with a space", edits: []regEdit{setField(inPassword, "Blue Sky42")}, code: "220018", field: atPassword},
		{name: "password inside the username", edits: []regEdit{setField(inLogin, "johnsmith99"), setField(inPassword, "Smith9")},
			code: "220018", field: atPassword},
		{name: "password 6 chars accepted", edits: []regEdit{setField(inPassword, "Ab1!xy")}},
		{name: "password 32 chars accepted", edits: []regEdit{setField(inPassword, r("Ab1!", 8))}},
		{name: "password letters and specials accepted", edits: []regEdit{setField(inPassword, "Blue!Sky!")}},
		{name: "password digits and specials accepted", edits: []regEdit{setField(inPassword, "2468!1357")}},
		// disclosures (D3, D4)
		{name: "acceptedDisclosure false", edits: []regEdit{setField("acceptedDisclosure", "false")}, code: "220020", field: atDisclose},
		{name: "acceptedDisclosure absent", edits: []regEdit{deleteField("acceptedDisclosure")}, code: "220020", field: atDisclose},
		{name: "acceptedDisclosure JSON boolean false", formats: []bodyFormat{formatJSON},
			edits: []regEdit{setField("acceptedDisclosure", false)}, code: "220020", field: atDisclose},
		{name: "acceptedDisclosures lists only IB", edits: []regEdit{setField("acceptedDisclosures", []any{ibID})},
			code: "220020", field: atDisclose},
		{name: "acceptedDisclosures lists IB and ESIGN with acceptedDisclosure false", edits: []regEdit{
			setField("acceptedDisclosures", []any{ibID, esignID}), setField("acceptedDisclosure", "false")}},
		{name: "acceptedDisclosure JSON boolean true", formats: []bodyFormat{formatJSON}, edits: []regEdit{setField("acceptedDisclosure", true)}},
		// SSN (5.3, D6, D32)
		{name: "ssn missing", edits: []regEdit{deleteField("ssn")}, code: "20006", field: atSSN},
		{name: "ssn 8 digits", edits: []regEdit{setField("ssn", "12345678")}, code: "220001", field: atSSN},
		{name: "ssn area 000", edits: []regEdit{setField("ssn", "000123456")}, code: "220001", field: atSSN},
		{name: "ssn area 666", edits: []regEdit{setField("ssn", "666123456")}, code: "220001", field: atSSN},
		{name: "ssn area 900", edits: []regEdit{setField("ssn", "900123456")}, code: "220001", field: atSSN},
		{name: "ssn group 00", edits: []regEdit{setField("ssn", "123006789")}, code: "220001", field: atSSN},
		{name: "ssn serial 0000", edits: []regEdit{setField("ssn", "123450000")}, code: "220001", field: atSSN},
		{name: "ssn with dashes", edits: []regEdit{setField("ssn", "123-45-6789")}, code: "220001", field: atSSN},
		{name: "ssn area 899 accepted", edits: []regEdit{setFieldFunc("ssn", uniqueSSN("89912"))}},
		{name: "ssn area 667 accepted", edits: []regEdit{setFieldFunc("ssn", uniqueSSN("66712"))}},
		{name: "ssn spelt SSN", edits: []regEdit{renameField("ssn", "SSN")}, code: "20006", field: atSSN},
		{name: "ssn of a registered person under another member", edits: []regEdit{setField("ssn", "123456789")},
			status: http.StatusConflict, code: "26331", forbid: []string{"100200300", "sandboxuser1", "8fe733f4e27246908f92e8f7c0b96847"}},
		{name: "member already registered", edits: []regEdit{setField("memberNumber", "100200300")}, status: http.StatusConflict, code: "26331",
			field: atMember, forbid: []string{"sandboxuser1", "8fe733f4e27246908f92e8f7c0b96847"}},
		// mother's maiden name
		{name: "motherMaidenName missing", edits: []regEdit{deleteField("motherMaidenName")}, code: "220012", field: atMaiden},
		{name: "motherMaidenName 129 chars", edits: []regEdit{setField("motherMaidenName", r("m", 129))}, code: "220012", field: atMaiden},
		// documents that do not decode
		{name: "memberNumber as a JSON number", formats: []bodyFormat{formatJSON}, edits: []regEdit{setField("memberNumber", 12345678)},
			code: "20006", field: "memberNumber"},
		{name: "malformed document", code: "20006", body: func(_ testing.TB, f bodyFormat, _ registrationRequest) string {
			if f == formatXML {
				return `<FICustomer><memberNumber>R1</FICustomer>`
			}
			return `{"FICustomer": {"memberNumber": "R1"`
		}},
		{name: "JSON document with trailing content", formats: []bodyFormat{formatJSON}, code: "20006",
			body: func(t testing.TB, f bodyFormat, req registrationRequest) string { return req.in(t, f) + "}" }},
		{name: "XML document with a second root", formats: []bodyFormat{formatXML}, code: "20006",
			body: func(t testing.TB, f bodyFormat, req registrationRequest) string {
				return req.in(t, f) + "<FICustomer/>"
			}},
		{name: "XML root other than FICustomer", formats: []bodyFormat{formatXML}, code: "20006",
			body: func(_ testing.TB, _ bodyFormat, req registrationRequest) string {
				doc := strings.Replace(req.xml(), "<FICustomer>", "<Customer>", 1)
				return strings.Replace(doc, "</FICustomer>", "</Customer>", 1)
			}},
	}
}

// TestRegisterFieldRules sends one violating (or, with no code, valid) request per rule of
// contract §5.3/5.7 and D5/D6/D23/D24/D27 through the whole stack, in JSON and in XML.
func TestRegisterFieldRules(t *testing.T) {
	a := newAPI(t)
	tokens := map[string]string{fiCreditUnion: a.v1Token(t, fiCreditUnion), fiCommunityBank: a.v1Token(t, fiCommunityBank)}
	for _, tc := range ruleCases() {
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
				req := newRegistration(t, fi)
				for _, e := range tc.edits {
					e(t, req)
				}
				body := req.in(t, f)
				if tc.body != nil {
					body = tc.body(t, f, req)
				}
				r := a.registerAs(t, tokens[fi], fi, f.mediaType, f.mediaType, body)
				if tc.code == "" {
					// 02222 accepts disclosures at first login: acceptedDisclosure stays false.
					decodeRegisteredCustomer(t, r, f, req, fi == fiCreditUnion)
					return
				}
				status := tc.status
				if status == 0 {
					status = http.StatusBadRequest
				}
				p := wantProblem(t, r, status, tc.code, tc.field)
				p.refusedIn(t, f)
				allowed := append([]string{tc.code}, tc.also...)
				for _, e := range p.errors {
					if !slices.Contains(allowed, e.Code) {
						t.Errorf("unexpected code %s (%s)", e.Code, e.Message)
					}
				}
				for _, s := range append(req.secrets(), tc.forbid...) {
					if bytes.Contains(r.body, []byte(s)) {
						t.Errorf("the error answer carries the submitted value %q: %s", s, r.body)
					}
				}
			})
		}
	}
}

// ---------------------------------------------------------------- several failures (D26)

func TestRegisterReportsAllFailuresInOrder(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	want := []struct{ code, field string }{
		{"20006", atMember},
		{"220006", atEmail},
		{"220008", atAddr + "city"},
		{"220013", atBirth},
		{"220018", atPassword},
		{"220001", atSSN},
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

// ---------------------------------------------------------------- success and negotiation (D1, D2)

func TestRegisterSuccessJSONAndXML(t *testing.T) {
	a := newAPI(t)
	tok := a.v1Token(t, fiCreditUnion)
	const js, xm = "application/json", "application/xml"
	cases := []struct {
		name                string
		in                  bodyFormat
		contentType, accept string // "" leaves the header out
		answer              bodyFormat
	}{
		{"JSON body, Accept JSON", formatJSON, js, js, formatJSON},
		{"XML body, no Accept", formatXML, xm, "", formatXML},
		{"JSON body, Accept XML", formatJSON, js, xm, formatXML},
		{"XML body, Accept JSON", formatXML, xm, js, formatJSON},
		{"JSON body, no Accept", formatJSON, js, "", formatJSON},
		{"JSON body, Accept */*", formatJSON, js, "*/*", formatJSON},
		{"XML body without Content-Type, no Accept", formatXML, "", "", formatXML},
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
		// Error bodies are negotiated the same way (D1).
		t.Run(tc.name+", error", func(t *testing.T) {
			req := newRegistration(t, fiCreditUnion)
			setField("ssn", "666123456")(t, req)
			r := a.registerAs(t, tok, fiCreditUnion, tc.contentType, tc.accept, req.in(t, tc.in))
			wantProblem(t, r, http.StatusBadRequest, "220001", "FICustomer.ssn").refusedIn(t, tc.answer)
		})
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
	var doc map[string]any
	g.decode(t, &doc)
	got, _ := doc["FICustomer"].(map[string]any)
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
