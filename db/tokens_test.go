package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

func TestPurgeRemovesOnlyExpiredShortLivedRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		now := time.Now().UTC()
		var app models.ClientApp
		if err := store.Conn().Where("client_id = ?", "sandbox-app").Take(&app).Error; err != nil {
			t.Fatal(err)
		}
		tok := func(hash string, expires time.Time) *models.Token {
			return &models.Token{Hash: hash, Kind: models.TokenAccess, Version: 2, InstitutionID: "01111", ClientAppID: app.ID,
				Grant: "client_credentials", IssuedAt: expires.Add(-time.Hour), ExpiresAt: expires}
		}
		if err := store.SaveTokens(ctx, tok("old", now.Add(-48*time.Hour)), tok("recent", now.Add(-time.Hour)), tok("live", now.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		store.Conn().Create(&models.IdempotencyRecord{ClientAppID: app.ID, TraceID: "old", RequestHash: "h", Status: 200, CreatedAt: now.Add(-25 * time.Hour)})
		store.Conn().Create(&models.IdempotencyRecord{ClientAppID: app.ID, TraceID: "new", RequestHash: "h", Status: 200, CreatedAt: now})
		store.Conn().Create(&models.InFlight{InstitutionID: "01111", Kind: "login", Value: "stale", TraceID: "t", CreatedAt: now.Add(-time.Hour)})
		got, err := store.Purge(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Tokens != 1 || got.IdempotencyRecords != 1 || got.InFlight != 1 {
			t.Errorf("purged %+v", got)
		}
		var n int64
		store.Conn().Model(&models.Token{}).Count(&n)
		if n != 2 {
			t.Errorf("%d tokens left, want 2", n)
		}
	})
}

// TestPurgeFromSeveralInstancesAtOnce: every instance runs the purge loop, so purges of one
// database overlap; together they remove exactly what one would, every instance succeeds, and
// nothing live goes.
func TestPurgeFromSeveralInstancesAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		now := time.Now().UTC()
		var app models.ClientApp
		if err := store.Conn().Where("client_id = ?", "sandbox-app").Take(&app).Error; err != nil {
			t.Fatal(err)
		}
		const n = 40
		for i := range n {
			expires := now.Add(-48 * time.Hour)
			if i%2 == 1 {
				expires = now.Add(time.Hour) // live
			}
			if err := store.SaveTokens(ctx, &models.Token{Hash: fmt.Sprintf("purge-%02d", i), Kind: models.TokenAccess, Version: 2,
				InstitutionID: "01111", ClientAppID: app.ID, Grant: "client_credentials", IssuedAt: now.Add(-72 * time.Hour), ExpiresAt: expires}); err != nil {
				t.Fatal(err)
			}
			created := now.Add(-25 * time.Hour)
			if i%2 == 1 {
				created = now
			}
			if err := store.Conn().Create(&models.IdempotencyRecord{ClientAppID: app.ID, TraceID: fmt.Sprintf("purge-%02d", i), RequestHash: "h",
				Status: 200, CreatedAt: created}).Error; err != nil {
				t.Fatal(err)
			}
			if err := store.Conn().Create(&models.InFlight{InstitutionID: "01111", Kind: "login", Value: fmt.Sprintf("purge-%02d", i),
				TraceID: "t", CreatedAt: created}).Error; err != nil {
				t.Fatal(err)
			}
		}
		instances := []*db.Store{store, dbtest.SecondInstance(t, store), dbtest.SecondInstance(t, store)}
		var mu sync.Mutex
		var total db.Purged
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got, err := instances[i%len(instances)].Purge(ctx, now)
				if err != nil {
					t.Errorf("purge %d: %v", i, err)
				}
				mu.Lock()
				defer mu.Unlock()
				total.Tokens += got.Tokens
				total.IdempotencyRecords += got.IdempotencyRecords
				total.InFlight += got.InFlight
			}()
		}
		close(start)
		wg.Wait()
		if total.Tokens != n/2 || total.IdempotencyRecords != n/2 || total.InFlight != n/2 {
			t.Errorf("together purged %+v, want %d of each", total, n/2)
		}
		for _, c := range []struct {
			model any
			where string
		}{{&models.Token{}, "hash LIKE 'purge-%'"}, {&models.IdempotencyRecord{}, "trace_id LIKE 'purge-%'"}, {&models.InFlight{}, "value LIKE 'purge-%'"}} {
			var left int64
			store.Conn().Model(c.model).Where(c.where).Count(&left)
			if left != n/2 {
				t.Errorf("%T: %d left, want the %d live ones", c.model, left, n/2)
			}
		}
	})
}

func TestLoginFailuresLockAtThreshold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		const id = "8fe733f4e27246908f92e8f7c0b96847"
		for i := 1; i <= 3; i++ {
			locked, err := store.RecordLoginFailure(ctx, id, 3, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if locked != (i == 3) {
				t.Fatalf("after %d failures locked=%v", i, locked)
			}
		}
		// The lockout's start is kept, and later failures do not move it.
		c, err := store.CustomerByID(ctx, id)
		if err != nil || !c.Locked || c.LockedAt == nil {
			t.Fatalf("locked customer: %+v %v", c, err)
		}
		lockedAt := *c.LockedAt
		if _, err := store.RecordLoginFailure(ctx, id, 3, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if c, _ = store.CustomerByID(ctx, id); c.LockedAt == nil || !c.LockedAt.Equal(lockedAt) {
			t.Fatalf("a failure while locked moved the lockout start: %v -> %v", lockedAt, c.LockedAt)
		}
		// Ending a lockout is conditional on the lock it saw: only one caller ends it.
		if ended, err := store.EndLockout(ctx, id, lockedAt.Add(time.Second)); err != nil || ended {
			t.Fatalf("ended a lockout it did not see: %v %v", ended, err)
		}
		if ended, err := store.EndLockout(ctx, id, lockedAt); err != nil || !ended {
			t.Fatalf("end lockout: %v %v", ended, err)
		}
		if ended, _ := store.EndLockout(ctx, id, lockedAt); ended {
			t.Fatal("a lockout ended twice")
		}
		for i := 1; i <= 3; i++ {
			if _, err := store.RecordLoginFailure(ctx, id, 3, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := store.Unlock(ctx, "01111", "SANDBOXUSER1"); err != nil || !ok {
			t.Fatalf("unlock: %v %v", ok, err)
		}
		c, err = store.CustomerByID(ctx, id)
		if err != nil || c.Locked || c.FailedLoginCount != 0 {
			t.Fatalf("after unlock: %+v %v", c, err)
		}
		if err := store.RecordLoginSuccess(ctx, id, time.Now()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRevokeRefreshTokenRevokesItsAccessTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		app, err := store.ClientApp(ctx, "sandbox-app")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		mk := func(hash, kind, parent string) *models.Token {
			return &models.Token{Hash: hash, Kind: kind, Version: 2, InstitutionID: "01111", ClientAppID: app.ID, Grant: "password",
				ParentHash: parent, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
		}
		if err := store.SaveTokens(ctx, mk("rt", models.TokenRefresh, ""), mk("a1", models.TokenAccess, "rt"),
			mk("a2", models.TokenAccess, "rt"), mk("other", models.TokenAccess, "")); err != nil {
			t.Fatal(err)
		}
		if err := store.RevokeToken(ctx, "rt", app.ID+1000, now); err != nil { // another app: no effect
			t.Fatal(err)
		}
		if err := store.RevokeToken(ctx, "rt", app.ID, now); err != nil {
			t.Fatal(err)
		}
		for hash, want := range map[string]bool{"rt": true, "a1": true, "a2": true, "other": false} {
			tok, err := store.Token(ctx, hash)
			if err != nil {
				t.Fatal(err)
			}
			if (tok.RevokedAt != nil) != want {
				t.Errorf("%s revoked=%v, want %v", hash, tok.RevokedAt != nil, want)
			}
		}
	})
}

// TestSaveTokensGroupsConcurrentCalls: calls that queue behind a write are committed together,
// and each keeps its own answer: a call for a disabled app is refused, a call whose token
// collides with a stored one fails, and neither costs the others of their group their tokens.
func TestSaveTokensGroupsConcurrentCalls(t *testing.T) {
	for _, target := range dbtest.Targets() {
		t.Run(target.Name, func(t *testing.T) {
			dsn := target.DSN(t)
			store := dbtest.OpenWith(t, dsn, db.Settings{Timeout: 20 * time.Second})
			dbtest.Sandbox(t, store)
			ctx := context.Background()
			now := time.Now().UTC()
			app, err := store.ClientApp(ctx, "sandbox-app")
			if err != nil {
				t.Fatal(err)
			}
			off, _, err := store.CreateClientApp(ctx, sandboxLikeApp(""))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.DisableClientApp(ctx, off.ClientID, now); err != nil {
				t.Fatal(err)
			}
			tok := func(hash string, appID uint) *models.Token {
				return &models.Token{Hash: hash, Kind: models.TokenAccess, Version: 2, InstitutionID: "01111", ClientAppID: appID,
					Grant: "client_credentials", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
			}
			if err := store.SaveTokens(ctx, tok("taken", app.ID)); err != nil {
				t.Fatal(err)
			}
			// Hold the table so the first call's write waits and the others queue behind it.
			var release func()
			if dbtest.IsPostgres(dsn) {
				release = dbtest.LockTable(t, dsn, "tokens")
			} else {
				release = dbtest.LockSQLite(t, dsn)
			}
			const n = 40
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					switch i {
					case 7:
						errs[i] = store.SaveTokens(ctx, tok("refused", off.ID))
					case 23:
						errs[i] = store.SaveTokens(ctx, tok("new-beside-a-taken-one", app.ID), tok("taken", app.ID))
					default:
						errs[i] = store.SaveTokens(ctx, tok(fmt.Sprintf("g%02d-access", i), app.ID), tok(fmt.Sprintf("g%02d-refresh", i), app.ID))
					}
				}()
			}
			time.Sleep(300 * time.Millisecond)
			release()
			wg.Wait()
			for i, err := range errs {
				switch i {
				case 7:
					if !errors.Is(err, models.ErrClientAppDisabled) {
						t.Errorf("disabled app's call: %v", err)
					}
				case 23:
					if err == nil {
						t.Error("a call reusing a stored token's hash succeeded")
					}
				default:
					if err != nil {
						t.Errorf("call %d: %v", i, err)
					}
				}
			}
			var stored int64
			if err := store.Conn().Model(&models.Token{}).Where("hash LIKE ?", "g%").Count(&stored).Error; err != nil {
				t.Fatal(err)
			}
			if stored != 2*(n-2) {
				t.Errorf("%d tokens stored, want %d", stored, 2*(n-2))
			}
			for _, h := range []string{"refused", "new-beside-a-taken-one"} {
				if _, err := store.Token(ctx, h); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("token %s: %v", h, err)
				}
			}
		})
	}
}
