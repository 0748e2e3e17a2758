package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/custreg/custreg/models"
)

// OutboxStore keeps the sandbox's messages (db.Store implements it).
type OutboxStore interface {
	SaveOutboxMessage(ctx context.Context, m *models.OutboxMessage) error
}

// Outbox keeps every message it is given in Store, then hands it to Next. With Next nil the
// outbox is the only delivery: sandbox mode sends nothing anywhere, and the person test-driving
// it reads the messages, passcodes included, at GET /sandbox/outbox.
type Outbox struct {
	Store OutboxStore
	Next  Sender           // nil: keep only
	Now   func() time.Time // nil: time.Now
	Log   *slog.Logger     // nil: slog.Default
}

// Send stores m, then passes it to Next (if any) and returns Next's answer.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	switch m.Channel {
	case ChannelEmail, ChannelSMS, ChannelVoice:
	default:
		return fmt.Errorf("%w %q", ErrUnknownChannel, m.Channel)
	}
	if strings.TrimSpace(m.To) == "" {
		return ErrNoDestination
	}
	m, err := withID(m)
	if err != nil {
		return err
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	row := &models.OutboxMessage{MessageID: m.ID, InstitutionID: m.InstitutionID, To: m.To, Channel: m.Channel,
		Subject: m.Subject, Body: m.Body, Passcode: m.Passcode, SentAt: now().UTC()}
	if err := o.Store.SaveOutboxMessage(ctx, row); err != nil {
		return fmt.Errorf("notify: keep in the outbox: %w", err)
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "notify: message kept in the sandbox outbox", "institution", m.InstitutionID, "channel", m.Channel, "message_id", m.ID)
	if o.Next == nil {
		return nil
	}
	return o.Next.Send(ctx, m)
}
