// Command custreg serves the Customer Registration API.
//
//	custreg [flags]                  serve (see --help; --sandbox for the local test drive)
//	custreg [flags] provision FILE   load a provisioning file into the database and exit
//	custreg [flags] unlock --fi FI --login LOGIN   clear a user's lockout after failed logins
//	custreg [flags] disclosures export --fi FI --login LOGIN   a user's disclosure history as JSON
//	custreg [flags] rekey            re-encrypt PII under the primary key (after a key rotation)
//	custreg loadtest [flags]         drive a running server with a load scenario (see --help)
package main

//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi/openapi.yaml

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/custreg/custreg/config"
	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/loadtest"
	"github.com/custreg/custreg/secure"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, config.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "custreg:", err)
		os.Exit(1)
	}
}

// run is the whole program, parameterised for tests: it returns when ctx is cancelled (serve) or
// when the sub-command is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "loadtest" {
		// A client of a running server: no database, no keys.
		return runLoadtest(ctx, args[1:], stdout, stderr)
	}
	cfg, rest, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()

	if cfg.Sandbox {
		pf, err := db.ParseProvisionFile(db.SandboxYAML)
		if err != nil {
			return fmt.Errorf("bundled sandbox file: %w", err)
		}
		if err := store.Provision(ctx, pf); err != nil {
			return fmt.Errorf("load sandbox: %w", err)
		}
		log.Info("sandbox data loaded", "institutions", len(pf.Institutions), "client_apps", len(pf.ClientApps))
	}
	if len(rest) > 0 {
		return runCommand(ctx, store, rest, stdout)
	}
	return serve(ctx, cfg, store, log)
}

// openStore opens the database and the key ring. Outside sandbox mode the PII key must come from
// the configuration; sandbox mode keeps a generated key beside the SQLite file.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*db.Store, error) {
	var key []byte
	var err error
	switch {
	case cfg.PIIKey != "":
		if key, err = secure.ParseKey(cfg.PIIKey); err != nil {
			return nil, fmt.Errorf("CUSTREG_PII_KEY (--pii-key): %w", err)
		}
	case cfg.Sandbox && !cfg.IsPostgres():
		if key, err = db.LoadOrCreateKeyFile(cfg.KeyFile()); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("CUSTREG_PII_KEY is required (base64 of 32 random bytes, e.g. `openssl rand -base64 32`); " +
			"only --sandbox on SQLite generates one")
	}
	ring := map[string][]byte{cfg.PIIKeyID: key}
	for _, entry := range strings.FieldsFunc(cfg.PIIOldKeys, func(r rune) bool { return r == ',' || r == ' ' }) {
		id, b64, ok := strings.Cut(entry, ":")
		old, perr := secure.ParseKey(b64)
		if !ok || id == "" || perr != nil || id == cfg.PIIKeyID {
			return nil, fmt.Errorf("CUSTREG_PII_OLD_KEYS (--pii-old-keys): each entry must be id:base64-key with an id other than %q", cfg.PIIKeyID)
		}
		ring[id] = old
	}
	keys, err := secure.NewKeyring(cfg.PIIKeyID, ring)
	if err != nil {
		return nil, fmt.Errorf("PII key ring: %w", err)
	}
	log.Info("starting custreg", "version", version, "config", cfg)
	conn, err := db.OpenWith(ctx, cfg.DB, db.Settings{Log: log, Timeout: cfg.DBTimeout})
	if err != nil {
		return nil, err
	}
	return db.New(conn, keys, secure.NewPasswordHasher(secure.DefaultArgon2Params(), 0)), nil
}

func runCommand(ctx context.Context, store *db.Store, args []string, stdout io.Writer) error {
	switch args[0] {
	case "provision":
		if len(args) != 2 {
			return errors.New("usage: custreg provision FILE")
		}
		data, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		pf, err := db.ParseProvisionFile(data)
		if err != nil {
			return fmt.Errorf("%s: %w", args[1], err)
		}
		if err := store.Provision(ctx, pf); err != nil {
			return fmt.Errorf("%s: %w", args[1], err)
		}
		fmt.Fprintf(stdout, "provisioned %d institution(s) and %d client app(s) from %s\n", len(pf.Institutions), len(pf.ClientApps), args[1])
		return nil
	case "unlock":
		fi, login, err := userFlags("unlock", args[1:])
		if err != nil {
			return err
		}
		ok, err := store.Unlock(ctx, fi, login)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no user %q at FI %s", login, fi)
		}
		fmt.Fprintf(stdout, "unlocked %s at FI %s\n", login, fi)
		return nil
	case "rekey":
		got, err := store.Rekey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "re-encrypted under key %s: %d customers, %d accounts, %d stored replies\n",
			store.PrimaryKeyID(), got.Customers, got.Accounts, got.IdempotencyRecords)
		if got.StaleClientSecrets > 0 {
			fmt.Fprintf(stdout, "%d client apps still hold a secret digest under an earlier key: each moves to key %s at its next token request;"+
				" keep the old key until then, or provision their secrets again\n", got.StaleClientSecrets, store.PrimaryKeyID())
		}
		return nil
	case "disclosures":
		if len(args) < 2 || args[1] != "export" {
			return errors.New("usage: custreg disclosures export --fi FI --login LOGIN")
		}
		fi, login, err := userFlags("disclosures export", args[2:])
		if err != nil {
			return err
		}
		export, err := store.ExportDisclosureHistory(ctx, fi, login)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(export)
	}
	return fmt.Errorf("unknown command %q (known: provision, unlock, rekey, disclosures export)", args[0])
}

// purgeLoop removes expired tokens, old idempotency records and stale in-flight markers every
// ten minutes until ctx ends. Every instance may run it: the deletes are idempotent.
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
			log.Debug("purge", "tokens", got.Tokens, "idempotency_records", got.IdempotencyRecords, "in_flight", got.InFlight)
		}
	}
}

// userFlags parses the --fi and --login flags that name one user of an FI.
func userFlags(command string, args []string) (fi, login string, err error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.StringVar(&fi, "fi", "", "FI id, e.g. 01111")
	fs.StringVar(&login, "login", "", "the user's login id")
	if err := fs.Parse(args); err != nil {
		return "", "", err
	}
	if fi == "" || login == "" {
		return "", "", fmt.Errorf("usage: custreg %s --fi FI --login LOGIN", command)
	}
	return fi, login, nil
}

func serve(ctx context.Context, cfg config.Config, store *db.Store, log *slog.Logger) error {
	e, err := handlers.New(handlers.Options{Store: store, Log: log, MaxBodyBytes: cfg.MaxBodyBytes, Version: version,
		TrustedProxies: cfg.TrustedProxies, AuthFailureDelay: cfg.AuthFailureDelay, RequestTimeout: cfg.RequestTimeout})
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
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go purgeLoop(ctx, store, log)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; letting in-flight requests finish", "timeout", cfg.ShutdownTimeout)
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

// runLoadtest parses the loadtest flags and runs one scenario against a server.
func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("custreg loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := loadtest.Config{}
	asJSON := fs.Bool("json", false, "print the report as JSON")
	quiet := fs.Bool("quiet", false, "no progress lines")
	fs.StringVar(&cfg.Target, "target", "http://127.0.0.1:8080", "base URL of the server")
	fs.StringVar(&cfg.Scenario, "scenario", "token-v2", "one of: "+strings.Join(loadtest.Scenarios, ", "))
	fs.IntVar(&cfg.Rate, "rate", 0, "requests per second (0: as fast as the workers go)")
	fs.IntVar(&cfg.Workers, "workers", 2, "concurrent clients")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to send (0: until --count)")
	fs.IntVar(&cfg.Count, "count", 0, "stop after this many requests (0: no limit)")
	fs.StringVar(&cfg.ClientID, "client-id", "sandbox-app", "client app (Shared Key)")
	fs.StringVar(&cfg.Secret, "secret", "sandbox-secret", "client secret (Secret Key)")
	fs.StringVar(&cfg.FI, "fi", "01111", "FI to act for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var progress io.Writer = stderr
	if *quiet {
		progress = nil
	}
	rep, err := loadtest.Run(ctx, cfg, progress)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	_, err = io.WriteString(stdout, rep.Text())
	return err
}
