package db_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/models"
)

func TestTranslateRecognisesUnavailability(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57014"}, true}, // query_canceled (statement_timeout)
		{&pgconn.PgError{Code: "55P03"}, true}, // lock_not_available (lock_timeout)
		{&pgconn.PgError{Code: "57P01"}, true}, // admin_shutdown
		{&pgconn.PgError{Code: "57P02"}, true}, // crash_shutdown
		{&pgconn.PgError{Code: "57P03"}, true}, // cannot_connect_now
		{&pgconn.PgError{Code: "08006"}, true}, // connection_failure
		{&pgconn.PgError{Code: "08001"}, true}, // sqlclient_unable_to_establish_sqlconnection
		{&pgconn.PgError{Code: "53300"}, true}, // too_many_connections
		{&pgconn.PgError{Code: "25P03"}, true}, // idle_in_transaction_session_timeout
		{fmt.Errorf("query: %w", context.DeadlineExceeded), true},
		{fmt.Errorf("query: %w", context.Canceled), true},
		{sqlite3.Error{Code: sqlite3.ErrBusy}, true},
		{sqlite3.Error{Code: sqlite3.ErrLocked}, true},
		{errors.New("database is locked"), true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true}, // the server closed the connection
		{driver.ErrBadConn, true},
		{sql.ErrConnDone, true},
		{&pgconn.PgError{Code: "23505"}, false}, // unique_violation: a conflict, not an outage
		{&pgconn.PgError{Code: "22P02"}, false}, // invalid_text_representation
		{&pgconn.PgError{Code: "40001"}, false}, // serialization_failure
		{sqlite3.Error{Code: sqlite3.ErrConstraint}, false},
		{errors.New("boom"), false},
	} {
		got := db.Translate("op", tc.err)
		if errors.Is(got, models.ErrUnavailable) != tc.want {
			t.Errorf("Translate(%v): unavailable = %v, want %v", tc.err, !tc.want, tc.want)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("Translate(%v) lost the original error", tc.err)
		}
	}
}

func TestUnavailableErrorTextNamesNoServer(t *testing.T) {
	// A refused connection: pgx's text names the user, the database and the address.
	_, cerr := pgx.Connect(context.Background(), "postgres://outage_secret_user@127.0.0.1:1/outage_secret_db?sslmode=disable&connect_timeout=2")
	if cerr == nil {
		t.Fatal("connecting to port 1 should fail")
	}
	err := db.Translate("get token", cerr)
	if !errors.Is(err, models.ErrUnavailable) {
		t.Fatalf("a refused connection is unavailability: %v", err)
	}
	for _, secret := range []string{"outage_secret_user", "outage_secret_db", "127.0.0.1", ":1"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error text %q names %q", err, secret)
		}
	}
	if cause := db.Cause(err); cause != "connection refused" {
		t.Errorf("cause %q", cause)
	}
	if cause := db.Cause(db.Translate("op", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"})); cause != "SQLSTATE 57P01" {
		t.Errorf("cause %q", cause)
	}
}
