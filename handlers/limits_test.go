package handlers_test

// The abuse limits (docs/security.md) over real HTTP through the stack handlers.New builds:
// each client app's spike arrest and quota, the per-address limits on the token endpoints and
// on failed password grants, the password hasher's bounded queue, and the bodies in flight.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/limits"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

func mustRate(t testing.TB, s string) limits.Rate {
	t.Helper()
	r, err := limits.ParseRate(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newLimitedAPI is the sandbox stack with the given limits.
func newLimitedAPI(t testing.TB, l handlers.Limits) *api {
	t.Helper()
	return newAPIWith(t, dbtest.SQLite(t), func(o *handlers.Options) { o.Limits = l })
}

// wantRetryAfter asserts a Retry-After of whole seconds within [lo, hi].
func wantRetryAfter(t testing.TB, r *response, lo, hi int) {
	t.Helper()
	v, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || v < lo || v > hi {
		t.Errorf("Retry-After %q, want %d to %d seconds (%d %s)", r.header.Get("Retry-After"), lo, hi, r.status, r.body)
	}
}

// TestAppSpikeArrestInEachFamily: an app past its spike arrest gets each family's answer with
// Retry-After — the contract's 500 92000 (legacy) and 500 CMN_90002 (token service), 429 with the
// family's code elsewhere — and passes again once the bucket refills; another app is not held
// back, and failed authentications for the app's client id do not use its budget.
func TestAppSpikeArrestInEachFamily(t *testing.T) {
	a := newLimitedAPI(t, handlers.Limits{AppSpikeArrest: mustRate(t, "3/s")})
	second := time.Second
	grant := "grant_type=client_credentials"

	// Tokens: three pass, the 4th (V2, then V1) is refused.
	v2 := a.v2For(t, fiCreditUnion, "")
	for range 5 { // wrong secrets for the same client id: refused before the app is known
		r := a.v2TokenRequest(t, sandboxApp, "wrong-secret", fiCreditUnion, grant)
		wantProblem(t, r, http.StatusUnauthorized, "CMN_90004", "")
	}
	a.v1Token(t, fiCreditUnion)
	a.v1Token(t, fiCreditUnion)
	r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, grant)
	wantProblem(t, r, http.StatusInternalServerError, "CMN_90002", "")
	wantRetryAfter(t, r, 1, 1)
	r = a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, grant, nil)
	wantProblem(t, r, http.StatusInternalServerError, "92000", "")
	wantRetryAfter(t, r, 1, 1)
	// Another app has its own bucket.
	if r := a.v2TokenRequest(t, limitedApp, limitedSecret, fiCreditUnion, grant); r.status != http.StatusOK {
		t.Fatalf("another app: %d %s", r.status, r.body)
	}

	// Bearer tokens count for the app that obtained them, in their operation's family.
	a.advance(second)
	v1 := a.v1Token(t, fiCreditUnion)
	accounts := func() *response {
		return a.do(t, http.MethodGet, "/v1/accounts?hostUserId="+memberAlex, map[string]string{"Authorization": "Bearer " + v2, "transactionId": newTID()}, "")
	}
	if r := accounts(); r.status != http.StatusOK {
		t.Fatalf("accounts: %d %s", r.status, r.body)
	}
	getCustomer := a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+memberSam+"?fiCustomerIdType=MEMNUMBER",
		map[string]string{"Authorization": "Bearer " + v1, "di_tid": newTID(), "Accept": "application/json"}, "")
	if getCustomer.status != http.StatusOK {
		t.Fatalf("Get FI Customer: %d %s", getCustomer.status, getCustomer.body)
	}
	r = accounts()
	wantProblem(t, r, http.StatusTooManyRequests, "ACC_99987", "")
	wantRetryAfter(t, r, 1, 1)
	r = a.do(t, http.MethodGet, disclosures, map[string]string{"Authorization": "Bearer " + v2, "transactionId": newTID()}, "")
	wantProblem(t, r, http.StatusTooManyRequests, "DSC_12018", "")
	r = a.do(t, http.MethodPut, customers+sandboxUserGUID+":unlock-user", ux(v2), "")
	wantProblem(t, r, http.StatusTooManyRequests, "UXU_10015", "")
	wantRetryAfter(t, r, 1, 1)
	r = a.do(t, http.MethodGet, "/bankingservices/v2/fis/01111/fiCustomers/"+memberSam+"?fiCustomerIdType=MEMNUMBER",
		map[string]string{"Authorization": "Bearer " + v1, "di_tid": newTID(), "Accept": "application/json"}, "")
	wantProblem(t, r, http.StatusInternalServerError, "92000", "")

	a.advance(second)
	if r := accounts(); r.status != http.StatusOK {
		t.Fatalf("after the refill: %d %s", r.status, r.body)
	}
	metrics := string(a.do(t, http.MethodGet, "/metrics", nil, "").body)
	if !strings.Contains(metrics, `custreg_limited_requests_total{limit="app_spike_arrest"} 6`) {
		t.Errorf("metrics do not count the six refusals:\n%s", grepLines(metrics, "custreg_limited"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAppQuotaFromProvisioning: an app's own limits (provisioning) win over the defaults: with a
// quota of 3/h its 4th request is the contract's quota answer (500 CMN_90001 on V2, 500 91000 on
// V1) with a Retry-After of the refill (20 minutes), while the other app keeps the default.
func TestAppQuotaFromProvisioning(t *testing.T) {
	store := dbtest.SQLite(t)
	a := newAPIWith(t, store, func(o *handlers.Options) {
		o.Limits = handlers.Limits{AppQuota: mustRate(t, "100/h")}
	})
	if err := store.Conn().Model(&models.ClientApp{}).Where("client_id = ?", limitedApp).
		Updates(map[string]any{"quota": "3/h", "spike_arrest": "none"}).Error; err != nil {
		t.Fatal(err)
	}
	grant := "grant_type=client_credentials"
	for i := range 3 {
		if r := a.v2TokenRequest(t, limitedApp, limitedSecret, fiCreditUnion, grant); r.status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+1, r.status, r.body)
		}
	}
	r := a.v2TokenRequest(t, limitedApp, limitedSecret, fiCreditUnion, grant)
	wantMessage(t, r, http.StatusInternalServerError, "CMN_90001", "Quota violation")
	wantRetryAfter(t, r, 1199, 1200)
	r = a.v1TokenRequest(t, "/v1/oauth/token", limitedApp, limitedSecret, fiCreditUnion, grant, nil)
	wantMessage(t, r, http.StatusInternalServerError, "91000", "Quota limit violation")
	for range 4 {
		a.v2For(t, fiCreditUnion, "") // the sandbox app is far from its 100/h
	}
	a.advance(20 * time.Minute)
	if r := a.v2TokenRequest(t, limitedApp, limitedSecret, fiCreditUnion, grant); r.status != http.StatusOK {
		t.Fatalf("after 20 minutes: %d %s", r.status, r.body)
	}
}

// fromAddress is the header that names a client's address through a trusted proxy.
func fromAddress(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }

// TestTokenRequestsPerAddress: the token and revoke endpoints take a bounded rate from each
// source address — the one the server trusts: X-Forwarded-For only from a trusted proxy, so a
// caller cannot dodge the limit by inventing addresses.
func TestTokenRequestsPerAddress(t *testing.T) {
	t.Run("peer address", func(t *testing.T) {
		a := newLimitedAPI(t, handlers.Limits{TokenRequestsPerAddress: mustRate(t, "4/m")})
		grant := "grant_type=client_credentials"
		for i := range 4 { // V1, V2, revoke: one budget; spoofed X-Forwarded-For is not believed
			var r *response
			switch i {
			case 0:
				r = a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, grant, fromAddress("198.51.100.1"))
			case 1, 2:
				r = a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, grant)
			case 3:
				r = a.do(t, http.MethodPost, "/oauth2/v1/revoke", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
					"transactionId": newTID(), "Content-Type": formContentType, "X-Forwarded-For": "198.51.100.2"}, "token=whatever")
			}
			if r.status >= 300 {
				t.Fatalf("request %d: %d %s", i+1, r.status, r.body)
			}
		}
		r := a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, grant, fromAddress("198.51.100.3"))
		wantProblem(t, r, http.StatusInternalServerError, "92000", "")
		wantRetryAfter(t, r, 15, 15)
		r = a.v2TokenRequest(t, sandboxApp, "wrong", fiCreditUnion, grant) // refused before the secret is checked
		wantProblem(t, r, http.StatusInternalServerError, "CMN_90002", "")
		// Other endpoints are not concerned.
		if r := a.do(t, http.MethodGet, "/healthz", nil, ""); r.status != http.StatusOK {
			t.Fatalf("healthz: %d", r.status)
		}
		a.advance(15 * time.Second)
		if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, grant); r.status != http.StatusOK {
			t.Fatalf("after 15 s: %d %s", r.status, r.body)
		}
	})
	t.Run("behind a trusted proxy", func(t *testing.T) {
		_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
		a := newAPIWith(t, dbtest.SQLite(t), func(o *handlers.Options) {
			o.Limits = handlers.Limits{TokenRequestsPerAddress: mustRate(t, "2/m")}
			o.TrustedProxies = []*net.IPNet{loopback}
		})
		grant := "grant_type=client_credentials"
		token := func(ip string) *response {
			return a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, grant, fromAddress(ip))
		}
		for range 2 {
			if r := token("198.51.100.7"); r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
		}
		wantProblem(t, token("198.51.100.7"), http.StatusInternalServerError, "92000", "")
		if r := token("198.51.100.8"); r.status != http.StatusOK {
			t.Fatalf("another client behind the proxy: %d %s", r.status, r.body)
		}
		// IPv6 clients count by their /64.
		if r := token("2001:db8:1:2::1"); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if r := token("2001:db8:1:2::ffff"); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		wantProblem(t, token("2001:db8:1:2:abcd::9"), http.StatusInternalServerError, "92000", "")
	})
}

// TestFailedLoginsPerAddress: past its failed password grants, an address's password grants are
// refused with the spike arrest before any password is checked — so the user's own failure count
// does not move and the right password from that address is refused too — while other addresses
// and other grants are unaffected, and the budget refills.
func TestFailedLoginsPerAddress(t *testing.T) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	a := newAPIWith(t, dbtest.SQLite(t), func(o *handlers.Options) {
		o.Limits = handlers.Limits{FailedLoginsPerAddress: mustRate(t, "3/m")}
		o.TrustedProxies = []*net.IPNet{loopback}
	})
	attacker, user := "203.0.113.66", "203.0.113.10"
	v1 := func(ip, form string) *response {
		return a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, form, fromAddress(ip))
	}
	v2 := func(ip, form string) *response {
		return a.do(t, http.MethodPost, "/oauth2/v1/token", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
			"transactionId": newTID(), "institutionId": fiCreditUnion, "Content-Type": formContentType, "X-Forwarded-For": ip}, form)
	}
	wrong := "grant_type=password&username=" + sandboxUser + "&password=not-it"
	unknown := "grant_type=password&username=nobody_here&password=whatever1"
	wantProblem(t, v1(attacker, wrong), http.StatusUnauthorized, "90001", "")
	wantProblem(t, v2(attacker, wrong), http.StatusUnauthorized, "CMN_90015", "")
	wantProblem(t, v2(attacker, unknown), http.StatusUnauthorized, "CMN_90015", "")
	for range 12 { // more than the lockout threshold (10): none of them reaches the user
		r := v2(attacker, wrong)
		wantProblem(t, r, http.StatusInternalServerError, "CMN_90002", "")
		wantRetryAfter(t, r, 20, 20)
	}
	wantProblem(t, v1(attacker, unknown), http.StatusInternalServerError, "92000", "")
	wantProblem(t, v1(attacker, sandboxUserGrant), http.StatusInternalServerError, "92000", "")
	// Client credentials from the same address are not password grants.
	if r := v1(attacker, "grant_type=client_credentials"); r.status != http.StatusOK {
		t.Fatalf("client credentials: %d %s", r.status, r.body)
	}
	c, err := a.store.CustomerByLogin(context.Background(), fiCreditUnion, sandboxUser)
	if err != nil || c.Locked || c.FailedLoginCount != 2 {
		t.Fatalf("the user's failures: %d locked %v (%v); want 2, not locked", c.FailedLoginCount, c.Locked, err)
	}
	if r := v2(user, sandboxUserGrant); r.status != http.StatusOK {
		t.Fatalf("the user from another address: %d %s", r.status, r.body)
	}
	a.advance(20 * time.Second)
	if r := v2(attacker, sandboxUserGrant); r.status != http.StatusOK {
		t.Fatalf("after the refill: %d %s", r.status, r.body)
	}
}

// TestHashingQueueShedsLoad: with the only hashing slot taken and no room to queue, every
// operation that hashes a password — Register v4, the Customer v2 registration, password grants
// of known and unknown users, completing a password reset — is refused at once with its family's
// spike arrest (500 92000, 429 UXU_10015, 500 CMN_90002) and Retry-After, and stores nothing;
// with the slot free the same requests pass.
func TestHashingQueueShedsLoad(t *testing.T) {
	base := dbtest.SQLite(t)
	// Slow hashes (~0.3 s each) and one slot that nobody may wait for.
	hasher := secure.NewPasswordHasher(secure.Argon2Params{Memory: 8 << 10, Time: 24}, 1).LimitQueue(0, time.Second)
	store := dbtest.With(base, nil, hasher)
	a := newAPIOn(t, store)
	v1 := a.v1Token(t, fiCreditUnion)
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)

	// Keep the slot busy: one hash after another in the background.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_, _ = hasher.Hash(context.Background(), "background-load")
			}
		}
	})
	before := a.customerCount(t, fiCreditUnion)
	// Each kind of request until it meets the busy slot (nearly always the first time); the
	// registrations that found it free between two background hashes are counted.
	passed := 0
	busy := func(name string, send func() *response, status int, code string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := send()
			if strings.Contains(name, "egist") && r.status < 300 {
				passed++ // Register v4, the Customer v2 registration
			}
			if r.status == status {
				wantProblem(t, r, status, code, "")
				wantRetryAfter(t, r, 1, 1)
				return
			}
			if r.status >= 500 || time.Now().After(deadline) {
				t.Fatalf("%s: %d %s, want %d %s", name, r.status, r.body, status, code)
			}
		}
	}
	busy("Register v4", func() *response {
		return a.registerJSON(t, v1, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion).json(t))
	}, http.StatusInternalServerError, "92000")
	busy("Customer v2 registration", func() *response {
		return a.registerV2(t, admin, newTID(), newCustomerRegistration(fiCreditUnion).json(t))
	}, http.StatusTooManyRequests, "UXU_10015")
	busy("V2 password grant", func() *response {
		return a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
	}, http.StatusInternalServerError, "CMN_90002")
	busy("V1 password grant of an unknown user", func() *response {
		return a.v1TokenRequest(t, "/v1/oauth/token", sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=password&username=nobody_here&password=x1y2z3", nil)
	}, http.StatusInternalServerError, "92000")
	busy("completing a password reset", func() *response {
		h := ux(admin)
		h["Content-Type"] = "application/json"
		return a.do(t, http.MethodPut, customers+sandboxUserGUID+":complete-password-reset", h,
			`{"passcode": "000000", "newPassword": "N3w-Passw0rd!"}`)
	}, http.StatusTooManyRequests, "UXU_10015")
	close(stop)
	wg.Wait()
	if n := a.customerCount(t, fiCreditUnion); n != before+int64(passed) {
		t.Fatalf("%d customers stored by refused registrations", n-before-int64(passed))
	}
	// A free slot: the same requests pass.
	if r := a.registerJSON(t, v1, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion).json(t)); r.status != http.StatusOK {
		t.Fatalf("Register v4 with the slot free: %d %s", r.status, r.body)
	}
	if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant); r.status != http.StatusOK {
		t.Fatalf("password grant with the slot free: %d %s", r.status, r.body)
	}
}

// stallBody opens a connection that sends a request declaring a body of declared bytes, sends
// sent of them, and then waits: the server holds what it read. close ends it.
func stallBody(t *testing.T, a *api, path string, headers map[string]string, declared, sent int) (close func(), answered func() string) {
	t.Helper()
	u, err := url.Parse(a.base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", path, u.Host, declared)
	for k, v := range headers {
		fmt.Fprintf(w, "%s: %s\r\n", k, v)
	}
	w.WriteString("\r\n")
	w.WriteString(strings.Repeat(" ", sent))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// answered reports what the server said on the stalled connection, if anything, without
	// waiting: a stall that was answered (or dropped) no longer holds its body's bytes.
	answered = func() string {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		buf := make([]byte, 128)
		n, err := conn.Read(buf)
		if n > 0 {
			return string(buf[:n])
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return ""
		}
		return fmt.Sprintf("connection ended: %v", err)
	}
	return func() { _ = conn.Close() }, answered
}

// TestBodiesInFlightAreBounded: the bytes of request bodies held at once are bounded. While a
// slow client holds most of the budget, small bodies still pass, a larger one waits briefly and
// is then refused with the family's spike arrest (no other 5xx), and once the slow client is
// gone the larger body is read again.
func TestBodiesInFlightAreBounded(t *testing.T) {
	a := newLimitedAPI(t, handlers.Limits{BodyBytesInFlight: 100 << 10}) // max body 64 KiB in these tests
	v1 := a.v1Token(t, fiCreditUnion)
	v2 := a.v2For(t, fiCreditUnion, "")
	register := "/registration/v4/fis/" + fiCreditUnion + "/fiCustomers"
	// 40,000 of 60,000 bytes sent: the server's buffer has grown to 64 KiB.
	stall := func() (func(), func() string) {
		return stallBody(t, a, register, map[string]string{"Authorization": "Bearer " + v1, "di_tid": newTID(),
			"Content-Type": "application/json"}, 60000, 40000)
	}
	release, answered := stall()
	defer func() { release() }()

	big := "[" + strings.Repeat(" ", 30000) + "]" // past the first 16 KiB step: needs 48 KiB more
	registerBig := func() *response {
		return a.do(t, http.MethodPost, register, map[string]string{"Authorization": "Bearer " + v1, "di_tid": newTID(),
			"Content-Type": "application/json", "Accept": "application/json"}, big)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := registerBig()
		if r.status == http.StatusInternalServerError {
			wantProblem(t, r, http.StatusInternalServerError, "92000", "")
			wantRetryAfter(t, r, 1, 1)
			break
		}
		if r.status != http.StatusBadRequest || time.Now().After(deadline) {
			t.Fatalf("a large body beside the slow one: %d %s (the slow one: %q)", r.status, r.body, answered())
		}
		// Read, so the budget had room: the slow body may not be read yet, or (on a loaded
		// machine) it was answered already and no longer holds its bytes; then stall again.
		if said := answered(); said != "" {
			t.Logf("the slow request was answered before the budget filled (%.60q); stalling again", said)
			release()
			release, answered = stall()
		}
		time.Sleep(5 * time.Millisecond)
	}
	r := a.do(t, http.MethodPost, userDiscl, map[string]string{"Authorization": "Bearer " + v2, "transactionId": newTID(),
		"Content-Type": "application/json"}, big)
	wantProblem(t, r, http.StatusTooManyRequests, "DSC_12018", "")
	// A registration of ordinary size fits beside the slow client.
	if r := a.registerJSON(t, v1, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion).json(t)); r.status != http.StatusOK {
		t.Fatalf("an ordinary registration: %d %s", r.status, r.body)
	}
	release()
	deadline = time.Now().Add(10 * time.Second)
	for {
		r := registerBig()
		if r.status == http.StatusBadRequest { // read, and refused as a registration
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the slow client left: %d %s", r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFailedLoginsPerAddressHoldUnderConcurrency: 20 concurrent password grants for unknown
// users from one address with a budget of 3 failures: exactly 3 are checked (401), the others
// refused unchecked — a grant takes its failure before its password is checked, so concurrent
// grants cannot all pass on the budget's last failures.
func TestFailedLoginsPerAddressHoldUnderConcurrency(t *testing.T) {
	a := newLimitedAPI(t, handlers.Limits{FailedLoginsPerAddress: mustRate(t, "3/h")})
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			r, err := a.try(t, http.MethodPost, "/oauth2/v1/token", map[string]string{"Authorization": basic(sandboxApp, sandboxSecret),
				"transactionId": newTID(), "institutionId": fiCreditUnion, "Content-Type": formContentType},
				fmt.Sprintf("grant_type=password&username=nobody%02d&password=guess-%d", i, i))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got[http.StatusUnauthorized] != 3 || got[http.StatusInternalServerError] != 17 {
		t.Fatalf("answers by status %v, want 3 checked (401) and 17 refused (500 CMN_90002)", got)
	}
	// A success gives its failure back: the right password passes, and passes again.
	b := newLimitedAPI(t, handlers.Limits{FailedLoginsPerAddress: mustRate(t, "1/h")})
	for range 3 {
		if r := b.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant); r.status != http.StatusOK {
			t.Fatalf("a successful login used the failure budget: %d %s", r.status, r.body)
		}
	}
}
