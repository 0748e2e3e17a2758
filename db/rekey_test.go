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

// TestStore_Rekey: after a rotation and Rekey, every encrypted value of the catalogue opens with
// the new key alone and every blind index finds its row again.
func TestStore_Rekey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, base *db.Store) {
		ctx := context.Background()
		k1, k2 := bytes.Repeat([]byte{1}, secure.KeySize), bytes.Repeat([]byte{2}, secure.KeySize)
		withKeys := func(primary string, keys map[string][]byte) *db.Store {
			ring, err := secure.NewKeyring(primary, keys)
			if err != nil {
				t.Fatal(err)
			}
			return dbtest.With(base, ring, nil)
		}
		old := withKeys("k1", map[string][]byte{"k1": k1})
		r := newRegistrar(t, old)
		done, o := r.mustRegister(application("R400", "reg_rekey", "531234567"))
		want, _, _ := reply(done)

		rotated := withKeys("k2", map[string][]byte{"k1": k1, "k2": k2})
		got, err := rotated.Rekey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The sandbox user and ours, the sandbox's accounts, our stored reply, FI 01111's gateway
		// secret, the three apps' secrets.
		if want := (db.Rekeyed{Customers: 2, Accounts: 5, IdempotencyRecords: 1, MessagingGateways: 1, StaleClientSecrets: 3}); got != want {
			t.Errorf("Rekey = %+v, want %+v", got, want)
		}
		if again, err := rotated.Rekey(ctx); err != nil || again.Customers+again.Accounts+again.IdempotencyRecords+again.MessagingGateways != 0 {
			t.Errorf("second Rekey = %+v, %v; want nothing left to move", again, err)
		}

		store := withKeys("k2", map[string][]byte{"k2": k2})
		var customers []models.Customer
		if err := store.Conn().Find(&customers).Error; err != nil {
			t.Fatal(err)
		}
		for i := range customers {
			c := &customers[i]
			if _, err := store.CustomerPII(c); err != nil {
				t.Errorf("customer %s: %v", c.LoginID, err)
			}
			if c.HostPINEnc != "" {
				if _, err := dbtest.Keys(store).DecryptString(c.HostPINEnc, db.AAD(c.InstitutionID, c.ID, "host_pin")); err != nil {
					t.Errorf("customer %s host PIN: %v", c.LoginID, err)
				}
			}
		}
		var accounts []models.Account
		if err := store.Conn().Find(&accounts).Error; err != nil {
			t.Fatal(err)
		}
		for i := range accounts {
			if _, err := store.AccountNumber(&accounts[i]); err != nil {
				t.Errorf("account %s: %v", accounts[i].PublicID, err)
			}
		}
		if _, secret, err := store.MessagingGateway(ctx, "01111"); err != nil || secret != sandboxWebhookSecret {
			t.Errorf("gateway secret after the rotation: %v", err)
		}
		if prev, err := store.Replay(ctx, o); err != nil || prev == nil || string(prev.Body) != string(want) {
			t.Errorf("Replay after the rotation: %v, %v", prev, err)
		}
		// The SSN index: the same person is still found, and refused a second registration.
		r = &registrar{t: t, store: store, app: r.app}
		a := application("R401", "reg_rekey_again", "531234567")
		if _, _, err := r.register(a, r.origin(a)); !errors.Is(err, models.ErrAlreadyRegistered) {
			t.Errorf("same SSN after the rotation: %v, want ErrAlreadyRegistered", err)
		}
		// The account index: provisioning the sandbox again finds its accounts.
		dbtest.Sandbox(t, store)
		var n int64
		store.Conn().Model(&models.Account{}).Count(&n)
		if n != 5 {
			t.Errorf("%d accounts after provisioning again, want 5", n)
		}
	})
}
