package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/models"
)

// answerBound is how long a request may take to answer when the database budget is one second
// (and the request deadline two): generous, so the tests check that the bounds apply, not how
// fast the machine is. Without them these requests wait for the lock or the frozen server.
const answerBound = 5 * time.Second

// outageStack configures the stack an outage test builds.
type outageStack struct {
	logs           *syncBuffer   // shared with the store's logger when the store was opened with it
	requestTimeout time.Duration // handlers.Options.RequestTimeout
	writeTimeout   time.Duration // the HTTP server's WriteTimeout (0: none, as httptest)
}

// newOutageAPI is newAPIOn with the outage test's options: the stack is still built by
// handlers.New over a real database on loopback, with the sandbox loaded.
func newOutageAPI(t testing.TB, store *db.Store, cfg outageStack) *api {
	t.Helper()
	dbtest.Sandbox(t, store)
	if cfg.logs == nil {
		cfg.logs = &syncBuffer{}
	}
	a := &api{store: store, router: responseRouter(t), logs: cfg.logs}
	e, err := handlers.New(handlers.Options{Store: store, Log: jsonLogger(cfg.logs), MaxBodyBytes: 64 << 10, Version: "test",
		RequestTimeout: cfg.requestTimeout})
	if err != nil {
		t.Fatalf("build stack: %v", err)
	}
	srv := httptest.NewUnstartedServer(e)
	srv.Config.WriteTimeout = cfg.writeTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	a.base = srv.URL
	return a
}

func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// sendWithin is a.try with a client timeout.
func (a *api) sendWithin(t testing.TB, timeout time.Duration, method, path string, headers map[string]string, body string) (*response, error) {
	t.Helper()
	return a.tryWith(t, &http.Client{Timeout: timeout}, method, path, headers, body)
}

// timed sends a request that must be answered within answerBound, and says how long it took.
func (a *api) timed(t testing.TB, what, method, path string, headers map[string]string, body string) *response {
	t.Helper()
	start := time.Now()
	r, err := a.sendWithin(t, 3*answerBound, method, path, headers, body)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("%s: no answer after %v: %v", what, elapsed.Round(time.Millisecond), err)
	}
	t.Logf("%s: %d after %v", what, r.status, elapsed.Round(time.Millisecond))
	if elapsed > answerBound {
		t.Errorf("%s answered after %v", what, elapsed.Round(time.Millisecond))
	}
	return r
}

func registerHeaders(token, tid string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token, "di_tid": tid, "Content-Type": "application/json",
		"Accept": "application/json", "originating_ip": "203.0.113.7", "offering_id": "acme-onboarding"}
}

const registerPath = "/registration/v4/fis/" + fiCreditUnion + "/fiCustomers"

func customerHeaders(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token, "di_tid": newTID(), "Accept": "application/json"}
}

const customerPath = "/bankingservices/v2/fis/" + fiCreditUnion + "/fiCustomers/" + sandboxUserGUID

func v2TokenHeaders() map[string]string {
	return map[string]string{"Authorization": basic(sandboxApp, sandboxSecret), "transactionId": newTID(), "Content-Type": formContentType,
		"institutionId": fiCreditUnion}
}

// leftovers counts what a registration under trace id tid and login left in the database.
func leftovers(t *testing.T, store *db.Store, tid, login string) (customers, records, markers int64) {
	t.Helper()
	if err := store.Conn().Model(&models.Customer{}).Where("login_id_norm = ?", login).Count(&customers).Error; err != nil {
		t.Fatal(err)
	}
	if err := store.Conn().Model(&models.IdempotencyRecord{}).Where("trace_id = ?", tid).Count(&records).Error; err != nil {
		t.Fatal(err)
	}
	if err := store.Conn().Model(&models.InFlight{}).Where("trace_id = ?", tid).Count(&markers).Error; err != nil {
		t.Fatal(err)
	}
	return customers, records, markers
}

func TestLockedDatabaseAnswersUnavailableWithinTheBudget(t *testing.T) {
	for _, target := range dbtest.Targets() {
		t.Run(target.Name, func(t *testing.T) {
			dsn := target.DSN(t)
			store := dbtest.OpenWith(t, dsn, db.Settings{Timeout: time.Second})
			a := newOutageAPI(t, store, outageStack{})
			tok := a.v1Token(t, fiCreditUnion)
			tid, login := newTID(), "locked_user1"
			body := newRegistration(t, fiCreditUnion, withMember("468531842"), withLogin(login), withSSN("123456780")).json(t)

			var releaseAll []func()
			if dbtest.IsPostgres(dsn) {
				releaseAll = append(releaseAll, dbtest.LockTable(t, dsn, "customers"))
			} else {
				releaseAll = append(releaseAll, dbtest.LockSQLite(t, dsn))
			}
			wantProblem(t, a.timed(t, "register", http.MethodPost, registerPath, registerHeaders(tok, tid), body), 503, "26340", "")
			if dbtest.IsPostgres(dsn) {
				wantProblem(t, a.timed(t, "get customer", http.MethodGet, customerPath, customerHeaders(tok), ""), 503, "26340", "")
				releaseAll = append(releaseAll, dbtest.LockTable(t, dsn, "tokens"))
			}
			// The token family publishes no 503: unavailability is its internal error.
			wantProblem(t, a.timed(t, "v2 token", http.MethodPost, "/oauth2/v1/token", v2TokenHeaders(), "grant_type=client_credentials"), 500, "CMN_90000", "")
			for _, release := range releaseAll {
				release()
			}

			if c, r, m := leftovers(t, store, tid, login); c+r+m != 0 {
				t.Errorf("the failed registration left %d customers, %d idempotency records, %d in-flight markers", c, r, m)
			}
			if r := a.registerJSON(t, tok, fiCreditUnion, tid, body); r.status != http.StatusOK {
				t.Errorf("retry with the same di_tid: %d %s", r.status, r.body)
			}
		})
	}
}

func TestRegistrationCutOffDoesNotCommitLater(t *testing.T) {
	for _, target := range dbtest.Targets() {
		for _, cut := range []struct {
			name          string
			clientTimeout time.Duration
		}{
			{"request deadline", 0}, // the client waits; the server's deadline ends the request
			{"client gone", 500 * time.Millisecond},
		} {
			t.Run(target.Name+"/"+cut.name, func(t *testing.T) {
				dsn := target.DSN(t)
				// A database budget longer than the lock, so only the request's end can stop it.
				store := dbtest.OpenWith(t, dsn, db.Settings{Timeout: 10 * time.Second})
				a := newOutageAPI(t, store, outageStack{requestTimeout: time.Second, writeTimeout: 2 * time.Second})
				tok := a.v1Token(t, fiCreditUnion)
				tid, login := newTID(), "cutoff_user1"
				body := newRegistration(t, fiCreditUnion, withMember("468531842"), withLogin(login), withSSN("123456780")).json(t)
				var release func()
				if dbtest.IsPostgres(dsn) {
					release = dbtest.LockTable(t, dsn, "customers")
				} else {
					release = dbtest.LockSQLite(t, dsn)
				}
				time.AfterFunc(3*time.Second, release) // after the write timeout

				clientTimeout := cut.clientTimeout
				if clientTimeout == 0 {
					clientTimeout = 3 * answerBound
				}
				r, err := a.sendWithin(t, clientTimeout, http.MethodPost, registerPath, registerHeaders(tok, tid), body)
				switch {
				case err != nil:
					t.Logf("client: %v", err)
				default:
					t.Logf("client: %d %s", r.status, r.body)
				}
				// SQLite's wait for its lock cannot be interrupted (the busy timeout bounds it), so
				// there the answer comes only when the lock is released, after the write timeout;
				// what matters on both is that nothing commits.
				if cut.clientTimeout == 0 && dbtest.IsPostgres(dsn) && (err != nil || r.status != http.StatusServiceUnavailable) {
					t.Errorf("the deadline should answer 503 before the write timeout; got %v %v", r, err)
				}
				// Wait until the server is done with the request (its access-log line), then look.
				if !waitForLog(a.logs, `"msg":"request"`, tid, 15*time.Second) {
					t.Fatalf("the request did not finish")
				}
				release()
				time.Sleep(200 * time.Millisecond) // a commit after the lock is released would land now
				if c, r, m := leftovers(t, store, tid, login); c+r+m != 0 {
					t.Errorf("the cut-off registration left %d customers, %d idempotency records, %d in-flight markers", c, r, m)
				}
				if r := a.registerJSON(t, tok, fiCreditUnion, tid, body); r.status != http.StatusOK {
					t.Errorf("retry with the same di_tid: %d %s", r.status, r.body)
				}
			})
		}
	}
}

// waitForLog reports whether a log line containing all of parts appears within timeout.
func waitForLog(logs *syncBuffer, part1, part2 string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, part1) && strings.Contains(line, part2) {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFrozenPostgresAnswersQuicklyAndRecovers: a private PostgreSQL server is frozen (SIGSTOP,
// as a network partition), thawed, stopped (immediate: connections drop) and started again, while
// clients keep registering, reading customers and taking tokens. Every answer comes within the
// bound, and during an outage it is the family's unavailable answer; /readyz says not ready; the
// same stack serves again after each recovery without a restart; and every registration it
// acknowledged, before, during or after the outages, is stored whole.
func TestFrozenPostgresAnswersQuicklyAndRecovers(t *testing.T) {
	cluster := dbtest.NewCluster(t)
	store := dbtest.OpenWith(t, cluster.DSN(), db.Settings{Timeout: time.Second})
	a := newOutageAPI(t, store, outageStack{requestTimeout: 2 * time.Second})
	tok := a.v1Token(t, fiCreditUnion)
	traffic := startTraffic(t, a, tok)

	checkUnavailable := func(phase string) {
		t.Helper()
		wantProblem(t, a.timed(t, phase+": get customer", http.MethodGet, customerPath, customerHeaders(tok), ""), 503, "26340", "")
		wantProblem(t, a.timed(t, phase+": v2 token", http.MethodPost, "/oauth2/v1/token", v2TokenHeaders(), "grant_type=client_credentials"), 500, "CMN_90000", "")
		wantProblem(t, a.timed(t, phase+": register", http.MethodPost, registerPath, registerHeaders(tok, newTID()),
			newRegistration(t, fiCreditUnion, withMember("468531842"), withLogin("frozen_user1"), withSSN("123456780")).json(t)), 503, "26340", "")
		if r := a.timed(t, phase+": readyz", http.MethodGet, "/readyz", nil, ""); r.status != http.StatusServiceUnavailable {
			t.Errorf("%s: readyz %d", phase, r.status)
		}
	}
	checkRecovered := func(phase string) {
		t.Helper()
		// Connections broken by the outage may fail once each before the pool replaces them.
		for attempt := 1; ; attempt++ {
			r := a.timed(t, phase+": get customer", http.MethodGet, customerPath, customerHeaders(tok), "")
			if r.status == http.StatusOK {
				t.Logf("%s: answered 200 at attempt %d", phase, attempt)
				return
			}
			if attempt == 5 {
				t.Fatalf("%s: the service did not recover: %d %s", phase, r.status, r.body)
			}
		}
	}

	traffic.steady("before", time.Second)
	traffic.fault("frozen")
	cluster.Freeze()
	checkUnavailable("frozen")
	cluster.Thaw()
	checkRecovered("thawed")
	traffic.steady("thawed", time.Second)

	traffic.fault("stopped")
	cluster.Stop("immediate")
	checkUnavailable("stopped")
	cluster.Start()
	checkRecovered("restarted")
	traffic.steady("restarted", time.Second)
	traffic.stopAndCheck(t)
}

// traffic is clients registering, reading a customer and taking V2 tokens in a loop while a
// test breaks the database. Each answer is recorded with the phase in which it was sent and
// received.
type traffic struct {
	a     *api
	token string
	phase atomic.Value // string: "steady:<name>" or the fault's name
	stop  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	seen  []trafficAnswer
	acked []string // GUIDs of acknowledged registrations
}

type trafficAnswer struct {
	what, sentIn, answeredIn string
	status                   int
	code                     string
	elapsed                  time.Duration
	err                      error
}

func startTraffic(t *testing.T, a *api, token string) *traffic {
	tr := &traffic{a: a, token: token, stop: make(chan struct{})}
	tr.phase.Store("steady:start")
	requests := []struct {
		what string
		send func() (*response, error)
	}{
		{"register", func() (*response, error) {
			return a.sendWithin(t, 3*answerBound, http.MethodPost, registerPath, registerHeaders(token, newTID()), newRegistration(t, fiCreditUnion).json(t))
		}},
		{"get customer", func() (*response, error) {
			return a.sendWithin(t, 3*answerBound, http.MethodGet, customerPath, customerHeaders(token), "")
		}},
		{"v2 token", func() (*response, error) {
			return a.sendWithin(t, 3*answerBound, http.MethodPost, "/oauth2/v1/token", v2TokenHeaders(), "grant_type=client_credentials")
		}},
	}
	for w := range 3 {
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			for i := w; ; i++ {
				select {
				case <-tr.stop:
					return
				default:
				}
				req := requests[i%len(requests)]
				sent, start := tr.phase.Load().(string), time.Now()
				r, err := req.send()
				ans := trafficAnswer{what: req.what, sentIn: sent, answeredIn: tr.phase.Load().(string), elapsed: time.Since(start), err: err}
				if r != nil {
					ans.status = r.status
					if p, perr := readProblem(r); perr == nil {
						ans.code = p.errors[0].Code
					}
				}
				tr.mu.Lock()
				tr.seen = append(tr.seen, ans)
				if req.what == "register" && r != nil && r.status == http.StatusOK {
					var out gen.FICustomerResponse
					if json.Unmarshal(r.body, &out) == nil {
						tr.acked = append(tr.acked, out.FICustomer.ID.Value)
					}
				}
				tr.mu.Unlock()
			}
		}()
	}
	return tr
}

// steady lets the traffic run for d in a phase where the database is up and recovered: every
// answer sent and received in it must succeed. Half a second of settling comes first, in which
// the thawed server works off the backlog a freeze left (see TestRestartedPostgresIsUsedAgainAtOnce).
func (tr *traffic) steady(name string, d time.Duration) {
	tr.phase.Store("settling:" + name)
	time.Sleep(500 * time.Millisecond)
	tr.phase.Store("steady:" + name)
	time.Sleep(d)
}

// fault names the outage about to start.
func (tr *traffic) fault(name string) { tr.phase.Store(name) }

// stopAndCheck ends the traffic and checks what it saw and what it stored.
func (tr *traffic) stopAndCheck(t *testing.T) {
	t.Helper()
	close(tr.stop)
	tr.wg.Wait()
	unavailable := map[string]string{"register": "26340", "get customer": "26340", "v2 token": "CMN_90000"}
	counts := map[string]int{}
	for _, s := range tr.seen {
		key := s.sentIn
		if s.sentIn != s.answeredIn {
			key += "→" + s.answeredIn
		}
		counts[key+" "+strconv.Itoa(s.status)]++
		switch {
		case s.err != nil:
			t.Errorf("%s sent in %s: no answer after %v: %v", s.what, s.sentIn, s.elapsed, s.err)
		case s.elapsed > answerBound:
			t.Errorf("%s sent in %s: answered after %v", s.what, s.sentIn, s.elapsed)
		case s.status >= 500 && s.code != unavailable[s.what]:
			t.Errorf("%s sent in %s: %d %s, not the family's unavailable answer", s.what, s.sentIn, s.status, s.code)
		case s.status >= 500 && s.sentIn == s.answeredIn && strings.HasPrefix(s.sentIn, "steady:"):
			t.Errorf("%s in the steady phase %s: %d %s", s.what, s.sentIn, s.status, s.code)
		case s.status >= 300 && s.status < 500:
			t.Errorf("%s sent in %s: %d %s", s.what, s.sentIn, s.status, s.code)
		}
	}
	t.Logf("traffic answers by phase: %v; %d registrations acknowledged", counts, len(tr.acked))
	ctx := context.Background()
	for _, guid := range tr.acked {
		v, err := tr.a.store.FindCustomer(ctx, fiCreditUnion, "GUID", guid)
		if err != nil || len(v.Addresses) != 1 || len(v.Phones) != 1 || len(v.Destinations) != 3 {
			t.Errorf("acknowledged registration %s is not stored whole: %v", guid, err)
		}
	}
}

func TestRestartedPostgresIsUsedAgainAtOnce(t *testing.T) {
	cluster := dbtest.NewCluster(t)
	store := dbtest.OpenWith(t, cluster.DSN(), db.Settings{Timeout: 2 * time.Second})
	a := newOutageAPI(t, store, outageStack{requestTimeout: 4 * time.Second})
	tok := a.v1Token(t, fiCreditUnion)
	// More requests than the pool has connections, during a freeze, leave it with connections
	// the pool opened for requests that had given up: they complete after the thaw, unused.
	cluster.Freeze()
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = a.sendWithin(t, 3*answerBound, http.MethodGet, customerPath, customerHeaders(tok), "")
		}()
	}
	wg.Wait()
	cluster.Thaw()
	// The thawed server first works off the backlog of connections the freeze left; on a busy
	// machine that can outlast one request's database budget, never two.
	if r := a.do(t, http.MethodGet, customerPath, customerHeaders(tok), ""); r.status != http.StatusOK {
		t.Logf("first request after the thaw: %d; trying once more", r.status)
		if r := a.do(t, http.MethodGet, customerPath, customerHeaders(tok), ""); r.status != http.StatusOK {
			t.Fatalf("after the thaw: %d", r.status)
		}
	}
	// A restart ends every session: the first request to see it may fail, the next must not.
	cluster.Stop("fast")
	cluster.Start()
	var failed int
	for range 12 {
		if r := a.do(t, http.MethodGet, customerPath, customerHeaders(tok), ""); r.status != http.StatusOK {
			failed++
		}
	}
	if failed > 1 {
		t.Errorf("%d of 12 requests failed after the restart; stale connections should be dropped at the first", failed)
	}
}
