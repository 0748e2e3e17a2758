package db_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// TestCheckKeysRefusesAnotherKeyUnderTheSameID: a database written under k1 refuses a different
// key named k1, whether it has a check value or predates them (then an encrypted value is probed).
func TestCheckKeysRefusesAnotherKeyUnderTheSameID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		ctx := context.Background()
		dbtest.Sandbox(t, store)
		if err := store.CheckKeys(ctx); err != nil {
			t.Fatalf("the right key: %v", err)
		}
		if err := store.CheckKeys(ctx); err != nil {
			t.Fatalf("the right key, again: %v", err)
		}
		other, err := secure.NewKeyring("k1", map[string][]byte{"k1": bytes.Repeat([]byte{9}, 32)})
		if err != nil {
			t.Fatal(err)
		}
		wrong := dbtest.With(store, other, dbtest.Passwords(store))
		var wk *db.WrongKeyError
		if err := wrong.CheckKeys(ctx); !errors.As(err, &wk) || wk.KeyID != "k1" {
			t.Fatalf("another key under k1: %v", err)
		}
		if err := store.Conn().Where("1 = 1").Delete(&models.KeyCheck{}).Error; err != nil {
			t.Fatal(err)
		}
		if err := wrong.CheckKeys(ctx); !errors.Is(err, db.ErrWrongKey) {
			t.Fatalf("another key, database without a check value: %v", err)
		}
		var n int64
		store.Conn().Model(&models.KeyCheck{}).Count(&n)
		if n != 0 {
			t.Errorf("a refused key stored its check value")
		}
	})
}
