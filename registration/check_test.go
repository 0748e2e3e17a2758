package registration

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/models"
)

var (
	now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	// fi01111 and fi02222 are the sandbox FIs' policies.
	fi01111 = models.Institution{ID: "01111", UsernameMin: 8, UsernameMax: 20, PasswordMin: 6, PasswordMax: 32,
		DisclosureAcceptance: models.AcceptAtRegistration, MaxDestinations: 5}
	fi02222 = models.Institution{ID: "02222", UsernameMin: 6, UsernameMax: 12, PasswordMin: 6, PasswordMax: 32,
		DisclosureAcceptance: models.AcceptAtFirstLogin, MaxDestinations: 5}
	ib    = models.Disclosure{ID: "50145570B91B5BD3E063B9E011AC7529", Name: "IB", Enabled: true, Required: true}
	esign = models.Disclosure{ID: "6A2F1C0D9E8B4A7F8C3D2B1A0F9E8D7C", Name: "ESIGN", Enabled: true, Required: true}
	ols   = models.Disclosure{ID: "7B3E2D1C0A9F4B8E9D4C3B2A1F0E9D8C", Name: "OLS", Enabled: true}
	defs  = []models.Disclosure{ib, esign, ols}
)

func valid() Application {
	return Application{FIID: "01111", MemberNumber: "468531842", FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com",
		Addresses: []Address{{Address1: "100 Main St", City: "Springfield", State: "IL", PostalCode: "62701", Country: "US"}},
		Phones:    []Phone{{Number: "2175550123", CountryCode: "0"}}, BirthDate: "1989-10-09",
		Channels:     []Channel{{Type: "TPV_API", LoginID: "jdoe_2024", Password: "Blue!Sky42"}},
		AcceptedFlag: "true", UserType: "PRIMARY", SSN: "123456789", MotherMaidenName: "Smith", HostPIN: "4321"}
}

func TestCheckAcceptsAValidApplication(t *testing.T) {
	p, err := Check(fi01111, defs, valid(), now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Person.LoginID != "jdoe_2024" || p.Person.SSN != "123456789" || p.SSNLast4() != "6789" || p.HostPIN != "4321" {
		t.Errorf("person %+v", p.Person)
	}
	if len(p.Addresses) != 1 || p.Addresses[0].Country != "US" || len(p.Phones) != 1 {
		t.Errorf("rows %+v %+v", p.Addresses, p.Phones)
	}
	var protocols []string
	for _, d := range p.Destinations {
		protocols = append(protocols, d.Protocol+":"+d.ContactInfo)
	}
	if want := []string{"VOICE:2175550123", "SMS:2175550123", "EMAIL:jane.doe@example.com"}; !reflect.DeepEqual(protocols, want) {
		t.Errorf("destinations %v", protocols)
	}
	if !reflect.DeepEqual(p.Accepted, []models.Disclosure{ib, esign}) {
		t.Errorf("accepted %v", p.Accepted)
	}
}

// TestCheckFieldRules has one row per rule of docs/registration.md: an edit of the valid
// application and the violations it must produce (none for an accepted edge).
func TestCheckFieldRules(t *testing.T) {
	r := strings.Repeat
	addr := func(f func(*Address)) func(*Application) { return func(a *Application) { f(&a.Addresses[0]) } }
	login := func(v string) func(*Application) { return func(a *Application) { a.Channels[0].LoginID = v } }
	password := func(v string) func(*Application) { return func(a *Application) { a.Channels[0].Password = v } }
	date := func(years, days int) string { return now.AddDate(years, 0, days).Format("2006-01-02") }
	type want = []Violation
	cases := []struct {
		name string
		fi   models.Institution
		edit func(*Application)
		want want
	}{
		{"fiId.value differs from the path", fi01111, func(a *Application) { v := "02222"; a.BodyFIID = &v }, want{{"fiId.value", "20006"}}},
		{"fiId.value equal to the path", fi01111, func(a *Application) { v := "01111"; a.BodyFIID = &v }, nil},
		{"memberNumber missing", fi01111, func(a *Application) { a.MemberNumber = "" }, want{{"memberNumber", "20006"}}},
		{"memberNumber 17 characters", fi01111, func(a *Application) { a.MemberNumber = "A1234567890123456" }, want{{"memberNumber", "20006"}}},
		{"memberNumber with a dash", fi01111, func(a *Application) { a.MemberNumber = "A123-4567" }, want{{"memberNumber", "20006"}}},
		{"memberNumber 16 characters", fi01111, func(a *Application) { a.MemberNumber = "M123456789012345" }, nil},
		{"firstName missing", fi01111, func(a *Application) { a.FirstName = "" }, want{{"person.personName.firstName", "220002"}}},
		{"firstName 40 characters", fi01111, func(a *Application) { a.FirstName = r("J", 40) },
			want{{"person.personName.firstName", "220002"}, {"person.personName", "20006"}}},
		{"firstName with NUL", fi01111, func(a *Application) { a.FirstName = "Ja\x00ne" }, want{{"person.personName.firstName", "220002"}}},
		{"middleName 40 characters", fi01111, func(a *Application) { a.MiddleName = r("M", 40) }, want{{"person.personName.middleName", "220005"}}},
		{"middleName 39 characters", fi01111, func(a *Application) { a.MiddleName = r("M", 39) }, nil},
		{"lastName missing", fi01111, func(a *Application) { a.LastName = " " }, want{{"person.personName.lastName", "220003"}}},
		{"lastName with a bidi override", fi01111, func(a *Application) { a.LastName = "Doe\u202e" }, want{{"person.personName.lastName", "220003"}}},
		{"lastName 40 characters", fi01111, func(a *Application) { a.LastName = r("D", 40) },
			want{{"person.personName.lastName", "220003"}, {"person.personName", "20006"}}},
		{"first and last 40 together", fi01111, func(a *Application) { a.FirstName, a.LastName = r("J", 20), r("D", 20) },
			want{{"person.personName", "20006"}}},
		{"first and last 39 together", fi01111, func(a *Application) { a.FirstName, a.LastName = r("J", 20), r("D", 19) }, nil},
		{"email missing", fi01111, func(a *Application) { a.Email = "" }, want{{"person.contactInfo.emailAddress", "220006"}}},
		{"email invalid", fi01111, func(a *Application) { a.Email = "jane.doe.example.com" }, want{{"person.contactInfo.emailAddress", "220006"}}},
		{"email 65 characters", fi01111, func(a *Application) { a.Email = r("j", 53) + "@example.com" }, want{{"person.contactInfo.emailAddress", "220006"}}},
		{"email with a display name", fi01111, func(a *Application) { a.Email = "Jane <jane@example.com>" }, want{{"person.contactInfo.emailAddress", "220006"}}},
		{"email 64 characters", fi01111, func(a *Application) { a.Email = r("j", 52) + "@example.com" }, nil},
		{"no postal address", fi01111, func(a *Application) { a.Addresses = nil }, want{{"person.contactInfo.postalAddress", "220010"}}},
		{"address1 missing", fi01111, addr(func(x *Address) { x.Address1 = "" }), want{{"person.contactInfo.postalAddress[0].address1", "220010"}}},
		{"address1 129 characters", fi01111, addr(func(x *Address) { x.Address1 = r("a", 129) }), want{{"person.contactInfo.postalAddress[0].address1", "220010"}}},
		{"address1 128 characters", fi01111, addr(func(x *Address) { x.Address1 = r("a", 128) }), nil},
		{"address2 129 characters", fi01111, addr(func(x *Address) { x.Address2 = r("a", 129) }), want{{"person.contactInfo.postalAddress[0].address2", "20006"}}},
		{"address3 with a tab", fi01111, addr(func(x *Address) { x.Address3 = "Apt\t4" }), want{{"person.contactInfo.postalAddress[0].address3", "20006"}}},
		{"city missing", fi01111, addr(func(x *Address) { x.City = "" }), want{{"person.contactInfo.postalAddress[0].city", "220008"}}},
		{"state ZZ in the US", fi01111, addr(func(x *Address) { x.State = "ZZ" }), want{{"person.contactInfo.postalAddress[0].state", "220009"}}},
		{"state missing", fi01111, addr(func(x *Address) { x.State = "" }), want{{"person.contactInfo.postalAddress[0].state", "220009"}}},
		{"state PR", fi01111, addr(func(x *Address) { x.State, x.PostalCode = "PR", "00901" }), nil},
		{"free-form state and postal code outside the US", fi01111, addr(func(x *Address) { x.Country, x.State, x.PostalCode = "CA", "Ontario", "K1A 0B1" }), nil},
		{"state 129 characters outside the US", fi01111, addr(func(x *Address) { x.Country, x.State, x.PostalCode = "CA", r("O", 129), "K1A 0B1" }),
			want{{"person.contactInfo.postalAddress[0].state", "220009"}}},
		{"state 128 characters outside the US", fi01111, addr(func(x *Address) { x.Country, x.State, x.PostalCode = "CA", r("O", 128), "K1A 0B1" }), nil},
		{"postalCode 1234 in the US", fi01111, addr(func(x *Address) { x.PostalCode = "1234" }), want{{"person.contactInfo.postalAddress[0].postalCode", "220007"}}},
		{"postalCode missing", fi01111, addr(func(x *Address) { x.PostalCode = "" }), want{{"person.contactInfo.postalAddress[0].postalCode", "220007"}}},
		{"postalCode 62701-123 in the US", fi01111, addr(func(x *Address) { x.PostalCode = "62701-123" }), want{{"person.contactInfo.postalAddress[0].postalCode", "220007"}}},
		{"postalCode ZIP+4", fi01111, addr(func(x *Address) { x.PostalCode = "62701-1234" }), nil},
		{"postalCode ZIP+4 without the dash", fi01111, addr(func(x *Address) { x.PostalCode = "627011234" }), nil},
		{"country XX", fi01111, addr(func(x *Address) { x.Country = "XX" }), want{{"person.contactInfo.postalAddress[0].country", "220011"}}},
		{"country missing", fi01111, addr(func(x *Address) { x.Country = "" }), want{{"person.contactInfo.postalAddress[0].country", "220011"}}},
		{"country USA", fi01111, addr(func(x *Address) { x.Country = "USA" }), nil},
		{"second address's city and first address's state", fi01111, func(a *Application) {
			a.Addresses[0].State = "ZZ"
			a.Addresses = append(a.Addresses, Address{Address1: "2 Elm", State: "IL", PostalCode: "62701", Country: "US"})
		}, want{{"person.contactInfo.postalAddress[0].state", "220009"}, {"person.contactInfo.postalAddress[1].city", "220008"}}},
		{"no phone", fi01111, func(a *Application) { a.Phones = nil }, want{{"person.contactInfo.phoneNumber", "220014"}}},
		{"phone with dashes", fi01111, func(a *Application) { a.Phones[0].Number = "217-555-0123" }, want{{"person.contactInfo.phoneNumber[0].number", "220014"}}},
		{"phone with 9 digits", fi01111, func(a *Application) { a.Phones[0].Number = "217555012" }, want{{"person.contactInfo.phoneNumber[0].number", "220014"}}},
		{"phone area code starting with 1", fi01111, func(a *Application) { a.Phones[0].Number = "1175550123" }, want{{"person.contactInfo.phoneNumber[0].number", "220014"}}},
		{"phone exchange starting with 1", fi01111, func(a *Application) { a.Phones[0].Number = "2171550123" }, want{{"person.contactInfo.phoneNumber[0].number", "220014"}}},
		{"phone countryCode 5 characters", fi01111, func(a *Application) { a.Phones[0].CountryCode = "00001" }, want{{"person.contactInfo.phoneNumber[0].countryCode", "20006"}}},
		{"phone countryCode 1", fi01111, func(a *Application) { a.Phones[0].CountryCode = "1" }, nil},
		{"5 phones and an email", fi01111, func(a *Application) {
			for len(a.Phones) < 5 {
				a.Phones = append(a.Phones, Phone{Number: "2175550199"})
			}
		}, want{{"person.contactInfo", "26214"}}},
		{"4 phones and an email", fi01111, func(a *Application) {
			for len(a.Phones) < 4 {
				a.Phones = append(a.Phones, Phone{Number: "2175550199"})
			}
		}, nil},
		{"birthDate missing", fi01111, func(a *Application) { a.BirthDate = "" }, want{{"person.birthDate", "220013"}}},
		{"birthDate 2023-02-29", fi01111, func(a *Application) { a.BirthDate = "2023-02-29" }, want{{"person.birthDate", "220013"}}},
		{"birthDate tomorrow", fi01111, func(a *Application) { a.BirthDate = date(0, 1) }, want{{"person.birthDate", "220013"}}},
		{"birthDate 126 years ago", fi01111, func(a *Application) { a.BirthDate = date(-126, 0) }, want{{"person.birthDate", "220013"}}},
		{"birthDate 10/09/1989", fi01111, func(a *Application) { a.BirthDate = "10/09/1989" }, want{{"person.birthDate", "220013"}}},
		{"birthDate 1989-1-9", fi01111, func(a *Application) { a.BirthDate = "1989-1-9" }, want{{"person.birthDate", "220013"}}},
		{"birthDate 2024-02-29", fi01111, func(a *Application) { a.BirthDate = "2024-02-29" }, nil},
		{"birthDate 125 years ago", fi01111, func(a *Application) { a.BirthDate = date(-125, 0) }, nil},
		{"birthDate today", fi01111, func(a *Application) { a.BirthDate = date(0, 0) }, nil},
		{"no channel", fi01111, func(a *Application) { a.Channels = nil }, want{{"channelInfos.channelInfo", "20006"}}},
		{"two channels", fi01111, func(a *Application) { a.Channels = append(a.Channels, a.Channels[0]) }, want{{"channelInfos.channelInfo[1]", "20006"}}},
		{"channelType WEB", fi01111, func(a *Application) { a.Channels[0].Type = "WEB" }, want{{"channelInfos.channelInfo[0].channelType", "20006"}}},
		{"loginId missing", fi01111, login(""), want{{"channelInfos.channelInfo[0].credential.loginId", "220015"}}},
		{"loginId with a space", fi01111, login("jane doe99"), want{{"channelInfos.channelInfo[0].credential.loginId", "220015"}}},
		{"loginId all digits", fi01111, login("123456789"), want{{"channelInfos.channelInfo[0].credential.loginId", "220015"}}},
		{"loginId 257 characters", fi01111, login(r("a", 257)), want{{"channelInfos.channelInfo[0].credential.loginId", "220015"}}},
		{"loginId 300 characters", fi01111, login(r("a", 300)), want{{"channelInfos.channelInfo[0].credential.loginId", "220015"}}},
		{"loginId 5 characters", fi01111, login("jane1"), want{{"channelInfos.channelInfo[0].credential.loginId", "220015"}}},
		{"loginId with #", fi01111, login("jane#doe99"), want{{"channelInfos.channelInfo[0].credential.loginId", "220015"}}},
		{"loginId 256 characters", fi01111, login(r("a", 256)), want{{"channelInfos.channelInfo[0].credential.loginId", "220019"}}},
		{"loginId 7 characters at 01111", fi01111, login("janedoe"), want{{"channelInfos.channelInfo[0].credential.loginId", "220019"}}},
		{"loginId 21 characters at 01111", fi01111, login(r("j", 21)), want{{"channelInfos.channelInfo[0].credential.loginId", "220019"}}},
		{"loginId 8 characters at 01111", fi01111, login("u1234567"), nil},
		{"loginId 20 characters at 01111", fi01111, login("u1234567890123456789"), nil},
		{"loginId 13 characters at 02222", fi02222, login("janedoe123456"), want{{"channelInfos.channelInfo[0].credential.loginId", "220019"}}},
		{"loginId 6 characters at 02222", fi02222, login("jdoe12"), nil},
		{"loginId 12 characters at 02222", fi02222, login("u12345678901"), nil},
		{"loginId only letters", fi01111, login("jdoeabcdef"), nil},
		{"loginId equal to the member number", fi01111, func(a *Application) { a.MemberNumber, a.Channels[0].LoginID = "abc12345xy", "abc12345xy" },
			want{{"channelInfos.channelInfo[0].credential.loginId", "220016"}}},
		{"loginId with every special", fi01111, login("j@$*_-=.!~1"), nil},
		{"password missing", fi01111, password(""), want{{"channelInfos.channelInfo[0].credential.password", "220018"}}},
		{"password 5 characters", fi01111, password("Ab1!x"), want{{"channelInfos.channelInfo[0].credential.password", "220018"}}},
		{"password 33 characters", fi01111, password(r("Ab1!", 8) + "Z"), want{{"channelInfos.channelInfo[0].credential.password", "220018"}}},
		{"password only letters", fi01111, password("BlueSkyHigh"), want{{"channelInfos.channelInfo[0].credential.password", "220018"}}},
		{"password with a space", fi01111, password("Blue Sky42"), want{{"channelInfos.channelInfo[0].credential.password", "220018"}}},
		{"password inside the username", fi01111, func(a *Application) { a.Channels[0].LoginID, a.Channels[0].Password = "johnsmith99", "Smith9" },
			want{{"channelInfos.channelInfo[0].credential.password", "220018"}}},
		{"password with a control character", fi01111, password("Blue\x01Sky42"), want{{"channelInfos.channelInfo[0].credential.password", "220018"}}},
		{"password digits and specials", fi01111, password("2468!1357"), nil},
		{"password 6 characters", fi01111, password("Ab1!xy"), nil},
		{"password 32 characters", fi01111, password(r("Ab1!", 8)), nil},
		{"password letters and specials", fi01111, password("Blue!Sky!"), nil},
		{"userType SECONDARY", fi01111, func(a *Application) { a.UserType = "SECONDARY" }, want{{"userType", "20006"}}},
		{"userType absent", fi01111, func(a *Application) { a.UserType = "" }, nil},
		{"ssn missing", fi01111, func(a *Application) { a.SSN = "" }, want{{"ssn", "20006"}}},
		{"ssn area 666", fi01111, func(a *Application) { a.SSN = "666123456" }, want{{"ssn", "220001"}}},
		{"ssn 8 digits", fi01111, func(a *Application) { a.SSN = "12345678" }, want{{"ssn", "220001"}}},
		{"ssn area 000", fi01111, func(a *Application) { a.SSN = "000123456" }, want{{"ssn", "220001"}}},
		{"ssn area 900", fi01111, func(a *Application) { a.SSN = "900123456" }, want{{"ssn", "220001"}}},
		{"ssn group 00", fi01111, func(a *Application) { a.SSN = "123006789" }, want{{"ssn", "220001"}}},
		{"ssn with dashes", fi01111, func(a *Application) { a.SSN = "123-45-6789" }, want{{"ssn", "220001"}}},
		{"ssn serial 0000", fi01111, func(a *Application) { a.SSN = "123450000" }, want{{"ssn", "220001"}}},
		{"ssn area 899", fi01111, func(a *Application) { a.SSN = "899121234" }, nil},
		{"ssn area 667", fi01111, func(a *Application) { a.SSN = "667121234" }, nil},
		{"motherMaidenName missing", fi01111, func(a *Application) { a.MotherMaidenName = "" }, want{{"motherMaidenName", "220012"}}},
		{"motherMaidenName 129 characters", fi01111, func(a *Application) { a.MotherMaidenName = r("m", 129) }, want{{"motherMaidenName", "220012"}}},
		{"motherMaidenName over 320 bytes", fi01111, func(a *Application) { a.MotherMaidenName = r("\u6f22", 110) }, want{{"motherMaidenName", "220012"}}},
		{"host PIN 33 characters", fi01111, func(a *Application) { a.HostPIN = r("1", 33) }, want{{"hostCredential.password", "20006"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := valid()
			tc.edit(&a)
			_, err := Check(tc.fi, defs, a, now)
			var got Violations
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("error %v is not Violations", err)
			}
			if !reflect.DeepEqual([]Violation(got), tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCheckDisclosurePolicy covers D3 and D4: the flag's forms, the list of accepted ids, and the
// atFirstLogin policy.
func TestCheckDisclosurePolicy(t *testing.T) {
	disabledIB := ib
	disabledIB.Enabled = false
	cases := []struct {
		name     string
		fi       models.Institution
		defs     []models.Disclosure
		flag     any
		ids      []string
		ok       bool
		accepted []models.Disclosure
	}{
		{"string true accepts every required", fi01111, defs, "true", nil, true, []models.Disclosure{ib, esign}},
		{"boolean true", fi01111, defs, true, nil, true, []models.Disclosure{ib, esign}},
		{"boolean false", fi01111, defs, false, nil, false, nil},
		{"string false", fi01111, defs, "false", nil, false, nil},
		{"absent", fi01111, defs, nil, nil, false, nil},
		{"not a boolean", fi01111, defs, "yes", nil, false, nil},
		{"a number", fi01111, defs, 1.0, nil, false, nil},
		{"list without ESIGN", fi01111, defs, "true", []string{ib.ID}, false, nil},
		{"list of both, flag false", fi01111, defs, "false", []string{strings.ToLower(ib.ID), esign.ID}, true, []models.Disclosure{ib, esign}},
		{"list with OLS too", fi01111, defs, nil, []string{ib.ID, esign.ID, ols.ID}, true, []models.Disclosure{ib, esign, ols}},
		{"list naming another FI's disclosure", fi01111, defs, "true", []string{ib.ID, esign.ID, "9C4F3E2D1B0A4C9F8E7D6C5B4A3F2E1D"}, false, nil},
		{"empty list", fi01111, defs, "true", []string{}, false, nil},
		{"no required disclosures: flag not needed", fi01111, []models.Disclosure{ols}, nil, nil, true, nil},
		{"a disabled disclosure is not required", fi01111, []models.Disclosure{disabledIB}, "false", nil, true, nil},
		{"atFirstLogin: flag not needed", fi02222, defs, "false", nil, true, nil},
		{"atFirstLogin: an unknown id still fails", fi02222, defs, nil, []string{"00000000000000000000000000000000"}, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := valid()
			a.AcceptedFlag, a.AcceptedIDs = tc.flag, tc.ids
			if tc.fi.ID == "02222" {
				a.FIID = "02222"
			}
			p, err := Check(tc.fi, tc.defs, a, now)
			if tc.ok != (err == nil) {
				t.Fatalf("ok=%v, err=%v", tc.ok, err)
			}
			if !tc.ok {
				if want := (Violations{{"acceptedDisclosure", CodeDisclosuresRequired}}); !reflect.DeepEqual(err, want) {
					t.Errorf("err %v", err)
				}
				return
			}
			if !reflect.DeepEqual(p.Accepted, tc.accepted) {
				t.Errorf("accepted %v, want %v", p.Accepted, tc.accepted)
			}
		})
	}
}

// TestViolationsReportEveryFailureInTableOrder: D26, and what a violation says of its field.
func TestViolationsReportEveryFailureInTableOrder(t *testing.T) {
	a := valid()
	a.MotherMaidenName, a.SSN, a.FirstName, a.Channels[0].Password = "", "98765", "", "x"
	a.Addresses[0].City = ""
	_, err := Check(fi01111, defs, a, now)
	var v Violations
	if !errors.As(err, &v) {
		t.Fatal(err)
	}
	var codes []string
	for _, x := range v {
		codes = append(codes, string(x.Code))
	}
	if want := "220002 220008 220018 220001 220012"; strings.Join(codes, " ") != want {
		t.Errorf("order %v, want %s", codes, want)
	}
	city := v[1]
	if city.Pointer() != "/FICustomer/person/contactInfo/postalAddress/0/city" ||
		city.Message() != "Invalid city (FICustomer.person.contactInfo.postalAddress[0].city)" {
		t.Errorf("pointer %q message %q", city.Pointer(), city.Message())
	}
	if strings.Contains(err.Error(), "98765") || strings.Contains(city.Message(), "98765") {
		t.Errorf("the error text carries a submitted value: %q", err)
	}
}
