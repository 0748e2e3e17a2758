package db_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestStatementLogCarriesNoValuesPathsOrHandledErrors(t *testing.T) {
	for _, target := range dbtest.Targets() {
		t.Run(target.Name, func(t *testing.T) {
			logs := &lockedBuffer{}
			dsn := target.DSN(t)
			store := dbtest.OpenWith(t, dsn, db.Settings{Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			ctx := context.Background()
			now := time.Now().UTC()

			// Duplicate keys the store handles (a login taken, a di_tid reused with another
			// body) are not logged.
			r := newRegistrar(t, store)
			logs.Reset()
			_, o := r.mustRegister(application("LOG1", "secret_login_value", "345678901"))
			if _, _, err := r.register(application("LOG2", "secret_login_value", "456789012"), r.origin(application("LOG2", "x", "1"))); !errors.Is(err, models.ErrLoginTaken) {
				t.Fatalf("want ErrLoginTaken, got %v", err)
			}
			other := o
			other.RequestHash = "another body"
			if _, _, err := r.register(application("LOG3", "third_login", "567890123"), other); !errors.Is(err, models.ErrInFlight) {
				t.Fatalf("want ErrInFlight, got %v", err)
			}
			if out := logs.String(); out != "" {
				t.Errorf("a handled duplicate key was logged: %s", out)
			}

			// A slow statement is logged as parameterised SQL, without its values.
			slow := func() error {
				return store.RecordRegistrationFailure(ctx, "01111", db.Origin{TraceID: "secret-trace-value"}, "", now)
			}
			if dbtest.IsPostgres(dsn) {
				release := dbtest.LockTable(t, dsn, "audit_events")
				time.AfterFunc(1200*time.Millisecond, release)
			} else {
				release := dbtest.LockSQLite(t, dsn)
				time.AfterFunc(1200*time.Millisecond, release)
			}
			if err := slow(); err != nil {
				t.Fatalf("the write should wait for the lock and succeed: %v", err)
			}
			out := logs.String()
			if !strings.Contains(out, "slow database statement") || !strings.Contains(out, "INSERT INTO") {
				t.Errorf("the slow statement should be logged with its SQL: %s", out)
			}
			for _, leak := range []string{"secret-trace-value", ".go:", "$1$"} {
				if strings.Contains(out, leak) {
					t.Errorf("the log carries %q: %s", leak, out)
				}
			}
		})
	}
}
