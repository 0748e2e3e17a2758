package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// TestInstancesShareOneDatabase runs three custreg processes (the built binary, on loopback)
// on one database, started at the same moment, and checks that together they behave as one:
// tokens issued by one are accepted and revoked by the others, a di_tid replays across them,
// in-flight markers hold across them, a lockout counts failures made at any of them and an
// unlock at one frees the user at all, and 20-way races spread over them give exactly one
// winner for a login, a member and an SSN. On PostgreSQL (the deployment that scales past one
// machine) when CUSTREG_TEST_POSTGRES_DSN is set, and on one SQLite file (processes of one
// machine).
func TestInstancesShareOneDatabase(t *testing.T) {
	for _, target := range processDatabases() {
		t.Run(target.Name, func(t *testing.T) {
			// The races hash 20 passwords at once on each instance: a queue that holds them all,
			// so that every answer is the race's own (the spike-arrest shedding is tested apart).
			all := startInstances(t, []string{"a", "b", "c"}, target.DSN(t), "--hash-queue", "64", "--hash-wait", "8s")
			a, b, c := all[0], all[1], all[2]
			v2h := func(token string) map[string]string {
				return map[string]string{"Authorization": "Bearer " + token, "transactionId": uuid.NewString()}
			}

			t.Run("tokens", func(t *testing.T) {
				v1 := a.v1Token()
				for _, in := range []*instance{b, c} {
					r := in.must(http.MethodGet, "/bankingservices/v2/fis/"+fiCreditUnion+"/fiCustomers/"+sandboxUserGUID, map[string]string{
						"Authorization": "Bearer " + v1, "di_tid": uuid.NewString(), "Accept": "application/json"}, "")
					if r.status != http.StatusOK {
						t.Errorf("a's V1 token at %s: %d %s", in.name, r.status, r.body)
					}
				}
				client, _, _ := b.v2Token("grant_type=client_credentials")
				if r := c.must(http.MethodGet, "/v1/institution-disclosures", v2h(client), ""); r.status != http.StatusOK {
					t.Errorf("b's V2 token at c: %d %s", r.status, r.body)
				}
				_, refresh, r := a.v2Token("grant_type=password&username=" + sandboxUser + "&password=" + url.QueryEscape(sandboxPassword))
				if refresh == "" {
					t.Fatalf("password grant at a: %d %s", r.status, r.body)
				}
				access, _, r := b.v2Token("grant_type=refresh_token&refresh_token=" + refresh)
				if access == "" {
					t.Fatalf("a's refresh token at b: %d %s", r.status, r.body)
				}
				if r := c.must(http.MethodGet, "/v1/accounts", v2h(access), ""); r.status != http.StatusOK {
					t.Errorf("the refreshed token at c: %d %s", r.status, r.body)
				}
				r = c.must(http.MethodPost, "/oauth2/v1/revoke", map[string]string{"Authorization": basicAuth(sandboxApp, sandboxSecret),
					"transactionId": uuid.NewString(), "Content-Type": "application/x-www-form-urlencoded"}, "token="+access)
				if r.status != http.StatusNoContent {
					t.Fatalf("revoke at c: %d %s", r.status, r.body)
				}
				for _, in := range all {
					if r := in.must(http.MethodGet, "/v1/accounts", v2h(access), ""); r.status != http.StatusUnauthorized {
						t.Errorf("the token revoked at c, at %s: %d %s", in.name, r.status, r.body)
					}
				}
			})

			t.Run("idempotency", func(t *testing.T) {
				token := a.v1Token()
				reg, tid := newRegistration("idem", "", "", ""), uuid.NewString()
				first, err := a.register(token, tid, reg)
				if err != nil || first.status != http.StatusOK {
					t.Fatalf("register at a: %v %v", first, err)
				}
				again, err := b.register(token, tid, reg)
				if err != nil || again.status != http.StatusOK || !bytes.Equal(again.body, first.body) {
					t.Errorf("the same di_tid and body at b: %v %v", again, err)
				}
				other, err := c.register(token, tid, newRegistration("idem", "", "", ""))
				if err != nil || other.status != http.StatusConflict || errorCode(other.body) != "26330" {
					t.Errorf("the same di_tid with another body at c: %v %v", other, err)
				}
			})

			t.Run("in-flight", func(t *testing.T) {
				// One request sent ten times at once, spread over the instances: it registers
				// once; every other copy replays its answer or is told it is in progress.
				token := a.v1Token()
				reg, tid := newRegistration("inflight", "", "", ""), uuid.NewString()
				answers := race(t, 10, func(i int) (*reply, error) { return all[i%3].register(token, tid, reg) })
				var bodies [][]byte
				for _, r := range answers {
					switch {
					case r.status == http.StatusOK:
						bodies = append(bodies, r.body)
					case r.status != http.StatusConflict || errorCode(r.body) != "26330":
						t.Errorf("answer %d %s", r.status, r.body)
					}
				}
				if len(bodies) == 0 {
					t.Fatal("no copy registered")
				}
				for _, body := range bodies[1:] {
					if !bytes.Equal(body, bodies[0]) {
						t.Errorf("two different successes for one request")
					}
				}
				if n := customersWith(t, c, token, reg.member); n != 1 {
					t.Errorf("%d customers for one request", n)
				}
			})

			t.Run("lockout", func(t *testing.T) {
				token := a.v1Token()
				reg := newRegistration("locked", "", "", "")
				if r, err := a.register(token, uuid.NewString(), reg); err != nil || r.status != http.StatusOK {
					t.Fatalf("register: %v %v", r, err)
				}
				grant := "grant_type=password&username=" + reg.login + "&password="
				for i := range 10 { // the sandbox FI's threshold, failures spread over the instances
					if _, _, r := all[i%3].v2Token(grant + "Wrong-Pass1"); r.status != http.StatusUnauthorized {
						t.Fatalf("failure %d: %d %s", i+1, r.status, r.body)
					}
				}
				for _, in := range all {
					if _, _, r := in.v2Token(grant + url.QueryEscape(regPassword)); r.status != http.StatusUnauthorized {
						t.Errorf("the locked user's right password at %s: %d %s", in.name, r.status, r.body)
					}
				}
				guid := guidOf(t, a, token, reg.login)
				admin, _, _ := b.v2Token("grant_type=client_credentials")
				r := b.must(http.MethodPut, "/v1/customers/"+guid+":unlock-user", map[string]string{"Authorization": "Bearer " + admin,
					"correlationId": uuid.NewString()}, "")
				if r.status != http.StatusNoContent {
					t.Fatalf("unlock at b: %d %s", r.status, r.body)
				}
				for _, in := range all {
					if access, _, r := in.v2Token(grant + url.QueryEscape(regPassword)); access == "" {
						t.Errorf("after the unlock at b, at %s: %d %s", in.name, r.status, r.body)
					}
				}
			})

			t.Run("races", func(t *testing.T) {
				token := a.v1Token()
				same := newRegistration("race", "", "", "")
				for _, race := range []struct {
					name string
					reg  func(i int) registration
				}{
					{"login", func(int) registration { return newRegistration("x", "", same.login, "") }},
					{"member", func(int) registration { return newRegistration("race", same.member, "", "") }},
					{"SSN", func(int) registration { return newRegistration("race", "", "", same.ssn) }},
				} {
					regs := make([]registration, 20)
					for i := range regs {
						regs[i] = race.reg(i)
					}
					answers := race20(t, all, token, regs)
					outcomes := map[string]int{}
					for _, r := range answers {
						outcomes[fmt.Sprintf("%d %s", r.status, errorCode(r.body))]++
					}
					t.Logf("same %s: %v", race.name, outcomes)
					if outcomes["200 "] != 1 {
						t.Errorf("same %s: %d winners, want 1 (%v)", race.name, outcomes["200 "], outcomes)
					}
					for k := range outcomes {
						if k != "200 " && !strings.HasPrefix(k, "409 ") && !strings.HasPrefix(k, "400 ") {
							t.Errorf("same %s: answer %s", race.name, k)
						}
					}
				}
			})

			for _, in := range all {
				if logs := in.logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
					t.Errorf("%s logged errors:\n%s", in.name, logs)
				}
			}
		})
	}
}

// race sends n requests at once and returns their answers; a request that gets no answer fails
// the test.
func race(t *testing.T, n int, send func(i int) (*reply, error)) []*reply {
	t.Helper()
	answers := make([]*reply, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i], errs[i] = send(i)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return answers
}

// race20 registers regs at once, spread round-robin over the instances, each with its own di_tid.
func race20(t *testing.T, all []*instance, token string, regs []registration) []*reply {
	t.Helper()
	return race(t, len(regs), func(i int) (*reply, error) { return all[i%len(all)].register(token, uuid.NewString(), regs[i]) })
}

// customersWith counts the registered customers of a member (0 or 1: a member has one PRIMARY
// user), read through the API.
func customersWith(t *testing.T, in *instance, token, member string) int {
	t.Helper()
	r := in.must(http.MethodGet, "/bankingservices/v2/fis/"+fiCreditUnion+"/fiCustomers/"+member+"?fiCustomerIdType=MEMNUMBER",
		map[string]string{"Authorization": "Bearer " + token, "di_tid": uuid.NewString(), "Accept": "application/json"}, "")
	switch r.status {
	case http.StatusOK:
		return 1
	case http.StatusNotFound:
		return 0
	}
	t.Fatalf("customer of member %s: %d %s", member, r.status, r.body)
	return 0
}

// guidOf is the GUID of the customer with a login id.
func guidOf(t *testing.T, in *instance, token, login string) string {
	t.Helper()
	r := in.must(http.MethodGet, "/bankingservices/v2/fis/"+fiCreditUnion+"/fiCustomers/"+login+"?fiCustomerIdType=LOGINID",
		map[string]string{"Authorization": "Bearer " + token, "di_tid": uuid.NewString(), "Accept": "application/json"}, "")
	_, rest, _ := strings.Cut(string(r.body), `"id":{"type":"GUID","value":"`)
	guid, _, _ := strings.Cut(rest, `"`)
	if r.status != http.StatusOK || len(guid) != 32 {
		t.Fatalf("customer %s: %d %s", login, r.status, r.body)
	}
	return guid
}
