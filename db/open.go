// Package db owns the schema: it opens SQLite (default) or PostgreSQL (by DSN), migrates the
// schema at start-up, loads provisioning and sandbox data, and translates driver errors into the
// sentinels of package models.
package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/custreg/custreg/models"
)

// Open connects to dsn (a SQLite file path, or a postgres:// URL) and migrates the schema.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*gorm.DB, error) {
	cfg := &gorm.Config{
		TranslateError: true,
		// Queries are logged parameterised only: bound values may carry PII.
		Logger: logger.New(slogWriter{log}, logger.Config{
			SlowThreshold:             time.Second,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true,
		}),
		NowFunc: func() time.Time { return time.Now().UTC() },
	}
	var dialector gorm.Dialector
	postgresDSN := strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
	if postgresDSN {
		dialector = postgres.Open(dsn)
	} else {
		dialector = sqlite.Open(sqliteDSN(dsn))
	}
	conn, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", errors.Join(models.ErrUnavailable, err))
	}
	if err := registerMarkUnavailable(conn); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := conn.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if postgresDSN {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(10)
	} else {
		// One writer at a time is SQLite's nature; a small pool keeps readers concurrent under WAL.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
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

// sqliteDSN turns a file path into a go-sqlite3 DSN with the pragmas the service relies on:
// foreign keys on, WAL, a busy timeout, and IMMEDIATE transactions so that concurrent writers
// queue for the lock instead of failing on upgrade.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	base, _, _ := strings.Cut(path, "?")
	return "file:" + base + "?" + q.Encode()
}

// Close releases the connection pool.
func Close(conn *gorm.DB) error {
	sqlDB, err := conn.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping reports whether the database answers.
func Ping(ctx context.Context, conn *gorm.DB) error {
	sqlDB, err := conn.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", &unavailableError{err})
	}
	return nil
}

// Migrate creates or upgrades the schema; it is safe to run on every start and from several
// instances (GORM only adds missing tables, columns and indexes).
func Migrate(ctx context.Context, conn *gorm.DB) error {
	if conn.Name() != "postgres" {
		return migrate(conn.WithContext(ctx))
	}
	// Several instances may start at once: a session-level advisory lock serialises migrations.
	return conn.WithContext(ctx).Connection(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT pg_advisory_lock(?)", migrationLockID).Error; err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer tx.Exec("SELECT pg_advisory_unlock(?)", migrationLockID)
		return migrate(tx)
	})
}

// migrationLockID is the PostgreSQL advisory lock taken while migrating ("custreg" in ASCII).
const migrationLockID = 0x63757374726567

func migrate(conn *gorm.DB) error {
	err := conn.AutoMigrate(
		&models.Institution{},
		&models.ClientApp{},
		&models.ClientAppInstitution{},
		&models.Member{},
		&models.Account{},
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

type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Printf(format string, args ...any) {
	if w.log != nil {
		w.log.Warn("database", "detail", fmt.Sprintf(format, args...))
	}
}
