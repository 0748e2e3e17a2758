package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"golang.org/x/term"

	"github.com/custreg/custreg/config"
	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/loadtest"
)

// cli is the command line: the configuration flags (global, so they may stand before or after
// the command) and the commands, serve being the default.
type cli struct {
	config.Config

	Version kong.VersionFlag `help:"Print version, commit and build date and exit."`

	Serve       serveCmd       `cmd:"" default:"1" help:"Serve the API (the default command)."`
	Provision   provisionCmd   `cmd:"" help:"Load a provisioning file (YAML or JSON) into the database and exit."`
	Unlock      unlockCmd      `cmd:"" help:"End a user's lockout after failed password logins."`
	Disclosures disclosuresCmd `cmd:"" help:"Disclosure records."`
	Apps        appsCmd        `cmd:"" help:"Client apps (Shared Key and Secret Key): create, list, rotate-secret, disable."`
	Rekey       rekeyCmd       `cmd:"" help:"Re-encrypt PII under the primary key after a key rotation."`
	Sandbox     sandboxCmd     `cmd:"" name:"sandbox" help:"The local sandbox database."`
	VersionCmd  versionCmd     `cmd:"" name:"version" help:"Print version, commit and build date."`
	Loadtest    loadtestCmd    `cmd:"" help:"Drive a running server with a load scenario (no database, no key)."`
	Help        helpCmd        `cmd:"" help:"Show help for a command."`
}

// app is what every command's Run receives.
type app struct {
	ctx            context.Context
	cfg            config.Config
	stdout, stderr io.Writer
	log            *slog.Logger
	parser         *kong.Kong
}

type serveCmd struct{}

func (serveCmd) Run(a *app) error { return runServe(a) }

type provisionCmd struct {
	File string `arg:"" help:"The provisioning file."`
}

func (c provisionCmd) Run(a *app) error {
	data, err := os.ReadFile(c.File)
	if err != nil {
		return fmt.Errorf("provisioning file: %w", err)
	}
	pf, err := db.ParseProvisionFile(data)
	if err != nil {
		return fmt.Errorf("%s: %w", c.File, err)
	}
	store, err := openStore(a, true)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	progress := newProgress(a.stderr, "provision", "records")
	err = store.ProvisionWithProgress(a.ctx, pf, progress)
	progress.Done()
	if err != nil {
		return fmt.Errorf("%s: %w", c.File, err)
	}
	fmt.Fprintf(a.stdout, "provisioned %d institution(s) and %d client app(s) from %s\n", len(pf.Institutions), len(pf.ClientApps), c.File)
	return nil
}

// userFlags name one user of an FI.
type userFlags struct {
	FI    string `name:"fi" required:"" help:"FI id, e.g. 01111."`
	Login string `name:"login" required:"" help:"The user's login id."`
}

type unlockCmd struct{ userFlags }

func (c unlockCmd) Run(a *app) error {
	store, err := openStore(a, false)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	ok, err := store.Unlock(a.ctx, c.FI, c.Login)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no user %q at FI %s", c.Login, c.FI)
	}
	fmt.Fprintf(a.stdout, "unlocked %s at FI %s\n", c.Login, c.FI)
	return nil
}

type disclosuresCmd struct {
	Export exportCmd `cmd:"" help:"Print a user's complete disclosure history, oldest first, as JSON."`
}

type exportCmd struct{ userFlags }

func (c exportCmd) Run(a *app) error {
	store, err := openStore(a, false)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	export, err := store.ExportDisclosureHistory(a.ctx, c.FI, c.Login)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(export)
}

type rekeyCmd struct {
	Yes bool `short:"y" help:"Do not ask for confirmation (required when standard input is not a terminal)."`
}

func (c rekeyCmd) Run(a *app) error {
	what := "re-encrypt every customer's PII, account numbers and stored replies in " + config.MaskDSN(a.cfg.DB) + " under key " + a.cfg.PIIKeyID
	if err := confirm(a, c.Yes, what); err != nil {
		return err
	}
	store, err := openStore(a, false)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	progress := newProgress(a.stderr, "rekey", "rows")
	got, err := store.RekeyWithProgress(a.ctx, progress)
	progress.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "re-encrypted under key %s: %d customers, %d accounts, %d stored replies, %d messaging-gateway secrets\n",
		store.PrimaryKeyID(), got.Customers, got.Accounts, got.IdempotencyRecords, got.MessagingGateways)
	if got.StaleClientSecrets > 0 {
		fmt.Fprintf(a.stdout, "%d client apps still hold a secret digest under an earlier key: each moves to key %s at its next token request;"+
			" keep the old key until then, or provision their secrets again\n", got.StaleClientSecrets, store.PrimaryKeyID())
	}
	return nil
}

type sandboxCmd struct {
	Reset  resetCmd  `cmd:"" help:"Delete the sandbox database and its key file, then create them anew with the bundled data."`
	Outbox outboxCmd `cmd:"" help:"Print the messages the sandbox kept instead of sending them (passcodes included), newest first."`
}

type outboxCmd struct {
	To   string `name:"to" help:"Only this destination: an email address, or a phone number in any notation."`
	JSON bool   `name:"json" help:"Print {\"messages\":[…]} as GET /sandbox/outbox answers."`
}

func (c outboxCmd) Run(a *app) error { return sandboxOutbox(a, c.To, c.JSON) }

type resetCmd struct {
	Yes bool `short:"y" help:"Do not ask for confirmation (required when standard input is not a terminal)."`
}

func (c resetCmd) Run(a *app) error { return sandboxReset(a, c.Yes) }

type versionCmd struct{}

func (versionCmd) Run(a *app) error {
	_, err := fmt.Fprintln(a.stdout, versionLine())
	return err
}

type helpCmd struct {
	Command []string `arg:"" optional:"" help:"The command, e.g. rekey or disclosures export."`
}

func (c helpCmd) Run(a *app) error {
	kctx, err := kong.Trace(a.parser, c.Command)
	if err != nil {
		return err
	}
	if kctx.Error != nil {
		return kctx.Error
	}
	return kctx.PrintUsage(false)
}

type loadtestCmd struct {
	Target    string        `default:"http://127.0.0.1:8080" help:"Base URL of the server."`
	Scenario  string        `default:"token-v2" help:"One of: ${scenarios}."`
	Rate      int           `default:"0" help:"Requests per second (0: as fast as the workers go)."`
	Workers   int           `default:"2" help:"Concurrent clients."`
	Duration  time.Duration `default:"10s" help:"How long to send (0: until --count)."`
	Count     int           `default:"0" help:"Stop after this many requests (0: no limit)."`
	ClientID  string        `name:"client-id" default:"sandbox-app" help:"Client app (Shared Key)."`
	Secret    string        `default:"sandbox-secret" help:"Client secret (Secret Key)."`
	LoadFI    string        `name:"fi" default:"01111" help:"FI to act for."`
	Source    string        `help:"Local address to send from, e.g. 127.0.0.2 (a flood from another address than the legitimate load)."`
	BodyBytes int           `name:"body-bytes" default:"0" help:"Body size of oversized-body (0: 1 MiB + 1)."`
	Username  string        `default:"sandboxuser1" help:"Registered user of the password and accounts scenarios."`
	Password  string        `default:"Sandbox2024!" help:"That user's password."`
	JSON      bool          `name:"json" help:"Print the report as JSON."`
	Quiet     bool          `help:"No progress lines."`
}

func (c loadtestCmd) Run(a *app) error {
	cfg := loadtest.Config{Target: c.Target, Scenario: c.Scenario, Rate: c.Rate, Workers: c.Workers, Duration: c.Duration,
		Count: c.Count, ClientID: c.ClientID, Secret: c.Secret, FI: c.LoadFI, Source: c.Source, BodyBytes: c.BodyBytes,
		Username: c.Username, Password: c.Password}
	var progress io.Writer = a.stderr
	if c.Quiet {
		progress = nil
	}
	rep, err := loadtest.Run(a.ctx, cfg, progress)
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(a.stdout).Encode(rep)
	}
	_, err = io.WriteString(a.stdout, rep.Text())
	return err
}

// stdinIsTerminal reports whether a person can be asked; tests leave standard input alone.
var stdinIsTerminal = func() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// confirm asks on a terminal before a destructive command; elsewhere it requires --yes.
func confirm(a *app, yes bool, what string) error {
	if yes {
		return nil
	}
	if !stdinIsTerminal() {
		return fmt.Errorf("this will %s: add --yes to confirm (standard input is not a terminal)", what)
	}
	fmt.Fprintf(a.stderr, "This will %s.\nType yes to go on: ", what)
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	if strings.TrimSpace(strings.ToLower(line)) != "yes" {
		return errors.New("not confirmed: nothing changed")
	}
	return nil
}
