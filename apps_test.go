package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// TestAppsCommands: custreg apps create, list, rotate-secret and disable on a database that is
// not a sandbox, SQLite and PostgreSQL: the secret is printed once and authenticates, list shows
// no secret, rotate-secret and disable need --yes, the replaced secret works for
// --secret-rotation-grace, and a disabled app authenticates no more.
func TestAppsCommands(t *testing.T) {
	for _, target := range dbtest.Targets() {
		t.Run(target.Name, func(t *testing.T) {
			dsn := target.DSN(t)
			dir := t.TempDir()
			rawKey := bytes.Repeat([]byte{9}, 32)
			vars := map[string]string{"CUSTREG_PII_KEY": base64.StdEncoding.EncodeToString(rawKey), "CUSTREG_DB": dsn}
			cmd := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := run(context.Background(), args, env(vars), &out, io.Discard)
				return out.String(), err
			}
			file := filepath.Join(dir, "fi.yaml")
			writeFile(t, file, "institutions:\n  - id: \"00016\"\n    name: First Bank\n")
			if _, err := cmd("provision", file); err != nil {
				t.Fatal(err)
			}

			out, err := cmd("apps", "create", "--name", "Vendor one", "--fi", "00016", "--grant", "client_credentials,password",
				"--scope", "accounts:read", "--scope", "transactions:read", "--json")
			if err != nil {
				t.Fatal(err)
			}
			var created struct {
				ClientID, Secret, Name, Status, Owner string
				Institutions, Grants, Scopes          []string
			}
			if err := json.Unmarshal([]byte(out), &created); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if !strings.HasPrefix(created.ClientID, "app-") || len(created.Secret) < 40 || created.Name != "Vendor one" || created.Status != "active" ||
				created.Owner != "operator" || strings.Join(created.Institutions, ",") != "00016" || strings.Join(created.Grants, ",") != "client_credentials,password" ||
				strings.Join(created.Scopes, ",") != "accounts:read,transactions:read" {
				t.Errorf("created %+v", created)
			}
			text, err := cmd("apps", "create", "--client-id", "vendor-two", "--fi", "00016")
			if err != nil || !strings.Contains(text, "Shared Key (client id): vendor-two") || !strings.Contains(text, "Secret Key:") {
				t.Fatalf("create as text: %q %v", text, err)
			}
			if _, err := cmd("apps", "create", "--client-id", "vendor-two", "--fi", "00016"); err == nil || !strings.Contains(err.Error(), "exists already") {
				t.Errorf("a taken client id: %v", err)
			}
			if _, err := cmd("apps", "create", "--fi", "1", "--grant", "magic"); err == nil ||
				!strings.Contains(err.Error(), "grants[0]: unknown grant") || !strings.Contains(err.Error(), "institutions[0]: must be five digits") {
				t.Errorf("an invalid app: %v", err)
			}
			if _, err := cmd("apps", "create", "--fi", "99999"); err == nil || !strings.Contains(err.Error(), "institutions[0]: institution 99999") {
				t.Errorf("an unknown FI: %v", err)
			}

			list, err := cmd("apps", "list")
			if err != nil || !strings.Contains(list, created.ClientID) || !strings.Contains(list, "vendor-two") || strings.Contains(list, created.Secret) {
				t.Errorf("list: %q %v", list, err)
			}

			if _, err := cmd("apps", "rotate-secret", created.ClientID); err == nil || !strings.Contains(err.Error(), "--yes") {
				t.Errorf("rotate without --yes: %v", err)
			}
			vars["CUSTREG_SECRET_ROTATION_GRACE"] = "1h"
			out, err = cmd("apps", "rotate-secret", created.ClientID, "--yes", "--json")
			if err != nil {
				t.Fatal(err)
			}
			var rotated struct {
				Secret, Status          string
				PreviousSecretExpiresAt time.Time
			}
			if err := json.Unmarshal([]byte(out), &rotated); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if rotated.Secret == created.Secret || rotated.Status != "rotating" || time.Until(rotated.PreviousSecretExpiresAt) < 59*time.Minute {
				t.Errorf("rotated %+v", rotated)
			}

			store := openStoreAt(t, dsn, rawKey)
			works := func(secret string, at time.Time) bool {
				t.Helper()
				_, err := store.AuthenticateClient(context.Background(), created.ClientID, secret, at)
				if err != nil && !errors.Is(err, models.ErrBadCredentials) {
					t.Fatal(err)
				}
				return err == nil
			}
			if !works(rotated.Secret, time.Now()) || !works(created.Secret, time.Now()) || works(created.Secret, time.Now().Add(time.Hour+time.Second)) {
				t.Error("the old secret works for the grace period only, the new one at once")
			}

			if _, err := cmd("apps", "disable", created.ClientID); err == nil || !strings.Contains(err.Error(), "--yes") {
				t.Errorf("disable without --yes: %v", err)
			}
			if out, err := cmd("apps", "disable", created.ClientID, "--yes"); err != nil || !strings.Contains(out, "disabled client app") {
				t.Errorf("disable: %q %v", out, err)
			}
			if works(rotated.Secret, time.Now()) || works(created.Secret, time.Now()) {
				t.Error("a disabled app authenticates")
			}
			if out, err := cmd("apps", "disable", created.ClientID, "--yes"); err != nil || !strings.Contains(out, "already disabled") {
				t.Errorf("disable again: %q %v", out, err)
			}
			if _, err := cmd("apps", "rotate-secret", created.ClientID, "--yes"); err == nil || !strings.Contains(err.Error(), "is disabled") {
				t.Errorf("rotate a disabled app: %v", err)
			}
			if _, err := cmd("apps", "rotate-secret", "nobody", "--yes"); err == nil || !strings.Contains(err.Error(), "no client app") {
				t.Errorf("rotate an unknown app: %v", err)
			}
			out, err = cmd("apps", "list", "--json")
			var listed []struct{ ClientID, Status string }
			if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 2 || listed[0].Status != "disabled" || listed[1].Status != "active" {
				t.Errorf("list --json: %s %v", out, err)
			}
		})
	}
}

// openStoreAt opens the database at dsn under the PII key, as the commands do.
func openStoreAt(t *testing.T, dsn string, key []byte) *db.Store {
	t.Helper()
	ring, err := secure.NewKeyring("k1", map[string][]byte{"k1": key})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(conn) })
	return db.New(conn, ring, secure.NewPasswordHasher(dbtest.FastArgon2, 0))
}
