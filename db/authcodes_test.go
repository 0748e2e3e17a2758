package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// TestAuthCodeRedemption: one exchange per code even when many race; another app's attempt and
// an expired code find nothing; a second exchange is a conflict and revokes the first one's
// tokens; purging keeps codes for an hour past their expiry.
func TestAuthCodeRedemption(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		now := time.Now().UTC()
		app := func(id string) *models.ClientApp {
			a, err := store.ClientApp(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		partner, fiApp := app("sandbox-partner"), app("sandbox-app")
		user, err := store.CustomerByInstitutionUserID(ctx, "01111", strings.ToLower("A9F87530DFC43E2F1ECF44F6FD8B8351"))
		if err != nil || user.LoginID != "sandboxuser1" || user.Member.MemberNumber != "100200300" {
			t.Fatalf("lookup by institution user id (any case): %v %+v", err, user)
		}
		if _, err := store.CustomerByInstitutionUserID(ctx, "02222", "A9F87530DFC43E2F1ECF44F6FD8B8351"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("another FI's user: %v", err)
		}
		code := func(hash string, expires time.Time) {
			t.Helper()
			err := store.SaveAuthCode(ctx, &models.AuthCode{Hash: hash, InstitutionID: "01111", ClientAppID: partner.ID, RequestedBy: fiApp.ID,
				CustomerID: user.ID, Scopes: "accounts:read", AuthTime: now, IssuedAt: now, ExpiresAt: expires})
			if err != nil {
				t.Fatal(err)
			}
		}
		mint := func(tag string) func(*models.AuthCode) ([]*models.Token, error) {
			return func(c *models.AuthCode) ([]*models.Token, error) {
				return []*models.Token{{Hash: tag, Kind: models.TokenAccess, Version: 2, InstitutionID: c.InstitutionID, ClientAppID: c.ClientAppID,
					Grant: "authorization_code", Scopes: c.Scopes, CustomerID: &c.CustomerID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}}, nil
			}
		}

		code("race", now.Add(time.Minute))
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := store.RedeemAuthCode(ctx, "race", partner.ID, now, mint("tok-"+string(rune('a'+i))))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, models.ErrConflict):
					conflicts++
				default:
					t.Errorf("redeem: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != 9 {
			t.Errorf("10 racing exchanges: %d won, %d conflicts", wins, conflicts)
		}
		var live int64
		store.Conn().Model(&models.Token{}).Where("hash LIKE ? AND revoked_at IS NULL", "tok-%").Count(&live)
		if live != 0 {
			t.Errorf("the reuses left %d live tokens of the code", live)
		}

		code("theirs", now.Add(time.Minute))
		if err := store.RedeemAuthCode(ctx, "theirs", fiApp.ID, now, mint("x")); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("another app's attempt: %v", err)
		}
		if err := store.RedeemAuthCode(ctx, "theirs", partner.ID, now, mint("ok")); err != nil {
			t.Errorf("the code's own app after another's attempt: %v", err)
		}
		code("stale", now.Add(-time.Second))
		if err := store.RedeemAuthCode(ctx, "stale", partner.ID, now, mint("y")); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("expired: %v", err)
		}
		code("refused", now.Add(time.Minute))
		boom := errors.New("refused by mint")
		if err := store.RedeemAuthCode(ctx, "refused", partner.ID, now, func(*models.AuthCode) ([]*models.Token, error) { return nil, boom }); !errors.Is(err, boom) {
			t.Errorf("mint's error: %v", err)
		}
		if err := store.RedeemAuthCode(ctx, "refused", partner.ID, now, mint("later")); err != nil {
			t.Errorf("a code mint refused stays unused: %v", err)
		}

		code("ancient", now.Add(-2*time.Hour))
		n, err := store.PurgeAuthCodes(ctx, now)
		if err != nil || n != 1 {
			t.Errorf("purge: %d %v", n, err)
		}
	})
}
