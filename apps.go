package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/models"
)

// appsCmd manages client apps on any database, sandbox or not, beside the provisioning file.
type appsCmd struct {
	Create       appsCreateCmd  `cmd:"" help:"Create a client app with a random Secret Key, printed once."`
	List         appsListCmd    `cmd:"" help:"List the client apps: FIs, grants, status and owner (never secrets)."`
	RotateSecret appsRotateCmd  `cmd:"" name:"rotate-secret" help:"Give an app a new random Secret Key, printed once; the old one keeps working for --secret-rotation-grace."`
	Disable      appsDisableCmd `cmd:"" help:"Disable an app for good: its secrets stop working and its tokens are revoked."`
}

type appsCreateCmd struct {
	Name        string   `help:"Display name (default: the client id)."`
	ClientID    string   `name:"client-id" help:"The Shared Key (default: app- and 32 random hex digits)."`
	FIs         []string `name:"fi" required:"" sep:"," help:"FI the app may act for (repeat or comma-separate), e.g. --fi 01111."`
	Grants      []string `name:"grant" default:"client_credentials" sep:"," help:"Grant types: client_credentials, password, refresh_token, authorization_code (repeat or comma-separate)."`
	Scopes      []string `name:"scope" sep:"," help:"V2 scopes, e.g. accounts:read (repeat or comma-separate)."`
	OfferingID  string   `name:"offering-id" help:"Default offering_id of its tokens (default: the client id)."`
	RedirectURI string   `name:"redirect-uri" help:"Where a partner app (grant authorization_code) receives its codes."`
	JSON        bool     `name:"json" help:"Print the app and its secret as JSON."`
}

// appJSON is an app as --json prints it; Secret only right after it was made.
type appJSON struct {
	ClientID              string     `json:"clientId"`
	Secret                string     `json:"secret,omitempty"`
	Name                  string     `json:"name"`
	OfferingID            string     `json:"offeringId"`
	Institutions          []string   `json:"institutions"`
	Grants                []string   `json:"grants"`
	Scopes                []string   `json:"scopes"`
	Status                string     `json:"status"`
	DisabledAt            *time.Time `json:"disabledAt,omitempty"`
	PreviousSecretExpires *time.Time `json:"previousSecretExpiresAt,omitempty"`
	Owner                 string     `json:"owner"`
	CreatedAt             time.Time  `json:"createdAt"`
}

func toAppJSON(app *models.ClientApp, owner string, now time.Time) appJSON {
	out := appJSON{ClientID: app.ClientID, Name: app.Name, OfferingID: app.OfferingID, Institutions: []string{},
		Grants: strings.Fields(app.Grants), Scopes: strings.Fields(app.Scopes), Status: appStatus(app, now),
		DisabledAt: app.DisabledAt, Owner: owner, CreatedAt: app.CreatedAt.UTC()}
	if out.Owner == "" {
		out.Owner = "operator"
	}
	for _, fi := range app.Institutions {
		out.Institutions = append(out.Institutions, fi.InstitutionID)
	}
	if app.PreviousSecretHash != "" && app.PreviousSecretExpiresAt != nil && now.Before(*app.PreviousSecretExpiresAt) {
		out.PreviousSecretExpires = app.PreviousSecretExpiresAt
	}
	return out
}

// appStatus is active, rotating (the replaced secret still works) or disabled.
func appStatus(app *models.ClientApp, now time.Time) string {
	switch {
	case app.DisabledAt != nil:
		return "disabled"
	case app.PreviousSecretHash != "" && app.PreviousSecretExpiresAt != nil && now.Before(*app.PreviousSecretExpiresAt):
		return "rotating"
	}
	return "active"
}

func (c appsCreateCmd) Run(a *app) error {
	store, err := openStore(a, false)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	created, secret, err := store.CreateClientApp(a.ctx, db.NewClientApp{ClientID: c.ClientID, Name: c.Name, OfferingID: c.OfferingID,
		Institutions: c.FIs, Grants: c.Grants, Scopes: c.Scopes, RedirectURI: c.RedirectURI})
	var pe *db.ProvisionError
	switch {
	case errors.As(err, &pe):
		var b strings.Builder
		b.WriteString("the app is not valid:")
		for _, f := range pe.Faults {
			b.WriteString("\n  " + f.Field + ": " + f.Msg)
		}
		return errors.New(b.String())
	case errors.Is(err, models.ErrConflict):
		return fmt.Errorf("a client app %q exists already", c.ClientID)
	case err != nil:
		return err
	}
	if c.JSON {
		out := toAppJSON(created, "", time.Now())
		out.Secret = secret
		return printJSON(a, out)
	}
	fis := make([]string, len(created.Institutions))
	for i, fi := range created.Institutions {
		fis[i] = fi.InstitutionID
	}
	fmt.Fprintf(a.stdout, "created client app %s (%s) for FI %s, grants %s\n", created.ClientID, created.Name,
		strings.Join(fis, ", "), strings.Join(strings.Fields(created.Grants), ", "))
	printSecret(a, created.ClientID, secret)
	return nil
}

// printSecret shows a new secret once, with what to do with it.
func printSecret(a *app, clientID, secret string) {
	fmt.Fprintf(a.stdout, "  Shared Key (client id): %s\n  Secret Key:             %s\n", clientID, secret)
	fmt.Fprintln(a.stdout, "The Secret Key is shown only now: custreg keeps a digest of it. Store it where the app reads its secrets.")
}

func printJSON(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type appsListCmd struct {
	JSON bool `name:"json" help:"Print a JSON array."`
}

func (c appsListCmd) Run(a *app) error {
	store, err := openStore(a, false)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	apps, err := store.ClientApps(a.ctx, "")
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]appJSON, len(apps))
	for i := range apps {
		out[i] = toAppJSON(&apps[i].ClientApp, apps[i].DeveloperEmail, now)
	}
	if c.JSON {
		return printJSON(a, out)
	}
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CLIENT ID\tNAME\tFIS\tGRANTS\tSTATUS\tOWNER")
	for _, app := range out {
		status := app.Status
		if app.PreviousSecretExpires != nil {
			status += " (old secret until " + app.PreviousSecretExpires.UTC().Format(time.RFC3339) + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", app.ClientID, app.Name, strings.Join(app.Institutions, ","),
			strings.Join(app.Grants, ","), status, app.Owner)
	}
	return w.Flush()
}

type appsRotateCmd struct {
	ClientID string `arg:"" name:"client-id" help:"The app's Shared Key."`
	Yes      bool   `short:"y" help:"Do not ask for confirmation (required when standard input is not a terminal)."`
	JSON     bool   `name:"json" help:"Print the app and its new secret as JSON."`
}

func (c appsRotateCmd) Run(a *app) error {
	grace := a.cfg.SecretRotationGrace
	what := "give client app " + c.ClientID + " a new secret; its current secret stops working at once"
	if grace > 0 {
		what = "give client app " + c.ClientID + " a new secret; its current secret keeps working for " + grace.String() +
			" (" + a.cfg.Source("secret-rotation-grace") + "), then stops"
	}
	if err := confirm(a, c.Yes, what); err != nil {
		return err
	}
	store, err := openStore(a, false)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	now := time.Now()
	rotated, secret, err := store.RotateClientSecret(a.ctx, c.ClientID, grace, now)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return fmt.Errorf("no client app %q", c.ClientID)
	case errors.Is(err, models.ErrClientAppDisabled):
		return fmt.Errorf("client app %q is disabled: it takes no new secret", c.ClientID)
	case errors.Is(err, models.ErrConflict):
		return fmt.Errorf("client app %q changed while rotating (another rotation?): run the command again", c.ClientID)
	case err != nil:
		return err
	}
	if c.JSON {
		out := toAppJSON(rotated, "", now)
		out.Owner, out.Secret = "", secret
		return printJSON(a, out)
	}
	if rotated.PreviousSecretExpiresAt != nil {
		fmt.Fprintf(a.stdout, "rotated the secret of %s: the old one works until %s\n", rotated.ClientID, rotated.PreviousSecretExpiresAt.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintf(a.stdout, "rotated the secret of %s: the old one no longer works\n", rotated.ClientID)
	}
	printSecret(a, rotated.ClientID, secret)
	return nil
}

type appsDisableCmd struct {
	ClientID string `arg:"" name:"client-id" help:"The app's Shared Key."`
	Yes      bool   `short:"y" help:"Do not ask for confirmation (required when standard input is not a terminal)."`
	JSON     bool   `name:"json" help:"Print {\"clientId\",\"alreadyDisabled\",\"revokedTokens\"}."`
}

func (c appsDisableCmd) Run(a *app) error {
	if err := confirm(a, c.Yes, "disable client app "+c.ClientID+" for good: its secrets stop working and every token it holds is revoked"); err != nil {
		return err
	}
	store, err := openStore(a, false)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	got, err := store.DisableClientApp(a.ctx, c.ClientID, time.Now())
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no client app %q", c.ClientID)
	}
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(a, map[string]any{"clientId": c.ClientID, "alreadyDisabled": got.AlreadyDisabled, "revokedTokens": got.RevokedTokens})
	}
	if got.AlreadyDisabled {
		fmt.Fprintf(a.stdout, "client app %s was already disabled\n", c.ClientID)
		return nil
	}
	fmt.Fprintf(a.stdout, "disabled client app %s: %d token(s) revoked\n", c.ClientID, got.RevokedTokens)
	return nil
}
