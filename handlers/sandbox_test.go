package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/notify"
)

// newSandboxAPI is the stack as `custreg --sandbox` builds it: sandbox operations on, and an
// outbox that sends nothing as the notifier.
func newSandboxAPI(t *testing.T, store *db.Store) (*api, notify.Sender) {
	t.Helper()
	outbox := &notify.Outbox{Store: store}
	a := newAPIWith(t, store, func(o *handlers.Options) { o.Sandbox, o.Notifier = true, outbox })
	return a, outbox
}

type outboxAnswer struct {
	Messages []struct {
		To, Channel, Body, Passcode, Subject, InstitutionID string
		SentAt                                              time.Time
	}
}

// TestSandboxOutbox: in sandbox mode every message sent is listed at GET /sandbox/outbox with
// its passcode, newest first, for the destination however written, at most 50; on SQLite and
// PostgreSQL.
func TestSandboxOutbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a, notifier := newSandboxAPI(t, store)
		ctx := context.Background()
		send := func(m notify.Message) {
			t.Helper()
			if err := notifier.Send(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		send(notify.Message{InstitutionID: "01111", To: "5551234567", Channel: notify.ChannelSMS, Body: "Your passcode is 111111.", Passcode: "111111"})
		send(notify.Message{InstitutionID: "01111", To: "alex.morgan@example.com", Channel: notify.ChannelEmail, Subject: "Your passcode",
			Body: "Your passcode is 222222.", Passcode: "222222"})
		time.Sleep(10 * time.Millisecond) // distinct sentAt on every database
		send(notify.Message{InstitutionID: "01111", To: "+1 555-123-4567", Channel: notify.ChannelVoice, Body: "Your passcode is 3 3 3 3 3 3.", Passcode: "333333"})

		get := func(query string) outboxAnswer {
			t.Helper()
			r := a.do(t, http.MethodGet, "/sandbox/outbox"+query, nil, "")
			if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("%s: %d %s", query, r.status, r.body)
			}
			var out outboxAnswer
			r.decode(t, &out)
			return out
		}
		phone := get("?to=" + url.QueryEscape("(555) 123-4567"))
		if len(phone.Messages) != 2 || phone.Messages[0].Passcode != "333333" || phone.Messages[0].Channel != "VOICE" ||
			phone.Messages[0].To != "+1 555-123-4567" || phone.Messages[1].Passcode != "111111" || phone.Messages[1].Body != "Your passcode is 111111." {
			t.Errorf("phone: %+v", phone)
		}
		email := get("?to=Alex.Morgan@Example.com")
		if len(email.Messages) != 1 || email.Messages[0].Subject != "Your passcode" || email.Messages[0].InstitutionID != "01111" ||
			time.Since(email.Messages[0].SentAt) > time.Minute {
			t.Errorf("email: %+v", email)
		}
		if all := get(""); len(all.Messages) != 3 || all.Messages[0].Passcode != "333333" {
			t.Errorf("all: %+v", all)
		}
		if none := get("?to=nobody@example.com"); len(none.Messages) != 0 {
			t.Errorf("unknown destination: %+v", none)
		}
		for i := range db.MaxOutboxMessages + 5 {
			send(notify.Message{InstitutionID: "01111", To: "5550001111", Channel: notify.ChannelSMS, Body: fmt.Sprintf("n%d", i)})
		}
		if many := get("?to=5550001111"); len(many.Messages) != db.MaxOutboxMessages {
			t.Errorf("%d messages, want the bound %d", len(many.Messages), db.MaxOutboxMessages)
		}
		r := a.do(t, http.MethodGet, "/sandbox/outbox?to="+strings.Repeat("5", 300), nil, "")
		wantProblem(t, r, http.StatusBadRequest, "BAD_REQUEST", "")
	})
}

// TestSandboxOutboxIsNotFoundOutsideSandbox: without --sandbox the path answers exactly like a
// path that does not exist, whatever the query, and counts as unmatched.
func TestSandboxOutboxIsNotFoundOutsideSandbox(t *testing.T) {
	a := newAPI(t)
	unknown := a.do(t, http.MethodGet, "/no/such/path", nil, "")
	for _, path := range []string{"/sandbox/outbox", "/sandbox/outbox?to=5551234567", "/sandbox/outbox?to=" + strings.Repeat("5", 300),
		"/digitalbanking/sandbox/outbox"} {
		r := a.do(t, http.MethodGet, path, nil, "")
		if r.status != unknown.status || string(r.body) != string(unknown.body) || r.header.Get("Content-Type") != unknown.header.Get("Content-Type") {
			t.Errorf("%s: %d %s, want %d %s like an unknown path", path, r.status, r.body, unknown.status, unknown.body)
		}
	}
	metrics := string(a.do(t, http.MethodGet, "/metrics", nil, "").body)
	if strings.Contains(metrics, "/sandbox/outbox") || !strings.Contains(metrics, `route="unmatched",status="404"} 5`) {
		t.Errorf("metrics:\n%s", metrics)
	}
	if strings.Contains(a.logs.String(), "getSandboxOutbox") {
		t.Error("the sandbox operation ran outside sandbox mode")
	}
}
