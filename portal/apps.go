package portal

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
)

// What an app made in the portal may do: the sandbox FIs, every sandbox scope, and the grants
// of a registration app (no partner sign-in: that needs a redirect URI and a code partner).
var (
	portalInstitutions = []string{"01111", "02222"}
	portalGrants       = []string{"client_credentials", "password", "refresh_token"}
)

const maxAppName = 64

// appRow is an app as the apps page lists it.
type appRow struct {
	Name, ClientID, FIs       string
	Disabled                  bool
	Created, CreatedISO       string
	GraceUntil, GraceUntilISO string
}

func (p *Portal) apps(c echo.Context) error {
	pg := page{Title: "Apps", Nav: "apps"}
	if c.QueryParam("notice") == "disabled" {
		pg.Notice = "The app is disabled: its secrets no longer work and its tokens were revoked."
	}
	return p.renderApps(c, http.StatusOK, pg)
}

func (p *Portal) renderApps(c echo.Context, status int, pg page) error {
	listed, err := p.store.ClientApps(c.Request().Context(), developerOf(c).ID)
	if err != nil {
		return p.fail(c, err)
	}
	now := p.now()
	rows := make([]appRow, 0, len(listed))
	for _, a := range listed {
		fis := make([]string, len(a.Institutions))
		for i, fi := range a.Institutions {
			fis[i] = fi.InstitutionID
		}
		r := appRow{Name: a.Name, ClientID: a.ClientID, FIs: strings.Join(fis, ", "), Disabled: a.DisabledAt != nil,
			Created: a.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), CreatedISO: a.CreatedAt.UTC().Format(time.RFC3339)}
		if until := a.PreviousSecretExpiresAt; a.PreviousSecretHash != "" && until != nil && now.Before(*until) {
			r.GraceUntil, r.GraceUntilISO = until.UTC().Format("15:04:05 UTC"), until.UTC().Format(time.RFC3339)
		}
		rows = append(rows, r)
	}
	pg.Data = struct{ Apps []appRow }{rows}
	return p.render(c, status, "apps", pg)
}

// secretPage shows a new secret once.
type secretPage struct {
	Name, ClientID, Secret, Base string
	Rotated                      bool
	Grace                        string
	GraceUntil, GraceUntilISO    string
}

func (p *Portal) createApp(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" || len([]rune(name)) > maxAppName || !rules.SafeText(name) {
		return p.renderApps(c, http.StatusBadRequest, page{Title: "Apps", Nav: "apps", Form: map[string]string{"name": name},
			Errors: []fieldProblem{{"name", "Enter a name of 1 to 64 characters, without control characters"}}})
	}
	dev := developerOf(c)
	app, secret, err := p.store.CreateClientApp(c.Request().Context(), db.NewClientApp{Name: name, Institutions: portalInstitutions,
		Grants: portalGrants, Scopes: models.KnownScopes, DeveloperID: dev.ID})
	if errors.Is(err, db.ErrTooManyApps) {
		return p.renderApps(c, http.StatusConflict, page{Title: "Apps", Nav: "apps", Form: map[string]string{"name": name},
			Errors: []fieldProblem{{"name", "You have the most apps an account may hold (20): disabled ones count too"}}})
	}
	if err != nil {
		return p.fail(c, err)
	}
	return p.render(c, http.StatusCreated, "secret", page{Title: "App created", Nav: "apps",
		Data: secretPage{Name: app.Name, ClientID: app.ClientID, Secret: secret, Base: base(c)}})
}

// ownApp is the signed-in developer's app named in the path; another's, or none, is not found.
func (p *Portal) ownApp(c echo.Context) (*models.ClientApp, error) {
	app, err := p.store.ClientApp(c.Request().Context(), c.Param("clientID"))
	if err != nil {
		return nil, err
	}
	if app.DeveloperID == "" || app.DeveloperID != developerOf(c).ID {
		return nil, models.ErrNotFound
	}
	return app, nil
}

func (p *Portal) rotateApp(c echo.Context) error {
	app, err := p.ownApp(c)
	if errors.Is(err, models.ErrNotFound) {
		return p.notFound(c)
	}
	if err != nil {
		return p.fail(c, err)
	}
	rotated, secret, err := p.store.RotateClientSecret(c.Request().Context(), app.ClientID, p.grace, p.now())
	switch {
	case errors.Is(err, models.ErrClientAppDisabled):
		return p.message(c, http.StatusConflict, "The app is disabled", message{Paragraphs: []string{"A disabled app takes no new secret."},
			Link: Prefix + "/apps", LinkText: "Back to your apps"})
	case errors.Is(err, models.ErrConflict):
		return p.message(c, http.StatusConflict, "The app changed meanwhile", message{
			Paragraphs: []string{"Its secret was rotated at the same moment, perhaps in another tab. Rotate again if you need a new secret."},
			Link:       Prefix + "/apps", LinkText: "Back to your apps"})
	case err != nil:
		return p.fail(c, err)
	}
	data := secretPage{Name: rotated.Name, ClientID: rotated.ClientID, Secret: secret, Base: base(c), Rotated: true, Grace: p.grace.String()}
	if until := rotated.PreviousSecretExpiresAt; until != nil {
		data.GraceUntil, data.GraceUntilISO = until.UTC().Format("15:04:05 UTC"), until.UTC().Format(time.RFC3339)
	}
	return p.render(c, http.StatusOK, "secret", page{Title: "Secret rotated", Nav: "apps", Data: data})
}

func (p *Portal) disableApp(c echo.Context) error {
	app, err := p.ownApp(c)
	if errors.Is(err, models.ErrNotFound) {
		return p.notFound(c)
	}
	if err != nil {
		return p.fail(c, err)
	}
	if c.FormValue("confirm") != "yes" {
		return p.renderApps(c, http.StatusBadRequest, page{Title: "Apps", Nav: "apps",
			Errors: []fieldProblem{{"", "Tick “I understand” to disable " + app.Name + "."}}})
	}
	if _, err := p.store.DisableClientApp(c.Request().Context(), app.ClientID, p.now()); err != nil {
		return p.fail(c, err)
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/apps?notice=disabled")
}
