package db_test

import (
	"testing"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

func TestStore_CustomerPII(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		var c models.Customer
		if err := store.Conn().Where("login_id_norm = ?", "sandboxuser1").Take(&c).Error; err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			got, err := store.CustomerPII(&c)
			if want := (db.CustomerPII{SSNLast4: "6789", BirthDate: "1985-04-12", MotherMaidenName: "Smith"}); err != nil || got != want {
				t.Errorf("CustomerPII = %+v, %v; want %+v", got, err, want)
			}
		})
		t.Run("NothingGiven", func(t *testing.T) {
			bare := c
			bare.SSNLast4, bare.BirthDateEnc, bare.MotherMaidenNameEnc = "", "", ""
			if got, err := store.CustomerPII(&bare); err != nil || got != (db.CustomerPII{}) {
				t.Errorf("CustomerPII = %+v, %v; want nothing", got, err)
			}
		})
		// The AAD binds a ciphertext to its row and field: moved to another customer or
		// column, it does not open.
		t.Run("ErrOtherOwner", func(t *testing.T) {
			other := c
			other.ID = "0123456789abcdef0123456789abcdef"
			if _, err := store.CustomerPII(&other); err == nil {
				t.Error("a ciphertext opened for another customer")
			}
		})
		t.Run("ErrOtherField", func(t *testing.T) {
			swapped := c
			swapped.BirthDateEnc = c.MotherMaidenNameEnc
			if _, err := store.CustomerPII(&swapped); err == nil {
				t.Error("the maiden name opened as the birth date")
			}
		})
	})
}

func TestStore_AccountNumber(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		var a, other models.Account
		if err := store.Conn().Where("public_id = ?", "FJLqiQAy1lvswlZXcu9rA0mD8ohakVblGGbi-f-r29A").Take(&a).Error; err != nil {
			t.Fatal(err)
		}
		if err := store.Conn().Where("public_id = ?", "Qw3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qWe9").Take(&other).Error; err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			if got, err := store.AccountNumber(&a); err != nil || got != "9876543210" || a.NumberLast4 != "3210" {
				t.Errorf("AccountNumber = %q, %v (last4 %q); want 9876543210", got, err, a.NumberLast4)
			}
		})
		t.Run("ErrOtherAccount", func(t *testing.T) {
			moved := other
			moved.NumberEnc = a.NumberEnc
			if _, err := store.AccountNumber(&moved); err == nil {
				t.Error("an account number opened for another account")
			}
		})
	})
}
