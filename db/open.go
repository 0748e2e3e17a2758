// Package db owns the schema: it opens SQLite (default) or PostgreSQL (by DSN), migrates the
// schema at start-up, loads provisioning and sandbox data, and translates driver errors into the
// sentinels of package models.
package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
)

// DefaultTimeout is the database budget when Settings leave it unset.
const DefaultTimeout = 5 * time.Second

// Settings tune the connection pool Open makes.
type Settings struct {
	// Log receives slow statements (parameterised SQL only) and GORM's warnings; nil drops them.
	Log *slog.Logger
	// Timeout is the database budget: on PostgreSQL the statement, lock and idle-in-transaction
	// timeouts of every session (unless the DSN sets them) and the connect timeout (unless the DSN
	// sets connect_timeout); on SQLite the busy timeout. Zero means DefaultTimeout.
	Timeout time.Duration
}

// Open connects to dsn (a SQLite file path, or a postgres:// URL) with the default settings and
// migrates the schema.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*gorm.DB, error) {
	return OpenWith(ctx, dsn, Settings{Log: log})
}

// OpenWith connects to dsn and migrates the schema. Every statement is bounded: by its
// context's deadline, else by the budget plus a little grace (statementBudget), so work without
// a deadline of its own (cleanups, background jobs) cannot wait for ever on a frozen server.
// Failures of the database itself come out of every statement as models.ErrUnavailable.
func OpenWith(ctx context.Context, dsn string, s Settings) (*gorm.DB, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cfg := &gorm.Config{
		TranslateError:        true,
		Logger:                gormLogger{s.Log},
		NowFunc:               func() time.Time { return time.Now().UTC() },
		DefaultContextTimeout: statementBudget(timeout),
	}
	var dialector gorm.Dialector
	postgresDSN := strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
	if postgresDSN {
		dialector = postgres.New(postgres.Config{DSN: dsn, OptionOpenDB: []stdlib.OptionOpenDB{
			stdlib.OptionBeforeConnect(sessionBudget(timeout)),
		}})
	} else {
		dialector = sqlite.New(sqlite.Config{DriverName: sqliteDriverName, DSN: sqliteDSN(dsn, timeout)})
		// SQLite compiles every statement from its text each time it runs, a third of a read's
		// cost; GORM keeps each distinct statement prepared (per connection, bounded). pgx
		// already caches its statements on PostgreSQL.
		cfg.PrepareStmt, cfg.PrepareStmtMaxSize, cfg.PrepareStmtTTL = true, 1024, time.Hour
	}
	conn, err := gorm.Open(dialector, cfg)
	if !postgresDSN {
		// Processes starting at once on a new file race to put it in WAL mode, and SQLite
		// answers the losers SQLITE_BUSY at once, without its busy handler: try again, within
		// the budget.
		deadline := time.Now().Add(timeout)
		for wait := 10 * time.Millisecond; sqliteBusy(err) && time.Now().Add(wait).Before(deadline) && ctx.Err() == nil; wait = min(2*wait, 200*time.Millisecond) {
			time.Sleep(wait)
			conn, err = gorm.Open(dialector, cfg)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", errors.Join(models.ErrUnavailable, err))
	}
	sqlDB, err := conn.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	maxIdle := 10
	if postgresDSN {
		sqlDB.SetMaxOpenConns(20)
	} else {
		// One writer at a time is SQLite's nature; a small pool keeps readers concurrent under WAL.
		sqlDB.SetMaxOpenConns(8)
		maxIdle = 8
	}
	sqlDB.SetMaxIdleConns(maxIdle)
	dropIdle := func() { // database/sql closes idle connections beyond the limit at once
		sqlDB.SetMaxIdleConns(0)
		sqlDB.SetMaxIdleConns(maxIdle)
	}
	if err := registerMarkUnavailable(conn, dropIdle); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("ping database: %w", errors.Join(models.ErrUnavailable, err))
	}
	if err := Migrate(ctx, conn); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return conn, nil
}

// sqliteBusy reports whether err is SQLite's "database is locked".
func sqliteBusy(err error) bool {
	var liteErr sqlite3.Error
	return errors.As(err, &liteErr) && liteErr.Code == sqlite3.ErrBusy
}

// statementBudget bounds a statement whose context has no deadline: the database budget plus
// half of it (at most a second), so that on a live server its own timeout answers first (and
// the connection survives), while a frozen one cannot hold the caller longer.
func statementBudget(timeout time.Duration) time.Duration {
	return timeout + min(timeout/2, time.Second)
}

// sessionBudget sets the database budget on each new PostgreSQL session, leaving alone whatever
// the DSN already sets (as a parameter or in options), and bounds connecting. A statement gets
// the whole budget; waiting for a lock half of it, so that lock contention is reported as such
// (55P03) instead of as a statement timeout (57014); a transaction left idle is ended after the
// budget.
func sessionBudget(timeout time.Duration) func(context.Context, *pgx.ConnConfig) error {
	budget := map[string]string{
		"statement_timeout":                   milliseconds(timeout),
		"lock_timeout":                        milliseconds(timeout / 2),
		"idle_in_transaction_session_timeout": milliseconds(timeout),
	}
	return func(_ context.Context, cfg *pgx.ConnConfig) error {
		// The map is shared by every connection attempt: change a copy.
		params := maps.Clone(cfg.RuntimeParams)
		if params == nil {
			params = map[string]string{}
		}
		for name, value := range budget {
			if _, set := params[name]; !set && !strings.Contains(params["options"], name) {
				params[name] = value
			}
		}
		cfg.RuntimeParams = params
		if cfg.ConnectTimeout == 0 {
			cfg.ConnectTimeout = timeout
		}
		return nil
	}
}

// sqliteDSN turns a file path into a go-sqlite3 DSN with the pragmas the service relies on:
// foreign keys on, WAL, the database budget as busy timeout (waiting for the lock cannot be
// interrupted, so this is what bounds it), and IMMEDIATE transactions so that concurrent
// writers queue for the lock instead of failing on upgrade.
func sqliteDSN(path string, busy time.Duration) string {
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", milliseconds(busy))
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	base, _, _ := strings.Cut(path, "?")
	return "file:" + base + "?" + q.Encode()
}

// milliseconds renders d for a setting counted in milliseconds, where 0 would mean "no limit".
func milliseconds(d time.Duration) string { return strconv.FormatInt(max(d.Milliseconds(), 1), 10) }

// Close releases the connection pool.
func Close(conn *gorm.DB) error {
	sqlDB, err := conn.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping reports whether the database answers, within the statement budget at most.
func Ping(ctx context.Context, conn *gorm.DB) error {
	sqlDB, err := conn.DB()
	if err != nil {
		return err
	}
	if budget := conn.DefaultContextTimeout; budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, budget)
		defer cancel()
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", &unavailableError{err})
	}
	return nil
}

// Migrate creates or upgrades the schema; it is safe to run on every start and from several
// instances (GORM only adds missing tables, columns and indexes). It is not held to the database
// budget, which is sized for requests: waiting for another instance's migration or building an
// index may take longer. migrationTimeout bounds it instead.
func Migrate(ctx context.Context, conn *gorm.DB) error {
	ctx, cancel := context.WithTimeout(ctx, migrationTimeout)
	defer cancel()
	if conn.Name() != "postgres" {
		// Several processes may start at once on one file: migrating in one IMMEDIATE
		// transaction (the DSN's _txlock) takes the write lock before GORM looks at the schema,
		// so the others wait for it (busy timeout raised to the migration's bound) and then find
		// the tables there, instead of failing to create them again.
		return conn.WithContext(ctx).Connection(func(c *gorm.DB) error {
			var busy int64
			if err := c.Raw("PRAGMA busy_timeout").Scan(&busy).Error; err != nil {
				return fmt.Errorf("migration session: %w", err)
			}
			if err := c.Exec("PRAGMA busy_timeout = " + milliseconds(migrationTimeout)).Error; err != nil {
				return fmt.Errorf("migration session: %w", err)
			}
			defer c.Exec("PRAGMA busy_timeout = " + strconv.FormatInt(busy, 10)) // the budget, before the pool reuses it
			return c.Transaction(func(tx *gorm.DB) error { return migrate(tx) })
		})
	}
	// Several instances may start at once: a session-level advisory lock serialises migrations.
	return conn.WithContext(ctx).Connection(func(tx *gorm.DB) error {
		for _, name := range []string{"statement_timeout", "lock_timeout"} {
			if err := tx.Exec("SET " + name + " = 0").Error; err != nil {
				return fmt.Errorf("migration session: %w", err)
			}
			defer tx.Exec("RESET " + name) // back to the session's budget before the pool reuses it
		}
		if err := tx.Exec("SELECT pg_advisory_lock(?)", migrationLockID).Error; err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer tx.Exec("SELECT pg_advisory_unlock(?)", migrationLockID)
		return migrate(tx)
	})
}

// migrationTimeout bounds a start-up migration, waits for other instances included.
const migrationTimeout = 5 * time.Minute

// migrationLockID is the PostgreSQL advisory lock taken while migrating ("custreg" in ASCII).
const migrationLockID = 0x63757374726567

func migrate(conn *gorm.DB) error {
	err := conn.AutoMigrate(
		&models.Institution{},
		&models.ClientApp{},
		&models.ClientAppInstitution{},
		&models.Member{},
		&models.Account{},
		&models.Transaction{},
		&models.Disclosure{},
		&models.Customer{},
		&models.Token{},
		&models.CustomerAddress{},
		&models.CustomerPhone{},
		&models.Destination{},
		&models.DisclosureEvidence{},
		&models.AuditEvent{},
		&models.IdempotencyRecord{},
		&models.InFlight{},
		&models.UserDisclosure{},
		&models.KeyCheck{},
		&models.PasswordReset{},
		&models.MessagingGateway{},
		&models.OutboxMessage{},
		&models.AuthCode{},
		&models.Developer{},
		&models.PortalSession{},
	)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// Translate maps GORM and driver errors onto the sentinels of package models, keeping the
// original reachable for errors.Is and errors.As. A failure of the database itself
// (ErrUnavailable) carries only the class of the failure in its text (see Cause).
func Translate(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%s: %w", op, models.ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey), errors.Is(err, gorm.ErrForeignKeyViolated):
		return fmt.Errorf("%s: %w", op, errors.Join(models.ErrConflict, err))
	case errors.Is(err, models.ErrUnavailable):
		return fmt.Errorf("%s: %w", op, err)
	case unavailable(err):
		return fmt.Errorf("%s: %w", op, &unavailableError{err})
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}
