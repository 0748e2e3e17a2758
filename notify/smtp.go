package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of the SMTP connection.
const (
	TLSNone     = "none"     // clear text (a relay on this machine or a trusted network)
	TLSStartTLS = "starttls" // plain connection upgraded by STARTTLS, which the server must offer
	TLSImplicit = "tls"      // TLS from the first byte (SMTPS)
)

// TLSModes lists the TLS modes, in the order the configuration documents them.
var TLSModes = []string{TLSNone, TLSStartTLS, TLSImplicit}

// DefaultTimeout bounds one SMTP transaction or one webhook attempt when the configuration
// leaves it unset.
const DefaultTimeout = 3 * time.Second

// SMTPConfig is how to reach the mail server.
type SMTPConfig struct {
	Host string
	// Port 0 takes the TLS mode's usual port: 25 (none), 587 (starttls), 465 (tls).
	Port int
	TLS  string // TLSNone, TLSStartTLS or TLSImplicit; "" means TLSStartTLS
	// Username and Password, when set, authenticate with SMTP AUTH (PLAIN, else LOGIN). The
	// credentials go only over TLS, or in clear to a server on this machine.
	Username, Password string
	From               string // the sender address, e.g. "Sandbox FCU <no-reply@fi.example>"
	// Timeout bounds the whole transaction: connect, TLS, AUTH and DATA. Zero: DefaultTimeout.
	Timeout time.Duration
	// TLSConfig verifies the server; nil uses the system roots and Host as server name.
	TLSConfig *tls.Config
}

// SMTP sends EMAIL messages through one mail server.
type SMTP struct {
	cfg  SMTPConfig
	from *mail.Address
	log  *slog.Logger
}

// NewSMTP checks cfg and returns a sender for it; log (nil: slog.Default) receives one line per
// message without its destination, subject or body.
func NewSMTP(cfg SMTPConfig, log *slog.Logger) (*SMTP, error) {
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	switch {
	case strings.TrimSpace(cfg.Host) == "":
		return nil, errors.New("smtp: no host")
	case cfg.Port < 0 || cfg.Port > 65535:
		return nil, fmt.Errorf("smtp: port %d out of range", cfg.Port)
	case cfg.TLS != TLSNone && cfg.TLS != TLSStartTLS && cfg.TLS != TLSImplicit:
		return nil, fmt.Errorf("smtp: TLS mode %q is none of %s", cfg.TLS, strings.Join(TLSModes, ", "))
	case (cfg.Username == "") != (cfg.Password == ""):
		return nil, errors.New("smtp: give both username and password, or neither")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: from address %q: %w", cfg.From, err)
	}
	if cfg.Port == 0 {
		cfg.Port = map[string]int{TLSNone: 25, TLSStartTLS: 587, TLSImplicit: 465}[cfg.TLS]
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if log == nil {
		log = slog.Default()
	}
	return &SMTP{cfg: cfg, from: from, log: log}, nil
}

// Addr is the server's host:port, for the start-up log.
func (s *SMTP) Addr() string { return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)) }

// TLSMode is the connection's TLS mode.
func (s *SMTP) TLSMode() string { return s.cfg.TLS }

// Send delivers an EMAIL message in one SMTP transaction, bounded by the configured timeout and
// by ctx (cancelling ctx closes the connection). There is no retry here: a mail server that
// accepted the message queues and retries it itself.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelEmail {
		return fmt.Errorf("smtp: %w %q", ErrUnknownChannel, m.Channel)
	}
	if strings.TrimSpace(m.To) == "" {
		return ErrNoDestination
	}
	m, err := withID(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	err = s.send(ctx, m)
	if err != nil {
		derr := deliveryError(m, 1, 0, false, err)
		s.log.WarnContext(ctx, "notify: email not delivered", "institution", m.InstitutionID, "message_id", m.ID, "error", derr.reason)
		return derr
	}
	s.log.InfoContext(ctx, "notify: email delivered", "institution", m.InstitutionID, "message_id", m.ID,
		"duration_ms", time.Since(start).Milliseconds())
	return nil
}

func (s *SMTP) send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(s.from.Name, s.from.Address); err != nil {
		return err
	}
	if err := msg.To(m.To); err != nil {
		return errors.New("the destination is not an email address")
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	msg.SetDate()
	_, domain, _ := strings.Cut(s.from.Address, "@")
	msg.SetMessageIDWithValue(m.ID + "@" + domain)

	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLSConfig != nil {
		tlsConfig = s.cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = s.cfg.Host
	}
	// Our own dialer, so that ending ctx closes the connection whatever step the transaction
	// is at (the library bounds each step only by its timeout).
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{}
		var c net.Conn
		var err error
		if s.cfg.TLS == TLSImplicit {
			c, err = (&tls.Dialer{NetDialer: d, Config: tlsConfig}).DialContext(dctx, network, addr)
		} else {
			c, err = d.DialContext(dctx, network, addr)
		}
		if err == nil {
			mu.Lock()
			conn = c
			mu.Unlock()
		}
		return c, err
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout), gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(dial),
	}
	switch s.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		// The dialer above speaks TLS; the library must not try STARTTLS on top of it.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			_ = conn.Close()
		}
	})
	defer stop()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return err
	}
	return nil
}
