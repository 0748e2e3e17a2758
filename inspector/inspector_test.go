package inspector_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/custreg/custreg/inspector"
)

// registerJSON is a Register v4 body as the README sends it.
const registerJSON = `{"FICustomer": {
    "memberNumber": "468531842",
    "person": {"personName": {"firstName": "Alex", "lastName": "Morgan"},
      "contactInfo": {"emailAddress": "alex.morgan@example.com",
        "postalAddress": [{"address1": "100 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US"}],
        "phoneNumber": [{"number": "2175550123", "countryCode": "0"}]},
      "birthDate": "1989-10-09"},
    "channelInfos": {"channelInfo": [{"channelType": "TPV_API", "credential": {"loginId": "amorgan_01", "password": "Blue!Sky42"}}]},
    "acceptedDisclosure": "true", "userType": "PRIMARY", "ssn": "123456780", "motherMaidenName": "Smith"}}`

const registerXML = `<?xml version="1.0"?><FICustomer><memberNumber>555000111</memberNumber>
  <person><personName><firstName>Robin</firstName><lastName>Lee</lastName></personName>
  <contactInfo><emailAddress>robin@example.com</emailAddress><postalAddress><address1>1 Elm St</address1>
  <city>Springfield</city><state>IL</state><postalCode>62701</postalCode><country>US</country></postalAddress>
  <phoneNumber><number>2175550199</number></phoneNumber></contactInfo><birthDate>1990-01-31</birthDate></person>
  <channelInfos><channelInfo><channelType>TPV_API</channelType><credential><loginId>robinlee_1</loginId>
  <password>Green#Leaf7</password></credential></channelInfo></channelInfos>
  <acceptedDisclosure>true</acceptedDisclosure><ssn ssnType="full">234567891</ssn><motherMaidenName>Jones</motherMaidenName></FICustomer>`

// TestRedactsPersonalDataAndSecrets: JSON, XML and form bodies keep their shape and their
// harmless values, and lose every password, SSN, birth date, maiden name, name, address, phone,
// email, login, member number, token, secret and passcode.
func TestRedactsPersonalDataAndSecrets(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body string
		hidden, shown           []string
	}{
		{"register v4 JSON", "application/json; charset=utf-8", registerJSON,
			[]string{"468531842", "Alex", "Morgan", "alex.morgan", "100 Main St", "Springfield", `"IL"`, "62701", "2175550123", "1989-10-09",
				"amorgan_01", "Blue!Sky42", "123456780", "Smith"},
			[]string{`"channelType": "TPV_API"`, `"acceptedDisclosure": "true"`, `"userType": "PRIMARY"`, `"ssn": "[redacted]"`}},
		{"register v4 XML", "application/xml", registerXML,
			[]string{"555000111", "Robin", "Lee<", "robin@example.com", "1 Elm St", "Springfield", ">IL<", "62701", "2175550199", "1990-01-31",
				"robinlee_1", "Green#Leaf7", "234567891", "Jones", "full"},
			[]string{"<channelType>TPV_API</channelType>", "<acceptedDisclosure>true</acceptedDisclosure>", "<ssn ssnType=\"[redacted]\">[redacted]</ssn>"}},
		{"password grant form", "application/x-www-form-urlencoded",
			"grant_type=password&username=sandboxuser1&password=Sandbox%21Pass1&scope=accounts%3Aread&client_secret=s3cr3t-value",
			[]string{"sandboxuser1", "Sandbox!Pass1", "s3cr3t-value"},
			[]string{"grant_type=password", "scope=accounts:read", "password=[redacted]"}},
		{"token answer", "application/json",
			`{"access_token":"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde","refresh_token":"r3fr3sh-t0k3n-value","expires_in":"3600","token_type":"Bearer"}`,
			[]string{"AbCdEfGhIjKl", "r3fr3sh"}, []string{`"expires_in": "3600"`, `"token_type": "Bearer"`}},
		{"legacy token answer", "application/xml", `<token><access_token>Zz9-legacy-access-token</access_token><expires_in>1800</expires_in><di_fiid>01111</di_fiid></token>`,
			[]string{"Zz9-legacy"}, []string{"<expires_in>1800</expires_in>", "<di_fiid>01111</di_fiid>"}},
		{"auth code answer and error envelope", "application/json",
			`{"code":"q1w2e3r4t5y6u7i8o9p0-auth-code","redirect_uri":"https://partner.example/cb","errors":[{"code":"CMN_90016","message":"Invalid token"}]}`,
			[]string{"q1w2e3r4"}, []string{`"code": "CMN_90016"`, `"redirect_uri": "https://partner.example/cb"`}},
		{"recovery", "application/json", `{"passcode":"042917","newPassword":"N3w!Password","contactMethodId":"2","protocol":"SMS"}`,
			[]string{"042917", "N3w!Password"}, []string{`"protocol": "SMS"`, `"contactMethodId": "2"`}},
		{"key/value entries", "application/json",
			`{"additionalInfo":{"entry":[{"key":"legacyUserGuid","value":"8fe733f4e27246908f92e8f7c0b96847"},{"key":"billPayLoginId","value":"SAMSANDBOXBP1"}]}}`,
			[]string{"SAMSANDBOXBP1"}, []string{`"value": "8fe733f4e27246908f92e8f7c0b96847"`, `"key": "billPayLoginId"`}},
		{"key/value entries in XML", "application/xml",
			`<additionalInfo><entry><key>legacyUserGuid</key><value>8fe733f4e27246908f92e8f7c0b96847</value></entry><entry><key>billPayLoginId</key><value>SAMSANDBOXBP1</value></entry></additionalInfo>`,
			[]string{"SAMSANDBOXBP1"}, []string{"<value>8fe733f4e27246908f92e8f7c0b96847</value>", "<key>billPayLoginId</key>"}},
		{"numbers and nesting", "application/json", `{"ssn":123456789,"dob":{"y":1990,"m":[1,31]},"count":3,"ok":true,"none":null}`,
			[]string{"123456789", "1990"}, []string{`"count": 3`, `"ok": true`, `"none": null`, `"ssn": "[redacted]"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r inspector.Redactor
			got := r.Scrub(r.Body(tc.contentType, []byte(tc.body)))
			for _, h := range tc.hidden {
				if strings.Contains(got, h) {
					t.Errorf("%q shown in:\n%s", h, got)
				}
			}
			for _, s := range tc.shown {
				if !strings.Contains(got, s) {
					t.Errorf("%q missing from:\n%s", s, got)
				}
			}
		})
	}
}

// TestScrubRemovesHiddenValuesEverywhere: a value hidden in the request is removed from the
// answer too, even under a field that is not sensitive.
func TestScrubRemovesHiddenValuesEverywhere(t *testing.T) {
	var r inspector.Redactor
	req := r.Body("application/x-www-form-urlencoded", []byte("username=jsmith_login&password=pw-1234"))
	resp := r.Body("application/json", []byte(`{"message":"no user jsmith_login (pw-1234)"}`))
	if got := r.Scrub(req) + r.Scrub(resp); strings.Contains(got, "jsmith_login") || strings.Contains(got, "pw-1234") {
		t.Errorf("scrubbed: %s", got)
	}
}

// TestBodiesNotShown: other media types, malformed bodies, bodies too large to redact and
// invalid UTF-8 are described, never shown; long redacted bodies are cut.
func TestBodiesNotShown(t *testing.T) {
	var r inspector.Redactor
	for _, tc := range []struct{ contentType, body, want string }{
		{"text/plain", "ssn 123456789", "[text/plain body of 13 bytes not shown]"},
		{"", "password=x", "[untyped body of 10 bytes not shown]"},
		{"application/json", `{"password": "x"`, "[malformed application/json body of 16 bytes not shown]"},
		{"application/json", `{"a":1} {"password":"x"}`, "[malformed application/json body"},
		{"application/xml", `<a><password>x</password>`, "[malformed application/xml body"},
		{"application/xml", `plain text`, "[malformed application/xml body"},
		{"application/x-www-form-urlencoded", `password=%zz`, "[malformed application/x-www-form-urlencoded body"},
		{"application/json", "{\"a\":\"\xff\"}", "not UTF-8]"},
		{"application/json", `{"a":"` + strings.Repeat("x", inspector.MaxRedactBytes) + `"}`, "not shown: over 64 KiB]"},
		{"application/json", strings.Repeat("[", 100) + strings.Repeat("]", 100), "[malformed application/json body"},
	} {
		if got := r.Body(tc.contentType, []byte(tc.body)); !strings.Contains(got, tc.want) || strings.Contains(got, "password\"") {
			t.Errorf("%s %.40q: %q", tc.contentType, tc.body, got)
		}
	}
	long := r.Scrub(r.Body("application/json", []byte(`{"a":"`+strings.Repeat("é", inspector.MaxShownBytes)+`"}`)))
	if len(long) > inspector.MaxShownBytes+64 || !strings.Contains(long, "more bytes not shown)") || !strings.HasPrefix(long, "{") {
		t.Errorf("long body: %d bytes, ends %q", len(long), long[len(long)-40:])
	}
}

// TestInspectorIsBoundedPerDeveloper: each developer sees only their own entries, newest first,
// at most PerDeveloper of them; beyond MaxDevelopers the quietest is forgotten.
func TestInspectorIsBoundedPerDeveloper(t *testing.T) {
	in := inspector.New()
	for i := range inspector.PerDeveloper + 10 {
		in.Add("alice", inspector.Entry{Route: fmt.Sprintf("/a/%d", i), Status: 200 + i%2*200})
	}
	in.Add("bob", inspector.Entry{Route: "/b"})
	alice := in.List("alice", 0, nil)
	if len(alice) != inspector.PerDeveloper || alice[0].Route != fmt.Sprintf("/a/%d", inspector.PerDeveloper+9) || alice[len(alice)-1].Route != "/a/10" {
		t.Fatalf("alice: %d entries, %s … %s", len(alice), alice[0].Route, alice[len(alice)-1].Route)
	}
	if bob := in.List("bob", 0, nil); len(bob) != 1 || bob[0].Route != "/b" {
		t.Errorf("bob: %+v", bob)
	}
	newer := in.List("alice", alice[2].Seq, nil)
	if len(newer) != 2 || newer[0].Seq != alice[0].Seq {
		t.Errorf("after %d: %+v", alice[2].Seq, newer)
	}
	errorsOnly := in.List("alice", 0, func(e inspector.Entry) bool { return e.Status >= 400 })
	if len(errorsOnly) != inspector.PerDeveloper/2 {
		t.Errorf("%d errors", len(errorsOnly))
	}
	for i := range inspector.MaxDevelopers {
		in.Add(fmt.Sprintf("dev%d", i), inspector.Entry{})
	}
	if len(in.List("alice", 0, nil)) != 0 || len(in.List("dev0", 0, nil)) != 1 {
		t.Error("the quietest developers are forgotten first")
	}
	if in.List("nobody", 0, nil) != nil {
		t.Error("an unknown developer has no entries")
	}
}
