package handlers_test

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/gen"
)

// The sandbox's sub-user of sandboxuser1 (db/sandbox.yaml).
const (
	sandboxSub     = "sandboxsub1"
	sandboxSubGUID = "2b7e9c4d1a3f4e5b8c6d0e1f2a3b4c5d"
	sandboxSubIUID = "3C5E7A9B1D2F4A6C8E0B2D4F6A8C0E1B"
	sandboxSubAuth = "7e1f3a5c9b2d4e6f8a0c1e3b5d7f9a2c"
	sandboxSSN     = "123456789"
	scopeReadPII   = "institution-users:read_pii"
	scopeBillPay   = "institution-users-billpay:read"
	iuV1           = "/v1/institution-users/"
	iuV2           = "/v2/institution-users/"
	userStatus     = "/v1/user-status/"
)

// isr is an institution users request's headers: a V2 bearer token and a fresh transactionId.
func isr(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token, "transactionId": newTID()}
}

// expand is a $expand query parameter, escaped.
func expand(v string) string { return "$expand=" + url.QueryEscape(v) }

// getUser reads a profile and decodes it (status 200 required).
func (a *api) getUser(t testing.TB, path, token string) (gen.InstitutionUser, map[string]any) {
	t.Helper()
	u, r := getOK[gen.InstitutionUser](t, a, path, isr(token))
	var raw map[string]any
	r.decode(t, &raw)
	return u, raw
}

// getStatus reads a user status (status 200 required), also as raw JSON.
func (a *api) getStatus(t testing.TB, path, token string) (gen.UserStatusDetails, string) {
	t.Helper()
	st, r := getOK[gen.UserStatusDetails](t, a, path, isr(token))
	return st, string(r.body)
}

func flagSet(f *gen.TrueFlag) bool { return f != nil && bool(*f) }

// TestInstitutionUserEveryUserIDType: each of the five names of the user (and of its sub-user)
// reaches it through V1, V2 and the /db-users alias; user-status takes its four.
func TestInstitutionUserEveryUserIDType(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		tok := a.v2For(t, fiCreditUnion, scopeUsersRead)
		for _, tc := range []struct{ ref, query, want string }{
			{sandboxUserIUID, "", sandboxUserIUID},
			{sandboxUserIUID, "?userIdType=INSTITUTION_USER_ID", sandboxUserIUID},
			{memberSam, "?userIdType=HOST_USER_ID", sandboxUserIUID}, // the member's PRIMARY user
			{"SandboxUser1", "?userIdType=LOGIN_ID", sandboxUserIUID},
			{sandboxUserGUID, "?userIdType=LEGACY_USER_GUID", sandboxUserIUID},
			{sandboxUserAuth, "?userIdType=USER_ID", sandboxUserIUID},
			{sandboxSubIUID, "", sandboxSubIUID},
			{sandboxSub, "?userIdType=LOGIN_ID", sandboxSubIUID},
			{sandboxSubGUID, "?userIdType=LEGACY_USER_GUID", sandboxSubIUID},
			{sandboxSubAuth, "?userIdType=USER_ID", sandboxSubIUID},
		} {
			for _, base := range []string{iuV1, iuV2, "/db-users" + iuV1} {
				u, _ := a.getUser(t, base+tc.ref+tc.query, tok)
				if u.InstitutionUserID != tc.want {
					t.Errorf("%s%s%s: %s", base, tc.ref, tc.query, u.InstitutionUserID)
				}
			}
		}
		// The profile ties the user's identifiers together (docs/decisions.md, one identity).
		u, _ := a.getUser(t, iuV1+sandboxUserIUID, tok)
		if u.UserID != sandboxUserAuth || u.UserName != sandboxUser || u.InstitutionID != fiCreditUnion || u.InstitutionUserRole != "PRIMARY" ||
			u.InstitutionUserType != "RETAIL" || len(u.InstitutionCustomers) != 1 || u.InstitutionCustomers[0].InstitutionCustomerID != sandboxUserGUID ||
			u.InstitutionCustomers[0].MemberNumber != memberSam || u.AdditionalInfo.Entry[0].Key != "legacyUserGuid" ||
			u.AdditionalInfo.Entry[0].Value != sandboxUserGUID || u.ParentInstitutionUserID != nil || u.FullName != "Sam Sandbox" ||
			u.BirthDate == nil || u.BirthDate.Format(time.DateOnly) != "1985-04-12" || u.Email == nil || *u.Email != "sam.sandbox@example.com" {
			t.Errorf("profile %+v", u)
		}
		// A sub-user names its PRIMARY user and shows the PRIMARY user's relationship.
		sub, _ := a.getUser(t, iuV1+sandboxSubIUID, tok)
		if sub.InstitutionUserRole != "ENTITLED" || sub.ParentInstitutionUserID == nil || *sub.ParentInstitutionUserID != sandboxUserIUID ||
			sub.InstitutionCustomers[0].InstitutionCustomerID != sandboxUserGUID || sub.AdditionalInfo.Entry[0].Value != sandboxSubGUID ||
			sub.UserID != sandboxSubAuth || sub.UserName != sandboxSub {
			t.Errorf("sub-user profile %+v", sub)
		}
		for _, tc := range []struct{ ref, idType, want string }{
			{sandboxUserIUID, "INSTITUTION_USER_ID", sandboxUserIUID},
			{memberSam, "HOST_USER_ID", sandboxUserIUID},
			{sandboxUser, "LOGIN_ID", sandboxUserIUID},
			{sandboxUserGUID, "CUSTOMER_ID", sandboxUserIUID},
			{sandboxSubGUID, "CUSTOMER_ID", sandboxSubIUID},
		} {
			for _, base := range []string{userStatus, "/db-users" + userStatus} {
				s, _ := a.getStatus(t, base+tc.ref+"?userIdType="+tc.idType, tok)
				if s.InstitutionUserID != tc.want {
					t.Errorf("%s %s: %s", tc.idType, tc.ref, s.InstitutionUserID)
				}
			}
		}
	})
}

// TestInstitutionUserExpand: each segment appears only when expanded, filters select within it,
// and a filter that selects nothing leaves the segment empty, not absent.
func TestInstitutionUserExpand(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, "")
	path := iuV1 + sandboxUserIUID
	_, raw := a.getUser(t, path, tok)
	for _, k := range []string{"contactMethods", "postalAddresses", "subUsers", "identificationDocuments"} {
		if _, ok := raw[k]; ok {
			t.Errorf("%s without $expand", k)
		}
	}
	u, _ := a.getUser(t, path+"?"+expand("contactMethods,postalAddresses,subUsers"), tok)
	if u.ContactMethods == nil || len(*u.ContactMethods) != 3 || u.PostalAddresses == nil || len(*u.PostalAddresses) != 1 ||
		u.SubUsers == nil || len(*u.SubUsers) != 1 || (*u.SubUsers)[0].InstitutionUserID != sandboxSubIUID {
		t.Fatalf("expanded %+v", u)
	}
	protocols := ""
	for _, m := range *u.ContactMethods {
		protocols += string(m.Protocol) + " "
		if !m.Validated || !m.Activated || m.Host || m.EnrolledDateTime == nil || m.ID == "" {
			t.Errorf("contact method %+v", m)
		}
	}
	if protocols != "VOICE SMS EMAIL " {
		t.Errorf("protocols %q", protocols)
	}
	addr := (*u.PostalAddresses)[0]
	if addr.StreetAddress1 != "100 Market Street" || addr.State != "CA" || !addr.Primary || addr.PostalAddressType != "UNKNOWN" {
		t.Errorf("address %+v", addr)
	}
	if sub := (*u.SubUsers)[0]; sub.ContactMethods != nil || sub.SubUsers != nil {
		t.Errorf("a sub-user is listed with expansions: %+v", sub)
	}
	// postalAddress is an alias; each segment alone.
	for _, tc := range []struct {
		expand string
		check  func(gen.InstitutionUser) bool
	}{
		{"postalAddress", func(u gen.InstitutionUser) bool {
			return u.PostalAddresses != nil && len(*u.PostalAddresses) == 1 && u.ContactMethods == nil
		}},
		{"contactMethods", func(u gen.InstitutionUser) bool {
			return u.ContactMethods != nil && u.PostalAddresses == nil && u.SubUsers == nil
		}},
		{"subUsers", func(u gen.InstitutionUser) bool {
			return u.SubUsers != nil && len(*u.SubUsers) == 1 && u.ContactMethods == nil
		}},
		// Filters: the official collections' example, and each segment's properties.
		{"contactMethods($filter=(validated eq true) and (protocol eq 'VOICE')),postalAddresses($filter=state eq 'CA')", func(u gen.InstitutionUser) bool {
			return len(*u.ContactMethods) == 1 && (*u.ContactMethods)[0].Protocol == "VOICE" && len(*u.PostalAddresses) == 1
		}},
		{"contactMethods($filter=host eq true)", func(u gen.InstitutionUser) bool { return len(*u.ContactMethods) == 0 }},
		{"contactMethods($filter=contactInfo eq 'sam.sandbox@example.com')", func(u gen.InstitutionUser) bool {
			return len(*u.ContactMethods) == 1 && (*u.ContactMethods)[0].Protocol == "EMAIL"
		}},
		{"contactMethods($filter=telephoneCountryCode eq '1' and activated eq true)", func(u gen.InstitutionUser) bool { return len(*u.ContactMethods) == 2 }},
		{"postalAddresses($filter=state eq 'NY')", func(u gen.InstitutionUser) bool { return u.PostalAddresses != nil && len(*u.PostalAddresses) == 0 }},
		{"postalAddress($filter=primary eq true and city eq 'San Francisco')", func(u gen.InstitutionUser) bool { return len(*u.PostalAddresses) == 1 }},
		{"subUsers($filter=lastName eq 'Taylor')", func(u gen.InstitutionUser) bool { return u.SubUsers != nil && len(*u.SubUsers) == 0 }},
		{"subUsers($filter=firstName eq 'Casey' and userName eq 'sandboxsub1')", func(u gen.InstitutionUser) bool { return len(*u.SubUsers) == 1 }},
		{"subUsers($filter=institutionUserRole eq 'PRIMARY')", func(u gen.InstitutionUser) bool { return len(*u.SubUsers) == 0 }},
	} {
		got, _ := a.getUser(t, path+"?"+expand(tc.expand), tok)
		if !tc.check(got) {
			t.Errorf("$expand=%s: %+v", tc.expand, got)
		}
	}
	// The enrolment time filters as the answer renders it.
	when := (*u.ContactMethods)[0].EnrolledDateTime.Format(time.RFC3339Nano)
	got, _ := a.getUser(t, path+"?"+expand("contactMethods($filter=enrolledDateTime eq '"+when+"' and protocol eq 'SMS')"), tok)
	if len(*got.ContactMethods) != 1 {
		t.Errorf("enrolledDateTime filter: %+v", got.ContactMethods)
	}
	// V2 takes the same segments, and identificationDocuments.
	v2, _ := a.getUser(t, iuV2+sandboxUserIUID+"?"+expand("contactMethods($filter=protocol eq 'SMS'),identificationDocuments($filter=identificationDocumentType eq 'SSN')"), tok)
	if len(*v2.ContactMethods) != 1 || v2.IdentificationDocuments == nil || len(*v2.IdentificationDocuments) != 1 {
		t.Errorf("V2 %+v", v2)
	}
	v2, _ = a.getUser(t, iuV2+sandboxUserIUID+"?"+expand("identificationDocuments($filter=identificationDocumentType eq 'PASSPORT')"), tok)
	if v2.IdentificationDocuments == nil || len(*v2.IdentificationDocuments) != 0 {
		t.Errorf("V2 filtered out: %+v", v2.IdentificationDocuments)
	}
}

// TestInstitutionUserBadExpand: every malformed $expand is 400 ISR_10009, by position only.
func TestInstitutionUserBadExpand(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, "")
	for _, tc := range []struct{ base, expand string }{
		{iuV1, "identificationDocuments"}, // V2 only
		{iuV1, "accounts"},
		{iuV1, "contactMethods,contactMethods"},
		{iuV1, "postalAddresses,postalAddress"},
		{iuV1, "contactMethods($filter=protocol ne 'SMS')"},
		{iuV1, "contactMethods($filter=protocol eq 'SMS' or protocol eq 'VOICE')"},
		{iuV1, "contactMethods($filter=contains(contactInfo,'4155550142'))"},
		{iuV1, "contactMethods($filter=validated eq 'true')"},
		{iuV1, "contactMethods($filter=contactInfo eq '4155550142'"},
		{iuV1, "contactMethods($filter=nickname eq 'x')"},
		{iuV1, "subUsers($expand=contactMethods)"},
		{iuV1, "subUsers($filter=birthDate gt '1980-01-01')"},
		{iuV1, ""},
		{iuV2, "identificationDocuments($filter=maskedId eq 6789)"},
		{iuV2, "contactMethods,"},
	} {
		r := a.do(t, http.MethodGet, tc.base+sandboxUserIUID+"?"+expand(tc.expand), isr(tok), "")
		wantProblem(t, r, http.StatusBadRequest, "ISR_10009", "$expand")
		if strings.Contains(string(r.body), "4155550142") || strings.Contains(string(r.body), "Sandbox") {
			t.Errorf("%s: the answer echoes the request or the user: %s", tc.expand, r.body)
		}
	}
	long := strings.Repeat("contactMethods,", 200)
	wantProblem(t, a.do(t, http.MethodGet, iuV1+sandboxUserIUID+"?"+expand(long), isr(tok), ""), http.StatusBadRequest, "ISR_10009", "$expand")
}

// TestInstitutionUsersOtherFI: another FI's token gets 404 ISR_10001 for every name of the user,
// and no data; an unknown user gets the same answer.
func TestInstitutionUsersOtherFI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		other := a.v2For(t, fiCommunityBank, "")
		for _, q := range []string{sandboxUserIUID, memberSam + "?userIdType=HOST_USER_ID", sandboxUser + "?userIdType=LOGIN_ID",
			sandboxUserGUID + "?userIdType=LEGACY_USER_GUID", sandboxUserAuth + "?userIdType=USER_ID", sandboxSubIUID} {
			for _, base := range []string{iuV1, iuV2} {
				r := a.do(t, http.MethodGet, base+q, isr(other), "")
				wantProblem(t, r, http.StatusNotFound, "ISR_10001", "")
				if strings.Contains(string(r.body), "andbox") || strings.Contains(string(r.body), sandboxUserIUID) {
					t.Errorf("%s%s leaked: %s", base, q, r.body)
				}
			}
		}
		for _, q := range []string{sandboxUserIUID + "?userIdType=INSTITUTION_USER_ID", memberSam + "?userIdType=HOST_USER_ID", sandboxUserGUID + "?userIdType=CUSTOMER_ID"} {
			wantProblem(t, a.do(t, http.MethodGet, userStatus+q, isr(other), ""), http.StatusNotFound, "ISR_10001", "")
		}
		own := a.v2For(t, fiCreditUnion, "")
		unknown := a.do(t, http.MethodGet, iuV1+strings.Repeat("A", 32), isr(own), "")
		foreign := a.do(t, http.MethodGet, iuV1+sandboxUserIUID, isr(other), "")
		wantProblem(t, unknown, http.StatusNotFound, "ISR_10001", "")
		if string(unknown.body) != string(foreign.body) {
			t.Errorf("unknown %s, foreign %s", unknown.body, foreign.body)
		}
		// A member without a registered user has no HOST_USER_ID user.
		wantProblem(t, a.do(t, http.MethodGet, iuV1+memberAlex+"?userIdType=HOST_USER_ID", isr(own), ""), http.StatusNotFound, "ISR_10001", "")
	})
}

// TestInstitutionUsersScopes: institution-users:read for all three; read_pii for V2's documents
// and institution-users-billpay:read for V1's bill pay login, each checked before the user.
func TestInstitutionUsersScopes(t *testing.T) {
	a := newAPI(t)
	none := a.v2For(t, fiCreditUnion, "accounts:read")
	for _, p := range []string{iuV1 + sandboxUserIUID, iuV2 + sandboxUserIUID, userStatus + sandboxUserIUID + "?userIdType=INSTITUTION_USER_ID"} {
		wantProblem(t, a.do(t, http.MethodGet, p, isr(none), ""), http.StatusForbidden, "ISR_11003", "")
	}
	read := a.v2For(t, fiCreditUnion, scopeUsersRead)
	if u, _ := a.getUser(t, iuV2+sandboxUserIUID+"?"+expand("contactMethods"), read); u.ContactMethods == nil {
		t.Error("V2 without identificationDocuments needs only institution-users:read")
	}
	for _, ref := range []string{sandboxUserIUID, strings.Repeat("B", 32)} {
		wantProblem(t, a.do(t, http.MethodGet, iuV2+ref+"?"+expand("identificationDocuments"), isr(read), ""), http.StatusForbidden, "ISR_11003", scopeReadPII)
		wantProblem(t, a.do(t, http.MethodGet, iuV1+ref+"?retrieveBillPayCredentials=true", isr(read), ""), http.StatusForbidden, "ISR_11003", scopeBillPay)
	}
	u, _ := a.getUser(t, iuV1+sandboxUserIUID+"?retrieveBillPayCredentials=false", read)
	if u.InstitutionCustomers[0].AdditionalInfo != nil {
		t.Errorf("bill pay without asking: %+v", u.InstitutionCustomers[0])
	}
	billPay := a.v2For(t, fiCreditUnion, scopeUsersRead+","+scopeBillPay)
	u, _ = a.getUser(t, iuV1+sandboxUserIUID+"?retrieveBillPayCredentials=true", billPay)
	if ai := u.InstitutionCustomers[0].AdditionalInfo; ai == nil || len(ai.Entry) != 1 || ai.Entry[0].Key != "billPayLoginId" || ai.Entry[0].Value != "SAMSANDBOXBP1" {
		t.Errorf("bill pay login: %+v", u.InstitutionCustomers[0])
	}
	// A sub-user has no bill pay login of its own.
	if u, _ = a.getUser(t, iuV1+sandboxSubIUID+"?retrieveBillPayCredentials=true", billPay); u.InstitutionCustomers[0].AdditionalInfo != nil {
		t.Errorf("sub-user bill pay: %+v", u.InstitutionCustomers[0])
	}
	// V2 has no retrieveBillPayCredentials; it is an unknown parameter there and changes nothing.
	pii := a.v2For(t, fiCreditUnion, scopeUsersRead+","+scopeReadPII)
	if u, _ := a.getUser(t, iuV2+sandboxUserIUID+"?"+expand("identificationDocuments"), pii); u.IdentificationDocuments == nil || len(*u.IdentificationDocuments) != 1 {
		t.Errorf("documents with read_pii: %+v", u.IdentificationDocuments)
	}
}

// TestInstitutionUsersUserToken: a user's own token reads itself by any name; every other user,
// existing or not, its sub-user included, is the same 404.
func TestInstitutionUsersUserToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		a.mustRegister(t, newRegistration(t, fiCreditUnion, withMember(memberAlex), withLogin("alexmorgan90")))
		pw := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
		refreshed := a.v2Token(t, sandboxApp, sandboxSecret, "", "grant_type=refresh_token&refresh_token="+pw.RefreshToken)
		for _, tok := range []string{pw.AccessToken, refreshed.AccessToken} {
			for _, q := range []string{sandboxUserIUID, memberSam + "?userIdType=HOST_USER_ID&$expand=subUsers", sandboxUser + "?userIdType=LOGIN_ID",
				sandboxUserGUID + "?userIdType=LEGACY_USER_GUID", sandboxUserAuth + "?userIdType=USER_ID"} {
				if u, _ := a.getUser(t, iuV1+q, tok); u.InstitutionUserID != sandboxUserIUID {
					t.Errorf("own %s: %s", q, u.InstitutionUserID)
				}
			}
			if s, _ := a.getStatus(t, userStatus+sandboxUser+"?userIdType=LOGIN_ID", tok); s.InstitutionUserID != sandboxUserIUID {
				t.Errorf("own status %+v", s)
			}
			var first string
			for _, q := range []string{sandboxSubIUID, "alexmorgan90?userIdType=LOGIN_ID", memberAlex + "?userIdType=HOST_USER_ID",
				strings.Repeat("C", 32), "nobody?userIdType=LOGIN_ID"} {
				for _, base := range []string{iuV1, iuV2} {
					r := a.do(t, http.MethodGet, base+q, isr(tok), "")
					wantProblem(t, r, http.StatusNotFound, "ISR_10001", "")
					if first == "" {
						first = string(r.body)
					} else if string(r.body) != first {
						t.Errorf("%s%s answered %s, others %s", base, q, r.body, first)
					}
				}
				wantProblem(t, a.do(t, http.MethodGet, userStatus+strings.Split(q, "?")[0]+"?userIdType=LOGIN_ID", isr(tok), ""), http.StatusNotFound, "ISR_10001", "")
			}
		}
		// The sub-user signs in with its own login and reads itself, not its parent.
		sub := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username="+sandboxSub+"&password="+url.QueryEscape(sandboxPassword))
		if u, _ := a.getUser(t, iuV1+sandboxSubIUID, sub.AccessToken); u.ParentInstitutionUserID == nil {
			t.Errorf("sub-user's own profile %+v", u)
		}
		wantProblem(t, a.do(t, http.MethodGet, iuV1+sandboxUserIUID, isr(sub.AccessToken), ""), http.StatusNotFound, "ISR_10001", "")
		s, _ := a.getStatus(t, userStatus+sandboxSubGUID+"?userIdType=CUSTOMER_ID", sub.AccessToken)
		if s.ParentInstitutionUserID == nil || *s.ParentInstitutionUserID != sandboxUserIUID || s.SubUsers != nil {
			t.Errorf("sub-user's own status %+v", s)
		}
	})
}

// sandboxDocumentKey is the private half of FI 01111's document key, published for the sandbox.
func sandboxDocumentKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile("../docs/sandbox-document-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// TestIdentificationDocuments: V2 exports the SSN encrypted to the FI's key (the sandbox key
// opens it), masked to its last four; V1 never shows documents; an FI without a key answers 500
// ISR_23007 whoever the user.
func TestIdentificationDocuments(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, "")
	r := a.do(t, http.MethodGet, iuV2+sandboxUserIUID+"?"+expand("identificationDocuments"), isr(tok), "")
	var u gen.InstitutionUser
	r.decode(t, &u)
	if u.IdentificationDocuments == nil || len(*u.IdentificationDocuments) != 1 {
		t.Fatalf("documents: %s", r.body)
	}
	doc := (*u.IdentificationDocuments)[0]
	if doc.MaskedID != "*****6789" || doc.IdentificationDocumentType != "SSN" || strings.Contains(string(r.body), sandboxSSN) {
		t.Errorf("document %+v in %s", doc, r.body)
	}
	raw, err := base64.StdEncoding.DecodeString(doc.ID)
	if err != nil || len(raw) != 256 {
		t.Fatalf("id is not base64 of 256 bytes: %v", err)
	}
	plain, err := rsa.DecryptOAEP(sha256.New(), nil, sandboxDocumentKey(t), raw, nil)
	if err != nil || string(plain) != sandboxSSN {
		t.Fatalf("decrypt: %q %v", plain, err)
	}
	// Nothing in clear in the logs either.
	if strings.Contains(a.logs.String(), sandboxSSN) {
		t.Error("the SSN reached the log")
	}
	// A sub-user without an SSN has no documents (an empty list).
	if sub, _ := a.getUser(t, iuV2+sandboxSubIUID+"?"+expand("identificationDocuments"), tok); sub.IdentificationDocuments == nil || len(*sub.IdentificationDocuments) != 0 {
		t.Errorf("sub-user documents %+v", sub.IdentificationDocuments)
	}
	// V1 has no such segment and never shows documents.
	_, v1 := a.getUser(t, iuV1+sandboxUserIUID+"?"+expand("contactMethods,postalAddresses,subUsers")+"&retrieveBillPayCredentials=true", tok)
	if _, ok := v1["identificationDocuments"]; ok {
		t.Error("V1 showed identification documents")
	}
	// FI 02222 has no document key: a deterministic 500 ISR_23007, for a real user and for nobody.
	jordan := a.mustRegister(t, newRegistration(t, fiCommunityBank, withMember(memberJordan), withLogin("jrivera"), deleteField("acceptedDisclosure")))
	other := a.v2For(t, fiCommunityBank, "")
	for _, q := range []string{jordan + "?userIdType=LEGACY_USER_GUID&", strings.Repeat("D", 32) + "?"} {
		wantProblem(t, a.do(t, http.MethodGet, iuV2+q+expand("identificationDocuments"), isr(other), ""), http.StatusInternalServerError, "ISR_23007", "")
	}
	if u, _ := a.getUser(t, iuV2+jordan+"?userIdType=LEGACY_USER_GUID&"+expand("contactMethods"), other); u.UserName != "jrivera" {
		t.Errorf("02222 profile without documents: %+v", u)
	}
}

// TestUserStatusJourney follows the flags through a login, lockout, unlock, and a registration
// at an FI that asks for its disclosures at first login. Only true flags appear.
func TestUserStatusJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		tok := a.v2For(t, fiCreditUnion, scopeUsersRead)
		status := func(fi, ref, idType string) (gen.UserStatusDetails, string) {
			t.Helper()
			s, raw := a.getStatus(t, userStatus+ref+"?userIdType="+idType, a.v2For(t, fi, scopeUsersRead))
			if strings.Contains(raw, "false") {
				t.Errorf("a false flag was sent: %s", raw)
			}
			return s, raw
		}
		s, _ := status(fiCreditUnion, sandboxUser, "LOGIN_ID")
		if !flagSet(s.Active) || flagSet(s.Locked) || !flagSet(s.Registered) || !flagSet(s.Approved) || s.OnHold != nil || s.Reset != nil ||
			s.Rejected != nil || s.AdditionalInfo.FailedLoginCount != 0 || s.SubUsers == nil || len(*s.SubUsers) != 1 ||
			(*s.SubUsers)[0].InstitutionUserID != sandboxSubIUID || !flagSet((*s.SubUsers)[0].Active) {
			t.Fatalf("before: %+v", s)
		}
		// A login stamps lastLoginDateTime.
		a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
		if s, _ = status(fiCreditUnion, sandboxUser, "LOGIN_ID"); s.AdditionalInfo.LastLoginDateTime == nil {
			t.Errorf("after a login: %+v", s.AdditionalInfo)
		}
		a.lockSandboxUser(t)
		s, _ = status(fiCreditUnion, sandboxUserIUID, "INSTITUTION_USER_ID")
		if flagSet(s.Active) || !flagSet(s.Locked) || !flagSet(s.Registered) || s.AdditionalInfo.FailedLoginCount != 10 {
			t.Fatalf("locked: %+v", s)
		}
		u, _ := a.getUser(t, iuV1+sandboxUserIUID, tok)
		if u.UserStatus.Active != nil || !flagSet(u.UserStatus.Locked) || u.FailedLoginCount != 10 {
			t.Errorf("locked profile: %+v", u.UserStatus)
		}
		// The sub-user has its own lockout state: still active.
		if sub := (*s.SubUsers)[0]; !flagSet(sub.Active) || sub.Locked != nil {
			t.Errorf("sub-user while its parent is locked: %+v", sub)
		}
		// The stored lock holds until unlocked (or the next login after the FI's cool-down), as in
		// the Customer v2 profile.
		if s, _ = status(fiCreditUnion, memberSam, "HOST_USER_ID"); !flagSet(s.Locked) || s.Active != nil {
			t.Errorf("locked by member number: %+v", s)
		}
		r := a.do(t, http.MethodPut, customers+sandboxUserGUID+":unlock-user", ux(a.v2For(t, fiCreditUnion, scopeUsersWrite)), "")
		if r.status != http.StatusNoContent {
			t.Fatalf("unlock: %d %s", r.status, r.body)
		}
		if s, _ = status(fiCreditUnion, sandboxUser, "LOGIN_ID"); !flagSet(s.Active) || s.Locked != nil || s.AdditionalInfo.FailedLoginCount != 0 {
			t.Errorf("unlocked: %+v", s)
		}

		// FI 02222: registered only once its disclosure is accepted (at first login).
		guid := a.mustRegister(t, newRegistration(t, fiCommunityBank, withMember(memberJordan), withLogin("jrivera"), deleteField("acceptedDisclosure")))
		s, raw := status(fiCommunityBank, guid, "CUSTOMER_ID")
		if s.Active != nil || s.Registered != nil || s.Approved != nil || s.Locked != nil || s.SubUsers != nil || s.ParentInstitutionUserID != nil {
			t.Fatalf("registered, disclosure pending: no flag is true yet: %s", raw)
		}
		other := a.v2For(t, fiCommunityBank, "")
		if r := a.dsc(t, http.MethodPost, userDiscl+"?hostUserId="+memberJordan, other,
			`{"institutionDisclosureId":"`+ib02222ID+`","institutionDisclosureName":"IB","institutionUserDisclosureStatus":"ACCEPTED"}`); r.status != http.StatusNoContent {
			t.Fatalf("accept: %d %s", r.status, r.body)
		}
		if s, raw = status(fiCommunityBank, memberJordan, "HOST_USER_ID"); !flagSet(s.Registered) || !flagSet(s.Active) || !flagSet(s.Approved) {
			t.Errorf("after acceptance: %s", raw)
		}
		if u, _ := a.getUser(t, iuV1+guid+"?userIdType=LEGACY_USER_GUID", other); !flagSet(u.UserStatus.Registered) {
			t.Errorf("profile after acceptance: %+v", u.UserStatus)
		}
	})
}

// TestInstitutionUsersRequestErrors: the family's header, path and query parameter codes, and
// the transactionId echoed.
func TestInstitutionUsersRequestErrors(t *testing.T) {
	a := newAPI(t)
	tok := a.v2For(t, fiCreditUnion, "")
	for _, p := range []string{iuV1 + sandboxUserIUID, iuV2 + sandboxUserIUID, userStatus + sandboxUserIUID + "?userIdType=INSTITUTION_USER_ID"} {
		h := isr(tok)
		delete(h, "transactionId")
		wantProblem(t, a.do(t, http.MethodGet, p, h, ""), http.StatusBadRequest, "ISR_11005", "transactionId")
		h["transactionId"] = "not-a-uuid"
		wantProblem(t, a.do(t, http.MethodGet, p, h, ""), http.StatusBadRequest, "ISR_11005", "transactionId")
		h["transactionId"] = newTID() + "-0000"
		wantProblem(t, a.do(t, http.MethodGet, p, h, ""), http.StatusBadRequest, "ISR_11006", "transactionId")
		wantProblem(t, a.do(t, http.MethodGet, p, map[string]string{"transactionId": newTID()}, ""), http.StatusUnauthorized, "ISR_11001", "")
		wantProblem(t, a.do(t, http.MethodGet, p, isr("nonsense"), ""), http.StatusUnauthorized, "ISR_11002", "")
		h = isr(tok)
		r := a.do(t, http.MethodGet, p, h, "")
		if r.status != http.StatusOK || r.header.Get("transactionId") != h["transactionId"] {
			t.Errorf("%s: %d, transactionId echoed %q", p, r.status, r.header.Get("transactionId"))
		}
	}
	for _, tc := range []struct{ path, code, field string }{
		{userStatus + sandboxUserIUID, "ISR_11008", "userIdType"},
		{userStatus + sandboxUserIUID + "?userIdType=LEGACY_USER_GUID", "ISR_11008", "userIdType"},
		{userStatus + sandboxUserIUID + "?userIdType=USER_ID", "ISR_11008", "userIdType"},
		{iuV1 + sandboxUserIUID + "?userIdType=CUSTOMER_ID", "ISR_11008", "userIdType"},
		{iuV2 + sandboxUserIUID + "?userIdType=EMAIL", "ISR_11008", "userIdType"},
		{iuV1 + sandboxUserIUID + "?retrieveBillPayCredentials=maybe", "ISR_11008", "retrieveBillPayCredentials"},
		{iuV1 + strings.Repeat("A", 257), "ISR_11007", "institutionUserId"},
	} {
		wantProblem(t, a.do(t, http.MethodGet, tc.path, isr(tok), ""), http.StatusBadRequest, tc.code, tc.field)
	}
	// The envelope is ErrorResponse {code, message}.
	r := a.do(t, http.MethodGet, iuV1+strings.Repeat("A", 32), isr(tok), "")
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil || len(body) != 2 || body["code"] != "ISR_10001" || body["message"] != "InstitutionUser not found" {
		t.Errorf("envelope %s", r.body)
	}
}

// TestSubUserCanSignIn: the provisioned sub-user is a user of its own: it signs in, and a lockout
// of its own shows in its parent's status.
func TestSubUserCanSignIn(t *testing.T) {
	a := newAPI(t)
	ctx := context.Background()
	sub, err := a.store.CustomerByLogin(ctx, fiCreditUnion, sandboxSub)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, err := a.store.RecordLoginFailure(ctx, sub.ID, 10, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := a.getStatus(t, userStatus+sandboxUser+"?userIdType=LOGIN_ID", a.v2For(t, fiCreditUnion, scopeUsersRead))
	if !flagSet(s.Active) || s.SubUsers == nil || !flagSet((*s.SubUsers)[0].Locked) || (*s.SubUsers)[0].Active != nil ||
		(*s.SubUsers)[0].AdditionalInfo.FailedLoginCount != 10 {
		t.Errorf("parent's status with a locked sub-user: %+v", s)
	}
}
