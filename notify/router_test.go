package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/notify"
)

// gatewayTable is the FI-to-gateway lookup db.Store implements, over a map.
type gatewayTable map[string][2]string

func (g gatewayTable) MessagingGateway(_ context.Context, fi string) (string, string, error) {
	gw, ok := g[fi]
	if !ok {
		return "", "", fmt.Errorf("get messaging gateway: %w", models.ErrNotFound)
	}
	return gw[0], gw[1], nil
}

// TestRouterPicksTheSender: EMAIL goes to the mail server, SMS and VOICE to the webhook of the
// message's own FI; an FI without a gateway, a deployment without SMTP and an unknown channel
// get their sentinels.
func TestRouterPicksTheSender(t *testing.T) {
	ms := startMailServer(t, mailServerOptions{})
	g := startGateway(t, always(http.StatusOK))
	other := startGateway(t, always(http.StatusOK))
	r := &notify.Router{
		Email:    newSMTP(t, notify.SMTPConfig{Port: ms.port, TLS: notify.TLSNone}, nil),
		Gateways: gatewayTable{"01111": {g.URL + "/sms", gatewaySecret}, "02222": {other.URL + "/sms", gatewaySecret}},
		Webhook:  notify.Webhook{Timeout: time.Second, Attempts: 2, Backoff: 10 * time.Millisecond},
	}
	ctx := context.Background()
	if err := r.Send(ctx, passcodeEmail()); err != nil {
		t.Fatal(err)
	}
	sms := passcodeSMS()
	if err := r.Send(ctx, sms); err != nil {
		t.Fatal(err)
	}
	voice := passcodeSMS()
	voice.Channel = notify.ChannelVoice
	if err := r.Send(ctx, voice); err != nil {
		t.Fatal(err)
	}
	if len(ms.received()) != 1 || len(g.got()) != 2 || len(other.got()) != 0 {
		t.Fatalf("mail %d, FI 01111 gateway %d, FI 02222 gateway %d", len(ms.received()), len(g.got()), len(other.got()))
	}
	if !bytes.Contains(g.got()[1].body, []byte(`"channel":"VOICE"`)) {
		t.Errorf("voice call body %s", g.got()[1].body)
	}

	noGateway := passcodeSMS()
	noGateway.InstitutionID = "03333"
	if err := r.Send(ctx, noGateway); !errors.Is(err, notify.ErrNoGateway) || !errors.Is(err, notify.ErrNotConfigured) {
		t.Errorf("FI without gateway: %v", err)
	}
	bare := &notify.Router{}
	if err := bare.Send(ctx, passcodeEmail()); !errors.Is(err, notify.ErrNoSMTP) || !errors.Is(err, notify.ErrNotConfigured) {
		t.Errorf("no SMTP: %v", err)
	}
	if err := bare.Send(ctx, passcodeSMS()); !errors.Is(err, notify.ErrNoGateway) {
		t.Errorf("no gateways: %v", err)
	}
	fax := passcodeSMS()
	fax.Channel = "FAX"
	if err := r.Send(ctx, fax); !errors.Is(err, notify.ErrUnknownChannel) {
		t.Errorf("unknown channel: %v", err)
	}
	empty := passcodeSMS()
	empty.To = " "
	if err := r.Send(ctx, empty); !errors.Is(err, notify.ErrNoDestination) {
		t.Errorf("no destination: %v", err)
	}
}

// memoryOutbox keeps outbox rows in memory (the database's outbox has its own tests in db).
type memoryOutbox struct {
	mu   sync.Mutex
	rows []models.OutboxMessage
}

func (o *memoryOutbox) SaveOutboxMessage(_ context.Context, m *models.OutboxMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rows = append(o.rows, *m)
	return nil
}

// TestOutboxKeepsEveryMessage: the outbox keeps what it is given, passcode included, and sends
// nothing on when it has no next sender (sandbox mode); with one, the message goes on too.
func TestOutboxKeepsEveryMessage(t *testing.T) {
	store := &memoryOutbox{}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	o := &notify.Outbox{Store: store, Now: func() time.Time { return at }}
	if err := o.Send(context.Background(), passcodeSMS()); err != nil {
		t.Fatal(err)
	}
	if len(store.rows) != 1 {
		t.Fatalf("%d rows", len(store.rows))
	}
	row := store.rows[0]
	m := passcodeSMS()
	if row.To != m.To || row.Channel != "SMS" || row.Body != m.Body || row.Passcode != m.Passcode || row.InstitutionID != "01111" ||
		!row.SentAt.Equal(at) || len(row.MessageID) != 32 {
		t.Errorf("row %+v", row)
	}

	g := startGateway(t, always(http.StatusOK))
	o.Next = &notify.Router{Gateways: gatewayTable{"01111": {g.URL, gatewaySecret}}}
	if err := o.Send(context.Background(), passcodeSMS()); err != nil {
		t.Fatal(err)
	}
	if len(store.rows) != 2 || len(g.got()) != 1 || !bytes.Contains(g.got()[0].body, []byte(store.rows[1].MessageID)) {
		t.Errorf("rows %d, gateway calls %d", len(store.rows), len(g.got()))
	}
	fax := passcodeSMS()
	fax.Channel = "FAX"
	if err := o.Send(context.Background(), fax); !errors.Is(err, notify.ErrUnknownChannel) || len(store.rows) != 2 {
		t.Errorf("unknown channel kept or accepted: %v", err)
	}
}

// TestSendersNeverLogSecrets: whatever happens — delivery, retries, failures, timeouts, the
// outbox — the debug-level log and every error show neither destination nor subject, body or
// passcode.
func TestSendersNeverLogSecrets(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	var errs []error

	ms := startMailServer(t, mailServerOptions{})
	rejecting := startMailServer(t, mailServerOptions{rejectRcpt: true})
	errs = append(errs, newSMTP(t, notify.SMTPConfig{Port: ms.port, TLS: notify.TLSNone}, log).Send(ctx, passcodeEmail()))
	errs = append(errs, newSMTP(t, notify.SMTPConfig{Port: rejecting.port, TLS: notify.TLSNone}, log).Send(ctx, passcodeEmail()))
	errs = append(errs, newSMTP(t, notify.SMTPConfig{Port: closedPort(t), TLS: notify.TLSNone}, log).Send(ctx, passcodeEmail()))

	flaky := startGateway(t, func(n int) (int, time.Duration) {
		if n == 1 {
			return http.StatusBadGateway, 0
		}
		return http.StatusOK, 0
	})
	down := startGateway(t, always(http.StatusInternalServerError))
	refusing := startGateway(t, always(http.StatusUnprocessableEntity))
	slow := startGateway(t, func(int) (int, time.Duration) { return http.StatusOK, 2 * time.Second })
	for _, g := range []*gateway{flaky, down, refusing, slow} {
		w := webhookTo(g, log)
		w.Timeout = 100 * time.Millisecond
		errs = append(errs, w.Send(ctx, passcodeSMS()))
	}
	errs = append(errs, (&notify.Outbox{Store: &memoryOutbox{}, Log: log}).Send(ctx, passcodeSMS()))
	errs = append(errs, (&notify.Router{}).Send(ctx, passcodeEmail()), (&notify.Router{}).Send(ctx, passcodeSMS()))

	if errs[0] != nil || errs[3] != nil || errs[7] != nil {
		t.Fatalf("the successful deliveries failed: %v", errs)
	}
	for _, m := range []notify.Message{passcodeEmail(), passcodeSMS()} {
		assertNoSecrets(t, "log", logs.String(), m)
		for _, err := range errs {
			if err != nil {
				assertNoSecrets(t, "error", err.Error(), m)
			}
		}
	}
	if !bytes.Contains(logs.Bytes(), []byte("notify: message delivered")) || !bytes.Contains(logs.Bytes(), []byte("notify: retrying")) ||
		!bytes.Contains(logs.Bytes(), []byte("notify: email not delivered")) {
		t.Errorf("the log lacks the expected lines:\n%s", logs.String())
	}
}
