package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/custreg/custreg/notify"
)

// passcodeEmail is the message the tests send: every field is something no log may show.
func passcodeEmail() notify.Message {
	return notify.Message{InstitutionID: "01111", To: "alex.morgan@example.com", Channel: notify.ChannelEmail,
		Subject: "Your Sandbox FCU passcode", Body: "Your one-time passcode is 482913. It expires in 10 minutes.", Passcode: "482913"}
}

// parsed is a received message's headers and decoded body.
func parsed(t *testing.T, data string) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("the server got no RFC 5322 message: %v\n%s", err, data)
	}
	var body io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return msg, strings.TrimRight(string(b), "\r\n")
}

func newSMTP(t *testing.T, cfg notify.SMTPConfig, log *slog.Logger) *notify.SMTP {
	t.Helper()
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.From == "" {
		cfg.From = "Sandbox FCU <no-reply@sandbox-fcu.example>"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	s, err := notify.NewSMTP(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSMTPDeliversOverSTARTTLSWithAuth: the message reaches a real SMTP server over STARTTLS
// (self-signed certificate the client trusts), after AUTH PLAIN, with the recipient, sender,
// subject and body it was given.
func TestSMTPDeliversOverSTARTTLSWithAuth(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	ms := startMailServer(t, mailServerOptions{startTLS: serverTLS, user: "relay-user", pass: "relay-password-1"})
	s := newSMTP(t, notify.SMTPConfig{Port: ms.port, TLS: notify.TLSStartTLS, Username: "relay-user", Password: "relay-password-1", TLSConfig: clientTLS}, nil)
	m := passcodeEmail()
	m.ID = "0123456789abcdef0123456789abcdef"
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := ms.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages", len(got))
	}
	r := got[0]
	if r.From != "no-reply@sandbox-fcu.example" || len(r.To) != 1 || r.To[0] != m.To {
		t.Errorf("envelope: from %q to %v", r.From, r.To)
	}
	if !r.TLS || r.AuthAs != "relay-user" {
		t.Errorf("TLS %v, authenticated as %q", r.TLS, r.AuthAs)
	}
	msg, body := parsed(t, r.Data)
	if from := msg.Header.Get("From"); !strings.Contains(from, "no-reply@sandbox-fcu.example") || !strings.Contains(from, "Sandbox FCU") {
		t.Errorf("From: %q", from)
	}
	if to := msg.Header.Get("To"); !strings.Contains(to, m.To) {
		t.Errorf("To: %q", to)
	}
	if subj := msg.Header.Get("Subject"); subj != m.Subject {
		t.Errorf("Subject: %q", subj)
	}
	if id := msg.Header.Get("Message-Id"); id != "<"+m.ID+"@sandbox-fcu.example>" {
		t.Errorf("Message-ID: %q", id)
	}
	if body != m.Body {
		t.Errorf("body %q, want %q", body, m.Body)
	}
}

// TestSMTPAuthLogin: a server offering only LOGIN gets LOGIN.
func TestSMTPAuthLogin(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	ms := startMailServer(t, mailServerOptions{startTLS: serverTLS, user: "relay-user", pass: "relay-password-1", mechs: []string{sasl.Login}})
	s := newSMTP(t, notify.SMTPConfig{Port: ms.port, Username: "relay-user", Password: "relay-password-1", TLSConfig: clientTLS}, nil)
	if err := s.Send(context.Background(), passcodeEmail()); err != nil {
		t.Fatal(err)
	}
	if got := ms.received(); len(got) != 1 || got[0].AuthAs != "relay-user" {
		t.Fatalf("received %+v", got)
	}
}

// TestSMTPImplicitTLS: mode tls speaks TLS from the first byte (SMTPS).
func TestSMTPImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	ms := startMailServer(t, mailServerOptions{implicit: serverTLS, user: "relay-user", pass: "relay-password-1"})
	s := newSMTP(t, notify.SMTPConfig{Port: ms.port, TLS: notify.TLSImplicit, Username: "relay-user", Password: "relay-password-1", TLSConfig: clientTLS}, nil)
	if err := s.Send(context.Background(), passcodeEmail()); err != nil {
		t.Fatal(err)
	}
	if got := ms.received(); len(got) != 1 || !got[0].TLS || got[0].AuthAs != "relay-user" {
		t.Fatalf("received %+v", got)
	}
}

// TestSMTPWithoutTLS: mode none delivers in clear, e.g. to a relay on this machine.
func TestSMTPWithoutTLS(t *testing.T) {
	ms := startMailServer(t, mailServerOptions{})
	s := newSMTP(t, notify.SMTPConfig{Port: ms.port, TLS: notify.TLSNone}, nil)
	if err := s.Send(context.Background(), passcodeEmail()); err != nil {
		t.Fatal(err)
	}
	if got := ms.received(); len(got) != 1 || got[0].TLS || got[0].AuthAs != "" {
		t.Fatalf("received %+v", got)
	}
}

// TestSMTPFailures: STARTTLS required but not offered, a certificate the client does not
// trust, wrong credentials and a stalled server all fail as delivery errors that name neither
// the destination nor the body nor the passcode; the stalled server within the timeout.
func TestSMTPFailures(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	_, otherCA := selfSigned(t)
	plain := startMailServer(t, mailServerOptions{})
	secured := startMailServer(t, mailServerOptions{startTLS: serverTLS, user: "relay-user", pass: "relay-password-1"})
	stalled := startMailServer(t, mailServerOptions{hold: true})
	rejecting := startMailServer(t, mailServerOptions{rejectRcpt: true})
	for name, cfg := range map[string]notify.SMTPConfig{
		"no STARTTLS offered": {Port: plain.port, TLS: notify.TLSStartTLS, TLSConfig: clientTLS},
		"untrusted cert":      {Port: secured.port, TLS: notify.TLSStartTLS, Username: "relay-user", Password: "relay-password-1", TLSConfig: otherCA},
		"wrong password":      {Port: secured.port, TLS: notify.TLSStartTLS, Username: "relay-user", Password: "not-the-password", TLSConfig: clientTLS},
		"no auth given":       {Port: secured.port, TLS: notify.TLSStartTLS, TLSConfig: clientTLS},
		"stalled server":      {Port: stalled.port, TLS: notify.TLSNone, Timeout: 300 * time.Millisecond},
		"nothing listening":   {Port: closedPort(t), TLS: notify.TLSNone},
		"recipient rejected":  {Port: rejecting.port, TLS: notify.TLSNone},
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			s := newSMTP(t, cfg, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			m := passcodeEmail()
			start := time.Now()
			err := s.Send(context.Background(), m)
			var derr *notify.DeliveryError
			if !errors.As(err, &derr) || !errors.Is(err, notify.ErrDeliveryFailed) || derr.Channel != notify.ChannelEmail {
				t.Fatalf("want a DeliveryError, got %v", err)
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			assertNoSecrets(t, "error", err.Error(), m)
			assertNoSecrets(t, "log", logs.String(), m)
		})
	}
	if n := len(secured.received()) + len(plain.received()); n != 0 {
		t.Errorf("%d messages delivered by failing configurations", n)
	}
}

// TestSMTPHonoursContext: cancelling the caller's context ends a transaction at once, even
// while the server is still reading.
func TestSMTPHonoursContext(t *testing.T) {
	stalled := startMailServer(t, mailServerOptions{hold: true})
	s := newSMTP(t, notify.SMTPConfig{Port: stalled.port, TLS: notify.TLSNone, Timeout: 30 * time.Second}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, passcodeEmail())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

func TestNewSMTPChecksTheConfiguration(t *testing.T) {
	for name, cfg := range map[string]notify.SMTPConfig{
		"no host":           {From: "a@b.example"},
		"bad TLS mode":      {Host: "mail.example", TLS: "ssl", From: "a@b.example"},
		"bad port":          {Host: "mail.example", Port: 70000, From: "a@b.example"},
		"user without pass": {Host: "mail.example", Username: "u", From: "a@b.example"},
		"bad from":          {Host: "mail.example", From: "not an address"},
	} {
		if _, err := notify.NewSMTP(cfg, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for mode, port := range map[string]int{notify.TLSNone: 25, notify.TLSStartTLS: 587, notify.TLSImplicit: 465, "": 587} {
		s, err := notify.NewSMTP(notify.SMTPConfig{Host: "mail.example", TLS: mode, From: "a@b.example"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := "mail.example:" + itoa(port); s.Addr() != want {
			t.Errorf("mode %q: %s, want %s", mode, s.Addr(), want)
		}
	}
}
