package db_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// budgetBound is how long a call may take when the database budget is one second: generous, so
// the tests check that the budget applies, not how fast the machine is.
const budgetBound = 5 * time.Second

// budget is the database budget of the timeout tests.
var budget = db.Settings{Timeout: time.Second}

func TestLockedSQLiteAnswersWithinTheBudget(t *testing.T) {
	path := t.TempDir() + "/test.db"
	store := dbtest.OpenWith(t, path, budget)
	release := dbtest.LockSQLite(t, path)
	start := time.Now()
	err := store.RecordRegistrationFailure(context.Background(), "01111", db.Origin{TraceID: "budget-test"}, "", time.Now())
	elapsed := time.Since(start)
	if !errors.Is(err, models.ErrUnavailable) {
		t.Errorf("a locked database is unavailability, got %v", err)
	}
	if elapsed > budgetBound {
		t.Errorf("answered after %v; the budget is %v", elapsed, budget.Timeout)
	}
	release()
	if err := store.RecordRegistrationFailure(context.Background(), "01111", db.Origin{TraceID: "budget-test"}, "", time.Now()); err != nil {
		t.Errorf("after the lock is released: %v", err)
	}
}

func TestLockedPostgresTableAnswersWithinTheBudget(t *testing.T) {
	dsn := dbtest.PostgresSchema(t)
	store := dbtest.OpenWith(t, dsn, budget)
	dbtest.LockTable(t, dsn, "audit_events")
	// Without a budget the statement would wait for the lock for ever; the watchdog keeps the
	// test from hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 2*budgetBound)
	defer cancel()
	start := time.Now()
	err := store.RecordRegistrationFailure(ctx, "01111", db.Origin{TraceID: "budget-test"}, "", time.Now())
	if elapsed := time.Since(start); elapsed > budgetBound {
		t.Errorf("answered after %v; the budget is %v", elapsed, budget.Timeout)
	}
	var pgErr *pgconn.PgError
	if !errors.Is(err, models.ErrUnavailable) || !errors.As(err, &pgErr) || pgErr.Code != "55P03" {
		t.Errorf("want lock_not_available as unavailability, got %v", err)
	}
}

func TestPostgresSessionsCarryTheBudget(t *testing.T) {
	base := dbtest.PostgresSchema(t)
	show := func(store *db.Store, name string) string {
		var v string
		if err := store.Conn().Raw("SHOW " + name).Scan(&v).Error; err != nil {
			t.Fatalf("SHOW %s: %v", name, err)
		}
		return v
	}
	store := dbtest.OpenWith(t, base, budget)
	// Lock waits get half the budget, so that they are reported as such (55P03) rather than as
	// a statement timeout.
	for name, want := range map[string]string{"statement_timeout": "1s", "lock_timeout": "500ms", "idle_in_transaction_session_timeout": "1s"} {
		if got := show(store, name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	// What the operator put in the DSN wins, as a parameter or in options.
	dsn := dbtest.WithParam(t, base, "statement_timeout", "2500")
	dsn = dbtest.WithParam(t, dsn, "options", "-c lock_timeout=3s")
	operator := dbtest.OpenWith(t, dsn, budget)
	if got := show(operator, "statement_timeout"); got != "2500ms" {
		t.Errorf("statement_timeout = %s, want the DSN's 2500ms", got)
	}
	if got := show(operator, "lock_timeout"); got != "3s" {
		t.Errorf("lock_timeout = %s, want the DSN's 3s", got)
	}
	if got := show(operator, "idle_in_transaction_session_timeout"); got != "1s" {
		t.Errorf("idle_in_transaction_session_timeout = %s, want 1s", got)
	}
}

func TestIdleTransactionEndsWithinTheBudget(t *testing.T) {
	store := dbtest.OpenWith(t, dbtest.PostgresSchema(t), budget)
	err := store.Conn().Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT 1").Error; err != nil {
			return err
		}
		time.Sleep(2 * budget.Timeout) // a client stuck mid-transaction
		return tx.Exec("SELECT 1").Error
	})
	if !errors.Is(db.Translate("idle", err), models.ErrUnavailable) {
		t.Errorf("the server should have ended the idle transaction: %v", err)
	}
	var n int
	if err := store.Conn().Raw("SELECT 1").Scan(&n).Error; err != nil || n != 1 {
		t.Errorf("the pool should recover: %v", err)
	}
}

func TestFrozenServerAnswersWithinTheBudgetAndRecovers(t *testing.T) {
	cluster := dbtest.NewCluster(t)
	store := dbtest.OpenWith(t, cluster.DSN(), budget)
	dbtest.Sandbox(t, store)
	cluster.Freeze()
	// Callers without a deadline of their own (background work, cleanups after a request) are
	// bounded too; the watchdog keeps a failing test from hanging.
	for _, name := range []string{"query", "ping"} {
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			if name == "ping" {
				done <- db.Ping(context.Background(), store.Conn())
				return
			}
			_, err := store.Institution(context.Background(), "01111")
			done <- err
		}()
		select {
		case err := <-done:
			elapsed := time.Since(start)
			t.Logf("%s answered %v after %v on a frozen server", name, err, elapsed.Round(time.Millisecond))
			if elapsed > budgetBound {
				t.Errorf("%s answered after %v", name, elapsed)
			}
			if !errors.Is(err, models.ErrUnavailable) {
				t.Errorf("%s: want unavailable, got %v", name, err)
			}
		case <-time.After(3 * budgetBound):
			t.Errorf("%s still waiting after %v on a frozen server", name, 3*budgetBound)
			cluster.Thaw()
			<-done
		}
	}
	cluster.Thaw()
	if _, err := store.Institution(context.Background(), "01111"); err != nil {
		t.Errorf("after the thaw: %v", err)
	}
}

func TestServerRestartIsUnavailableAndRecovers(t *testing.T) {
	cluster := dbtest.NewCluster(t)
	store := dbtest.OpenWith(t, cluster.DSN(), db.Settings{Timeout: 10 * time.Second})
	dbtest.Sandbox(t, store)
	running := make(chan error, 1)
	go func() { running <- db.Translate("sleep", store.Conn().Exec("SELECT pg_sleep(5)").Error) }()
	time.Sleep(500 * time.Millisecond)
	cluster.Stop("fast")
	var pgErr *pgconn.PgError
	if err := <-running; !errors.Is(err, models.ErrUnavailable) || !errors.As(err, &pgErr) || pgErr.Code != "57P01" {
		t.Errorf("a statement cut by the shutdown: want admin_shutdown as unavailability, got %v", err)
	}
	if db.Cause(db.Translate("op", fmt.Errorf("read: %w", io.ErrUnexpectedEOF))) != "connection closed by the server" {
		t.Errorf("an immediate shutdown drops connections without a message")
	}
	start := time.Now()
	if _, err := store.Institution(context.Background(), "01111"); !errors.Is(err, models.ErrUnavailable) {
		t.Errorf("while stopped: want unavailable, got %v", err)
	}
	if elapsed := time.Since(start); elapsed > budgetBound {
		t.Errorf("a refused connection answered after %v", elapsed)
	}
	cluster.Start()
	if _, err := store.Institution(context.Background(), "01111"); err != nil {
		t.Errorf("after the restart the same pool should work: %v", err)
	}
}
