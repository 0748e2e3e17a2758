// Command custreg serves the Customer Registration API. `custreg --help` lists its commands:
// serve (the default), provision, unlock, disclosures export, apps create|list|rotate-secret|disable,
// rekey, sandbox reset, sandbox outbox, version, loadtest and help; the command line itself is in cli.go.
package main

//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi/openapi.yaml

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"golang.org/x/net/netutil"

	"github.com/custreg/custreg/config"
	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/loadtest"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/openid"
	"github.com/custreg/custreg/secure"
)

// version, commit and date are set at build time with -ldflags "-X main.version=… -X main.commit=…
// -X main.date=…"; without them the Go build information fills what it knows.
var version, commit, date = "dev", "", ""

func main() {
	lazyFreedMemory()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "custreg:", err)
		os.Exit(1)
	}
}

// lazyFreedMemory restarts the process, once, with GODEBUG=madvdontneed=0 added, unless GODEBUG
// already says how to return memory: the runtime then hands freed pages back with MADV_FREE
// instead of MADV_DONTNEED. Every argon2id hash allocates and drops 19 MiB, and with DONTNEED
// each hash faulted its pages in again: in an A/B on this service a registration's CPU fell
// from 28 to 24 ms and its page faults 5-fold (docs/benchmarks.md). The setting is read only at
// start-up (and //go:debug does not accept it), hence the exec. Freed pages count in RSS until
// the kernel wants them back. Linux only; if the exec fails the process goes on as it is.
func lazyFreedMemory() {
	if runtime.GOOS != "linux" || strings.Contains(os.Getenv("GODEBUG"), "madvdontneed") {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	godebug := "madvdontneed=0"
	if v := os.Getenv("GODEBUG"); v != "" {
		godebug = v + "," + godebug
	}
	env := append(os.Environ(), "GODEBUG="+godebug)
	_ = syscall.Exec(exe, os.Args, env) // returns only on failure
}

// exited is how kong's help and version flags end a run: run recovers it and returns nil.
type exited struct{ code int }

// run is the whole program, parameterised for tests: it returns when ctx is cancelled (serve) or
// when the command is done. Help and version never open a database or need a key.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	var c cli
	parser, err := kong.New(&c,
		kong.Name("custreg"),
		kong.Description("An open Customer Registration API. Flags win over CUSTREG_* environment variables, which win over defaults."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exited{code}) }),
		kong.Vars(config.Vars()),
		kong.Vars{"version": versionLine(), "scenarios": strings.Join(loadtest.Scenarios, ", ")},
		kong.Resolvers(config.Resolver(&c.Config, getenv)),
		kong.ExplicitGroups([]kong.Group{{Key: "server", Title: "Server flags (serve)"}, {Key: "notify", Title: "Message delivery flags (serve)"},
			{Key: "limits", Title: "Abuse limits (serve; per instance, see docs/security.md)"}}),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	if err != nil {
		return err
	}
	for _, group := range parser.Model.AllFlags(true) {
		for _, f := range group {
			if env := f.Tag.Get("envvar"); env != "" {
				f.Help += " ($" + env + ")"
			}
		}
	}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(exited)
			if !ok {
				panic(r)
			}
			if e.code != 0 {
				err = fmt.Errorf("exit status %d", e.code)
			}
		}
	}()
	kctx, err := parser.Parse(args)
	if err != nil {
		return err
	}
	if err := c.Config.Finish(); err != nil {
		return err
	}
	a := &app{ctx: ctx, cfg: c.Config, stdout: stdout, stderr: stderr, parser: parser,
		log: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: c.Config.LogLevel}))}
	return kctx.Run(a)
}

// versionLine says which build this is.
func versionLine() string {
	rev, at := commit, date
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && rev == "":
				rev = s.Value
			case s.Key == "vcs.time" && at == "":
				at = s.Value
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	if at == "" {
		at = "unknown"
	}
	return fmt.Sprintf("custreg %s (commit %s, built %s, %s)", version, rev, at, runtime.Version())
}

// runServe binds the listen address first, so a taken port fails before anything is opened or
// written; then it opens the store, seeds the sandbox data that is missing, and serves.
func runServe(a *app) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (%s): %w", a.cfg.Addr, a.cfg.Source("addr"), err)
	}
	defer ln.Close()
	store, err := openStore(a, true)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	issuer, err := openIDIssuer(a.cfg)
	if err != nil {
		return err
	}
	if a.cfg.Sandbox {
		if err := seedSandbox(a.ctx, store); err != nil {
			return err
		}
		a.log.Info("sandbox data seeded (existing records left as they are)")
	}
	return serve(a.ctx, a.cfg, store, issuer, ln, a.log)
}

// openIDIssuer builds the ID-token issuer of the partner sign-in from the configuration: the
// signing key from --oidc-signing-key (a PEM file or the PEM itself), or in sandbox mode on
// SQLite a key generated once and kept beside the database; the retired keys of
// --oidc-old-keys are published beside it.
func openIDIssuer(cfg config.Config) (*openid.Issuer, error) {
	var key crypto.Signer
	var err error
	switch {
	case cfg.OIDCSigningKey != "":
		data := []byte(cfg.OIDCSigningKey)
		if !strings.Contains(cfg.OIDCSigningKey, "-----BEGIN") {
			if data, err = os.ReadFile(cfg.OIDCSigningKey); err != nil {
				return nil, fmt.Errorf("%s: %w", cfg.Source("oidc-signing-key"), err)
			}
		}
		if key, err = openid.ParsePrivateKey(data); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Source("oidc-signing-key"), err)
		}
	case cfg.Sandbox && !cfg.IsPostgres():
		if key, err = openid.LoadOrCreateKeyFile(cfg.OIDCKeyFile()); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("CUSTREG_OIDC_SIGNING_KEY is required (a PEM file of an RSA 2048 or ECDSA P-256 key, " +
			"e.g. `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out oidc.pem`); only --sandbox on SQLite generates one")
	}
	var old []openid.PublicKey
	for _, entry := range strings.FieldsFunc(cfg.OIDCOldKeys, func(r rune) bool { return r == ',' || r == ' ' }) {
		kid, path, ok := strings.Cut(entry, ":")
		if !ok {
			kid, path = "", entry
		}
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Source("oidc-old-keys"), rerr)
		}
		pub, perr := openid.ParsePublicKey(data)
		if perr != nil {
			return nil, fmt.Errorf("%s: %s: %w", cfg.Source("oidc-old-keys"), path, perr)
		}
		old = append(old, openid.PublicKey{ID: kid, Key: pub})
	}
	issuer, err := openid.New(cfg.OIDCIssuer, key, cfg.OIDCKeyID, old)
	if err != nil {
		return nil, fmt.Errorf("OIDC issuer: %w", err)
	}
	return issuer, nil
}

func seedSandbox(ctx context.Context, store *db.Store) error {
	pf, err := db.ParseProvisionFile(db.SandboxYAML)
	if err != nil {
		return fmt.Errorf("bundled sandbox file: %w", err)
	}
	if err := store.Seed(ctx, pf); err != nil {
		return fmt.Errorf("seed sandbox: %w", err)
	}
	return nil
}

// keySource says where the PII key of cfg comes from, for messages.
func keySource(cfg config.Config) string {
	if cfg.PIIKey != "" {
		return cfg.Source("pii-key")
	}
	return "the sandbox key file " + cfg.KeyFile()
}

// openStore opens the database and the key ring and checks that the key opens the data. Outside
// sandbox mode the PII key must come from the configuration; sandbox mode keeps a generated key
// beside the SQLite file. Without create, a SQLite file that does not exist is an error instead
// of a new empty database (maintenance commands work on existing data).
func openStore(a *app, create bool) (*db.Store, error) {
	cfg := a.cfg
	if !create && !cfg.IsPostgres() {
		if _, err := os.Stat(cfg.DB); errors.Is(err, os.ErrNotExist) {
			hint := "check --db (or CUSTREG_DB)"
			if cfg.Sandbox {
				hint = "start the sandbox once (custreg --sandbox) or create it with custreg sandbox reset"
			}
			return nil, fmt.Errorf("database %s does not exist: %s", cfg.DB, hint)
		}
	}
	var key []byte
	var err error
	switch {
	case cfg.PIIKey != "":
		if key, err = secure.ParseKey(cfg.PIIKey); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Source("pii-key"), err)
		}
	case cfg.Sandbox && !cfg.IsPostgres():
		if key, err = db.LoadOrCreateKeyFile(cfg.KeyFile()); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("CUSTREG_PII_KEY is required (base64 of 32 random bytes, e.g. `openssl rand -base64 32`); " +
			"only --sandbox on SQLite generates one")
	}
	ring, err := secure.ParseKeyList(cfg.PIIOldKeys)
	if _, clash := ring[cfg.PIIKeyID]; err != nil || clash {
		return nil, fmt.Errorf("%s: each entry must be id:base64-key with an id other than %q", cfg.Source("pii-old-keys"), cfg.PIIKeyID)
	}
	ring[cfg.PIIKeyID] = key
	keys, err := secure.NewKeyring(cfg.PIIKeyID, ring)
	if err != nil {
		return nil, fmt.Errorf("PII key ring: %w", err)
	}
	a.log.Info("starting custreg", "version", version, "config", cfg)
	conn, err := db.OpenWith(a.ctx, cfg.DB, db.Settings{Log: a.log, Timeout: cfg.DBTimeout})
	if err != nil {
		return nil, err
	}
	hasher := secure.NewPasswordHasher(secure.DefaultArgon2Params(), cfg.HashConcurrency).LimitQueue(cfg.HashQueue, cfg.HashWait)
	store := db.New(conn, keys, hasher)
	if err := store.CheckKeys(a.ctx); err != nil {
		_ = store.Close()
		var wk *db.WrongKeyError
		if !errors.As(err, &wk) {
			return nil, err
		}
		return nil, wrongKey(cfg, wk.KeyID)
	}
	return store, nil
}

// wrongKey is the one sentence that says which key did not open the database and what to do.
func wrongKey(cfg config.Config, id string) error {
	where := config.MaskDSN(cfg.DB)
	switch {
	case cfg.Sandbox && cfg.PIIKey != "" && !cfg.IsPostgres():
		return fmt.Errorf("the PII key from %s (id %s) does not open %s, which was written under another key: unset it so the sandbox uses its key file %s, or start over with `custreg sandbox reset`",
			keySource(cfg), id, where, cfg.KeyFile())
	case cfg.Sandbox && !cfg.IsPostgres():
		return fmt.Errorf("%s (id %s) does not open %s, which was written under another key: restore the key file it was created with, or start over with `custreg sandbox reset` (deletes the sandbox data)",
			keySource(cfg), id, where)
	default:
		return fmt.Errorf("the PII key from %s (id %s) does not open %s, which was written under another key with that id: start with the key it was written with (during a rotation give the new key a new id and the old one in CUSTREG_PII_OLD_KEYS)",
			keySource(cfg), id, where)
	}
}

// sandboxReset deletes the SQLite sandbox database and its key file, then creates both anew
// with the bundled data. It refuses a PostgreSQL database and a file that is not a sandbox.
func sandboxReset(a *app, yes bool) error {
	cfg := a.cfg
	cfg.Sandbox = true
	if cfg.IsPostgres() {
		return errors.New("sandbox reset works on a SQLite sandbox only: drop and recreate a PostgreSQL database with its own tools")
	}
	if err := confirm(a, yes, "delete "+cfg.DB+" and "+cfg.KeyFile()+" and create a fresh sandbox"); err != nil {
		return err
	}
	if err := ensureSandboxFile(a.ctx, cfg.DB); err != nil {
		return err
	}
	for _, p := range []string{cfg.DB, cfg.DB + "-wal", cfg.DB + "-shm", cfg.DB + "-journal", cfg.KeyFile(), cfg.OIDCKeyFile()} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sandbox reset: %w", err)
		}
	}
	a.cfg = cfg
	store, err := openStore(a, true)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	if err := seedSandbox(a.ctx, store); err != nil {
		return err
	}
	key := "its key file " + cfg.KeyFile()
	if cfg.PIIKey != "" {
		key = "the key from " + cfg.Source("pii-key")
	}
	fmt.Fprintf(a.stdout, "sandbox reset: %s created with the bundled data, under %s\n", cfg.DB, key)
	return nil
}

// ensureSandboxFile refuses to delete a SQLite file that holds FIs other than the sandbox's.
func ensureSandboxFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	conn, err := db.Open(ctx, path, nil)
	if err != nil {
		return fmt.Errorf("sandbox reset: %s: %w", path, err)
	}
	defer func() { _ = db.Close(conn) }()
	var others int64
	if err := conn.WithContext(ctx).Model(&models.Institution{}).Where("id NOT IN ?", []string{"01111", "02222"}).Count(&others).Error; err != nil {
		return fmt.Errorf("sandbox reset: %s: %w", path, err)
	}
	if others > 0 {
		return fmt.Errorf("sandbox reset: %s holds %d FI(s) that are not the sandbox's: delete it yourself if you mean it", path, others)
	}
	return nil
}

// purgeLoop removes expired tokens, old idempotency records, stale in-flight markers and old
// password-reset challenges every ten minutes until ctx ends. Every instance may run it: the
// deletes are idempotent.
func purgeLoop(ctx context.Context, store *db.Store, log *slog.Logger) {
	tick := time.NewTicker(10 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			got, err := store.Purge(ctx, time.Now().UTC())
			if err != nil {
				log.Warn("purge", "error", err)
				continue
			}
			codes, err := store.PurgeAuthCodes(ctx, time.Now().UTC())
			if err != nil {
				log.Warn("purge", "error", err)
			}
			log.Debug("purge", "tokens", got.Tokens, "idempotency_records", got.IdempotencyRecords, "in_flight", got.InFlight,
				"password_resets", got.PasswordResets, "outbox_messages", got.OutboxMessages, "portal_sessions", got.PortalSessions,
				"auth_codes", codes)
		}
	}
}

func serve(ctx context.Context, cfg config.Config, store *db.Store, issuer *openid.Issuer, ln net.Listener, log *slog.Logger) error {
	notifier, err := newNotifier(cfg, store, log)
	if err != nil {
		return err
	}
	var sample http.Handler
	if cfg.Sandbox {
		if sample, err = sampleApp(ctx, store, ln.Addr(), log); err != nil {
			return err
		}
	}
	e, err := handlers.New(handlers.Options{Store: store, Log: log, MaxBodyBytes: cfg.MaxBodyBytes, Version: version,
		TrustedProxies: cfg.TrustedProxies, AuthFailureDelay: cfg.AuthFailureDelay, RequestTimeout: cfg.RequestTimeout,
		Notifier: notifier, Sandbox: cfg.Sandbox, OpenID: issuer, Sample: sample, SecretRotationGrace: cfg.SecretRotationGrace, Limits: handlers.Limits{AppQuota: cfg.AppQuota,
			AppSpikeArrest: cfg.AppSpikeArrest, TokenRequestsPerAddress: cfg.TokenRatePerAddress,
			FailedLoginsPerAddress: cfg.FailedLoginsPerAddress, BodyBytesInFlight: cfg.MaxBodyBytesInFlight}})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// At most MaxConnections connections are open at once; more wait in the kernel's listen
	// queue until one closes (idle keep-alive connections close after IdleTimeout).
	ln = netutil.LimitListener(ln, cfg.MaxConnections)
	scheme, start := "http", func() error { return srv.Serve(ln) }
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("%s, %s: %w", cfg.Source("tls-cert"), cfg.Source("tls-key"), err)
		}
		// ServeTLS adds HTTP/2 and HTTP/1.1 to the negotiated protocols.
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		scheme, start = "https", func() error { return srv.ServeTLS(ln, "", "") }
	}
	// The profiler listens before the API does, so that whoever sees the API ready can profile it.
	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.Source("pprof-addr"), err)
		}
		defer stop()
	}
	log.Info("listening", "addr", ln.Addr().String(), "scheme", scheme)
	errc := make(chan error, 1)
	go func() { errc <- start() }()
	go purgeLoop(ctx, store, log)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; letting in-flight requests finish", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// servePprof serves Go's profiler (net/http/pprof) on its own loopback listener, apart from the
// API's handler and limits; config refuses an address that is not loopback.
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Warn("profiler listening (unauthenticated; loopback only)", "addr", ln.Addr().String())
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}
