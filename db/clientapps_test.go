package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

func sandboxLikeApp(developerID string) db.NewClientApp {
	return db.NewClientApp{Name: "My test app", Institutions: []string{"01111", "02222"},
		Grants: []string{"client_credentials", "password", "refresh_token"}, Scopes: models.KnownScopes, DeveloperID: developerID}
}

// TestCreateClientApp: a created app gets a generated Shared Key and a random secret that is
// stored only as a keyed digest and authenticates; the provisioning file's rules apply, a taken
// client id is a conflict, and FIs must exist; on SQLite and PostgreSQL.
func TestCreateClientApp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		app, secret, err := store.CreateClientApp(ctx, sandboxLikeApp(""))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(app.ClientID, "app-") || len(app.ClientID) != 36 || len(secret) < 40 {
			t.Errorf("client id %q, secret of %d characters", app.ClientID, len(secret))
		}
		if !secure.IsKeyedSecretHash(app.SecretHash) || strings.Contains(app.SecretHash, secret) {
			t.Errorf("stored %q", app.SecretHash)
		}
		got, err := store.AuthenticateClient(ctx, app.ClientID, secret, time.Now())
		if err != nil || got.ID != app.ID || len(got.Institutions) != 2 || got.OfferingID != app.ClientID || got.V2TokenTTL != models.DefaultV2TokenTTL {
			t.Fatalf("authenticate the new app: %+v %v", got, err)
		}
		if _, err := store.AuthenticateClient(ctx, app.ClientID, secret+"x", time.Now()); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("wrong secret: %v", err)
		}

		named := sandboxLikeApp("")
		named.ClientID = "sandbox-app"
		if _, _, err := store.CreateClientApp(ctx, named); !errors.Is(err, models.ErrConflict) {
			t.Errorf("a taken client id: %v", err)
		}
		bad := db.NewClientApp{ClientID: "bad:id", Institutions: []string{"99999", "1"}, Grants: []string{"magic"}, Scopes: []string{"all"}}
		_, _, err = store.CreateClientApp(ctx, bad)
		var pe *db.ProvisionError
		if !errors.As(err, &pe) {
			t.Fatalf("bad spec: %v", err)
		}
		msg := pe.Error()
		for _, want := range []string{"clientId: required, printable ASCII without ':'", "institutions[1]: must be five digits", "grants[0]: unknown grant", "scopes[0]: unknown scope"} {
			if !strings.Contains(msg, want) {
				t.Errorf("fault %q missing from:\n%s", want, msg)
			}
		}
		unknownFI := sandboxLikeApp("")
		unknownFI.Institutions = []string{"99999"}
		if _, _, err := store.CreateClientApp(ctx, unknownFI); !errors.As(err, &pe) || !strings.Contains(pe.Error(), "institutions[0]: institution 99999 is neither") {
			t.Errorf("unknown FI: %v", err)
		}
	})
}

// TestRotateClientSecretKeepsTheOldOneForTheGracePeriod: after a rotation both secrets work
// until the grace period ends, then only the new one; a second rotation ends the first one's
// grace at once; a rotation without grace ends the old secret at once.
func TestRotateClientSecretKeepsTheOldOneForTheGracePeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		app, first, err := store.CreateClientApp(ctx, sandboxLikeApp(""))
		if err != nil {
			t.Fatal(err)
		}
		works := func(secret string, at time.Time) bool {
			t.Helper()
			_, err := store.AuthenticateClient(ctx, app.ClientID, secret, at)
			if err != nil && !errors.Is(err, models.ErrBadCredentials) {
				t.Fatal(err)
			}
			return err == nil
		}
		_, second, err := store.RotateClientSecret(ctx, app.ClientID, 10*time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		if second == first || !works(second, now) || !works(first, now) || !works(first, now.Add(10*time.Minute-time.Second)) {
			t.Fatal("during the grace period both secrets work")
		}
		if works(first, now.Add(10*time.Minute)) || !works(second, now.Add(time.Hour)) {
			t.Error("after the grace period only the new secret works")
		}
		_, third, err := store.RotateClientSecret(ctx, app.ClientID, 10*time.Minute, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if works(first, now.Add(time.Minute)) || !works(second, now.Add(time.Minute)) || !works(third, now.Add(time.Minute)) {
			t.Error("a second rotation keeps only the secret it replaced")
		}
		_, fourth, err := store.RotateClientSecret(ctx, app.ClientID, 0, now.Add(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if works(third, now.Add(2*time.Minute)) || works(second, now.Add(2*time.Minute)) || !works(fourth, now.Add(2*time.Minute)) {
			t.Error("a rotation without grace ends the old secret at once")
		}
		if _, _, err := store.RotateClientSecret(ctx, "nobody", time.Minute, now); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown app: %v", err)
		}
	})
}

// TestDisableClientAppRevokesItsTokens: a disabled app's secrets stop working, its live tokens
// are revoked in the same step, new tokens are refused, it cannot be rotated, and disabling it
// again changes nothing.
func TestDisableClientAppRevokesItsTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		now := time.Now().UTC()
		app, secret, err := store.CreateClientApp(ctx, sandboxLikeApp(""))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := store.RotateClientSecret(ctx, app.ClientID, time.Hour, now); err != nil {
			t.Fatal(err)
		}
		tok := func(hash string) *models.Token {
			return &models.Token{Hash: hash, Kind: models.TokenAccess, Version: 2, InstitutionID: "01111", ClientAppID: app.ID,
				Grant: "client_credentials", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
		}
		if err := store.SaveTokens(ctx, tok("t1"), tok("t2")); err != nil {
			t.Fatal(err)
		}
		other, err := store.ClientApp(ctx, "sandbox-app")
		if err != nil {
			t.Fatal(err)
		}
		otherTok := tok("other")
		otherTok.ClientAppID = other.ID
		if err := store.SaveTokens(ctx, otherTok); err != nil {
			t.Fatal(err)
		}
		got, err := store.DisableClientApp(ctx, app.ClientID, now)
		if err != nil || got.AlreadyDisabled || got.RevokedTokens != 2 {
			t.Fatalf("disable: %+v %v", got, err)
		}
		for _, h := range []string{"t1", "t2"} {
			if tk, err := store.Token(ctx, h); err != nil || tk.RevokedAt == nil {
				t.Errorf("token %s: %+v %v", h, tk, err)
			}
		}
		if tk, _ := store.Token(ctx, "other"); tk.RevokedAt != nil {
			t.Error("another app's token was revoked")
		}
		if _, err := store.AuthenticateClient(ctx, app.ClientID, secret, now); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("the old secret of a disabled app: %v", err)
		}
		if err := store.SaveTokens(ctx, tok("t3")); !errors.Is(err, models.ErrClientAppDisabled) {
			t.Errorf("a new token for a disabled app: %v", err)
		}
		if _, _, err := store.RotateClientSecret(ctx, app.ClientID, 0, now); !errors.Is(err, models.ErrClientAppDisabled) {
			t.Errorf("rotate a disabled app: %v", err)
		}
		if got, err := store.DisableClientApp(ctx, app.ClientID, now); err != nil || !got.AlreadyDisabled || got.RevokedTokens != 0 {
			t.Errorf("disable again: %+v %v", got, err)
		}
		if _, err := store.DisableClientApp(ctx, "nobody", now); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown app: %v", err)
		}
	})
}

// TestClientAppsListsOwners: the listing names the portal account owning an app; a developer's
// listing holds only its own apps, and an account holds at most db.MaxDeveloperApps.
func TestClientAppsListsOwners(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		dev := signedUpDeveloper(t, store, "Owner@Example.com")
		mine, _, err := store.CreateClientApp(ctx, sandboxLikeApp(dev.ID))
		if err != nil {
			t.Fatal(err)
		}
		all, err := store.ClientApps(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 || all[0].ClientID != "sandbox-app" || all[0].DeveloperEmail != "" || all[3].ClientID != mine.ClientID ||
			all[3].DeveloperEmail != "Owner@Example.com" || len(all[3].Institutions) != 2 {
			t.Errorf("all apps: %+v", all)
		}
		own, err := store.ClientApps(ctx, dev.ID)
		if err != nil || len(own) != 1 || own[0].ClientID != mine.ClientID {
			t.Errorf("own apps: %+v %v", own, err)
		}
		for range db.MaxDeveloperApps - 1 {
			if _, _, err := store.CreateClientApp(ctx, sandboxLikeApp(dev.ID)); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := store.CreateClientApp(ctx, sandboxLikeApp(dev.ID)); !errors.Is(err, db.ErrTooManyApps) {
			t.Errorf("one app too many: %v", err)
		}
	})
}

// TestProvisioningANewSecretEndsTheGracePeriod: a file naming the app's current secret keeps a
// rotation's grace; a file naming another secret makes it the only one; provisioning never
// enables a disabled app.
func TestProvisioningANewSecretEndsTheGracePeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		now := time.Now()
		file := func(secret string) *db.ProvisionFile {
			t.Helper()
			pf, err := db.ParseProvisionFile([]byte("clientApps:\n  - clientId: ops-app\n    secret: " + secret +
				"\n    institutions: [\"01111\"]\n    grants: [client_credentials]\n    scopes: [accounts:read]\n"))
			if err != nil {
				t.Fatal(err)
			}
			return pf
		}
		works := func(secret string) bool {
			t.Helper()
			_, err := store.AuthenticateClient(ctx, "ops-app", secret, now)
			if err != nil && !errors.Is(err, models.ErrBadCredentials) {
				t.Fatal(err)
			}
			return err == nil
		}
		if err := store.Provision(ctx, file("first-secret")); err != nil {
			t.Fatal(err)
		}
		_, rotated, err := store.RotateClientSecret(ctx, "ops-app", time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Provision(ctx, file(rotated)); err != nil {
			t.Fatal(err)
		}
		if !works(rotated) || !works("first-secret") {
			t.Error("a reload with the current secret ended the rotation's grace")
		}
		if err := store.Provision(ctx, file("second-secret")); err != nil {
			t.Fatal(err)
		}
		if !works("second-secret") || works(rotated) || works("first-secret") {
			t.Error("the file's new secret must be the only one")
		}
		if _, err := store.DisableClientApp(ctx, "ops-app", now); err != nil {
			t.Fatal(err)
		}
		if err := store.Provision(ctx, file("second-secret")); err != nil {
			t.Fatal(err)
		}
		if works("second-secret") {
			t.Error("a reload enabled the disabled app")
		}
	})
}
