// Package config parses the service configuration once: defaults, then CUSTREG_* environment
// variables, then command-line flags (flags win).
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config is the effective configuration of one process.
type Config struct {
	Addr            string        // listen address
	DB              string        // SQLite file path, or a postgres:// URL
	Sandbox         bool          // load the bundled sandbox data at start-up
	LogLevel        slog.Level    // debug, info, warn, error
	PIIKey          string        // base64 of 32 bytes; generated beside the database in sandbox mode
	PIIKeyID        string        // id stored with every encrypted value, so keys can rotate
	PIIOldKeys      string        // "id:base64,…": earlier keys, still able to decrypt (rotation)
	MaxBodyBytes    int64         // request-body limit
	ShutdownTimeout time.Duration // how long in-flight requests may take to finish on SIGTERM
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration // the HTTP server cuts the connection of an answer not written by then
	IdleTimeout     time.Duration
	TrustedProxies  []*net.IPNet  // load balancers whose X-Forwarded-For is believed
	RequestTimeout  time.Duration // each request's context ends then: database work stops, transactions roll back
	DBTimeout       time.Duration // database budget: statement, lock and idle-transaction timeouts, connect and busy timeouts
	// AuthFailureDelay holds answers to failed client authentications (0: answer at once).
	AuthFailureDelay time.Duration
}

// Defaults returns the configuration used when nothing is overridden.
func Defaults() Config {
	return Config{
		Addr:             "127.0.0.1:8080",
		DB:               "custreg.db",
		LogLevel:         slog.LevelInfo,
		PIIKeyID:         "k1",
		MaxBodyBytes:     1 << 20,
		ShutdownTimeout:  20 * time.Second,
		ReadTimeout:      15 * time.Second,
		WriteTimeout:     30 * time.Second,
		IdleTimeout:      120 * time.Second,
		RequestTimeout:   10 * time.Second,
		DBTimeout:        5 * time.Second,
		AuthFailureDelay: 500 * time.Millisecond,
	}
}

// ErrHelp is returned when the caller asked for usage.
var ErrHelp = flag.ErrHelp

// Parse builds the configuration from the environment (getenv) and the flags in args, and
// returns the remaining positional arguments (a sub-command and its operands).
func Parse(args []string, getenv func(string) string, usage io.Writer) (Config, []string, error) {
	cfg := Defaults()
	var errs []error
	envString := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	envString("CUSTREG_ADDR", &cfg.Addr)
	envString("CUSTREG_DB", &cfg.DB)
	envString("CUSTREG_PII_KEY", &cfg.PIIKey)
	envString("CUSTREG_PII_KEY_ID", &cfg.PIIKeyID)
	envString("CUSTREG_PII_OLD_KEYS", &cfg.PIIOldKeys)
	if v := getenv("CUSTREG_SANDBOX"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CUSTREG_SANDBOX: %q is not a boolean", v))
		}
		cfg.Sandbox = b
	}
	if v := getenv("CUSTREG_LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("CUSTREG_LOG_LEVEL: %q is not a log level", v))
		}
	}
	if v := getenv("CUSTREG_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("CUSTREG_MAX_BODY_BYTES: %q is not a positive integer", v))
		}
		cfg.MaxBodyBytes = n
	}
	envDuration := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration", name, v))
			}
			*dst = d
		}
	}
	envDuration("CUSTREG_SHUTDOWN_TIMEOUT", &cfg.ShutdownTimeout)
	envDuration("CUSTREG_WRITE_TIMEOUT", &cfg.WriteTimeout)
	envDuration("CUSTREG_REQUEST_TIMEOUT", &cfg.RequestTimeout)
	envDuration("CUSTREG_DB_TIMEOUT", &cfg.DBTimeout)
	envDuration("CUSTREG_AUTH_FAILURE_DELAY", &cfg.AuthFailureDelay)
	proxies := getenv("CUSTREG_TRUSTED_PROXIES")
	if err := errors.Join(errs...); err != nil {
		return cfg, nil, err
	}

	fs := flag.NewFlagSet("custreg", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (CUSTREG_ADDR)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "SQLite file, or a postgres:// URL (CUSTREG_DB)")
	fs.BoolVar(&cfg.Sandbox, "sandbox", cfg.Sandbox, "load the bundled sandbox FIs, apps and members (CUSTREG_SANDBOX)")
	fs.TextVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error (CUSTREG_LOG_LEVEL)")
	fs.StringVar(&cfg.PIIKey, "pii-key", cfg.PIIKey, "base64 of 32 random bytes encrypting PII at rest (CUSTREG_PII_KEY)")
	fs.StringVar(&cfg.PIIKeyID, "pii-key-id", cfg.PIIKeyID, "id stored with values encrypted under --pii-key (CUSTREG_PII_KEY_ID)")
	fs.StringVar(&cfg.PIIOldKeys, "pii-old-keys", cfg.PIIOldKeys, "earlier PII keys as id:base64,… that still decrypt during a rotation (CUSTREG_PII_OLD_KEYS)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", cfg.MaxBodyBytes, "request body limit in bytes (CUSTREG_MAX_BODY_BYTES)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "grace period for in-flight requests (CUSTREG_SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&cfg.AuthFailureDelay, "auth-failure-delay", cfg.AuthFailureDelay, "hold answers to failed client authentications this long, 0 for none (CUSTREG_AUTH_FAILURE_DELAY)")
	fs.StringVar(&proxies, "trusted-proxies", proxies, "comma-separated CIDRs whose X-Forwarded-For is believed (CUSTREG_TRUSTED_PROXIES)")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", cfg.WriteTimeout, "the HTTP server cuts a connection whose answer is not written by then (CUSTREG_WRITE_TIMEOUT)")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "each request ends then: database work stops, unfinished transactions roll back; below --write-timeout (CUSTREG_REQUEST_TIMEOUT)")
	fs.DurationVar(&cfg.DBTimeout, "db-timeout", cfg.DBTimeout, "database budget: statement, lock and idle-transaction timeouts, connect timeout, SQLite busy timeout; below --request-timeout (CUSTREG_DB_TIMEOUT)")
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	for _, cidr := range strings.FieldsFunc(proxies, func(r rune) bool { return r == ',' || r == ' ' }) {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			return cfg, nil, fmt.Errorf("--trusted-proxies: %q is not a CIDR", cidr)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, n)
	}
	if cfg.AuthFailureDelay < 0 || cfg.AuthFailureDelay > 10*time.Second {
		return cfg, nil, errors.New("--auth-failure-delay must be between 0 and 10s")
	}
	if cfg.MaxBodyBytes <= 0 {
		return cfg, nil, errors.New("--max-body-bytes must be positive")
	}
	if err := cfg.checkTimeouts(); err != nil {
		return cfg, nil, err
	}
	if cfg.PIIKeyID == "" || strings.ContainsAny(cfg.PIIKeyID, ". ") {
		return cfg, nil, errors.New("--pii-key-id must be non-empty and contain no dot or space")
	}
	return cfg, fs.Args(), nil
}

// checkTimeouts requires the database budget below the request deadline, and the deadline
// below the write timeout: each must end first for the failure to reach the client as the
// family's unavailable answer instead of a cut connection.
func (c Config) checkTimeouts() error {
	for _, d := range []struct {
		flag, env string
		value     time.Duration
	}{
		{"--write-timeout", "CUSTREG_WRITE_TIMEOUT", c.WriteTimeout},
		{"--request-timeout", "CUSTREG_REQUEST_TIMEOUT", c.RequestTimeout},
		{"--db-timeout", "CUSTREG_DB_TIMEOUT", c.DBTimeout},
	} {
		if d.value <= 0 {
			return fmt.Errorf("%s (%s) must be positive", d.flag, d.env)
		}
	}
	if c.RequestTimeout >= c.WriteTimeout {
		return fmt.Errorf("--request-timeout (%v) must be shorter than --write-timeout (%v)", c.RequestTimeout, c.WriteTimeout)
	}
	if c.DBTimeout >= c.RequestTimeout {
		return fmt.Errorf("--db-timeout (%v) must be shorter than --request-timeout (%v)", c.DBTimeout, c.RequestTimeout)
	}
	return nil
}

// IsPostgres reports whether DB names a PostgreSQL server rather than a SQLite file.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

// KeyFile is where sandbox mode keeps its generated PII key: beside the SQLite file.
func (c Config) KeyFile() string { return c.DB + ".key" }

// LogValue renders the configuration for the start-up log with secrets masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("db", MaskDSN(c.DB)),
		slog.Bool("sandbox", c.Sandbox),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("pii_key", maskSecret(c.PIIKey)),
		slog.String("pii_key_id", c.PIIKeyID),
		slog.String("pii_old_keys", maskSecret(c.PIIOldKeys)),
		slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Duration("write_timeout", c.WriteTimeout),
		slog.Duration("request_timeout", c.RequestTimeout),
		slog.Duration("db_timeout", c.DBTimeout),
		slog.Int("trusted_proxies", len(c.TrustedProxies)),
		slog.String("auth_failure_delay", c.AuthFailureDelay.String()),
	)
}

func maskSecret(s string) string {
	if s == "" {
		return ""
	}
	return "********"
}

// MaskDSN hides the password of a postgres:// URL; a file path is returned as is.
func MaskDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return dsn
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return dsn
	}
	return scheme + "://" + user + ":********" + rest[at:]
}
