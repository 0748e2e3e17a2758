package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/notify"
)

const newSandboxPassword = "Brand-New2025!"

// contactMethodOf is the id of the sandbox user's contact method of that protocol, as the
// contact-methods operation lists it.
func (a *api) contactMethodOf(t *testing.T, protocol string) string {
	t.Helper()
	list := a.getContactMethods(t, a.v2For(t, fiCreditUnion, scopeUsersRead), customers+sandboxUserGUID+"/contact-methods")
	for _, d := range list.ContactMethods {
		if string(d.Protocol) == protocol {
			return d.ID
		}
	}
	t.Fatalf("sandbox user has no %s contact method", protocol)
	return ""
}

// lastPasscode is the newest passcode the sandbox outbox holds for the sandbox user's phone.
func (a *api) lastPasscode(t *testing.T, to string) string {
	t.Helper()
	r := a.do(t, http.MethodGet, "/sandbox/outbox?to="+to, nil, "")
	var out outboxAnswer
	r.decode(t, &out)
	if r.status != http.StatusOK || len(out.Messages) == 0 {
		t.Fatalf("outbox for %s: %d %s", to, r.status, r.body)
	}
	m := out.Messages[0]
	if m.Passcode == "" || !strings.Contains(m.Body, m.Passcode) {
		t.Fatalf("outbox message without its passcode: %+v", m)
	}
	return m.Passcode
}

// uxJSON is ux with a JSON body.
func uxJSON(token string) map[string]string {
	h := ux(token)
	h["Content-Type"] = "application/json"
	return h
}

func resetBody(contactMethod, protocol string) string {
	body := map[string]string{"contactMethodId": contactMethod}
	if protocol != "" {
		body["protocol"] = protocol
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func completeBody(passcode, password string) string {
	b, _ := json.Marshal(map[string]string{"passcode": passcode, "newPassword": password})
	return string(b)
}

// TestPasswordRecoveryJourney: a locked user recovers through the sandbox outbox: passcode by
// SMS, a wrong try, then the right one with a new password; the lockout is gone, the old
// password and every earlier token are dead, the new password works. On SQLite and PostgreSQL.
func TestPasswordRecoveryJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a, _ := newSandboxAPI(t, store)
		admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
		before := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant)
		a.lockSandboxUser(t)

		reset := customers + sandboxUserGUID + ":reset-password"
		complete := customers + sandboxUserGUID + ":complete-password-reset"
		r := a.do(t, http.MethodPut, reset, uxJSON(admin), resetBody(a.contactMethodOf(t, "SMS"), "SMS"))
		if r.status != http.StatusNoContent {
			t.Fatalf("reset-password: %d %s", r.status, r.body)
		}
		code := a.lastPasscode(t, "4155550142")
		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		wantProblem(t, a.do(t, http.MethodPut, complete, uxJSON(admin), completeBody(wrong, newSandboxPassword)), http.StatusBadRequest, "UXU_14001", "")
		wantProblem(t, a.do(t, http.MethodPut, complete, uxJSON(admin), completeBody(code, "short")), http.StatusBadRequest, "UXU_13002", "")
		// The profile counts the wrong try.
		var profile struct {
			FailedPasswordResetCount int
			UserStatus               struct{ Locked bool }
		}
		a.do(t, http.MethodGet, customers+sandboxUserGUID, ux(a.v2For(t, fiCreditUnion, scopeUsersRead)), "").decode(t, &profile)
		if profile.FailedPasswordResetCount != 1 || !profile.UserStatus.Locked {
			t.Errorf("profile during the reset: %+v", profile)
		}
		r = a.do(t, http.MethodPut, "/ux-users/v1/customers/"+sandboxUser+":complete-password-reset?userIdType=LOGIN_ID", uxJSON(admin),
			completeBody(code, newSandboxPassword))
		if r.status != http.StatusNoContent {
			t.Fatalf("complete-password-reset: %d %s", r.status, r.body)
		}
		// Single use.
		wantProblem(t, a.do(t, http.MethodPut, complete, uxJSON(admin), completeBody(code, newSandboxPassword)), http.StatusBadRequest, "UXU_14002", "")

		if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant); r.status == http.StatusOK {
			t.Fatalf("old password still works: %s", r.body)
		}
		grant := "grant_type=password&username=" + sandboxUser + "&password=" + newSandboxPassword
		if r := a.v2TokenRequest(t, sandboxApp, sandboxSecret, fiCreditUnion, grant); r.status != http.StatusOK {
			t.Fatalf("new password: %d %s", r.status, r.body)
		}
		h := map[string]string{"Authorization": "Bearer " + before.AccessToken, "transactionId": newTID()}
		if r := a.do(t, http.MethodGet, "/v1/accounts", h, ""); r.status != http.StatusUnauthorized {
			t.Fatalf("a token issued before the reset: %d %s", r.status, r.body)
		}
		for _, secret := range []string{code, newSandboxPassword} {
			if strings.Contains(a.logs.String(), secret) {
				t.Errorf("logs carry %q", secret)
			}
		}
	})
}

// TestPasswordRecoveryRefusals: the documented answers of both steps.
func TestPasswordRecoveryRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a, _ := newSandboxAPI(t, store)
		admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
		reset := customers + sandboxUserGUID + ":reset-password"
		complete := customers + sandboxUserGUID + ":complete-password-reset"
		sms := a.contactMethodOf(t, "SMS")

		wantProblem(t, a.do(t, http.MethodPut, customers+"0123456789abcdef0123456789abcdef:reset-password", uxJSON(admin), resetBody(sms, "SMS")),
			http.StatusNotFound, "UXU_10000", "")
		other := a.v2For(t, fiCommunityBank, scopeUsersWrite)
		wantProblem(t, a.do(t, http.MethodPut, reset, uxJSON(other), resetBody(sms, "SMS")), http.StatusNotFound, "UXU_10000", "")
		wantProblem(t, a.do(t, http.MethodPut, reset, uxJSON(admin), resetBody("999999", "SMS")), http.StatusBadRequest, "UXU_88889", "")
		wantProblem(t, a.do(t, http.MethodPut, reset, uxJSON(admin), resetBody(sms, "EMAIL")), http.StatusBadRequest, "UXU_88889", "")
		wantProblem(t, a.do(t, http.MethodPut, reset, uxJSON(admin), `{"protocol":"SMS"}`), http.StatusBadRequest, "UXU_99999", "")
		// No passcode outstanding, and an unknown user, answer like an expired passcode.
		wantProblem(t, a.do(t, http.MethodPut, complete, uxJSON(admin), completeBody("123456", newSandboxPassword)), http.StatusBadRequest, "UXU_14002", "")
		wantProblem(t, a.do(t, http.MethodPut, customers+"0123456789abcdef0123456789abcdef:complete-password-reset", uxJSON(admin),
			completeBody("123456", newSandboxPassword)), http.StatusBadRequest, "UXU_14002", "")

		// Three sends per 15 minutes; the 4th is 429 with Retry-After. Email works too.
		for i := 0; i < 3; i++ {
			body := resetBody(sms, "SMS")
			if i == 2 {
				body = resetBody(a.contactMethodOf(t, "EMAIL"), "")
			}
			if r := a.do(t, http.MethodPut, reset, uxJSON(admin), body); r.status != http.StatusNoContent {
				t.Fatalf("send %d: %d %s", i+1, r.status, r.body)
			}
		}
		code := a.lastPasscode(t, "sam.sandbox@example.com")
		r := a.do(t, http.MethodPut, reset, uxJSON(admin), resetBody(sms, "VOICE"))
		wantProblem(t, r, http.StatusTooManyRequests, "UXU_14003", "")
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s <= 0 {
			t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
		}

		// Five wrong tries kill the passcode: then even the right one is refused.
		for i := 0; i < 5; i++ {
			wrong := strconv.Itoa(100000 + i)
			if wrong == code {
				wrong = "999999"
			}
			r := a.do(t, http.MethodPut, complete, uxJSON(admin), completeBody(wrong, newSandboxPassword))
			if r.status != http.StatusBadRequest {
				t.Fatalf("wrong try %d: %d %s", i+1, r.status, r.body)
			}
		}
		wantProblem(t, a.do(t, http.MethodPut, complete, uxJSON(admin), completeBody(code, newSandboxPassword)), http.StatusBadRequest, "UXU_14002", "")

		// After the window a new passcode can be sent; it expires after 10 minutes.
		a.advance(16 * time.Minute)
		admin = a.v2For(t, fiCreditUnion, scopeUsersWrite)
		if r := a.do(t, http.MethodPut, reset, uxJSON(admin), resetBody(sms, "SMS")); r.status != http.StatusNoContent {
			t.Fatalf("send after the window: %d %s", r.status, r.body)
		}
		code = a.lastPasscode(t, "4155550142")
		a.advance(11 * time.Minute)
		admin = a.v2For(t, fiCreditUnion, scopeUsersWrite)
		wantProblem(t, a.do(t, http.MethodPut, complete, uxJSON(admin), completeBody(code, newSandboxPassword)), http.StatusBadRequest, "UXU_14002", "")

		// A user token may not start or finish a recovery.
		user := a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant).AccessToken
		wantProblem(t, a.do(t, http.MethodPut, reset, uxJSON(user), resetBody(sms, "SMS")), http.StatusForbidden, "UXU_10002", "")
	})
}

// gatewayOf is a fixed messaging gateway for the FI under test.
type gatewayOf struct{ url, secret string }

func (g gatewayOf) MessagingGateway(context.Context, string) (string, string, error) {
	return g.url, g.secret, nil
}

// TestPasswordResetByWebhook: outside the sandbox the passcode goes to the FI's messaging
// gateway, a real HTTP server here, signed; a gateway failing on every attempt is 503 UXU_30002.
func TestPasswordResetByWebhook(t *testing.T) {
	const secret = "gateway-secret-0123456789"
	var calls, fail atomic.Int32
	var got atomic.Value
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if !notify.Verify(secret, r.Header, body, time.Now(), time.Minute) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if fail.Load() == 1 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		got.Store(string(body))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer gateway.Close()
	router := &notify.Router{Gateways: gatewayOf{gateway.URL, secret}, Webhook: notify.Webhook{Backoff: time.Millisecond}}
	a := newAPIWith(t, dbtest.SQLite(t), func(o *handlers.Options) { o.Notifier = router })
	admin := a.v2For(t, fiCreditUnion, scopeUsersWrite)
	reset := customers + sandboxUserGUID + ":reset-password"

	if r := a.do(t, http.MethodPut, reset, uxJSON(admin), resetBody(a.contactMethodOf(t, "VOICE"), "VOICE")); r.status != http.StatusNoContent {
		t.Fatalf("reset by webhook: %d %s", r.status, r.body)
	}
	var msg struct{ To, Channel, Body string }
	if err := json.Unmarshal([]byte(got.Load().(string)), &msg); err != nil || msg.To != "4155550142" || msg.Channel != "VOICE" ||
		!strings.Contains(msg.Body, "passcode") {
		t.Fatalf("gateway got %+v (%v)", msg, err)
	}
	fail.Store(1)
	before := calls.Load()
	wantProblem(t, a.do(t, http.MethodPut, reset, uxJSON(admin), resetBody(a.contactMethodOf(t, "SMS"), "SMS")),
		http.StatusServiceUnavailable, "UXU_30002", "")
	if n := calls.Load() - before; n < 2 {
		t.Errorf("a failing gateway was tried %d times, want retries", n)
	}
	if strings.Contains(a.logs.String(), "4155550142") {
		t.Error("logs carry the destination")
	}
}
