// Package notify is the service's message-delivery boundary: one-time passcodes and other
// messages to an end user, by email over SMTP (SMTP) or by SMS and voice through the FI's
// messaging gateway, an HTTPS webhook signed with HMAC-SHA256 (Webhook). Router picks the sender
// by channel and FI; Outbox keeps every message for the sandbox.
//
// What a message carries is personal or secret: its destination, its body and its passcode
// never appear in a log line or an error message of this package.
package notify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/custreg/custreg/secure"
)

// Channels a message can go by (the contract's contact-method protocols).
const (
	ChannelEmail = "EMAIL"
	ChannelSMS   = "SMS"
	ChannelVoice = "VOICE"
)

// Message is one message to one destination.
type Message struct {
	// ID identifies the message across retries (the webhook's messageId, the email's
	// Message-ID); Send makes one when it is empty.
	ID            string
	InstitutionID string
	To            string // an email address (EMAIL) or a phone number (SMS, VOICE)
	Channel       string // ChannelEmail, ChannelSMS or ChannelVoice
	Subject       string // EMAIL only
	Body          string
	// Passcode is carried only so that the sandbox outbox can show it; senders deliver the
	// body, which already says it, and never log either.
	Passcode string
}

// Sender delivers messages. Send returns when the message was handed over (or failed): nil
// means the mail server or gateway accepted it.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Sentinels of a message that cannot be sent at all. A failed attempt to send is a
// *DeliveryError (errors.Is(err, ErrDeliveryFailed)).
var (
	// ErrNotConfigured: the channel has no sender in this deployment.
	ErrNotConfigured = errors.New("notify: channel not configured")
	// ErrNoSMTP: email is not configured (no --smtp-host).
	ErrNoSMTP = fmt.Errorf("%w: no SMTP server (--smtp-host)", ErrNotConfigured)
	// ErrNoGateway: the FI has no messaging gateway for SMS and voice (its provisioning file
	// has no messaging section).
	ErrNoGateway = fmt.Errorf("%w: the FI has no messaging gateway", ErrNotConfigured)
	// ErrUnknownChannel: the channel is none of EMAIL, SMS and VOICE.
	ErrUnknownChannel = errors.New("notify: unknown channel")
	// ErrNoDestination: the message has no destination.
	ErrNoDestination = errors.New("notify: message has no destination")
	// ErrDeliveryFailed: the mail server or gateway did not accept the message.
	ErrDeliveryFailed = errors.New("notify: delivery failed")
)

// DeliveryError is a delivery the server or gateway did not accept. Its text says the channel,
// the attempts and the cause's class, with the message's destination, body and passcode cut out.
type DeliveryError struct {
	Channel  string
	Attempts int  // attempts made (the webhook retries; SMTP makes one)
	Status   int  // the webhook's last HTTP status, 0 for none
	Retried  bool // whether the last failure was one the webhook retries (network, 429, 5xx)
	reason   string
	causes   []error // context sentinels behind the failure, for errors.Is
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("notify: %s delivery failed after %d attempt(s): %s", e.Channel, e.Attempts, e.reason)
}

// Unwrap lets errors.Is find ErrDeliveryFailed and, when the caller's context ended the
// delivery, context.Canceled or context.DeadlineExceeded. The underlying library error is not
// kept: its text may name the destination.
func (e *DeliveryError) Unwrap() []error { return append([]error{ErrDeliveryFailed}, e.causes...) }

// deliveryError builds a DeliveryError from err, scrubbing the message's values from its text.
func deliveryError(m Message, attempts, status int, retried bool, err error) *DeliveryError {
	e := &DeliveryError{Channel: m.Channel, Attempts: attempts, Status: status, Retried: retried, reason: redact(err.Error(), m)}
	for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			e.causes = append(e.causes, c)
		}
	}
	return e
}

// redact replaces every occurrence of the message's destination, body and passcode in s, in any
// letter case, and of the destination's digits for a phone number.
func redact(s string, m Message) string {
	values := []string{m.To, m.Body, m.Passcode, strings.TrimSpace(m.To)}
	if local, _, ok := strings.Cut(m.To, "@"); ok && len(local) >= 3 {
		values = append(values, local)
	}
	if digits := onlyDigits(m.To); len(digits) >= 4 {
		values = append(values, digits)
	}
	for _, v := range values {
		if len(v) < 3 {
			continue // too short to be told from ordinary text
		}
		s = regexp.MustCompile("(?i)"+regexp.QuoteMeta(v)).ReplaceAllLiteralString(s, "[redacted]")
	}
	return s
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// withID returns m with an ID, making one when it has none.
func withID(m Message) (Message, error) {
	if m.ID != "" {
		return m, nil
	}
	id, err := secure.NewID32()
	if err != nil {
		return m, err
	}
	m.ID = id
	return m, nil
}
