package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// SQLite admits one writer at a time. Every transaction here begins with BEGIN IMMEDIATE
// (_txlock), and a connection that finds the write lock taken sleeps in SQLite's busy handler
// and tries again: 1, 2, 5, 10 … 100 ms apart, blind to when the lock is let go. Under load
// that leaves the lock idle while writers sleep (a registration at 16 clients found ~5 requests
// waiting there and 1.6 of 2 cores busy; tokens had a 70 ms p99 and 700 ms outliers).
//
// The "custreg-sqlite3" driver queues writers in the process instead: a transaction takes its
// database's writer slot before BEGIN and gives it back at COMMIT or ROLLBACK, so the next
// writer starts the moment the last one ends. The wait is bounded by the caller's context and
// by the connection's busy timeout, after which it fails as SQLite's own wait would (SQLITE_BUSY, which
// every statement reports as models.ErrUnavailable). Other processes on the same file, and
// writes outside a transaction, still meet SQLite's busy handler, which stays armed.
const sqliteDriverName = "custreg-sqlite3"

func init() { sql.Register(sqliteDriverName, &writerQueueDriver{}) }

// writerSlots holds one slot per database file, shared by every pool that opens it.
var writerSlots sync.Map // cleaned path -> chan struct{}

func writerSlot(dsn string) chan struct{} {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if abs, err := filepath.Abs(path); err == nil && path != ":memory:" && path != "" {
		path = abs
	}
	slot, _ := writerSlots.LoadOrStore(path, make(chan struct{}, 1))
	return slot.(chan struct{})
}

type writerQueueDriver struct{ sqlite3.SQLiteDriver }

func (d *writerQueueDriver) Open(dsn string) (driver.Conn, error) {
	c, err := d.SQLiteDriver.Open(dsn)
	if err != nil {
		return nil, err
	}
	return &writerQueueConn{SQLiteConn: c.(*sqlite3.SQLiteConn), slot: writerSlot(dsn), wait: busyTimeout(dsn)}, nil
}

// busyTimeout reads _busy_timeout (milliseconds) from the DSN; SQLite's default is 5 s.
func busyTimeout(dsn string) time.Duration {
	_, query, _ := strings.Cut(dsn, "?")
	for _, kv := range strings.Split(query, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "_busy_timeout" {
			if ms, err := strconv.Atoi(v); err == nil && ms >= 0 {
				return time.Duration(ms) * time.Millisecond
			}
		}
	}
	return 5 * time.Second
}

// busyPragma reads the milliseconds of a "PRAGMA busy_timeout = N" statement.
func busyPragma(query string) (time.Duration, bool) {
	q := strings.ToLower(strings.TrimSpace(query))
	rest, ok := strings.CutPrefix(q, "pragma busy_timeout")
	if !ok {
		return 0, false
	}
	rest, ok = strings.CutPrefix(strings.TrimSpace(rest), "=")
	if !ok {
		return 0, false
	}
	ms, err := strconv.Atoi(strings.TrimSpace(rest))
	if err != nil || ms < 0 {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

// writerQueueConn is a SQLite connection whose transactions queue for the writer slot; every
// other method is the driver's own.
type writerQueueConn struct {
	*sqlite3.SQLiteConn
	slot chan struct{}
	wait time.Duration // the connection's busy timeout: the DSN's, or what a PRAGMA set since
}

// ExecContext follows the connection's busy timeout: the migration raises it for its session
// and its transaction must wait for the writer slot as long.
func (c *writerQueueConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.SQLiteConn.ExecContext(ctx, query, args)
	if d, ok := busyPragma(query); ok && err == nil {
		c.wait = d
	}
	return res, err
}

func (c *writerQueueConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *writerQueueConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	timer := time.NewTimer(c.wait)
	defer timer.Stop()
	select {
	case c.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, sqlite3.Error{Code: sqlite3.ErrBusy}
	}
	tx, err := c.SQLiteConn.BeginTx(ctx, opts)
	if err != nil {
		<-c.slot
		return nil, err
	}
	return &writerQueueTx{Tx: tx, slot: c.slot}, nil
}

type writerQueueTx struct {
	driver.Tx
	slot chan struct{}
	once sync.Once
}

func (t *writerQueueTx) release() { t.once.Do(func() { <-t.slot }) }

func (t *writerQueueTx) Commit() error {
	defer t.release()
	return t.Tx.Commit()
}

func (t *writerQueueTx) Rollback() error {
	defer t.release()
	return t.Tx.Rollback()
}
