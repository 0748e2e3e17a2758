package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/custreg/custreg/models"
)

// Gateways finds an FI's messaging gateway (db.Store implements it).
type Gateways interface {
	// MessagingGateway returns the webhook URL of the FI's gateway and its secret in clear, or
	// an error wrapping models.ErrNotFound when the FI has none.
	MessagingGateway(ctx context.Context, institutionID string) (webhookURL, secret string, err error)
}

// Router sends each message by its channel: EMAIL through the mail server, SMS and VOICE
// through the webhook of the message's FI.
type Router struct {
	Email    Sender   // nil: EMAIL fails with ErrNoSMTP
	Gateways Gateways // nil: SMS and VOICE fail with ErrNoGateway
	// Webhook holds the settings of every gateway call (client, timeout, attempts, backoff,
	// log); its URL and Secret are the FI's, from Gateways.
	Webhook Webhook
}

// Send routes m. Besides delivery failures (*DeliveryError) it returns ErrNoSMTP,
// ErrNoGateway, ErrUnknownChannel and ErrNoDestination for messages it cannot send at all.
func (r *Router) Send(ctx context.Context, m Message) error {
	if strings.TrimSpace(m.To) == "" {
		return ErrNoDestination
	}
	m, err := withID(m)
	if err != nil {
		return err
	}
	switch m.Channel {
	case ChannelEmail:
		if r.Email == nil {
			return ErrNoSMTP
		}
		return r.Email.Send(ctx, m)
	case ChannelSMS, ChannelVoice:
		if r.Gateways == nil {
			return ErrNoGateway
		}
		url, secret, err := r.Gateways.MessagingGateway(ctx, m.InstitutionID)
		if errors.Is(err, models.ErrNotFound) {
			return ErrNoGateway
		}
		if err != nil {
			return fmt.Errorf("notify: find the FI's messaging gateway: %w", err)
		}
		w := r.Webhook
		w.URL, w.Secret = url, secret
		return w.Send(ctx, m)
	}
	return fmt.Errorf("%w %q", ErrUnknownChannel, m.Channel)
}
