// Package config declares the service configuration once: defaults, then CUSTREG_* environment
// variables, then command-line flags (flags win).
package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/custreg/custreg/limits"
)

// Config is the effective configuration of one process. The struct tags declare each flag once:
// its name, its CUSTREG_* variable (envvar, read through Resolver), its default (from Defaults,
// through Vars) and its help line; the command line is parsed with kong (see package main).
type Config struct {
	Addr            string        `name:"addr" envvar:"CUSTREG_ADDR" default:"${addr}" group:"server" help:"Listen address."`
	DB              string        `name:"db" envvar:"CUSTREG_DB" default:"${db}" help:"SQLite file, or a postgres:// URL."`
	Sandbox         bool          `name:"sandbox" envvar:"CUSTREG_SANDBOX" help:"Sandbox mode: the PII key is kept beside the SQLite file (generated on first use) and serve seeds the bundled demo FIs, apps and members that are missing."`
	LogLevel        slog.Level    `name:"log-level" envvar:"CUSTREG_LOG_LEVEL" default:"${log_level}" help:"debug, info, warn or error (JSON logs on stderr)."`
	PIIKey          string        `name:"pii-key" envvar:"CUSTREG_PII_KEY" help:"Base64 of 32 random bytes encrypting PII at rest; required outside sandbox mode and for a sandbox on PostgreSQL; when set it is used instead of the sandbox key file."`
	PIIKeyID        string        `name:"pii-key-id" envvar:"CUSTREG_PII_KEY_ID" default:"${pii_key_id}" help:"Id stored with values encrypted under --pii-key, so keys can rotate."`
	PIIOldKeys      string        `name:"pii-old-keys" envvar:"CUSTREG_PII_OLD_KEYS" help:"Earlier PII keys as id:base64,… that still decrypt during a rotation."`
	MaxBodyBytes    int64         `name:"max-body-bytes" envvar:"CUSTREG_MAX_BODY_BYTES" default:"${max_body_bytes}" group:"server" help:"Request-body limit in bytes."`
	ShutdownTimeout time.Duration `name:"shutdown-timeout" envvar:"CUSTREG_SHUTDOWN_TIMEOUT" default:"${shutdown_timeout}" group:"server" help:"Grace period for in-flight requests on SIGINT/SIGTERM."`
	ReadTimeout     time.Duration `kong:"-"`
	// WriteTimeout: the HTTP server cuts the connection of an answer not written by then.
	WriteTimeout time.Duration `name:"write-timeout" envvar:"CUSTREG_WRITE_TIMEOUT" default:"${write_timeout}" group:"server" help:"The HTTP server cuts a connection whose answer is not written by then."`
	IdleTimeout  time.Duration `kong:"-"`
	// TrustedProxies are the load balancers whose X-Forwarded-For is believed (from TrustedProxyList).
	TrustedProxies   []*net.IPNet `kong:"-"`
	TrustedProxyList string       `name:"trusted-proxies" envvar:"CUSTREG_TRUSTED_PROXIES" group:"server" help:"Comma-separated CIDRs of load balancers whose X-Forwarded-For is believed."`
	// RequestTimeout: each request's context ends then: database work stops, transactions roll back.
	RequestTimeout time.Duration `name:"request-timeout" envvar:"CUSTREG_REQUEST_TIMEOUT" default:"${request_timeout}" group:"server" help:"Each request ends then: database work stops, unfinished transactions roll back; below --write-timeout."`
	// DBTimeout is the database budget: statement, lock and idle-transaction timeouts, connect and busy timeouts.
	DBTimeout time.Duration `name:"db-timeout" envvar:"CUSTREG_DB_TIMEOUT" default:"${db_timeout}" help:"Database budget: statement, lock and idle-transaction timeouts, connect timeout, SQLite busy timeout; below --request-timeout."`
	// AuthFailureDelay holds answers to failed client authentications, limit refusals and
	// declared-oversized bodies (0: answer at once).
	AuthFailureDelay time.Duration `name:"auth-failure-delay" envvar:"CUSTREG_AUTH_FAILURE_DELAY" default:"${auth_failure_delay}" group:"server" help:"Hold answers to failed client authentications, limit refusals and oversized bodies this long, 0 for none."`
	// SecretRotationGrace: a client secret replaced by a rotation keeps working this long.
	SecretRotationGrace time.Duration `name:"secret-rotation-grace" envvar:"CUSTREG_SECRET_ROTATION_GRACE" default:"${secret_rotation_grace}" help:"After a client secret rotation (custreg apps rotate-secret, the sandbox's developer portal) the replaced secret keeps working this long; 0 ends it at once."`
	// TLSCert and TLSKey: serve HTTPS with this certificate chain and key (PEM files), with HSTS.
	TLSCert string `name:"tls-cert" envvar:"CUSTREG_TLS_CERT" group:"server" help:"PEM certificate chain: serve HTTPS (TLS 1.2+) and send HSTS; give it with --tls-key."`
	TLSKey  string `name:"tls-key" envvar:"CUSTREG_TLS_KEY" group:"server" help:"PEM private key of --tls-cert."`
	// PprofAddr: a second listener serving net/http/pprof, for profiling; loopback only, off by default.
	PprofAddr string `name:"pprof-addr" envvar:"CUSTREG_PPROF_ADDR" group:"server" help:"Serve Go's profiler (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060; empty: off. Unauthenticated: never expose it."`

	// Abuse limits (docs/security.md). Each instance applies them on its own.
	AppQuota               limits.Rate   `name:"app-quota" envvar:"CUSTREG_APP_QUOTA" default:"${app_quota}" group:"limits" help:"Requests per client app (N/s, N/m, N/h, N/d or none) unless its provisioning sets limits.quota."`
	AppSpikeArrest         limits.Rate   `name:"app-spike-arrest" envvar:"CUSTREG_APP_SPIKE_ARREST" default:"${app_spike_arrest}" group:"limits" help:"Burst and rate per client app unless its provisioning sets limits.spikeArrest."`
	TokenRatePerAddress    limits.Rate   `name:"token-rate-per-address" envvar:"CUSTREG_TOKEN_RATE_PER_ADDRESS" default:"${token_rate_per_address}" group:"limits" help:"Token and revoke requests per source address."`
	FailedLoginsPerAddress limits.Rate   `name:"failed-logins-per-address" envvar:"CUSTREG_FAILED_LOGINS_PER_ADDRESS" default:"${failed_logins_per_address}" group:"limits" help:"Failed password grants per source address; past them its password grants are refused unchecked."`
	HashConcurrency        int           `name:"hash-concurrency" envvar:"CUSTREG_HASH_CONCURRENCY" default:"0" group:"limits" help:"Password hashes (argon2id, 19 MiB each) computed at once; 0: one per CPU."`
	HashQueue              int           `name:"hash-queue" envvar:"CUSTREG_HASH_QUEUE" default:"${hash_queue}" group:"limits" help:"Requests that may wait for a hashing slot; more get the spike-arrest answer at once."`
	HashWait               time.Duration `name:"hash-wait" envvar:"CUSTREG_HASH_WAIT" default:"${hash_wait}" group:"limits" help:"Longest wait for a hashing slot before the spike-arrest answer."`
	MaxConnections         int           `name:"max-connections" envvar:"CUSTREG_MAX_CONNECTIONS" default:"${max_connections}" group:"limits" help:"Open client connections; further ones wait in the listen queue."`
	MaxBodyBytesInFlight   int64         `name:"max-body-bytes-in-flight" envvar:"CUSTREG_MAX_BODY_BYTES_IN_FLIGHT" default:"${max_body_bytes_in_flight}" group:"limits" help:"Bytes of request bodies held at once (at least twice --max-body-bytes); a body without room gets the spike-arrest answer."`

	// Message delivery (package notify): email over SMTP; SMS and voice go to each FI's
	// gateway from the provisioning file. Sandbox mode sends nothing and keeps every message
	// in its outbox instead.
	SMTPHost     string `name:"smtp-host" envvar:"CUSTREG_SMTP_HOST" group:"notify" help:"Mail server for email messages (passcodes); empty: email is not configured and email messages fail."`
	SMTPPort     int    `name:"smtp-port" envvar:"CUSTREG_SMTP_PORT" default:"0" group:"notify" help:"Mail server port; 0 takes the TLS mode's: 25 (none), 587 (starttls), 465 (tls)."`
	SMTPTLS      string `name:"smtp-tls" envvar:"CUSTREG_SMTP_TLS" default:"${smtp_tls}" enum:"none,starttls,tls" group:"notify" help:"none, starttls (the server must offer it) or tls (implicit TLS)."`
	SMTPUsername string `name:"smtp-username" envvar:"CUSTREG_SMTP_USERNAME" group:"notify" help:"SMTP AUTH user (PLAIN, else LOGIN); empty: no AUTH. Sent only over TLS or to a server on this machine."`
	SMTPPassword string `name:"smtp-password" envvar:"CUSTREG_SMTP_PASSWORD" group:"notify" help:"SMTP AUTH password (masked in the log)."`
	SMTPFrom     string `name:"smtp-from" envvar:"CUSTREG_SMTP_FROM" group:"notify" help:"Sender address of email messages, e.g. 'Example FCU <no-reply@fcu.example>'; required with --smtp-host."`
	// NotifyTimeout bounds one SMTP transaction or one webhook attempt.
	NotifyTimeout time.Duration `name:"notify-timeout" envvar:"CUSTREG_NOTIFY_TIMEOUT" default:"${notify_timeout}" group:"notify" help:"Bounds one SMTP transaction or one gateway webhook attempt (up to 3 attempts); below --request-timeout."`
	// The OIDC partner sign-in: the issuer identifier of ID tokens (the public base URL), the key
	// that signs them (a PEM file, or the PEM itself), its key id and the retired keys the JWKS
	// still publishes.
	OIDCIssuer     string `name:"oidc-issuer" envvar:"CUSTREG_OIDC_ISSUER" default:"${oidc_issuer}" group:"server" help:"Issuer of ID tokens (iss) and base URL of the discovery document: the service's public address."`
	OIDCSigningKey string `name:"oidc-signing-key" envvar:"CUSTREG_OIDC_SIGNING_KEY" group:"server" help:"PEM file (or PEM text) of the RSA (2048+) or ECDSA P-256 key signing ID tokens; required outside sandbox mode and for a sandbox on PostgreSQL."`
	OIDCKeyID      string `name:"oidc-key-id" envvar:"CUSTREG_OIDC_KEY_ID" group:"server" help:"Key id (kid) of the signing key; empty: its RFC 7638 thumbprint."`
	OIDCOldKeys    string `name:"oidc-old-keys" envvar:"CUSTREG_OIDC_OLD_KEYS" group:"server" help:"Retired signing keys still published in the JWKS, as [kid:]pem-file,… (public or private PEM)."`

	// fromEnv maps a flag name to the variable its value came from, envErrs holds the variables
	// whose values do not parse (both filled by Resolver).
	fromEnv map[string]string
	envErrs []error
}

// MaxSecretRotationGrace bounds --secret-rotation-grace: a replaced secret is on its way out.
const MaxSecretRotationGrace = 30 * 24 * time.Hour

// Defaults returns the configuration used when nothing is overridden.
func Defaults() Config {
	return Config{
		Addr:                "127.0.0.1:8080",
		DB:                  "custreg.db",
		LogLevel:            slog.LevelInfo,
		PIIKeyID:            "k1",
		MaxBodyBytes:        1 << 20,
		ShutdownTimeout:     20 * time.Second,
		ReadTimeout:         15 * time.Second,
		WriteTimeout:        30 * time.Second,
		IdleTimeout:         120 * time.Second,
		RequestTimeout:      10 * time.Second,
		DBTimeout:           5 * time.Second,
		AuthFailureDelay:    500 * time.Millisecond,
		SecretRotationGrace: 10 * time.Minute,
		SMTPTLS:             "starttls",
		NotifyTimeout:       3 * time.Second,
		OIDCIssuer:          "http://127.0.0.1:8080",

		AppQuota:               limits.Rate{N: 50000, Per: time.Hour},
		AppSpikeArrest:         limits.Rate{N: 100, Per: time.Second},
		TokenRatePerAddress:    limits.Rate{N: 50, Per: time.Second},
		FailedLoginsPerAddress: limits.Rate{N: 60, Per: time.Minute},
		HashQueue:              16,
		HashWait:               time.Second,
		MaxConnections:         1024,
		MaxBodyBytesInFlight:   16 << 20,
	}
}

// Vars are the kong variables the default tags name, taken from Defaults so that the defaults
// live in one place.
func Vars() kong.Vars {
	d := Defaults()
	return kong.Vars{
		"addr": d.Addr, "db": d.DB, "log_level": d.LogLevel.String(), "pii_key_id": d.PIIKeyID,
		"max_body_bytes": strconv.FormatInt(d.MaxBodyBytes, 10), "shutdown_timeout": d.ShutdownTimeout.String(),
		"write_timeout": d.WriteTimeout.String(), "request_timeout": d.RequestTimeout.String(),
		"db_timeout": d.DBTimeout.String(), "auth_failure_delay": d.AuthFailureDelay.String(),
		"secret_rotation_grace": d.SecretRotationGrace.String(),
		"smtp_tls":              d.SMTPTLS, "notify_timeout": d.NotifyTimeout.String(),
		"oidc_issuer": d.OIDCIssuer,
		"app_quota":   d.AppQuota.String(), "app_spike_arrest": d.AppSpikeArrest.String(),
		"token_rate_per_address": d.TokenRatePerAddress.String(), "failed_logins_per_address": d.FailedLoginsPerAddress.String(),
		"hash_queue": strconv.Itoa(d.HashQueue), "hash_wait": d.HashWait.String(),
		"max_connections": strconv.Itoa(d.MaxConnections), "max_body_bytes_in_flight": strconv.FormatInt(d.MaxBodyBytesInFlight, 10),
	}
}

// Resolver gives every flag with an envvar tag the value of that variable (read with getenv)
// unless the flag is on the command line, so the precedence is defaults → CUSTREG_* → flags. A
// value that does not parse is reported under the variable's name, not the flag's. Each
// variable used is recorded in cfg, so later checks name the source too.
func Resolver(cfg *Config, getenv func(string) string) kong.Resolver {
	return kong.ResolverFunc(func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		name := flag.Tag.Get("envvar")
		if name == "" {
			return nil, nil
		}
		v := getenv(name)
		if v == "" {
			return nil, nil
		}
		probe := reflect.New(flag.Target.Type()).Elem()
		scan := kong.ScanFromTokens(kong.Token{Type: kong.FlagValueToken, Value: v})
		if err := flag.Mapper.Decode(&kong.DecodeContext{Value: flag.Value, Scan: scan}, probe); err != nil {
			// Kept for Finish, which reports it under the variable's name alone.
			cfg.envErrs = append(cfg.envErrs, &EnvError{Name: name, Value: v, Err: err})
			return nil, nil
		}
		if cfg.fromEnv == nil {
			cfg.fromEnv = map[string]string{}
		}
		cfg.fromEnv[flag.Name] = name
		return v, nil
	})
}

// EnvError is a CUSTREG_* variable whose value does not parse. Secrets are not repeated.
type EnvError struct {
	Name, Value string
	Err         error
}

func (e *EnvError) Error() string {
	if strings.Contains(e.Name, "KEY") || strings.Contains(e.Name, "PASSWORD") {
		return fmt.Sprintf("environment variable %s: not a valid value", e.Name)
	}
	return fmt.Sprintf("environment variable %s=%q: %v", e.Name, e.Value, e.Err)
}

// Source names where the value of the flag came from: its environment variable when that set
// it, otherwise the flag itself (given or defaulted).
func (c Config) Source(flag string) string {
	if env, ok := c.fromEnv[flag]; ok {
		return env
	}
	return "--" + flag
}

// Finish checks the parsed configuration and derives what the flags do not carry directly.
func (c *Config) Finish() error {
	if err := errors.Join(c.envErrs...); err != nil {
		return err
	}
	d := Defaults()
	c.ReadTimeout, c.IdleTimeout = d.ReadTimeout, d.IdleTimeout
	c.TrustedProxies = nil
	for _, cidr := range strings.FieldsFunc(c.TrustedProxyList, func(r rune) bool { return r == ',' || r == ' ' }) {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			return fmt.Errorf("%s: %q is not a CIDR", c.Source("trusted-proxies"), cidr)
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	if c.AuthFailureDelay < 0 || c.AuthFailureDelay > 10*time.Second {
		return fmt.Errorf("%s must be between 0 and 10s", c.Source("auth-failure-delay"))
	}
	if c.SecretRotationGrace < 0 || c.SecretRotationGrace > MaxSecretRotationGrace {
		return fmt.Errorf("%s must be between 0 and %v", c.Source("secret-rotation-grace"), MaxSecretRotationGrace)
	}
	if c.MaxBodyBytes <= 0 {
		return fmt.Errorf("%s must be positive", c.Source("max-body-bytes"))
	}
	if err := c.checkTimeouts(); err != nil {
		return err
	}
	if u, err := url.Parse(c.OIDCIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s must be an absolute http(s) URL without query or fragment", c.Source("oidc-issuer"))
	}
	if err := c.checkLimits(); err != nil {
		return err
	}
	if err := c.checkPprofAddr(); err != nil {
		return err
	}
	if c.PIIKeyID == "" || strings.ContainsAny(c.PIIKeyID, ". ") {
		return fmt.Errorf("%s must be non-empty and contain no dot or space", c.Source("pii-key-id"))
	}
	return c.checkNotify()
}

// checkPprofAddr refuses a profiler address that is not a loopback IP with a port: the
// profiler has no authentication, and a CPU profile is slow work anyone reaching it could start.
func (c Config) checkPprofAddr() error {
	if c.PprofAddr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.PprofAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s must be a loopback address with a port, such as 127.0.0.1:6060", c.Source("pprof-addr"))
	}
	return nil
}

// checkLimits checks the abuse limits and the TLS files: the files come in pairs and must load.
func (c Config) checkLimits() error {
	if c.HashConcurrency < 0 || c.HashConcurrency > 256 {
		return fmt.Errorf("%s must be between 0 (one per CPU) and 256", c.Source("hash-concurrency"))
	}
	if c.HashQueue < 0 || c.HashQueue > 10000 {
		return fmt.Errorf("%s must be between 0 and 10000", c.Source("hash-queue"))
	}
	if c.HashWait <= 0 || c.HashWait >= c.RequestTimeout {
		return fmt.Errorf("%s (%v) must be positive and shorter than %s (%v)", c.Source("hash-wait"), c.HashWait, c.Source("request-timeout"), c.RequestTimeout)
	}
	if c.MaxConnections < 1 {
		return fmt.Errorf("%s must be at least 1", c.Source("max-connections"))
	}
	if c.MaxBodyBytesInFlight != 0 && c.MaxBodyBytesInFlight < 2*c.MaxBodyBytes {
		return fmt.Errorf("%s (%d) must be 0 (no bound) or at least twice %s (%d)", c.Source("max-body-bytes-in-flight"),
			c.MaxBodyBytesInFlight, c.Source("max-body-bytes"), c.MaxBodyBytes)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("%s and %s go together: give both or neither", c.Source("tls-cert"), c.Source("tls-key"))
	}
	if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			return fmt.Errorf("%s and %s do not load as a PEM certificate chain and its key: %w", c.Source("tls-cert"), c.Source("tls-key"), err)
		}
	}
	return nil
}

// checkNotify checks the message-delivery settings: an SMTP host needs a sender address, and
// credentials come in pairs.
func (c Config) checkNotify() error {
	if c.SMTPPort < 0 || c.SMTPPort > 65535 {
		return fmt.Errorf("%s must be a port number (0: the TLS mode's)", c.Source("smtp-port"))
	}
	if c.NotifyTimeout <= 0 || c.NotifyTimeout >= c.RequestTimeout {
		return fmt.Errorf("%s (%v) must be positive and shorter than %s (%v)", c.Source("notify-timeout"), c.NotifyTimeout, c.Source("request-timeout"), c.RequestTimeout)
	}
	if (c.SMTPUsername == "") != (c.SMTPPassword == "") {
		return fmt.Errorf("%s and %s go together: give both or neither", c.Source("smtp-username"), c.Source("smtp-password"))
	}
	if c.SMTPHost == "" {
		return nil
	}
	if c.SMTPFrom == "" {
		return fmt.Errorf("%s is required with %s", c.Source("smtp-from"), c.Source("smtp-host"))
	}
	if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
		return fmt.Errorf("%s: %q is not an email address (e.g. 'Example FCU <no-reply@fcu.example>')", c.Source("smtp-from"), c.SMTPFrom)
	}
	return nil
}

// Parse builds the configuration from the environment (getenv) and the flags in args alone (no
// sub-commands): the same grammar, resolver and checks as the command line of package main.
func Parse(args []string, getenv func(string) string) (Config, error) {
	var cfg Config
	parser, err := kong.New(&cfg, kong.Vars(Vars()), kong.Resolvers(Resolver(&cfg, getenv)),
		kong.Exit(func(int) {}), kong.Writers(io.Discard, io.Discard))
	if err != nil {
		return cfg, err
	}
	if _, err := parser.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, cfg.Finish()
}

// checkTimeouts requires the database budget below the request deadline, and the deadline
// below the write timeout: each must end first for the failure to reach the client as the
// family's unavailable answer instead of a cut connection.
func (c Config) checkTimeouts() error {
	for _, d := range []struct {
		flag  string
		value time.Duration
	}{
		{"write-timeout", c.WriteTimeout},
		{"request-timeout", c.RequestTimeout},
		{"db-timeout", c.DBTimeout},
	} {
		if d.value <= 0 {
			return fmt.Errorf("%s must be positive", c.Source(d.flag))
		}
	}
	if c.RequestTimeout >= c.WriteTimeout {
		return fmt.Errorf("%s (%v) must be shorter than %s (%v)", c.Source("request-timeout"), c.RequestTimeout, c.Source("write-timeout"), c.WriteTimeout)
	}
	if c.DBTimeout >= c.RequestTimeout {
		return fmt.Errorf("%s (%v) must be shorter than %s (%v)", c.Source("db-timeout"), c.DBTimeout, c.Source("request-timeout"), c.RequestTimeout)
	}
	return nil
}

// IsPostgres reports whether DB names a PostgreSQL server rather than a SQLite file.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

// KeyFile is where sandbox mode keeps its generated PII key: beside the SQLite file.
func (c Config) KeyFile() string { return c.DB + ".key" }

// OIDCKeyFile is where sandbox mode keeps its generated ID-token signing key: beside the SQLite
// file too.
func (c Config) OIDCKeyFile() string { return c.DB + ".oidc.pem" }

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
		slog.String("shutdown_timeout", c.ShutdownTimeout.String()),
		slog.String("write_timeout", c.WriteTimeout.String()),
		slog.String("request_timeout", c.RequestTimeout.String()),
		slog.String("db_timeout", c.DBTimeout.String()),
		slog.Int("trusted_proxies", len(c.TrustedProxies)),
		slog.String("auth_failure_delay", c.AuthFailureDelay.String()),
		slog.String("secret_rotation_grace", c.SecretRotationGrace.String()),
		slog.String("smtp_host", c.SMTPHost),
		slog.Int("smtp_port", c.SMTPPort),
		slog.String("smtp_tls", c.SMTPTLS),
		slog.String("smtp_username", c.SMTPUsername),
		slog.String("smtp_password", maskSecret(c.SMTPPassword)),
		slog.String("smtp_from", c.SMTPFrom),
		slog.String("notify_timeout", c.NotifyTimeout.String()),
		slog.String("oidc_issuer", c.OIDCIssuer),
		slog.String("oidc_signing_key", maskPEM(c.OIDCSigningKey)),
		slog.String("oidc_key_id", c.OIDCKeyID),
		slog.String("oidc_old_keys", c.OIDCOldKeys),
		slog.String("tls_cert", c.TLSCert),
		slog.String("app_quota", c.AppQuota.String()),
		slog.String("app_spike_arrest", c.AppSpikeArrest.String()),
		slog.String("token_rate_per_address", c.TokenRatePerAddress.String()),
		slog.String("failed_logins_per_address", c.FailedLoginsPerAddress.String()),
		slog.Int("hash_concurrency", c.HashConcurrency),
		slog.Int("hash_queue", c.HashQueue),
		slog.String("hash_wait", c.HashWait.String()),
		slog.Int("max_connections", c.MaxConnections),
		slog.Int64("max_body_bytes_in_flight", c.MaxBodyBytesInFlight),
	)
}

// maskPEM shows a key file's path but never key material given inline.
func maskPEM(s string) string {
	if strings.Contains(s, "-----BEGIN") {
		return "********"
	}
	return s
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
