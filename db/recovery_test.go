package db_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/registration"
	"github.com/custreg/custreg/secure"
)

// recoveryUser is a registered customer of FI 01111 with the contact methods registration made
// for it: VOICE and SMS for its phone, EMAIL for its address.
type recoveryUser struct {
	done                *db.Registered
	login, password     string
	voice, sms, email   string // contact method ids
	phone, emailAddress string
}

const resetPassword = "Fresh!Start77"

// resetWorld is a sandbox store with a registrar.
type resetWorld struct {
	t     *testing.T
	store *db.Store
	r     *registrar
	a     db.Actor
	ctx   context.Context
}

func newResetWorld(t *testing.T, store *db.Store) *resetWorld {
	r := newRegistrar(t, store)
	return &resetWorld{t: t, store: store, r: r, ctx: context.Background(),
		a: db.Actor{ClientAppID: r.app.ID, OfferingID: r.app.OfferingID, TraceID: "5f0c7a52-8a35-4d8e-9a57-3c0f1f4f7f10"}}
}

// user registers a customer for member (its login and SSN derived from n).
func (w *resetWorld) user(n int) recoveryUser {
	w.t.Helper()
	login := fmt.Sprintf("reset_user_%d", n)
	done, _ := w.r.mustRegister(application(fmt.Sprintf("RS%03d", n), login, fmt.Sprintf("6%02d456789", n)))
	u := recoveryUser{done: done, login: login, password: "Blue!Sky42"}
	for _, d := range done.Destinations {
		id := strconv.FormatUint(uint64(d.ID), 10)
		switch d.Protocol {
		case "VOICE":
			u.voice, u.phone = id, d.ContactInfo
		case "SMS":
			u.sms = id
		case "EMAIL":
			u.email, u.emailAddress = id, d.ContactInfo
		}
	}
	if u.voice == "" || u.sms == "" || u.email == "" {
		w.t.Fatalf("registration made destinations %+v", done.Destinations)
	}
	return u
}

func (w *resetWorld) start(u recoveryUser, method, protocol string, now time.Time) (*db.ResetDelivery, error) {
	return w.store.StartPasswordReset(w.ctx, "01111", u.done.Customer.ID, db.ByCustomerID, method, protocol, w.a, now)
}

func (w *resetWorld) mustStart(u recoveryUser, now time.Time) *db.ResetDelivery {
	w.t.Helper()
	d, err := w.start(u, u.sms, "SMS", now)
	if err != nil {
		w.t.Fatalf("start password reset: %v", err)
	}
	return d
}

func (w *resetWorld) complete(u recoveryUser, passcode, password string, now time.Time) (*db.ResetDone, error) {
	return w.store.CompletePasswordReset(w.ctx, "01111", u.done.Customer.ID, "", passcode, password, w.a, now)
}

func (w *resetWorld) customer(u recoveryUser) models.Customer {
	w.t.Helper()
	var c models.Customer
	if err := w.store.Conn().Where("id = ?", u.done.Customer.ID).Take(&c).Error; err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *resetWorld) challenges(u recoveryUser) []models.PasswordReset {
	w.t.Helper()
	var out []models.PasswordReset
	if err := w.store.Conn().Where("customer_id = ?", u.done.Customer.ID).Order("created_at").Find(&out).Error; err != nil {
		w.t.Fatal(err)
	}
	return out
}

// loginWorks reports whether the password grant accepts password for u.
func (w *resetWorld) loginWorks(u recoveryUser, password string, now time.Time) bool {
	w.t.Helper()
	_, err := w.store.Authenticate(w.ctx, "01111", u.login, password, now)
	if err != nil && !errors.Is(err, models.ErrBadCredentials) {
		w.t.Fatal(err)
	}
	return err == nil
}

// otherThan is a well-formed passcode that is not p.
func otherThan(p string) string {
	n, _ := strconv.Atoi(p)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

// base is a fixed moment, whole seconds, so both databases store it exactly.
var base = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func TestPasswordResetJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u, other := w.user(1), w.user(2)
		// The user is locked out and holds tokens; so does another user.
		if err := store.Conn().Model(&models.Customer{}).Where("id = ?", u.done.Customer.ID).
			Updates(map[string]any{"locked": true, "locked_at": base, "failed_login_count": 10}).Error; err != nil {
			t.Fatal(err)
		}
		token := func(c models.Customer, kind, parent string) *models.Token {
			raw, _ := secure.NewToken()
			return &models.Token{Hash: secure.TokenHash(raw), Kind: kind, Version: 2, InstitutionID: "01111", ClientAppID: w.r.app.ID,
				Grant: "password", CustomerID: &c.ID, ParentHash: parent, IssuedAt: base, ExpiresAt: base.Add(time.Hour)}
		}
		rt := token(u.done.Customer, models.TokenRefresh, "")
		at, at2 := token(u.done.Customer, models.TokenAccess, rt.Hash), token(u.done.Customer, models.TokenAccess, rt.Hash)
		theirs := token(other.done.Customer, models.TokenAccess, "")
		if err := store.SaveTokens(w.ctx, rt, at, at2, theirs); err != nil {
			t.Fatal(err)
		}

		d := w.mustStart(u, base)
		if d.To != u.phone || d.CountryCode != "0" || d.Channel != "SMS" || len(d.Passcode) != 6 || d.CustomerID != u.done.Customer.ID ||
			d.InstitutionID != "01111" || len(d.ChallengeID) != 32 || !d.ExpiresAt.Equal(base.Add(10*time.Minute)) {
			t.Fatalf("delivery %s to %q", d, d.To)
		}
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("sending", "delivery", d, "value", *d)
		if !strings.Contains(logged.String(), `"challenge":"`+d.ChallengeID+`"`) {
			t.Errorf("the log line does not name the challenge: %s", logged.String())
		}
		for _, printed := range []string{d.String(), fmt.Sprintf("%v %+v %#v", d, d, d), fmt.Sprint(*d), logged.String()} {
			if strings.Contains(printed, d.Passcode) || strings.Contains(printed, d.To) {
				t.Errorf("a printed delivery shows the passcode or destination: %s", printed)
			}
		}

		done, err := store.CompletePasswordReset(w.ctx, "01111", u.login, db.ByLoginID, d.Passcode, resetPassword, w.a, base.Add(time.Minute))
		if err != nil {
			t.Fatalf("complete: %v", err)
		}
		if done.CustomerID != u.done.Customer.ID || done.RevokedTokens != 3 {
			t.Errorf("done %+v, want 3 tokens revoked", done)
		}
		c := w.customer(u)
		if c.Locked || c.LockedAt != nil || c.FailedLoginCount != 0 || c.FailedPasswordResetCount != 0 {
			t.Errorf("lockout not cleared: locked %v at %v, %d failures", c.Locked, c.LockedAt, c.FailedLoginCount)
		}
		for _, tok := range []*models.Token{rt, at, at2, theirs} {
			got, err := store.Token(w.ctx, tok.Hash)
			if err != nil {
				t.Fatal(err)
			}
			if mine := tok != theirs; (got.RevokedAt != nil) != mine {
				t.Errorf("%s token of %s: revoked at %v", tok.Kind, *tok.CustomerID, got.RevokedAt)
			}
		}
		if w.loginWorks(u, u.password, base.Add(2*time.Minute)) {
			t.Error("the old password still works")
		}
		if !w.loginWorks(u, resetPassword, base.Add(2*time.Minute)) {
			t.Error("the new password does not work")
		}
		chs := w.challenges(u)
		if len(chs) != 1 || chs[0].ConsumedAt == nil || chs[0].WrongTries != 0 || chs[0].DestinationID != u.done.Destinations[1].ID ||
			chs[0].Protocol != "SMS" || !strings.HasPrefix(chs[0].PasscodeHash, "hmac-sha256$"+store.PrimaryKeyID()+"$") {
			t.Errorf("challenge %+v", chs)
		}
		var audit []models.AuditEvent
		store.Conn().Where("event LIKE ?", "PasswordReset%").Order("id").Find(&audit)
		if len(audit) != 2 || audit[0].Event != db.AuditPasswordResetRequest || audit[1].Event != db.AuditPasswordReset {
			t.Fatalf("audit %+v", audit)
		}
		for _, ev := range audit {
			if ev.Outcome != models.OutcomeSuccess || ev.CustomerID == nil || *ev.CustomerID != u.done.Customer.ID ||
				ev.TraceID != w.a.TraceID || ev.ClientAppID != w.r.app.ID || ev.InstitutionID != "01111" {
				t.Errorf("audit event %+v", ev)
			}
		}
		assertNoRowHolds(t, store, []string{"password_resets", "audit_events", "customers"}, d.Passcode, resetPassword)
	})
}

// assertNoRowHolds fails if any column of any row of the tables contains one of the secrets.
func assertNoRowHolds(t *testing.T, store *db.Store, tables []string, secrets ...string) {
	t.Helper()
	for _, table := range tables {
		var rows []map[string]any
		if err := store.Conn().Table(table).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			for col, v := range row {
				for _, s := range secrets {
					if strings.Contains(fmt.Sprint(v), s) {
						t.Errorf("%s.%s holds a secret in clear", table, col)
					}
				}
			}
		}
	}
}

func TestPasswordResetExpiresAfterTenMinutes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u := w.user(1)
		d := w.mustStart(u, base)
		if _, err := w.complete(u, d.Passcode, resetPassword, base.Add(10*time.Minute)); !errors.Is(err, models.ErrPasscodeExpired) {
			t.Fatalf("at ten minutes: %v, want ErrPasscodeExpired", err)
		}
		if c := w.challenges(u)[0]; c.WrongTries != 0 || c.ConsumedAt != nil {
			t.Errorf("an expired try changed the challenge: %+v", c)
		}
		later := base.Add(time.Minute)
		d = w.mustStart(u, later)
		if _, err := w.complete(u, d.Passcode, resetPassword, later.Add(10*time.Minute-time.Second)); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
	})
}

func TestPasswordResetPasscodeIsSingleUse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u := w.user(1)
		d := w.mustStart(u, base)
		if _, err := w.complete(u, d.Passcode, resetPassword, base.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.complete(u, d.Passcode, "Another!Pass9", base.Add(2*time.Minute)); !errors.Is(err, models.ErrPasscodeUsed) {
			t.Fatalf("reuse: %v, want ErrPasscodeUsed", err)
		}
		if !w.loginWorks(u, resetPassword, base.Add(3*time.Minute)) {
			t.Error("the reuse changed the password")
		}
	})
}

func TestPasswordResetFiveWrongTriesKillTheChallenge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u := w.user(1)
		d := w.mustStart(u, base)
		wrong := otherThan(d.Passcode)
		for try := 1; try <= 5; try++ {
			_, err := w.complete(u, wrong, resetPassword, base.Add(time.Duration(try)*time.Second))
			if !errors.Is(err, models.ErrPasscodeWrong) || errors.Is(err, models.ErrPasscodeTriesExhausted) != (try == 5) {
				t.Fatalf("wrong try %d: %v", try, err)
			}
			if got := w.challenges(u)[0].WrongTries; got != try {
				t.Fatalf("after wrong try %d the challenge counts %d", try, got)
			}
		}
		_, err := w.complete(u, d.Passcode, resetPassword, base.Add(time.Minute))
		if !errors.Is(err, models.ErrPasscodeTriesExhausted) || errors.Is(err, models.ErrPasscodeWrong) {
			t.Fatalf("the right passcode after five wrong tries: %v, want ErrPasscodeTriesExhausted", err)
		}
		if c := w.customer(u); c.FailedPasswordResetCount != 5 {
			t.Errorf("failedPasswordResetCount %d, want 5", c.FailedPasswordResetCount)
		}
		if w.loginWorks(u, resetPassword, base.Add(2*time.Minute)) || !w.loginWorks(u, u.password, base.Add(2*time.Minute)) {
			t.Error("the password changed")
		}
		// A new passcode starts afresh; its success resets the customer's count.
		d = w.mustStart(u, base.Add(3*time.Minute))
		if _, err := w.complete(u, d.Passcode, resetPassword, base.Add(4*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if c := w.customer(u); c.FailedPasswordResetCount != 0 {
			t.Errorf("failedPasswordResetCount %d after a reset, want 0", c.FailedPasswordResetCount)
		}
	})
}

// TestPasswordResetSendLimit: three passcodes per customer in any 15 minutes, counted in the
// database (the sends alternate between two instances), each new one replacing the last.
func TestPasswordResetSendLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u := w.user(1)
		second := &resetWorld{t: t, store: dbtest.SecondInstance(t, store), r: w.r, a: w.a, ctx: w.ctx}
		first := w.mustStart(u, base)
		second.mustStart(u, base.Add(time.Minute))
		third := w.mustStart(u, base.Add(2*time.Minute))
		for _, at := range []time.Duration{2 * time.Minute, 14*time.Minute + 59*time.Second} {
			if _, err := second.start(u, u.sms, "SMS", base.Add(at)); !errors.Is(err, models.ErrTooManyResets) {
				t.Fatalf("fourth passcode at +%v: %v, want ErrTooManyResets", at, err)
			}
		}
		if n := len(w.challenges(u)); n != 3 {
			t.Errorf("%d challenges stored, want 3 (refusals store nothing)", n)
		}
		fourth, err := second.start(u, u.voice, "VOICE", base.Add(15*time.Minute))
		if err != nil {
			t.Fatalf("once the first passcode left the window: %v", err)
		}
		if _, err := w.start(u, u.sms, "SMS", base.Add(15*time.Minute+time.Second)); !errors.Is(err, models.ErrTooManyResets) {
			t.Fatalf("the window slides: %v, want ErrTooManyResets", err)
		}
		chs := w.challenges(u)
		for i, c := range chs {
			if (c.SupersededAt == nil) != (i == len(chs)-1) {
				t.Errorf("challenge %d superseded at %v", i, c.SupersededAt)
			}
		}
		// Only the newest passcode works; an earlier one is a wrong try against it.
		for _, old := range []*db.ResetDelivery{first, third} {
			if old.Passcode == fourth.Passcode {
				continue
			}
			if _, err := w.complete(u, old.Passcode, resetPassword, base.Add(16*time.Minute)); !errors.Is(err, models.ErrPasscodeWrong) {
				t.Fatalf("an earlier passcode: %v, want ErrPasscodeWrong", err)
			}
		}
		if _, err := second.complete(u, fourth.Passcode, resetPassword, base.Add(16*time.Minute)); err != nil {
			t.Fatalf("the newest passcode: %v", err)
		}
	})
}

// TestPasswordResetConcurrentStarts: of ten simultaneous requests, exactly three send.
func TestPasswordResetConcurrentStarts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u := w.user(1)
		errs := race(10, func(int) error { _, err := w.start(u, u.sms, "SMS", base); return err })
		if ok, limited := count(errs, nil), count(errs, models.ErrTooManyResets); ok != 3 || limited != 7 {
			t.Fatalf("%d sent, %d limited: %v", ok, limited, errs)
		}
		open := 0
		for _, c := range w.challenges(u) {
			if c.SupersededAt == nil {
				open++
			}
		}
		if open != 1 {
			t.Errorf("%d open challenges, want 1", open)
		}
	})
}

// TestPasswordResetConcurrentCompletions: ten simultaneous completions with the right passcode,
// exactly one sets the password.
func TestPasswordResetConcurrentCompletions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u := w.user(1)
		d := w.mustStart(u, base)
		errs := race(10, func(i int) error {
			_, err := w.complete(u, d.Passcode, fmt.Sprintf("Racer!%02d", i), base.Add(time.Minute))
			return err
		})
		if ok, used := count(errs, nil), count(errs, models.ErrPasscodeUsed); ok != 1 || used != 9 {
			t.Fatalf("%d succeeded, %d told used: %v", ok, used, errs)
		}
		var winner string
		for i, err := range errs {
			if err == nil {
				winner = fmt.Sprintf("Racer!%02d", i)
			}
		}
		if !w.loginWorks(u, winner, base.Add(2*time.Minute)) {
			t.Error("the winner's password is not the one stored")
		}
	})
}

// race runs f n times at once and returns each call's error.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func count(errs []error, target error) int {
	n := 0
	for _, err := range errs {
		if (target == nil && err == nil) || (target != nil && errors.Is(err, target)) {
			n++
		}
	}
	return n
}

func TestPasswordResetFindsOnlyTheFIsCustomer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u := w.user(1)
		d := w.mustStart(u, base)
		id := u.done.Customer.ID
		for _, c := range []struct{ fi, ref, idType string }{
			{"02222", id, db.ByCustomerID},
			{"02222", u.login, db.ByLoginID},
			{"01111", "00000000000000000000000000000000", ""},
			{"01111", "nobody_here", db.ByLoginID},
			{"01111", u.login, db.ByCustomerID},
		} {
			if _, err := store.StartPasswordReset(w.ctx, c.fi, c.ref, c.idType, u.sms, "SMS", w.a, base.Add(time.Minute)); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("start at %s for %s (%s): %v, want ErrNotFound", c.fi, c.ref, c.idType, err)
			}
			if _, err := store.CompletePasswordReset(w.ctx, c.fi, c.ref, c.idType, d.Passcode, resetPassword, w.a, base.Add(time.Minute)); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("complete at %s for %s (%s): %v, want ErrNotFound", c.fi, c.ref, c.idType, err)
			}
		}
		if chs := w.challenges(u); len(chs) != 1 || chs[0].ConsumedAt != nil || chs[0].WrongTries != 0 {
			t.Errorf("another FI's requests touched the challenge: %+v", chs)
		}
		// By login id, case-insensitively, at the customer's own FI.
		if _, err := store.CompletePasswordReset(w.ctx, "01111", strings.ToUpper(u.login), db.ByLoginID, d.Passcode, resetPassword, w.a, base.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPasswordResetContactMethods(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u, other := w.user(1), w.user(2)
		at := base
		for _, c := range []struct {
			method, protocol string
			want             error
			channel, to      string
		}{
			{u.sms, "SMS", nil, "SMS", u.phone},
			{u.sms, "VOICE", nil, "VOICE", u.phone},
			{u.voice, "", nil, "VOICE", u.phone},
			{u.email, "EMAIL", nil, "EMAIL", u.emailAddress},
			{u.email, "SMS", models.ErrProtocolMismatch, "", ""},
			{u.voice, "EMAIL", models.ErrProtocolMismatch, "", ""},
			{other.sms, "SMS", models.ErrContactMethodNotFound, "", ""},
			{"999999", "SMS", models.ErrContactMethodNotFound, "", ""},
			{"sms", "SMS", models.ErrContactMethodNotFound, "", ""},
			{"", "SMS", models.ErrContactMethodNotFound, "", ""},
			{"-1", "SMS", models.ErrContactMethodNotFound, "", ""},
		} {
			// Far apart, so the send limit stays out of the way.
			at = at.Add(time.Hour)
			d, err := w.start(u, c.method, c.protocol, at)
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Errorf("%s by %q: %v, want %v", c.method, c.protocol, err, c.want)
				}
				continue
			}
			if err != nil || d.Channel != c.channel || d.To != c.to {
				t.Errorf("%s by %q: %v, %v", c.method, c.protocol, d, err)
			}
		}
		if err := store.Conn().Model(&models.Destination{}).Where("id = ?", u.sms).Update("activated", false).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := w.start(u, u.sms, "SMS", at.Add(time.Hour)); !errors.Is(err, models.ErrContactMethodNotFound) {
			t.Errorf("a deactivated contact method: %v", err)
		}
	})
}

func TestPasswordResetPolicyViolationKeepsTheChallenge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u := w.user(1)
		d := w.mustStart(u, base)
		for _, bad := range []string{"short", "onlyletters", "has space 1", u.login[:8], strings.Repeat("a1", 17)} {
			for _, passcode := range []string{d.Passcode, otherThan(d.Passcode)} {
				_, err := w.complete(u, passcode, bad, base.Add(time.Minute))
				var vs registration.Violations
				if !errors.As(err, &vs) || len(vs) != 1 || vs[0].Field != "newPassword" || vs[0].Code != registration.CodeInvalidPassword {
					t.Fatalf("new password %q: %v, want a newPassword violation", bad, err)
				}
			}
		}
		if c := w.challenges(u)[0]; c.WrongTries != 0 || c.ConsumedAt != nil {
			t.Errorf("a refused password changed the challenge: %+v", c)
		}
		if c := w.customer(u); c.FailedPasswordResetCount != 0 {
			t.Errorf("a refused password counted as a wrong passcode")
		}
		if !w.loginWorks(u, u.password, base.Add(time.Minute)) {
			t.Fatal("the password changed")
		}
		if _, err := w.complete(u, d.Passcode, resetPassword, base.Add(2*time.Minute)); err != nil {
			t.Fatalf("the challenge is still usable: %v", err)
		}
	})
}

// TestPasswordResetDigestIsBound: a digest copied onto another customer's challenge does not
// let the first customer's passcode in.
func TestPasswordResetDigestIsBound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		a, b := w.user(1), w.user(2)
		da := w.mustStart(a, base)
		dbb := w.mustStart(b, base)
		stolen := w.challenges(a)[0].PasscodeHash
		if err := store.Conn().Model(&models.PasswordReset{}).Where("id = ?", dbb.ChallengeID).Update("passcode_hash", stolen).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := w.complete(b, da.Passcode, resetPassword, base.Add(time.Minute)); !errors.Is(err, models.ErrPasscodeWrong) {
			t.Fatalf("a's passcode against a's digest on b's challenge: %v, want ErrPasscodeWrong", err)
		}
	})
}

func TestNoPasscodeOutstanding(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u := w.user(1)
		if _, err := w.complete(u, "123456", resetPassword, base); !errors.Is(err, models.ErrPasscodeExpired) {
			t.Fatalf("no passcode sent: %v, want ErrPasscodeExpired", err)
		}
	})
}

func TestPurgeOldPasswordResets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		w := newResetWorld(t, store)
		u := w.user(1)
		w.mustStart(u, base)
		w.mustStart(u, base.Add(20*time.Hour))
		got, err := store.Purge(w.ctx, base.Add(10*time.Minute+db.PasswordResetRetention+time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got.PasswordResets != 1 || len(w.challenges(u)) != 1 {
			t.Errorf("purged %+v, %d left", got, len(w.challenges(u)))
		}
	})
}
