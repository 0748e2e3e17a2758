package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

func TestPurgeRemovesOnlyExpiredShortLivedRows(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			store := b.Open(t)
			dbtest.Sandbox(t, store)
			ctx := context.Background()
			now := time.Now().UTC()
			var app models.ClientApp
			if err := store.DB.Where("client_id = ?", "sandbox-app").Take(&app).Error; err != nil {
				t.Fatal(err)
			}
			tok := func(hash string, expires time.Time) *models.Token {
				return &models.Token{Hash: hash, Kind: models.TokenAccess, Version: 2, InstitutionID: "01111", ClientAppID: app.ID,
					Grant: "client_credentials", IssuedAt: expires.Add(-time.Hour), ExpiresAt: expires}
			}
			if err := store.SaveTokens(ctx, tok("old", now.Add(-48*time.Hour)), tok("recent", now.Add(-time.Hour)), tok("live", now.Add(time.Hour))); err != nil {
				t.Fatal(err)
			}
			store.DB.Create(&models.IdempotencyRecord{ClientAppID: app.ID, TraceID: "old", RequestHash: "h", Status: 200, CreatedAt: now.Add(-25 * time.Hour)})
			store.DB.Create(&models.IdempotencyRecord{ClientAppID: app.ID, TraceID: "new", RequestHash: "h", Status: 200, CreatedAt: now})
			store.DB.Create(&models.InFlight{InstitutionID: "01111", Kind: "login", Value: "stale", TraceID: "t", CreatedAt: now.Add(-time.Hour)})
			got, err := store.Purge(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			if got.Tokens != 1 || got.IdempotencyRecords != 1 || got.InFlight != 1 {
				t.Errorf("purged %+v", got)
			}
			var n int64
			store.DB.Model(&models.Token{}).Count(&n)
			if n != 2 {
				t.Errorf("%d tokens left, want 2", n)
			}
		})
	}
}
