package handlers_test

import (
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// TestBadClientSecretsStartNoSlowHash reproduces finding 3 of the security review: every token
// request with an unknown client id or a wrong secret ran argon2id (8 MiB each) with no limit, so
// unauthenticated callers could exhaust memory and CPU. Client secrets are now keyed digests:
// checking one allocates next to nothing, which the allocation counter shows without timing.
func TestBadClientSecretsStartNoSlowHash(t *testing.T) {
	a := newAPI(t)
	const n = 24
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		client, secret := sandboxApp, "wrong-secret"
		if i%2 == 1 {
			client, secret = "no-such-client", "whatever-secret"
		}
		wantProblem(t, a.v1TokenRequest(t, "/v1/oauth/token", client, secret, fiCreditUnion, "grant_type=client_credentials", nil), 401, "90001", "")
		wantProblem(t, a.v2TokenRequest(t, client, secret, fiCreditUnion, "grant_type=client_credentials"), 401, "CMN_90004", "")
	}
	runtime.ReadMemStats(&after)
	// argon2id with m=8 MiB allocates 8 MiB per check: 2n checks would be 384 MiB.
	if perRequest := (after.TotalAlloc - before.TotalAlloc) / (2 * n); perRequest > 1<<20 {
		t.Errorf("a rejected token request allocates %d bytes: a slow hash still runs", perRequest)
	}
}

// TestLegacyClientSecretHashIsUpgraded: an app whose stored hash is an argon2id string of an
// earlier version still authenticates, and its row then holds the keyed digest.
func TestLegacyClientSecretHashIsUpgraded(t *testing.T) {
	a := newAPI(t)
	legacy, err := secure.LegacyClientSecretHash(sandboxSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.Conn().Model(&models.ClientApp{}).Where("client_id = ?", sandboxApp).Update("secret_hash", legacy).Error; err != nil {
		t.Fatal(err)
	}
	wantProblem(t, a.v2TokenRequest(t, sandboxApp, "wrong-secret", fiCreditUnion, "grant_type=client_credentials"), 401, "CMN_90004", "")
	var app models.ClientApp
	a.store.Conn().Where("client_id = ?", sandboxApp).Take(&app)
	if app.SecretHash != legacy {
		t.Fatal("a failed check changed the stored hash")
	}
	if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials"); r.status != http.StatusOK {
		t.Fatalf("legacy hash: %d %s", r.status, r.body)
	}
	a.store.Conn().Where("client_id = ?", sandboxApp).Take(&app)
	if ok, current := dbtest.Keys(a.store).VerifyClientSecret(sandboxSecret, app.SecretHash); !ok || !current {
		t.Fatalf("not upgraded: %q", app.SecretHash)
	}
	if r := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials", nil); r.status != http.StatusOK {
		t.Fatalf("after upgrade: %d %s", r.status, r.body)
	}
}

// TestFailedClientAuthenticationIsHeld: with a failure delay configured, a wrong secret or an
// unknown client is answered no sooner than the delay (a guessing client gets few answers per
// second, and a flood of them costs nothing while they wait); a right secret is not held.
func TestFailedClientAuthenticationIsHeld(t *testing.T) {
	const delay = 1500 * time.Millisecond
	a := newAPIWith(t, dbtest.SQLite(t), func(o *handlers.Options) { o.AuthFailureDelay = delay })
	for _, client := range []string{sandboxApp, "no-such-client"} {
		start := time.Now()
		wantProblem(t, a.v2TokenRequest(t, client, "wrong-secret", fiCreditUnion, "grant_type=client_credentials"), 401, "CMN_90004", "")
		if took := time.Since(start); took < delay {
			t.Errorf("%s: failure answered after %v, before the %v delay", client, took, delay)
		}
	}
	start := time.Now()
	if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials"); r.status != http.StatusOK {
		t.Fatalf("right secret: %d", r.status)
	}
	if took := time.Since(start); took >= delay {
		t.Errorf("a successful authentication was held %v", took)
	}
}
