package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// signedUpDeveloper signs up and verifies a portal account with the password "correct horse 1".
func signedUpDeveloper(t *testing.T, store *db.Store, email string) *models.Developer {
	t.Helper()
	token, _, err := store.SignUpDeveloper(context.Background(), email, "correct horse 1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dev, err := store.VerifyDeveloper(context.Background(), token, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

// TestDeveloperSignUpVerifyAndSignIn: a portal account signs in only after its address is
// verified with the single-use token; a second sign-up of an unverified address replaces the
// password and the token; a verified account is left alone; on SQLite and PostgreSQL.
func TestDeveloperSignUpVerifyAndSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		ctx := context.Background()
		now := time.Now()
		first, how, err := store.SignUpDeveloper(ctx, " Dev@Example.com ", "first password", now)
		if err != nil || how != db.SignedUp || first == "" {
			t.Fatalf("sign up: %q %v %v", first, how, err)
		}
		var row models.Developer
		if err := store.Conn().Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.EmailNorm != "dev@example.com" || row.Email != "Dev@Example.com" || row.VerifyTokenHash == first || row.PasswordHash == "first password" {
			t.Errorf("stored %+v", row)
		}
		if _, err := store.AuthenticateDeveloper(ctx, "dev@example.com", "first password"); !errors.Is(err, models.ErrNotVerified) {
			t.Errorf("sign in before verifying: %v", err)
		}
		second, how, err := store.SignUpDeveloper(ctx, "dev@EXAMPLE.com", "second password", now)
		if err != nil || how != db.SignedUpAgain || second == first {
			t.Fatalf("sign up again: %v %v", how, err)
		}
		if _, err := store.VerifyDeveloper(ctx, first, now); !errors.Is(err, models.ErrTokenInvalid) {
			t.Errorf("the replaced token: %v", err)
		}
		if _, err := store.VerifyDeveloper(ctx, second, now.Add(db.VerificationTTL)); !errors.Is(err, models.ErrTokenInvalid) {
			t.Errorf("an expired token: %v", err)
		}
		dev, err := store.VerifyDeveloper(ctx, second, now)
		if err != nil || dev.VerifiedAt == nil {
			t.Fatalf("verify: %+v %v", dev, err)
		}
		if _, err := store.VerifyDeveloper(ctx, second, now); !errors.Is(err, models.ErrTokenInvalid) {
			t.Errorf("a token works once: %v", err)
		}
		if _, err := store.AuthenticateDeveloper(ctx, "dev@example.com", "first password"); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("the replaced password: %v", err)
		}
		if _, err := store.AuthenticateDeveloper(ctx, "nobody@example.com", "second password"); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("an unknown address: %v", err)
		}
		got, err := store.AuthenticateDeveloper(ctx, "DEV@example.com", "second password")
		if err != nil || got.ID != dev.ID {
			t.Fatalf("sign in: %+v %v", got, err)
		}
		if token, how, err := store.SignUpDeveloper(ctx, "dev@example.com", "third password", now); err != nil || how != db.AlreadyVerified || token != "" {
			t.Errorf("sign up with a verified address: %q %v %v", token, how, err)
		}
		if _, err := store.AuthenticateDeveloper(ctx, "dev@example.com", "second password"); err != nil {
			t.Errorf("a sign-up attempt changed a verified account's password: %v", err)
		}
	})
}

// TestPortalSessions: a session names its developer until it expires or ends; only the
// digest of the cookie value is stored; Purge removes expired sessions.
func TestPortalSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		ctx := context.Background()
		dev := signedUpDeveloper(t, store, "session@example.com")
		now := time.Now()
		token, err := store.CreatePortalSession(ctx, dev.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		var row models.PortalSession
		if err := store.Conn().Take(&row).Error; err != nil || row.Hash == token {
			t.Fatalf("stored %+v %v", row, err)
		}
		if got, err := store.PortalSession(ctx, token, now); err != nil || got.ID != dev.ID {
			t.Errorf("live session: %+v %v", got, err)
		}
		if _, err := store.PortalSession(ctx, token, now.Add(db.PortalSessionTTL)); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("expired session: %v", err)
		}
		if _, err := store.PortalSession(ctx, "forged", now); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown session: %v", err)
		}
		other, err := store.CreatePortalSession(ctx, dev.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.EndPortalSession(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, err := store.PortalSession(ctx, other, now); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("ended session: %v", err)
		}
		got, err := store.Purge(ctx, now.Add(db.PortalSessionTTL+time.Second))
		if err != nil || got.PortalSessions != 1 {
			t.Errorf("purge: %+v %v", got, err)
		}
	})
}
