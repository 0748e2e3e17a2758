package db

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// slowStatement is how long a successful statement may take before it is logged.
const slowStatement = time.Second

// gormLogger is GORM's logger for this service. It logs slow statements as parameterised SQL
// (never a bound value: values carry PII) and no source paths. Failed statements are not logged
// here: their callers translate the error and report it (an outage once per interval, an
// expected conflict not at all).
type gormLogger struct{ log *slog.Logger }

var (
	_ logger.Interface  = gormLogger{}
	_ gorm.ParamsFilter = gormLogger{}
)

func (l gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

// Info drops GORM's informational messages.
func (l gormLogger) Info(context.Context, string, ...any) {}

func (l gormLogger) Warn(ctx context.Context, msg string, data ...any) {
	if l.log != nil {
		l.log.WarnContext(ctx, "database", "detail", fmt.Sprintf(msg, data...))
	}
}

func (l gormLogger) Error(ctx context.Context, msg string, data ...any) {
	if l.log != nil {
		l.log.ErrorContext(ctx, "database", "detail", fmt.Sprintf(msg, data...))
	}
}

func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if l.log == nil || err != nil {
		return
	}
	if elapsed := time.Since(begin); elapsed >= slowStatement {
		sql, rows := fc()
		sql = unboundPlaceholder.ReplaceAllString(sql, "$$$1") // GORM renders an unbound $1 as $1$
		l.log.WarnContext(ctx, "slow database statement", "duration_ms", elapsed.Milliseconds(), "rows", rows, "sql", sql)
	}
}

var unboundPlaceholder = regexp.MustCompile(`\$(\d+)\$`)

// ParamsFilter keeps bound values out of the SQL GORM renders for Trace.
func (l gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
