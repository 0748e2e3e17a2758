package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

func TestMemberAccounts(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)

		// A member nobody registered: its accounts in provisioning order, no customer.
		h, err := store.MemberAccounts(ctx, "01111", db.AccountUser{MemberNumber: "468531842"})
		if err != nil {
			t.Fatal(err)
		}
		if h.Member.MemberNumber != "468531842" || h.Customer != nil || len(h.Accounts) != 3 ||
			h.Accounts[0].TypeValue != "CHECKING" || h.Accounts[2].TypeValue != "CREDIT_CARD_LOAN" {
			t.Errorf("468531842: member %q customer %v accounts %d", h.Member.MemberNumber, h.Customer, len(h.Accounts))
		}
		// A registered member, reached by member number, login (any case) or customer id.
		for _, u := range []db.AccountUser{{MemberNumber: "100200300"}, {LoginID: "SandBoxUser1"}, {CustomerID: "8fe733f4e27246908f92e8f7c0b96847"}} {
			h, err := store.MemberAccounts(ctx, "01111", u)
			if err != nil {
				t.Fatalf("%+v: %v", u, err)
			}
			if h.Member.MemberNumber != "100200300" || h.Customer == nil || h.Customer.LoginID != "sandboxuser1" ||
				len(h.Accounts) != 1 || h.Accounts[0].PublicID != "Qw3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qWe9" {
				t.Errorf("%+v: member %q customer %v accounts %d", u, h.Member.MemberNumber, h.Customer, len(h.Accounts))
			}
		}
		// Nothing outside the FI, nothing unknown, nothing unnamed.
		for _, tc := range []struct {
			fi   string
			user db.AccountUser
		}{
			{"01111", db.AccountUser{MemberNumber: "700800900"}},
			{"02222", db.AccountUser{MemberNumber: "468531842"}},
			{"02222", db.AccountUser{LoginID: "sandboxuser1"}},
			{"02222", db.AccountUser{CustomerID: "8fe733f4e27246908f92e8f7c0b96847"}},
			{"01111", db.AccountUser{MemberNumber: "999"}},
			{"01111", db.AccountUser{}},
		} {
			if _, err := store.MemberAccounts(ctx, tc.fi, tc.user); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s %+v: %v, want ErrNotFound", tc.fi, tc.user, err)
			}
		}
		// A member without accounts is found, with none.
		if h, err := store.MemberAccounts(ctx, "01111", db.AccountUser{MemberNumber: "555000111"}); err != nil || len(h.Accounts) != 0 {
			t.Errorf("555000111: %v %v", h, err)
		}
	})
}
