// Command webapp serves the reference registration app (package webapp) on its own, in front of
// a custreg API:
//
//	go run . --sandbox                       # in one shell: the API sandbox on 127.0.0.1:8080
//	go run ./examples/webapp/cmd/webapp      # in another: the app on http://127.0.0.1:8081
//
// Flags win over environment variables, which win over the defaults (the sandbox's FI 01111 and
// its published client app). Give the secret in WEBAPP_CLIENT_SECRET rather than as a flag,
// where other users of the machine could read it in the process list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/custreg/custreg/examples/webapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
}

// options are the command line, parsed.
type options struct {
	addr   string
	config webapp.Config
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	or := func(name, fallback string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return fallback
	}
	var o options
	var usernames, passwords string
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", or("WEBAPP_ADDR", "127.0.0.1:8081"), "listen address (env WEBAPP_ADDR)")
	fs.StringVar(&o.config.APIBaseURL, "api-base-url", or("CUSTREG_BASE_URL", "http://127.0.0.1:8080"), "the API's base URL (env CUSTREG_BASE_URL)")
	fs.StringVar(&o.config.FIID, "fi", or("WEBAPP_FI", "01111"), "the FI customers register at (env WEBAPP_FI)")
	fs.StringVar(&o.config.FIName, "fi-name", or("WEBAPP_FI_NAME", ""), "the FI's name in the pages (env WEBAPP_FI_NAME; default \"FI <id>\")")
	fs.StringVar(&o.config.ClientID, "client-id", or("WEBAPP_CLIENT_ID", "sandbox-app"), "the client app's Shared Key (env WEBAPP_CLIENT_ID)")
	fs.StringVar(&o.config.ClientSecret, "client-secret", or("WEBAPP_CLIENT_SECRET", "sandbox-secret"), "the client app's Secret Key (env WEBAPP_CLIENT_SECRET, preferred)")
	fs.StringVar(&usernames, "username-length", or("WEBAPP_USERNAME_LENGTH", ""), "the FI's username length range, e.g. 8-20 (env WEBAPP_USERNAME_LENGTH; default: the table in README.md)")
	fs.StringVar(&passwords, "password-length", or("WEBAPP_PASSWORD_LENGTH", ""), "the FI's password length range, e.g. 6-32 (env WEBAPP_PASSWORD_LENGTH; default: the table in README.md)")
	fs.StringVar(&o.config.InspectorURL, "inspector-url", or("WEBAPP_INSPECTOR_URL", ""), "linked from the success page (env WEBAPP_INSPECTOR_URL; default <api-base-url>/portal/requests)")
	fs.BoolVar(&o.config.SecureCookie, "secure-cookie", getenv("WEBAPP_SECURE_COOKIE") == "true", "mark the session cookie Secure: set it behind a TLS proxy (env WEBAPP_SECURE_COOKIE=true)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.config.Policy = webapp.PolicyFor(o.config.FIID)
	var err error
	if usernames != "" {
		if o.config.Policy.UsernameMin, o.config.Policy.UsernameMax, err = lengthRange(usernames); err != nil {
			return o, fmt.Errorf("-username-length: %w", err)
		}
	}
	if passwords != "" {
		if o.config.Policy.PasswordMin, o.config.Policy.PasswordMax, err = lengthRange(passwords); err != nil {
			return o, fmt.Errorf("-password-length: %w", err)
		}
	}
	if o.config.InspectorURL == "" {
		o.config.InspectorURL = strings.TrimRight(o.config.APIBaseURL, "/") + "/portal/requests"
	}
	return o, nil
}

// lengthRange reads "MIN-MAX".
func lengthRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || lo < 1 || lo > hi {
		return 0, 0, fmt.Errorf("%q is not a range MIN-MAX of positive numbers", s)
	}
	return lo, hi, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	o, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	o.config.Log = log
	app, err := webapp.New(o.config)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 45 * time.Second, IdleTimeout: 120 * time.Second}
	p := o.config.Policy
	log.Info("serving the reference registration app", "url", "http://"+ln.Addr().String(), "api", o.config.APIBaseURL,
		"fi", o.config.FIID, "client_id", o.config.ClientID,
		"username_length", fmt.Sprintf("%d-%d", p.UsernameMin, p.UsernameMax), "password_length", fmt.Sprintf("%d-%d", p.PasswordMin, p.PasswordMax))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
