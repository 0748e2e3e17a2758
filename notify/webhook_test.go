package notify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/notify"
)

const gatewaySecret = "whsec-sandbox-0123456789abcdef"

// gateway is a real HTTP server standing in for an FI's messaging gateway: it checks every
// call's signature the way the decisions document tells gateways to, and answers as told.
type gateway struct {
	*httptest.Server
	mu    sync.Mutex
	calls []gatewayCall
	// answer decides the status of call n (1-based) and how long to wait before answering.
	answer func(n int) (status int, delay time.Duration)
}

type gatewayCall struct {
	header   http.Header
	body     []byte
	at       time.Time
	verified bool
}

func startGateway(t *testing.T, answer func(n int) (int, time.Duration)) *gateway {
	t.Helper()
	g := &gateway{answer: answer}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.calls = append(g.calls, gatewayCall{header: r.Header.Clone(), body: body, at: time.Now(),
			verified: r.Method == http.MethodPost && notify.Verify(gatewaySecret, r.Header, body, time.Now(), 5*time.Minute)})
		n := len(g.calls)
		g.mu.Unlock()
		status, delay := g.answer(n)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"echo":"whatever the gateway says is never kept"}`))
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gateway) got() []gatewayCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gatewayCall(nil), g.calls...)
}

func always(status int) func(int) (int, time.Duration) {
	return func(int) (int, time.Duration) { return status, 0 }
}

func passcodeSMS() notify.Message {
	return notify.Message{InstitutionID: "01111", To: "5551234567", Channel: notify.ChannelSMS,
		Body: "Sandbox FCU: your one-time passcode is 730164.", Passcode: "730164"}
}

func webhookTo(g *gateway, log *slog.Logger) *notify.Webhook {
	return &notify.Webhook{URL: g.URL + "/messages", Secret: gatewaySecret, Timeout: 2 * time.Second, Attempts: 3, Backoff: 20 * time.Millisecond, Log: log}
}

// TestWebhookSignsTheExactBody: one POST whose body has exactly the documented fields, signed
// with HMAC-SHA256 over timestamp "." body, carrying the message id for de-duplication.
func TestWebhookSignsTheExactBody(t *testing.T) {
	g := startGateway(t, always(http.StatusAccepted))
	m := passcodeSMS()
	m.ID = "fedcba9876543210fedcba9876543210"
	before := time.Now().UTC().Add(-time.Second)
	if err := webhookTo(g, nil).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	calls := g.got()
	if len(calls) != 1 || !calls[0].verified {
		t.Fatalf("calls %d, first verified %v", len(calls), len(calls) > 0 && calls[0].verified)
	}
	c := calls[0]
	// The signature by hand, as a gateway in another language would compute it.
	mac := hmac.New(sha256.New, []byte(gatewaySecret))
	mac.Write([]byte(c.header.Get("X-Custreg-Timestamp") + "." + string(c.body)))
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); c.header.Get("X-Custreg-Signature") != want {
		t.Errorf("signature %q, want %q", c.header.Get("X-Custreg-Signature"), want)
	}
	if c.header.Get("Content-Type") != "application/json" || c.header.Get("X-Custreg-Message-Id") != m.ID ||
		c.header.Get("Idempotency-Key") != m.ID || c.header.Get("X-Custreg-Attempt") != "1" {
		t.Errorf("headers %v", c.header)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc) != 6 || doc["to"] != m.To || doc["channel"] != "SMS" || doc["body"] != m.Body || doc["institutionId"] != "01111" || doc["messageId"] != m.ID {
		t.Errorf("body %s", c.body)
	}
	sentAt, err := time.Parse(time.RFC3339Nano, doc["sentAt"].(string))
	if err != nil || sentAt.Before(before) || sentAt.After(time.Now().Add(time.Second)) {
		t.Errorf("sentAt %v (%v)", doc["sentAt"], err)
	}
	// A tampered body or another secret does not verify.
	if notify.Verify(gatewaySecret, c.header, append(bytes.Clone(c.body), ' '), time.Now(), time.Minute) ||
		notify.Verify("another-secret-0123456789", c.header, c.body, time.Now(), time.Minute) ||
		notify.Verify(gatewaySecret, c.header, c.body, time.Now().Add(time.Hour), time.Minute) {
		t.Error("Verify accepted a tampered, foreign or stale call")
	}
}

// TestWebhookRetriesWithBackoff: 500, then 503, then 200 is a success on the third attempt,
// each retry after a longer wait, with the same body and message id and a fresh signature.
func TestWebhookRetriesWithBackoff(t *testing.T) {
	g := startGateway(t, func(n int) (int, time.Duration) {
		switch n {
		case 1:
			return http.StatusInternalServerError, 0
		case 2:
			return http.StatusServiceUnavailable, 0
		}
		return http.StatusOK, 0
	})
	w := webhookTo(g, nil)
	w.Backoff = 100 * time.Millisecond
	if err := w.Send(context.Background(), passcodeSMS()); err != nil {
		t.Fatal(err)
	}
	calls := g.got()
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3", len(calls))
	}
	for i, c := range calls {
		if !c.verified || !bytes.Equal(c.body, calls[0].body) || c.header.Get("Idempotency-Key") != calls[0].header.Get("Idempotency-Key") ||
			c.header.Get("X-Custreg-Attempt") != itoa(i+1) {
			t.Errorf("call %d: verified %v, body %s, headers %v", i+1, c.verified, c.body, c.header)
		}
	}
	// Backoff 100ms doubled, with jitter down to half: at least 50ms, then at least 100ms.
	if d := calls[1].at.Sub(calls[0].at); d < 50*time.Millisecond {
		t.Errorf("first retry after %v", d)
	}
	if d := calls[2].at.Sub(calls[1].at); d < 100*time.Millisecond {
		t.Errorf("second retry after %v", d)
	}
}

// TestWebhookDoesNotRetryClientErrors: 400 (and any non-429 4xx, and redirects) fail at once.
func TestWebhookDoesNotRetryClientErrors(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusFound} {
		g := startGateway(t, always(status))
		err := webhookTo(g, nil).Send(context.Background(), passcodeSMS())
		var derr *notify.DeliveryError
		if !errors.As(err, &derr) || derr.Status != status || derr.Attempts != 1 || derr.Retried {
			t.Errorf("%d: %v (%+v)", status, err, derr)
		}
		if n := len(g.got()); n != 1 {
			t.Errorf("%d: %d calls", status, n)
		}
	}
}

// TestWebhookRetriesTooManyRequests: 429 is retried like a 5xx.
func TestWebhookRetriesTooManyRequests(t *testing.T) {
	g := startGateway(t, func(n int) (int, time.Duration) {
		if n == 1 {
			return http.StatusTooManyRequests, 0
		}
		return http.StatusOK, 0
	})
	if err := webhookTo(g, nil).Send(context.Background(), passcodeSMS()); err != nil || len(g.got()) != 2 {
		t.Fatalf("%v after %d calls", err, len(g.got()))
	}
}

// TestWebhookTimesOutEachAttempt: an attempt the gateway does not answer in time is abandoned
// and retried; the next, answered at once, succeeds.
func TestWebhookTimesOutEachAttempt(t *testing.T) {
	g := startGateway(t, func(n int) (int, time.Duration) {
		if n == 1 {
			return http.StatusOK, 5 * time.Second
		}
		return http.StatusOK, 0
	})
	w := webhookTo(g, nil)
	w.Timeout = 200 * time.Millisecond
	start := time.Now()
	if err := w.Send(context.Background(), passcodeSMS()); err != nil {
		t.Fatal(err)
	}
	if n := len(g.got()); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v: the first attempt was not cut at its timeout", d)
	}
}

// TestWebhookGivesUp: after the bounded attempts the delivery fails with the last status.
func TestWebhookGivesUp(t *testing.T) {
	g := startGateway(t, always(http.StatusServiceUnavailable))
	err := webhookTo(g, nil).Send(context.Background(), passcodeSMS())
	var derr *notify.DeliveryError
	if !errors.As(err, &derr) || !errors.Is(err, notify.ErrDeliveryFailed) || derr.Attempts != 3 || derr.Status != 503 || !derr.Retried {
		t.Fatalf("%v (%+v)", err, derr)
	}
	if n := len(g.got()); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
}

// TestWebhookHonoursContext: a caller's deadline ends the retries: no attempt is started that
// the deadline would cut, and the error says the context ended.
func TestWebhookHonoursContext(t *testing.T) {
	g := startGateway(t, always(http.StatusInternalServerError))
	w := webhookTo(g, nil)
	w.Backoff, w.Attempts = time.Second, 10
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := w.Send(ctx, passcodeSMS())
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, notify.ErrDeliveryFailed) {
		t.Fatalf("want a deadline-exceeded delivery error, got %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if n := len(g.got()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// TestWebhookRefusesUnsafeGateways: plain http off this machine, a short secret and a channel
// that is not SMS or VOICE are refused before any call.
func TestWebhookRefusesUnsafeGateways(t *testing.T) {
	for name, w := range map[string]*notify.Webhook{
		"http off loopback": {URL: "http://gateway.fi.example/messages", Secret: gatewaySecret},
		"short secret":      {URL: "https://gateway.fi.example/messages", Secret: "short"},
	} {
		if err := w.Send(context.Background(), passcodeSMS()); !errors.Is(err, notify.ErrNotConfigured) {
			t.Errorf("%s: %v", name, err)
		}
	}
	email := passcodeSMS()
	email.Channel = notify.ChannelEmail
	w := &notify.Webhook{URL: "https://gateway.fi.example/messages", Secret: gatewaySecret}
	if err := w.Send(context.Background(), email); !errors.Is(err, notify.ErrUnknownChannel) {
		t.Errorf("email by webhook: %v", err)
	}
}
