package handlers

// The handlers' own text checks, behind hygiene: hygiene refuses the same bytes first, so these
// are reached only by calling the handlers directly.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
)

// withApp is a request context whose caller is an app with the password grant for 01111.
func withApp() context.Context {
	app := &models.ClientApp{ID: 1, Grants: "client_credentials password", Scopes: "accounts:read",
		Institutions: []models.ClientAppInstitution{{InstitutionID: "01111"}}}
	return context.WithValue(context.Background(), requestInfoKey{}, &requestInfo{principal: &principal{app: app}})
}

func wantProblem(t *testing.T, err error, code, field string) {
	t.Helper()
	var p *Problem
	if !errors.As(err, &p) || p.Code != code || p.Field != field {
		t.Errorf("want %s at %q, got %v", code, field, err)
	}
}

// The store is nil: a check that let the bytes through to verifyUser would panic.
func TestPasswordGrantsRefuseUnsafeCredentialsBeforeAnyLookup(t *testing.T) {
	s := &Server{}
	for _, bad := range []string{"a\x00b", "a\xffb", "a\u202eb", "a\tb", "a\u200bb"} {
		v1 := func(username, password string) error {
			_, err := s.CreateAccessTokenV1(withApp(), gen.CreateAccessTokenV1RequestObject{
				Params: gen.CreateAccessTokenV1Params{DiFiid: "01111"},
				Body:   &gen.CreateAccessTokenV1FormdataRequestBody{GrantType: "password", Username: &username, Password: &password}})
			return err
		}
		wantProblem(t, v1(bad, "Sandbox2024!"), "90002", "/username")
		wantProblem(t, v1("sandboxuser1", bad), "90002", "/password")
		v2 := func(username, password string) error {
			fi := gen.InstitutionIDHeader("01111")
			_, err := s.CreateAccessTokenV2(withApp(), gen.CreateAccessTokenV2RequestObject{
				Params: gen.CreateAccessTokenV2Params{InstitutionID: &fi},
				Body:   &gen.CreateAccessTokenV2FormdataRequestBody{GrantType: "password", Username: &username, Password: &password}})
			return err
		}
		wantProblem(t, v2(bad, "Sandbox2024!"), "CMN_90013", "/username")
		wantProblem(t, v2("sandboxuser1", bad), "CMN_90014", "/password")
	}
}

func TestUserDisclosureWritesRefuseUnsafeText(t *testing.T) {
	ok := "ACCEPTED"
	for _, bad := range []string{"a\x00b", "a\xffb", "a\u202eb", "a\u2066b", "\ufeff"} {
		for _, tc := range []struct {
			field string
			body  gen.InstitutionUserDisclosureWrite
		}{
			{"/institutionDisclosureId", gen.InstitutionUserDisclosureWrite{InstitutionDisclosureID: &bad, InstitutionUserDisclosureStatus: &ok}},
			{"/institutionUserDisclosureId", gen.InstitutionUserDisclosureWrite{InstitutionUserDisclosureID: &bad}},
			{"/institutionDisclosureName", gen.InstitutionUserDisclosureWrite{InstitutionDisclosureName: &bad}},
			{"/institutionUserDisclosureStatus", gen.InstitutionUserDisclosureWrite{InstitutionUserDisclosureStatus: &bad}},
			{"/accountId", gen.InstitutionUserDisclosureWrite{AccountID: &bad}},
		} {
			wantProblem(t, unsafeUserDisclosureText(tc.body.InstitutionDisclosureID, tc.body.InstitutionUserDisclosureID,
				tc.body.InstitutionDisclosureName, tc.body.InstitutionUserDisclosureStatus, tc.body.AccountID), "DSC_12001", tc.field)
		}
	}
	name, id := "OLS", "Qw3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qWe9"
	if err := unsafeUserDisclosureText(nil, nil, &name, &ok, &id); err != nil {
		t.Errorf("safe write refused: %v", err)
	}
}

// Echo's FormParams merges the URL query into the form; after hygiene only the body binds.
func TestFormBindingReadsTheBodyOnly(t *testing.T) {
	s := &Server{maxBody: 1 << 16}
	e := echo.New()
	var got url.Values
	bind := func(c echo.Context) error {
		var err error
		got, err = c.FormParams()
		return err
	}
	e.POST("/oauth2/v1/token", bind, s.hygiene)
	e.DELETE("/oauth2/v1/revoke", bind, s.hygiene)
	e.POST("/elsewhere", bind, s.hygiene)
	for _, tc := range []struct{ method, target, body string }{
		{http.MethodPost, "/oauth2/v1/token?extra=query", "grant_type=password"},
		{http.MethodPost, "/oauth2/v1/token?extra=query", ""},
		{http.MethodDelete, "/oauth2/v1/revoke?extra=query", "token=abc"},
		{http.MethodPost, "/elsewhere?extra=query", "a=b"},
	} {
		got = nil
		req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", tc.method, tc.target, rec.Code, rec.Body)
		}
		body, _ := url.ParseQuery(tc.body)
		if got.Has("extra") || len(got) != len(body) {
			t.Errorf("%s %s: bound %v, want the body's %v", tc.method, tc.target, got, body)
		}
	}
}
