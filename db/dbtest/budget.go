package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/mattn/go-sqlite3" // the lock holder's own connection
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/secure"
)

// Target is a database a test opens itself, with its own connection settings: a fresh SQLite
// file, or a fresh schema of the PostgreSQL server named by CUSTREG_TEST_POSTGRES_DSN (skipped
// without it). DSN returns what db.OpenWith takes.
type Target struct {
	Name string
	DSN  func(t testing.TB) string
}

// Targets lists SQLite always and PostgreSQL when configured.
func Targets() []Target {
	return []Target{
		{"sqlite", func(t testing.TB) string { return t.TempDir() + "/test.db" }},
		{"postgres", PostgresSchema},
	}
}

// IsPostgres reports whether dsn names a PostgreSQL server.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// PostgresSchema creates a schema on the server named by CUSTREG_TEST_POSTGRES_DSN, dropped when
// the test ends, and returns a DSN whose search_path selects it; without the variable the test
// is skipped.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", PostgresEnv)
	}
	schema := fmt.Sprintf("t_%d", time.Now().UnixNano())
	admin, err := gorm.Open(postgres.Open(dsn), &gorm.Config{})
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_ = admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error
		_ = db.Close(admin)
	})
	return WithParam(t, dsn, "search_path", schema)
}

// WithParam returns the postgres:// dsn with a query parameter set.
func WithParam(t testing.TB, dsn, name, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenWith opens a migrated store on dsn with the given settings, closed when the test ends.
func OpenWith(t testing.TB, dsn string, s db.Settings) *db.Store {
	t.Helper()
	conn, err := db.OpenWith(context.Background(), dsn, s)
	if err != nil {
		t.Fatalf("open %s: %v", strings.SplitN(dsn, "?", 2)[0], err)
	}
	t.Cleanup(func() { _ = db.Close(conn) })
	key, err := secure.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secure.NewKeyring("k1", map[string][]byte{"k1": key})
	if err != nil {
		t.Fatal(err)
	}
	passwords := secure.NewPasswordHasher(FastArgon2, 0)
	return register(db.New(conn, keys, passwords), keys, passwords)
}

// LockSQLite takes the write lock of the SQLite file at path from a connection of its own
// (BEGIN IMMEDIATE), as another process writing would; readers are not blocked (WAL). The
// returned function releases it; it also runs when the test ends.
func LockSQLite(t testing.TB, path string) (release func()) {
	t.Helper()
	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	return onceCleanup(t, func() {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		_ = conn.Close()
		_ = other.Close()
	})
}

// LockTable holds an ACCESS EXCLUSIVE lock on table in an open transaction of a connection of
// its own, so every statement touching the table waits. The returned function releases it; it
// also runs when the test ends.
func LockTable(t testing.TB, dsn, table string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect lock holder: %v", err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+pgx.Identifier{table}.Sanitize()+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatalf("lock %s: %v", table, err)
	}
	return onceCleanup(t, func() {
		_ = tx.Rollback(ctx)
		_ = conn.Close(ctx)
	})
}

func onceCleanup(t testing.TB, f func()) func() {
	var once sync.Once
	release := func() { once.Do(f) }
	t.Cleanup(release)
	return release
}
