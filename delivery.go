package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/custreg/custreg/config"
	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/notify"
)

// newNotifier builds the message-delivery boundary the server hands its handlers. Sandbox mode
// sends nothing anywhere: every message is kept in the outbox (GET /sandbox/outbox, custreg
// sandbox outbox), so a test drive needs no mail server or gateway and never writes to the
// demo data's addresses. Otherwise EMAIL goes to --smtp-host (when set) and SMS and VOICE to
// each FI's provisioned gateway.
func newNotifier(cfg config.Config, store *db.Store, log *slog.Logger) (notify.Sender, error) {
	if cfg.Sandbox {
		if cfg.SMTPHost != "" {
			log.Warn("notify: sandbox mode sends no email: " + cfg.Source("smtp-host") + " is not used")
		}
		log.Info("notify: sandbox mode: messages are kept in the outbox (GET /sandbox/outbox, custreg sandbox outbox) and sent nowhere")
		return &notify.Outbox{Store: store, Log: log}, nil
	}
	router := &notify.Router{Gateways: store, Webhook: notify.Webhook{Timeout: cfg.NotifyTimeout, Log: log}}
	if cfg.SMTPHost == "" {
		log.Info("notify: email is not configured (--smtp-host): email messages fail; SMS and voice go to each FI's gateway")
		return router, nil
	}
	smtp, err := notify.NewSMTP(notify.SMTPConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, TLS: cfg.SMTPTLS,
		Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.SMTPFrom, Timeout: cfg.NotifyTimeout}, log)
	if err != nil {
		return nil, err
	}
	router.Email = smtp
	log.Info("notify: email through SMTP; SMS and voice go to each FI's gateway", "smtp", smtp.Addr(), "tls", smtp.TLSMode(),
		"auth", cfg.SMTPUsername != "")
	return router, nil
}

// sandboxOutbox prints the sandbox outbox, newest first (at most db.MaxOutboxMessages): as text,
// or with asJSON as the document GET /sandbox/outbox answers. It opens the sandbox database as
// serve --sandbox does (its key file unless a key is given) and never creates one.
func sandboxOutbox(a *app, to string, asJSON bool) error {
	a.cfg.Sandbox = true
	store, err := openStore(a, false)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	rows, err := store.OutboxMessages(a.ctx, to, db.MaxOutboxMessages)
	if err != nil {
		return err
	}
	if asJSON {
		out := gen.SandboxOutbox{Messages: make([]gen.SandboxOutboxMessage, 0, len(rows))}
		for _, r := range rows {
			m := gen.SandboxOutboxMessage{To: r.To, Channel: r.Channel, Body: r.Body, Passcode: r.Passcode, SentAt: r.SentAt.UTC(), InstitutionID: &r.InstitutionID}
			if r.Subject != "" {
				m.Subject = &r.Subject
			}
			out.Messages = append(out.Messages, m)
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(rows) == 0 {
		what := "the sandbox outbox is empty"
		if to != "" {
			what = "no messages to " + to + " in the sandbox outbox"
		}
		_, err := fmt.Fprintln(a.stdout, what)
		return err
	}
	var b strings.Builder
	for _, r := range rows {
		passcode := r.Passcode
		if passcode == "" {
			passcode = "-"
		}
		fmt.Fprintf(&b, "%s  %-5s  %s  FI %s  passcode %s\n", r.SentAt.UTC().Format(time.RFC3339), r.Channel, r.To, r.InstitutionID, passcode)
		if r.Subject != "" {
			fmt.Fprintf(&b, "    Subject: %s\n", r.Subject)
		}
		for _, line := range strings.Split(strings.TrimRight(r.Body, "\n"), "\n") {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	_, err = io.WriteString(a.stdout, b.String())
	return err
}
