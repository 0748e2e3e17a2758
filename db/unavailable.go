package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
)

// unavailable recognises failures of the database rather than of the statement: the connection
// (refused, lost, timed out), the server (shutting down, starting up, out of connections or
// resources), and the time budget (statement or lock timeout, an idle transaction ended, the
// caller's deadline or cancellation, a SQLite lock held past the busy timeout).
func unavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	var liteErr sqlite3.Error
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr):
		return true // whatever the server said while connecting, it did not take the statement
	case errors.As(err, &pgErr):
		return unavailableSQLState(pgErr.Code)
	case errors.As(err, &liteErr):
		return liteErr.Code == sqlite3.ErrBusy || liteErr.Code == sqlite3.ErrLocked
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || pgconn.Timeout(err) ||
		errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		strings.Contains(err.Error(), "database is closed") || strings.Contains(err.Error(), "database is locked")
}

// unavailableSQLState lists the SQLSTATEs of a server that cannot take the statement now.
func unavailableSQLState(code string) bool {
	switch code {
	case "57014", // query_canceled: statement_timeout
		"55P03", // lock_not_available: lock_timeout
		"57P01", // admin_shutdown
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now: starting up or shutting down
		"25P03": // idle_in_transaction_session_timeout
		return true
	}
	// Class 08 connection exception; class 53 insufficient resources (too_many_connections, disk
	// full, out of memory).
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53")
}

// unavailableError marks a failure of the database itself. Its text is only the class of the
// failure (see Cause): driver messages name the server, the user and the database, and this
// text reaches logs. The original stays reachable through errors.Is and errors.As.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string {
	return models.ErrUnavailable.Error() + " (" + Cause(e.err) + ")"
}

func (e *unavailableError) Unwrap() []error { return []error{models.ErrUnavailable, e.err} }

// sessionEnded recognises a failure that shows the server ended the connection's session: a
// shutdown or crash (57P01, 57P02), a connection exception, or the connection dropped. A restart
// ends every session, but the pool only learns it of an idle connection by failing a request on
// it (its check before reuse is skipped for a connection used less than a second ago or never).
func sessionEnded(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || strings.HasPrefix(pgErr.Code, "08")
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// registerMarkUnavailable installs a GORM callback after every other callback of every kind of
// statement: a failure of the database becomes models.ErrUnavailable at the source, even where a
// store returns GORM's error as it is; and when the failure shows the server ended the session,
// dropIdle closes the pool's idle connections, so one request, not one per pooled connection,
// fails after a restart.
func registerMarkUnavailable(conn *gorm.DB, dropIdle func()) error {
	mark := func(tx *gorm.DB) {
		err := tx.Error
		if err == nil || errors.Is(err, models.ErrUnavailable) || !unavailable(err) {
			return
		}
		tx.Error = &unavailableError{err}
		if sessionEnded(err) {
			dropIdle()
		}
	}
	cb := conn.Callback()
	const name = "custreg:mark_unavailable"
	return errors.Join(
		cb.Create().After("*").Register(name, mark),
		cb.Query().After("*").Register(name, mark),
		cb.Update().After("*").Register(name, mark),
		cb.Delete().After("*").Register(name, mark),
		cb.Row().After("*").Register(name, mark),
		cb.Raw().After("*").Register(name, mark),
	)
}

// Cause names the class of a database failure for logs: a SQLSTATE, a SQLite result code or a
// kind of connection failure; never a message, an address, a user, a database name or SQL.
func Cause(err error) string {
	var pgErr *pgconn.PgError
	var liteErr sqlite3.Error
	var netErr net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pgErr):
		return "SQLSTATE " + pgErr.Code
	case errors.As(err, &liteErr):
		switch liteErr.Code {
		case sqlite3.ErrBusy:
			return "SQLITE_BUSY"
		case sqlite3.ErrLocked:
			return "SQLITE_LOCKED"
		}
		return fmt.Sprintf("SQLite result code %d", int(liteErr.Code))
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "network timeout"
	case errors.As(err, &netErr):
		return "network error"
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return "connection lost"
	case strings.Contains(err.Error(), "database is closed"):
		return "connection pool closed"
	case strings.Contains(err.Error(), "database is locked"):
		return "SQLITE_BUSY"
	}
	return "unclassified"
}
