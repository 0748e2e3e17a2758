package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// logLines decodes the JSON log.
func logLines(t *testing.T, logs *syncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// checkOutageLog asserts a bounded, sanitised log: at most two ERROR lines, exactly one opening
// "database unavailable", and nothing naming the server, SQL or source files.
func checkOutageLog(t *testing.T, logs *syncBuffer, forbidden ...string) {
	t.Helper()
	errorLines, opened := 0, 0
	for _, m := range logLines(t, logs) {
		if m["level"] == "ERROR" {
			errorLines++
		}
		if m["msg"] == "database unavailable" {
			opened++
		}
	}
	if errorLines > 2 || opened != 1 {
		t.Errorf("%d ERROR lines, %d opening the outage; want at most 2 and exactly 1", errorLines, opened)
	}
	out := logs.String()
	for _, f := range append(forbidden, "SELECT", "INSERT", ".go:") {
		if strings.Contains(out, f) {
			t.Errorf("the log names %q", f)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", out)
	}
}

func TestOutageIsLoggedOnceWithoutDetails(t *testing.T) {
	const failing = 60
	t.Run("sqlite pool closed", func(t *testing.T) {
		logs := &syncBuffer{}
		store := dbtest.OpenWith(t, t.TempDir()+"/test.db", db.Settings{Log: jsonLogger(logs)})
		a := newOutageAPI(t, store, outageStack{logs: logs})
		tok := a.v1Token(t, fiCreditUnion)
		if err := db.Close(store.Conn()); err != nil {
			t.Fatal(err)
		}
		for range failing {
			wantProblem(t, a.do(t, http.MethodGet, customerPath, customerHeaders(tok), ""), 503, "26340", "")
		}
		checkOutageLog(t, logs)
	})
	t.Run("postgres stopped", func(t *testing.T) {
		cluster := dbtest.NewCluster(t)
		const user, database = "custreg_outage_user", "custreg_outage_db"
		admin, err := pgx.Connect(context.Background(), cluster.DSN())
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{"CREATE ROLE " + user + " LOGIN", "CREATE DATABASE " + database + " OWNER " + user} {
			if _, err := admin.Exec(context.Background(), stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		_ = admin.Close(context.Background())
		dsn := "postgres://" + user + "@" + cluster.Addr() + "/" + database + "?sslmode=disable"
		logs := &syncBuffer{}
		store := dbtest.OpenWith(t, dsn, db.Settings{Log: jsonLogger(logs), Timeout: time.Second})
		a := newOutageAPI(t, store, outageStack{logs: logs, requestTimeout: 2 * time.Second})
		tok := a.v1Token(t, fiCreditUnion)
		cluster.Stop("immediate")
		for range failing {
			wantProblem(t, a.do(t, http.MethodGet, customerPath, customerHeaders(tok), ""), 503, "26340", "")
			wantProblem(t, a.do(t, http.MethodPost, "/oauth2/v1/token", v2TokenHeaders(), "grant_type=client_credentials"), 500, "CMN_90000", "")
		}
		cluster.Start()
		for attempt := 1; ; attempt++ {
			if r := a.do(t, http.MethodGet, customerPath, customerHeaders(tok), ""); r.status == http.StatusOK {
				break
			}
			if attempt == 5 {
				t.Fatal("the service did not recover")
			}
		}
		_, port, _ := strings.Cut(cluster.Addr(), ":")
		checkOutageLog(t, logs, user, database, cluster.Addr(), ":"+port)
		if !waitForLog(logs, `"msg":"database available again"`, `"level":"INFO"`, time.Second) {
			t.Errorf("the recovery should be logged")
		}
	})
}

func TestHandledConflictsLogNoSQL(t *testing.T) {
	for _, target := range dbtest.Targets() {
		t.Run(target.Name, func(t *testing.T) {
			logs := &syncBuffer{}
			store := dbtest.OpenWith(t, target.DSN(t), db.Settings{Log: jsonLogger(logs)})
			a := newOutageAPI(t, store, outageStack{logs: logs})
			tok := a.v1Token(t, fiCreditUnion)
			tid, body := newTID(), newRegistration(t, fiCreditUnion, withMember("468531842"), withLogin("conflict_user1"), withSSN("123456780")).json(t)
			first := a.registerJSON(t, tok, fiCreditUnion, tid, body)
			if first.status != http.StatusOK {
				t.Fatalf("register: %d %s", first.status, first.body)
			}
			// An idempotent replay (duplicate idempotency key, handled).
			if again := a.registerJSON(t, tok, fiCreditUnion, tid, body); again.status != http.StatusOK || string(again.body) != string(first.body) {
				t.Errorf("replay: %d %s", again.status, again.body)
			}
			// An in-flight collision (duplicate in-flight marker, handled): 409 26330.
			marker := models.InFlight{InstitutionID: fiCreditUnion, Kind: "member", Value: "555000111", TraceID: "other", CreatedAt: time.Now().UTC()}
			if err := store.Conn().Create(&marker).Error; err != nil {
				t.Fatal(err)
			}
			wantProblem(t, a.registerJSON(t, tok, fiCreditUnion, newTID(), newRegistration(t, fiCreditUnion, withMember("555000111"), withLogin("conflict_user2"), withSSN("123456781")).json(t)), 409, "26330", "")
			out := logs.String()
			for _, f := range []string{"SELECT", "INSERT", ".go:", "duplicate", "ERROR"} {
				if strings.Contains(out, f) {
					t.Errorf("the log names %q:\n%s", f, out)
				}
			}
		})
	}
}
