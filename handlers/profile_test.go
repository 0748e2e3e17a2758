package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/gen"
)

// getOK makes a GET with the headers, expects 200 and decodes the answer into a T.
func getOK[T any](t testing.TB, a *api, path string, headers map[string]string) (T, *response) {
	t.Helper()
	r := a.do(t, http.MethodGet, path, headers, "")
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	var out T
	r.decode(t, &out)
	return out, r
}

// getProfile reads a Customer v2 profile and expects 200.
func (a *api) getProfile(t testing.TB, token, path string) gen.CustomerInformation {
	t.Helper()
	out, _ := getOK[gen.CustomerInformation](t, a, path, ux(token))
	return out
}

// getContactMethods lists a user's contact methods and expects 200.
func (a *api) getContactMethods(t testing.TB, token, path string) gen.ContactMethodResponse {
	t.Helper()
	out, _ := getOK[gen.ContactMethodResponse](t, a, path, ux(token))
	return out
}

// registerAlex registers member 468531842 as alexmorgan90 through Register v4 and returns its
// GUID and a password-grant V2 token of it.
func (a *api) registerAlex(t testing.TB) (guid, token string) {
	t.Helper()
	guid = a.mustRegister(t, newRegistration(t, fiCreditUnion, withMember(memberAlex), withLogin("alexmorgan90")))
	form := "grant_type=password&username=alexmorgan90&password=" + url.QueryEscape(regPassword)
	return guid, a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, form).AccessToken
}

func TestGetCustomerInformation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		tok := a.v2For(t, fiCreditUnion, scopeUsersRead)
		for _, path := range []string{customers + sandboxUserGUID, customers + sandboxUserGUID + "?userIdType=CUSTOMER_ID",
			customers + "SandboxUser1?userIdType=LOGIN_ID", "/ux-users/v1/customers/" + sandboxUser + "?userIdType=LOGIN_ID"} {
			p := a.getProfile(t, tok, path)
			// The identity mapping: userId the institution user id, loginId the authentication id,
			// userName the username, customers[].customerId the GUID, memberNumber the host member.
			if p.UserID != sandboxUserIUID || p.LoginID != sandboxUserAuth || p.UserName != sandboxUser || p.FiID != fiCreditUnion {
				t.Errorf("%s: ids %s %s %s %s", path, p.UserID, p.LoginID, p.UserName, p.FiID)
			}
			if len(p.Customers) != 1 || p.Customers[0].CustomerID != sandboxUserGUID || p.Customers[0].MemberNumber != memberSam ||
				p.Customers[0].CustomerType != gen.EntitledCustomerTypeRETAIL || p.Customers[0].HostLoginID == "" {
				t.Errorf("%s: customers %+v", path, p.Customers)
			}
			if p.BirthDate == nil || p.BirthDate.String() != "1985-04-12" || p.FirstName != "Sam" || p.LastName != "Sandbox" ||
				p.FullName != "Sam Sandbox" || p.MiddleName != nil || p.EmailAddress == nil || string(*p.EmailAddress) != "sam.sandbox@example.com" {
				t.Errorf("%s: person %+v", path, p)
			}
			st := p.UserStatus
			if !st.Active || !st.Registered || !st.Approved || st.Locked || st.OnHold || st.Reset || st.Rejected || st.InvalidEmailID ||
				!st.AcceptedDisclosure || st.NeedsToAcceptDisclosure || !p.AcceptedDisclosure || p.FailedLoginCount != 0 || p.FailedPasswordResetCount != 0 {
				t.Errorf("%s: status %+v", path, p)
			}
			if p.UserType != gen.CustomerUserTypeRETAIL || p.UserRole != gen.CustomerUserRolePRIMARY || p.RegistrationDateTime == nil {
				t.Errorf("%s: type %s role %s registered %v", path, p.UserType, p.UserRole, p.RegistrationDateTime)
			}
			if ad := p.PostalAddresses; len(ad) != 1 || ad[0].Index != "1" || ad[0].Address1 != "100 Market Street" || deref(ad[0].Address2) != "Suite 300" ||
				ad[0].City != "San Francisco" || ad[0].State != "CA" || deref(ad[0].PostalCode) != "94105" || deref(ad[0].Country) != "US" ||
				ad[0].Type != gen.AddressTypeUNKNOWN {
				t.Errorf("%s: addresses %+v", path, ad)
			}
			// The profile shows contact methods in clear, the first one primary.
			cm := p.ContactMethods
			if len(cm) != 3 || cm[0].Protocol != gen.ContactProtocolVOICE || cm[1].Protocol != gen.ContactProtocolSMS || cm[2].Protocol != gen.ContactProtocolEMAIL ||
				cm[0].ContactInfo != "4155550142" || cm[2].ContactInfo != "sam.sandbox@example.com" || !cm[0].Primary || cm[1].Primary ||
				deref(cm[1].TelephoneCountryCode) != "1" || cm[2].TelephoneCountryCode != nil || !cm[1].Validated || !cm[1].Activated || cm[0].ID == cm[1].ID {
				t.Errorf("%s: contact methods %+v", path, cm)
			}
		}

		// A locked user: locked, not active, the failure count shown.
		a.lockSandboxUser(t)
		if p := a.getProfile(t, tok, customers+sandboxUserGUID); !p.UserStatus.Locked || p.UserStatus.Active || p.FailedLoginCount != 10 {
			t.Errorf("locked: %+v %d", p.UserStatus, p.FailedLoginCount)
		}
	})
}

// TestGetCustomerInformationFirstLoginUser: at an FI that asks for disclosures at first login,
// a new user is not registered yet and needs to accept (D31).
func TestGetCustomerInformationFirstLoginUser(t *testing.T) {
	a := newAPI(t)
	req := newRegistration(t, fiCommunityBank, withMember(memberJordan), withLogin("jordan1"))
	delete(req["FICustomer"].(map[string]any), "acceptedDisclosure")
	guid := a.mustRegister(t, req)
	p := a.getProfile(t, a.v2For(t, fiCommunityBank, scopeUsersRead), customers+guid)
	if st := p.UserStatus; st.Registered || st.Active || st.AcceptedDisclosure || !st.NeedsToAcceptDisclosure || p.AcceptedDisclosure {
		t.Errorf("status %+v", st)
	}
	if p.FiID != fiCommunityBank || p.Customers[0].MemberNumber != memberJordan || len(p.ContactMethods) != 3 || p.ContactMethods[0].Validated {
		t.Errorf("profile %+v", p)
	}
}

func TestCustomerProfileErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		alexGUID, alexToken := a.registerAlex(t)
		tok := a.v2For(t, fiCreditUnion, scopeUsersRead)
		for _, op := range []struct {
			name, path, notFound string
		}{
			{"profile", "", "UXU_88888"},
			{"contact methods", "/contact-methods", "UXU_10000"},
		} {
			t.Run(op.name, func(t *testing.T) {
				// Another FI's token and unknown users: the same 404, no data.
				for _, tc := range []struct{ token, path string }{
					{a.v2For(t, fiCommunityBank, scopeUsersRead), customers + sandboxUserGUID + op.path},
					{tok, customers + "0123456789abcdef0123456789abcdef" + op.path},
					{tok, customers + "nobody99" + op.path + "?userIdType=LOGIN_ID"},
					{tok, customers + sandboxUser + op.path}, // a login id read as a GUID
				} {
					r := a.do(t, http.MethodGet, tc.path, ux(tc.token), "")
					wantProblem(t, r, http.StatusNotFound, op.notFound, "")
					if strings.Contains(string(r.body), "Sandbox") || strings.Contains(string(r.body), "4155550142") {
						t.Errorf("%s leaked: %s", tc.path, r.body)
					}
				}
				// A token without institution-users:read.
				wantProblem(t, a.do(t, http.MethodGet, customers+sandboxUserGUID+op.path, ux(a.v2For(t, fiCreditUnion, scopeAccounts)), ""),
					http.StatusForbidden, "UXU_10002", "")
				// A user's token: its own user by either id, nobody else's.
				for _, own := range []string{customers + alexGUID + op.path, customers + "AlexMorgan90" + op.path + "?userIdType=LOGIN_ID"} {
					if r := a.do(t, http.MethodGet, own, ux(alexToken), ""); r.status != http.StatusOK {
						t.Errorf("own %s: %d %s", own, r.status, r.body)
					}
				}
				for _, other := range []string{customers + sandboxUserGUID + op.path, customers + sandboxUser + op.path + "?userIdType=LOGIN_ID",
					customers + "0123456789abcdef0123456789abcdef" + op.path} {
					r := a.do(t, http.MethodGet, other, ux(alexToken), "")
					wantProblem(t, r, http.StatusBadRequest, "UXU_10011", "")
					if strings.Contains(string(r.body), "Sandbox") {
						t.Errorf("%s leaked: %s", other, r.body)
					}
				}
				wantProblem(t, a.do(t, http.MethodGet, customers+sandboxUserGUID+op.path+"?userIdType=EMAIL", ux(tok), ""),
					http.StatusBadRequest, "UXU_10014", "userIdType")
				h := ux(tok)
				delete(h, "correlationId")
				wantProblem(t, a.do(t, http.MethodGet, customers+sandboxUserGUID+op.path, h, ""), http.StatusBadRequest, "UXU_10006", "correlationId")
			})
		}
		// An unknown custom method of a known base path.
		wantProblem(t, a.do(t, http.MethodGet, customers+sandboxUserGUID+":nonsense", ux(tok), ""), http.StatusNotFound, "UXU_10013", "")
	})
}

func TestGetCustomerContactMethods(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		tok := a.v2For(t, fiCreditUnion, scopeUsersRead)
		profile := a.getProfile(t, tok, customers+sandboxUserGUID)
		for _, path := range []string{customers + sandboxUserGUID + "/contact-methods", customers + sandboxUser + "/contact-methods?userIdType=LOGIN_ID",
			"/ux-users/v1/customers/" + sandboxUserGUID + "/contact-methods"} {
			r := a.do(t, http.MethodGet, path, ux(tok), "")
			var out gen.ContactMethodResponse
			r.decode(t, &out)
			if r.status != http.StatusOK || out.CustomerID != sandboxUserGUID || len(out.ContactMethods) != 3 {
				t.Fatalf("%s: %d %s", path, r.status, r.body)
			}
			// Masked: no contact value in clear anywhere in the answer.
			for _, clear := range []string{"4155550142", "415555", "sam.sandbox", "sandbox@"} {
				if strings.Contains(string(r.body), clear) {
					t.Errorf("%s: %q in clear: %s", path, clear, r.body)
				}
			}
			cm := out.ContactMethods
			if cm[0].ContactInfo != "******0142" || cm[1].ContactInfo != "******0142" || cm[2].ContactInfo != "s***@example.com" ||
				cm[0].Protocol != gen.ContactProtocolVOICE || cm[2].Protocol != gen.ContactProtocolEMAIL || !cm[1].IsActivated ||
				deref(cm[0].TelephoneCountryCode) != "1" || cm[2].TelephoneCountryCode != nil || cm[0].EnrolledDateTime.IsZero() {
				t.Errorf("%s: %+v", path, cm)
			}
			// The ids are the profile's, the contactMethodId of a password reset.
			for i := range cm {
				if cm[i].ID != profile.ContactMethods[i].ID {
					t.Errorf("%s: id %s, profile %s", path, cm[i].ID, profile.ContactMethods[i].ID)
				}
			}
		}
	})
}
