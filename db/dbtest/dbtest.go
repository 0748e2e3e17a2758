// Package dbtest opens real databases for tests: a fresh SQLite file per test, and a fresh
// PostgreSQL schema per test when CUSTREG_TEST_POSTGRES_DSN names a server.
package dbtest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/secure"
)

// PostgresEnv names the variable holding a PostgreSQL DSN for tests.
const PostgresEnv = "CUSTREG_TEST_POSTGRES_DSN"

// FastArgon2 keeps tests quick: argon2id with the production algorithm but a small memory cost.
// Tests of the production parameters use secure.DefaultArgon2Params explicitly.
var FastArgon2 = secure.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Backend is one database a test can run against.
type Backend struct {
	Name string
	Open func(t testing.TB) *db.Store
}

// PostgresConfigured reports whether CUSTREG_TEST_POSTGRES_DSN names a server for tests.
func PostgresConfigured() bool { return os.Getenv(PostgresEnv) != "" }

// Backends lists SQLite always and PostgreSQL when configured.
func Backends() []Backend {
	return []Backend{{"sqlite", SQLite}, {"postgres", Postgres}}
}

// Each runs test on every backend, each a subtest with a fresh migrated store: SQLite always,
// PostgreSQL when CUSTREG_TEST_POSTGRES_DSN is set (otherwise its subtest is skipped).
func Each(t *testing.T, test func(t *testing.T, store *db.Store)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { test(t, b.Open(t)) })
	}
}

// SQLite opens a migrated store on a new SQLite file in t.TempDir().
func SQLite(t testing.TB) *db.Store {
	t.Helper()
	return open(t, t.TempDir()+"/test.db")
}

// SQLiteAt opens a migrated store on the SQLite file at path (for tests that inspect the file).
func SQLiteAt(t testing.TB, path string) *db.Store {
	t.Helper()
	return open(t, path)
}

// Postgres opens a migrated store in a new schema of the server named by CUSTREG_TEST_POSTGRES_DSN,
// dropped when the test ends; without the variable the test is skipped.
func Postgres(t testing.TB) *db.Store {
	t.Helper()
	return open(t, PostgresSchema(t))
}

func open(t testing.TB, dsn string) *db.Store {
	t.Helper()
	return OpenWith(t, dsn, db.Settings{})
}

// SecondInstance opens another store on the same database as store, with its own connection
// pool and the same keys, as a second instance of the service behind a load balancer would.
func SecondInstance(t testing.TB, store *db.Store) *db.Store {
	t.Helper()
	var dsn string
	switch d := store.Conn().Dialector.(type) {
	case *sqlite.Dialector:
		dsn, _, _ = strings.Cut(strings.TrimPrefix(d.DSN, "file:"), "?")
	case *postgres.Dialector:
		dsn = d.Config.DSN
	default:
		t.Fatalf("unknown dialector %T", d)
	}
	conn, err := db.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatalf("open a second instance: %v", err)
	}
	t.Cleanup(func() { _ = db.Close(conn) })
	keys := Keys(store)
	return register(db.New(conn, keys, Passwords(store)), keys, Passwords(store))
}

// Sandbox provisions the bundled sandbox into store.
func Sandbox(t testing.TB, store *db.Store) {
	t.Helper()
	pf, err := db.ParseProvisionFile(db.SandboxYAML)
	if err != nil {
		t.Fatalf("sandbox file: %v", err)
	}
	if err := store.Provision(context.Background(), pf); err != nil {
		t.Fatalf("provision sandbox: %v", err)
	}
}

// The key ring and hasher of each store a test opened: the Store keeps them to itself, but tests
// check what was encrypted and hashed.
var (
	secretsMu sync.Mutex
	secretsOf = map[*db.Store]struct {
		keys      *secure.Keyring
		passwords *secure.PasswordHasher
	}{}
)

func register(s *db.Store, keys *secure.Keyring, passwords *secure.PasswordHasher) *db.Store {
	secretsMu.Lock()
	defer secretsMu.Unlock()
	secretsOf[s] = struct {
		keys      *secure.Keyring
		passwords *secure.PasswordHasher
	}{keys, passwords}
	return s
}

// Keys is the key ring of a store opened by this package.
func Keys(s *db.Store) *secure.Keyring {
	secretsMu.Lock()
	defer secretsMu.Unlock()
	return secretsOf[s].keys
}

// Passwords is the password hasher of a store opened by this package.
func Passwords(s *db.Store) *secure.PasswordHasher {
	secretsMu.Lock()
	defer secretsMu.Unlock()
	return secretsOf[s].passwords
}

// With is a store on the same database as s with other keys or another hasher (nil keeps s's).
func With(s *db.Store, keys *secure.Keyring, passwords *secure.PasswordHasher) *db.Store {
	if keys == nil {
		keys = Keys(s)
	}
	if passwords == nil {
		passwords = Passwords(s)
	}
	return register(db.New(s.Conn(), keys, passwords), keys, passwords)
}
