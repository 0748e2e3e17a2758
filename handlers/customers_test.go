package handlers_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
)

// lockSandboxUser locks sandboxuser1 the way the password grant does: failed logins up to the
// FI's threshold.
func (a *api) lockSandboxUser(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	c, err := a.store.CustomerByLogin(ctx, fiCreditUnion, sandboxUser)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, err := a.store.RecordLoginFailure(ctx, c.ID, 10, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ = a.store.CustomerByLogin(ctx, fiCreditUnion, sandboxUser); !c.Locked {
		t.Fatal("sandbox user not locked")
	}
}

func TestUnlockUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
		a.lockSandboxUser(t)
		r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
		if r.status == http.StatusOK {
			t.Fatalf("locked user got a token: %s", r.body)
		}

		for _, path := range []string{customers + sandboxUserGUID + ":unlock-user", "/ux-users/v1/customers/" + sandboxUser + ":unlock-user?userIdType=LOGIN_ID"} {
			r = a.do(t, http.MethodPut, path, ux(admin), "")
			if r.status != http.StatusNoContent || len(r.body) != 0 {
				t.Fatalf("%s: %d %s", path, r.status, r.body)
			}
		}
		if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant); r.status != http.StatusOK {
			t.Fatalf("unlocked user: %d %s", r.status, r.body)
		}
		c, err := a.store.CustomerByLogin(context.Background(), fiCreditUnion, sandboxUser)
		if err != nil || c.Locked || c.FailedLoginCount != 0 {
			t.Fatalf("after unlock: %+v %v", c, err)
		}
	})
}

func TestCustomersFamilyErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newAPIOn(t, store)
		admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
		unlock := customers + sandboxUserGUID + ":unlock-user"
		h := ux(admin)
		delete(h, "correlationId")
		wantProblem(t, a.do(t, http.MethodPut, unlock, h, ""), http.StatusBadRequest, "UXU_10006", "correlationId")
		h["correlationId"] = "not-a-guid"
		wantProblem(t, a.do(t, http.MethodPut, unlock, h, ""), http.StatusBadRequest, "UXU_10007", "correlationId")
		wantProblem(t, a.do(t, http.MethodPut, unlock, map[string]string{"correlationId": newTID()}, ""), http.StatusUnauthorized, "UXU_10005", "")
		wantProblem(t, a.do(t, http.MethodPut, unlock, ux("nonsense"), ""), http.StatusUnauthorized, "UXU_10001", "")
		wantProblem(t, a.do(t, http.MethodPut, unlock, ux(a.v2For(t, fiCreditUnion, scopeUsersRead)), ""), http.StatusForbidden, "UXU_10002", "")
		// Another FI's token and an unknown user: the same 404.
		other := a.v2For(t, fiCommunityBank, scopeUsersWrite)
		wantProblem(t, a.do(t, http.MethodPut, unlock, ux(other), ""), http.StatusNotFound, "UXU_10000", "")
		wantProblem(t, a.do(t, http.MethodPut, customers+"0123456789abcdef0123456789abcdef:unlock-user", ux(admin), ""), http.StatusNotFound, "UXU_10000", "")
		// An unknown action and a bad userIdType.
		wantProblem(t, a.do(t, http.MethodPut, customers+sandboxUserGUID+":explode", ux(admin), ""), http.StatusNotFound, "UXU_10013", "")
		wantProblem(t, a.do(t, http.MethodPut, unlock+"?userIdType=EMAIL", ux(admin), ""), http.StatusBadRequest, "UXU_10014", "userIdType")
		// The correlation id is echoed; the body is {status, message, code}.
		h = ux(admin)
		r := a.do(t, http.MethodPut, customers+"0123456789abcdef0123456789abcdef:unlock-user", h, "")
		if got := r.header.Get("correlationId"); got != h["correlationId"] {
			t.Errorf("correlationId echoed %q, want %q", got, h["correlationId"])
		}
		var body struct {
			Status        int
			Message, Code string
		}
		r.decode(t, &body)
		if body.Status != http.StatusNotFound || body.Code != "UXU_10000" || body.Message == "" {
			t.Errorf("envelope %+v", body)
		}
	})
}
