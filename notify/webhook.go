package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/custreg/custreg/rules"
)

// Headers of a webhook call. The signature covers the timestamp and the exact body bytes:
//
//	X-Custreg-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// where timestamp is the X-Custreg-Timestamp value (Unix seconds, as sent) and secret the FI's
// webhook secret as provisioned (its bytes). Each attempt is signed anew with its own
// timestamp; the body, and so messageId and sentAt, stay the same across retries.
const (
	HeaderSignature = "X-Custreg-Signature"
	HeaderTimestamp = "X-Custreg-Timestamp"
	HeaderMessageID = "X-Custreg-Message-Id"
	// HeaderIdempotencyKey carries the message id too, under the name gateways commonly
	// de-duplicate by.
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderAttempt        = "X-Custreg-Attempt" // 1, 2, …; informational, not signed
)

// Webhook defaults.
const (
	DefaultAttempts = 3
	DefaultBackoff  = 250 * time.Millisecond
	// MaxBackoff caps one wait between attempts, Retry-After included.
	MaxBackoff = 5 * time.Second
)

// WebhookBody is the JSON document POSTed to the gateway.
type WebhookBody struct {
	To            string    `json:"to"`
	Channel       string    `json:"channel"`
	Body          string    `json:"body"`
	InstitutionID string    `json:"institutionId"`
	MessageID     string    `json:"messageId"`
	SentAt        time.Time `json:"sentAt"`
}

// Webhook sends SMS and VOICE messages to one FI's messaging gateway.
type Webhook struct {
	URL    string // https, or http to a loopback host (rules.WebhookURL)
	Secret string // signs every call (at least rules.MinWebhookSecretLen bytes)
	// Client makes the calls; nil uses one that follows no redirect (a signed message goes
	// where it was configured to go, or nowhere).
	Client *http.Client
	// Timeout bounds each attempt; zero: DefaultTimeout.
	Timeout time.Duration
	// Attempts bounds the calls per message; zero: DefaultAttempts.
	Attempts int
	// Backoff is the wait before the first retry, doubled before each next one (with jitter,
	// at most MaxBackoff); zero: DefaultBackoff.
	Backoff time.Duration
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger     // nil: slog.Default
}

var noRedirectClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Send POSTs the message to the gateway, retrying network failures, 429 and 5xx answers with
// exponential backoff, at most Attempts times and never past ctx. A 2xx answer is success; any
// other answer fails at once.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelSMS && m.Channel != ChannelVoice {
		return fmt.Errorf("webhook: %w %q", ErrUnknownChannel, m.Channel)
	}
	if m.To == "" {
		return ErrNoDestination
	}
	if !rules.WebhookURL(w.URL) || !rules.WebhookSecret(w.Secret) {
		return fmt.Errorf("webhook: %w: the gateway URL or secret is not valid", ErrNotConfigured)
	}
	m, err := withID(m)
	if err != nil {
		return err
	}
	now, log := w.Now, w.Log
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	attempts, timeout, backoff := w.Attempts, w.Timeout, w.Backoff
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if backoff <= 0 {
		backoff = DefaultBackoff
	}
	body, err := json.Marshal(WebhookBody{To: m.To, Channel: m.Channel, Body: m.Body, InstitutionID: m.InstitutionID,
		MessageID: m.ID, SentAt: now().UTC()})
	if err != nil {
		return err
	}
	attrs := []any{"institution", m.InstitutionID, "channel", m.Channel, "message_id", m.ID}
	for attempt := 1; ; attempt++ {
		status, retryAfter, err := w.attempt(ctx, body, m.ID, attempt, timeout, now)
		if err == nil {
			log.InfoContext(ctx, "notify: message delivered", append(attrs, "attempts", attempt, "status", status)...)
			return nil
		}
		retry := status == 0 || status == http.StatusTooManyRequests || status >= 500
		fail := func(err error) error {
			derr := deliveryError(m, attempt, status, retry, err)
			log.WarnContext(ctx, "notify: message not delivered", append(attrs, "attempts", attempt, "status", status, "error", derr.reason)...)
			return derr
		}
		if ctx.Err() != nil {
			return fail(fmt.Errorf("%w (%v)", ctx.Err(), err))
		}
		if !retry || attempt >= attempts {
			return fail(err)
		}
		wait := backoff << (attempt - 1)
		wait = wait/2 + rand.N(wait/2+1) // jitter: spread the retries of many messages
		wait = min(max(wait, retryAfter), MaxBackoff)
		if deadline, ok := ctx.Deadline(); ok && now().Add(wait).After(deadline) {
			return fail(fmt.Errorf("%w before the next attempt: %v", context.DeadlineExceeded, err))
		}
		log.DebugContext(ctx, "notify: retrying", append(attrs, "attempt", attempt, "status", status, "wait_ms", wait.Milliseconds())...)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fail(fmt.Errorf("%w while waiting to retry (%v)", ctx.Err(), err))
		case <-t.C:
		}
	}
}

// attempt makes one signed call; status is 0 when no answer came.
func (w *Webhook) attempt(ctx context.Context, body []byte, id string, n int, timeout time.Duration, now func() time.Time) (status int, retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, errors.New("the gateway URL does not parse")
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "custreg-notify")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	req.Header.Set(HeaderMessageID, id)
	req.Header.Set(HeaderIdempotencyKey, id)
	req.Header.Set(HeaderAttempt, strconv.Itoa(n))
	client := w.Client
	if client == nil {
		client = noRedirectClient
	}
	res, err := client.Do(req)
	if err != nil {
		// The *url.Error names the URL, which may carry a token of the FI's: keep the cause only.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		if ctx.Err() != nil {
			return 0, 0, fmt.Errorf("attempt timed out after %v", timeout)
		}
		return 0, 0, fmt.Errorf("no answer: %w", err)
	}
	// Drain a little so the connection can be reused; the answer's content is never kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
	_ = res.Body.Close()
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return res.StatusCode, 0, nil
	}
	if secs, perr := strconv.Atoi(res.Header.Get("Retry-After")); perr == nil && secs > 0 {
		retryAfter = time.Duration(secs) * time.Second
	}
	return res.StatusCode, retryAfter, fmt.Errorf("gateway answered %d", res.StatusCode)
}

// Sign is the X-Custreg-Signature value of a call: "sha256=" and the hex HMAC-SHA256, under
// secret, of the timestamp header's value, a dot and the exact body bytes.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a call's signature as a gateway would: the signature must match Sign and the
// timestamp lie within tolerance of now (so a captured call cannot be replayed later).
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) bool {
	ts := header.Get(HeaderTimestamp)
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(secs, 0)); d > tolerance || d < -tolerance {
		return false
	}
	return hmac.Equal([]byte(header.Get(HeaderSignature)), []byte(Sign(secret, ts, body)))
}
