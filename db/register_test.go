package db_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/registration"
	"github.com/custreg/custreg/secure"
)

// registrar registers applications with the sandbox app, at the sandbox FIs, straight through
// the store: the plan comes from registration.Check as the handler would build it.
type registrar struct {
	t     *testing.T
	store *db.Store
	app   *models.ClientApp
}

// newRegistrar provisions the sandbox into store.
func newRegistrar(t *testing.T, store *db.Store) *registrar {
	t.Helper()
	dbtest.Sandbox(t, store)
	app, err := store.ClientApp(context.Background(), "sandbox-app")
	if err != nil {
		t.Fatal(err)
	}
	return &registrar{t: t, store: store, app: app}
}

// application is a valid Register v4 application at FI 01111 for member and login, with ssn.
func application(member, login, ssn string) registration.Application {
	return registration.Application{FIID: "01111", MemberNumber: member, FirstName: "Jane", LastName: "Doe",
		Email:     "jane.doe@example.com",
		Addresses: []registration.Address{{Address1: "100 Main St", City: "Springfield", State: "IL", PostalCode: "62701", Country: "US"}},
		Phones:    []registration.Phone{{Number: "2175550123", CountryCode: "0"}}, BirthDate: "1989-10-09",
		Channels:     []registration.Channel{{Type: "TPV_API", LoginID: login, Password: "Blue!Sky42"}},
		AcceptedFlag: "true", UserType: "PRIMARY", SSN: ssn, MotherMaidenName: "Smith", HostPIN: "4321"}
}

// plan checks a against its FI's policy and disclosures; a refused application fails the test.
func (r *registrar) plan(a registration.Application) registration.Plan {
	r.t.Helper()
	fi, defs, _, err := r.store.RegistrationContext(context.Background(), a.FIID, r.app.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	p, err := registration.Check(*fi, defs, a, time.Now().UTC())
	if err != nil {
		r.t.Fatalf("application refused: %v", err)
	}
	return p
}

// origin is a request of the app with its own di_tid and a body hash naming the application.
func (r *registrar) origin(a registration.Application) db.Origin {
	r.t.Helper()
	body, err := json.Marshal(a)
	if err != nil {
		r.t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	return db.Origin{ClientAppID: r.app.ID, OfferingID: r.app.OfferingID, OriginatingIP: "192.0.2.10",
		TraceID: newTID(r.t), RequestHash: hex.EncodeToString(sum[:])}
}

func newTID(t *testing.T) string {
	t.Helper()
	id, err := secure.NewID32()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// reply is a stand-in for the handler's rendering: the new customer's id.
func reply(done *db.Registered) ([]byte, string, error) {
	return []byte(`{"id":"` + done.Customer.ID + `"}`), "application/json", nil
}

// register stores a's plan for origin o with the stand-in reply.
func (r *registrar) register(a registration.Application, o db.Origin) (*db.Registered, *db.Reply, error) {
	r.t.Helper()
	return r.store.Register(context.Background(), r.plan(a), o, reply, time.Now().UTC())
}

// mustRegister registers a as a new request and fails the test unless it succeeds.
func (r *registrar) mustRegister(a registration.Application) (*db.Registered, db.Origin) {
	r.t.Helper()
	o := r.origin(a)
	done, prev, err := r.register(a, o)
	if err != nil || prev != nil || done == nil {
		r.t.Fatalf("register %s: done %v, replay %v, err %v", a.MemberNumber, done != nil, prev != nil, err)
	}
	return done, o
}

// registrationRows counts the rows of every table a registration writes.
func registrationRows(t *testing.T, store *db.Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for name, model := range map[string]any{
		"members": &models.Member{}, "customers": &models.Customer{}, "customer_addresses": &models.CustomerAddress{},
		"customer_phones": &models.CustomerPhone{}, "destinations": &models.Destination{}, "user_disclosures": &models.UserDisclosure{},
		"disclosure_evidences": &models.DisclosureEvidence{}, "audit_events": &models.AuditEvent{},
		"idempotency_records": &models.IdempotencyRecord{}, "in_flights": &models.InFlight{},
	} {
		var n int64
		if err := store.Conn().Model(model).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", name, err)
		}
		out[name] = n
	}
	return out
}

func customersWithLogin(t *testing.T, store *db.Store, pattern string) int64 {
	t.Helper()
	var n int64
	if err := store.Conn().Model(&models.Customer{}).Where("login_id_norm LIKE ?", pattern).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStore_Register(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		r := newRegistrar(t, store)
		ctx := context.Background()

		t.Run("OK", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			a := application("R100", "reg_ok_01", "501234567")
			done, o := r.mustRegister(a)
			c := done.Customer
			if c.LoginID != "reg_ok_01" || c.UserType != "PRIMARY" || c.ChannelType != models.ChannelTPVAPI || done.Member.MemberNumber != "R100" {
				t.Errorf("customer %q %s %s of member %q", c.LoginID, c.UserType, c.ChannelType, done.Member.MemberNumber)
			}
			// Both required disclosures were accepted at registration (atRegistration).
			if !c.Registered || !c.AcceptedDisclosure || c.NeedsToAcceptDisclosure {
				t.Errorf("flags registered=%v accepted=%v needs=%v", c.Registered, c.AcceptedDisclosure, c.NeedsToAcceptDisclosure)
			}
			v, err := store.FindCustomer(ctx, "01111", "LOGINID", "REG_OK_01")
			if err != nil {
				t.Fatal(err)
			}
			if v.Customer.ID != c.ID || v.Customer.Member.MemberNumber != "R100" || len(v.Addresses) != 1 || len(v.Phones) != 1 || len(v.Destinations) != 3 {
				t.Errorf("found %s of %q with %d addresses, %d phones, %d destinations", v.Customer.ID, v.Customer.Member.MemberNumber,
					len(v.Addresses), len(v.Phones), len(v.Destinations))
			}
			if ok, _, err := dbtest.Passwords(store).Verify(ctx, "Blue!Sky42", v.Customer.PasswordHash); err != nil || !ok {
				t.Errorf("password does not verify: %v", err)
			}
			pii, err := store.CustomerPII(&v.Customer)
			if want := (db.CustomerPII{SSNLast4: "4567", BirthDate: "1989-10-09", MotherMaidenName: "Smith"}); err != nil || pii != want {
				t.Errorf("CustomerPII = %+v, %v; want %+v", pii, err, want)
			}
			if pin, err := dbtest.Keys(store).DecryptString(v.Customer.HostPINEnc, db.AAD("01111", c.ID, "host_pin")); err != nil || pin != "4321" {
				t.Errorf("host PIN: %v", err)
			}
			history, err := store.DisclosureHistory(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var accepted []string
			for _, e := range history {
				if e.Status != "ACCEPTED" || e.TraceID != o.TraceID || e.ClientAppID != r.app.ID || e.Channel != models.ChannelTPVAPI || e.OriginatingIP != o.OriginatingIP {
					t.Errorf("evidence %+v", e)
				}
				accepted = append(accepted, e.DisclosureName)
			}
			if strings.Join(accepted, " ") != "IB ESIGN" && strings.Join(accepted, " ") != "ESIGN IB" {
				t.Errorf("evidence for %v, want IB and ESIGN", accepted)
			}
			var audit []models.AuditEvent
			if err := store.Conn().Where("trace_id = ?", o.TraceID).Find(&audit).Error; err != nil {
				t.Fatal(err)
			}
			if len(audit) != 1 || audit[0].Outcome != models.OutcomeSuccess || audit[0].CustomerID == nil || *audit[0].CustomerID != c.ID {
				t.Errorf("audit %+v", audit)
			}
		})

		t.Run("OK_SameSSNAtAnotherFI", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			r.mustRegister(application("R105", "reg_fi_one", "502345678"))
			a := application("R105", "reg_fi_two", "502345678")
			a.FIID = "02222"
			if done, _ := r.mustRegister(a); done.Customer.InstitutionID != "02222" {
				t.Errorf("registered at %s", done.Customer.InstitutionID)
			}
		})

		t.Run("ErrLoginTaken", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			r.mustRegister(application("R110", "reg_taken_1", "503456789"))
			// The same login in another case, for another member and person.
			a := application("R111", "REG_Taken_1", "503456780")
			if _, _, err := r.register(a, r.origin(a)); !errors.Is(err, models.ErrLoginTaken) {
				t.Fatalf("err = %v, want ErrLoginTaken", err)
			}
			if n := customersWithLogin(t, store, "reg_taken_1"); n != 1 {
				t.Errorf("%d customers with the login", n)
			}
		})

		t.Run("ErrAlreadyRegistered_Member", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			r.mustRegister(application("R120", "reg_member_a", "504567891"))
			a := application("R120", "reg_member_b", "504567892")
			if _, _, err := r.register(a, r.origin(a)); !errors.Is(err, models.ErrAlreadyRegistered) {
				t.Fatalf("err = %v, want ErrAlreadyRegistered", err)
			}
			// The member comes first: even a login that is also taken answers "already registered".
			a = application("R120", "reg_member_a", "504567893")
			if _, _, err := r.register(a, r.origin(a)); !errors.Is(err, models.ErrAlreadyRegistered) {
				t.Fatalf("member and login both taken: err = %v, want ErrAlreadyRegistered", err)
			}
			// A member provisioned with its user is registered too.
			a = application("100200300", "reg_member_c", "504567894")
			if _, _, err := r.register(a, r.origin(a)); !errors.Is(err, models.ErrAlreadyRegistered) {
				t.Fatalf("sandbox member: err = %v, want ErrAlreadyRegistered", err)
			}
		})

		t.Run("ErrAlreadyRegistered_SSN", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			r.mustRegister(application("R130", "reg_ssn_a", "505678912"))
			for _, ssn := range []string{"505678912", "123456789"} { // ours, and the sandbox user's
				a := application("R131", "reg_ssn_b", ssn)
				if _, _, err := r.register(a, r.origin(a)); !errors.Is(err, models.ErrAlreadyRegistered) {
					t.Fatalf("SSN %s: err = %v, want ErrAlreadyRegistered", secure.MaskLast4(ssn), err)
				}
			}
			var n int64
			store.Conn().Model(&models.Member{}).Where("member_number = ?", "R131").Count(&n)
			if n != 0 {
				t.Error("the refused registration left its member behind")
			}
		})

		t.Run("ErrInFlight_SameTraceOtherBody", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			_, o := r.mustRegister(application("R140", "reg_trace_a", "506789123"))
			a := application("R141", "reg_trace_b", "506789124")
			other := r.origin(a)
			other.TraceID = o.TraceID
			if _, _, err := r.register(a, other); !errors.Is(err, models.ErrInFlight) {
				t.Fatalf("err = %v, want ErrInFlight", err)
			}
			if n := customersWithLogin(t, store, "reg_trace_b"); n != 0 {
				t.Error("the second body was stored")
			}
		})

		t.Run("Replay_SameRequest", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			a := application("R150", "reg_replay", "507891234")
			o := r.origin(a)
			rendered := 0
			render := func(done *db.Registered) ([]byte, string, error) { rendered++; return reply(done) }
			done, _, err := store.Register(ctx, r.plan(a), o, render, time.Now().UTC())
			if err != nil {
				t.Fatal(err)
			}
			want, _, _ := reply(done)
			again, prev, err := store.Register(ctx, r.plan(a), o, render, time.Now().UTC())
			if err != nil || again != nil || prev == nil {
				t.Fatalf("second time: done %v, replay %v, err %v; want the replay", again != nil, prev != nil, err)
			}
			if string(prev.Body) != string(want) || prev.ContentType != "application/json" {
				t.Errorf("replayed %s %q, want %s", prev.ContentType, prev.Body, want)
			}
			if rendered != 1 || customersWithLogin(t, store, "reg_replay") != 1 {
				t.Errorf("rendered %d times, %d customers", rendered, customersWithLogin(t, store, "reg_replay"))
			}
		})

		t.Run("NothingLeftOnFailure", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			r.mustRegister(application("R160", "reg_left_taken", "508912345"))
			injected := errors.New("injected: reply not rendered")
			for _, tc := range []struct {
				name   string
				a      registration.Application
				render db.ReplyFunc
				want   error
			}{
				// Refused by the checks before the transaction.
				{"login taken", application("R161", "reg_left_taken", "508912346"), reply, models.ErrLoginTaken},
				// Failing at the end of the transaction, after every row of it was written.
				{"reply fails", application("R162", "reg_left_reply", "508912347"),
					func(*db.Registered) ([]byte, string, error) { return nil, "", injected }, injected},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := registrationRows(t, store)
					o := r.origin(tc.a)
					if _, _, err := store.Register(ctx, r.plan(tc.a), o, tc.render, time.Now().UTC()); !errors.Is(err, tc.want) {
						t.Fatalf("err = %v, want %v", err, tc.want)
					}
					after := registrationRows(t, store)
					for table, n := range before {
						if after[table] != n {
							t.Errorf("%s: %d rows before, %d after the failure", table, n, after[table])
						}
					}
					// The di_tid was released: the same request, fixed, goes through.
					fixed := tc.a
					fixed.Channels = []registration.Channel{{Type: "TPV_API", LoginID: "reg_left_fix_" + tc.a.MemberNumber[1:], Password: "Blue!Sky42"}}
					if done, prev, err := store.Register(ctx, r.plan(fixed), o, reply, time.Now().UTC()); err != nil || prev != nil || done == nil {
						t.Fatalf("retry with the same di_tid: done %v, replay %v, err %v", done != nil, prev != nil, err)
					}
				})
			}
		})

		// Many registrations of one person at once, through two instances: the unique SSN index
		// lets exactly one through, whatever the interleaving (D32).
		t.Run("ConcurrentUniqueIndex", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			two := dbtest.SecondInstance(t, store)
			const n = 8
			type attempt struct {
				store *db.Store
				plan  registration.Plan
				o     db.Origin
			}
			attempts := make([]attempt, n)
			for i := range attempts {
				a := application(fmt.Sprintf("RC%02d", i), fmt.Sprintf("reg_race_%02d", i), "509123456")
				attempts[i] = attempt{[]*db.Store{store, two}[i%2], r.plan(a), r.origin(a)}
			}
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, at := range attempts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, _, errs[i] = at.store.Register(ctx, at.plan, at.o, reply, time.Now().UTC())
				}()
			}
			close(start)
			wg.Wait()
			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, models.ErrAlreadyRegistered):
					t.Errorf("attempt %d: %v, want success or ErrAlreadyRegistered", i, err)
				}
			}
			var members int64
			store.Conn().Model(&models.Member{}).Where("member_number LIKE ?", "RC%").Count(&members)
			if got := customersWithLogin(t, store, "reg_race_%"); ok != 1 || got != 1 || members != 1 {
				t.Errorf("%d successes, %d customers, %d members for one person; want 1 each", ok, got, members)
			}
		})

		// A registration of the same person committed by another instance after this one's
		// checks but before its insert: only the index can refuse it.
		t.Run("ConcurrentUniqueIndex_AfterTheChecks", func(t *testing.T) {
			if store.Conn().Name() != "postgres" {
				t.Skip("SQLite runs registrations one at a time (IMMEDIATE transactions): nothing can commit in between")
			}
			r := &registrar{t: t, store: store, app: r.app}
			two := dbtest.SecondInstance(t, store)
			mine, theirs := application("R170", "reg_between_a", "509234567"), application("R171", "reg_between_b", "509234567")
			minePlan, theirPlan, theirOrigin := r.plan(mine), r.plan(theirs), r.origin(theirs)
			var armed atomic.Bool
			armed.Store(true)
			var theirErr error
			cb := store.Conn().Callback().Create()
			if err := cb.Before("gorm:create").Register("test:commit_between", func(tx *gorm.DB) {
				if tx.Statement.Table == "customers" && armed.CompareAndSwap(true, false) {
					_, _, theirErr = two.Register(context.Background(), theirPlan, theirOrigin, reply, time.Now().UTC())
				}
			}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cb.Remove("test:commit_between") })
			_, _, err := store.Register(ctx, minePlan, r.origin(mine), reply, time.Now().UTC())
			if theirErr != nil || armed.Load() {
				t.Fatalf("the other registration did not run in between: %v", theirErr)
			}
			if !errors.Is(err, models.ErrAlreadyRegistered) {
				t.Fatalf("err = %v, want ErrAlreadyRegistered", err)
			}
			if a, b := customersWithLogin(t, store, "reg_between_a"), customersWithLogin(t, store, "reg_between_b"); a != 0 || b != 1 {
				t.Errorf("%d and %d customers, want only the other instance's", a, b)
			}
		})
	})
}

func TestStore_InFlightMarkers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		r := newRegistrar(t, store)
		mark := func(t *testing.T, fi, kind, value string, at time.Time) {
			t.Helper()
			err := store.Conn().Create(&models.InFlight{InstitutionID: fi, Kind: kind, Value: value, TraceID: "another-request", CreatedAt: at}).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		marks := func(t *testing.T, where string, args ...any) int64 {
			t.Helper()
			var n int64
			if err := store.Conn().Model(&models.InFlight{}).Where(where, args...).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		now := time.Now().UTC()

		t.Run("ErrInFlight_MemberHeld", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			mark(t, "01111", "member", "R200", now)
			a := application("R200", "reg_mark_member", "511234567")
			o := r.origin(a)
			if _, _, err := r.register(a, o); !errors.Is(err, models.ErrInFlight) {
				t.Fatalf("err = %v, want ErrInFlight", err)
			}
			// The other request's mark stays; this request's claim and marks are gone.
			if marks(t, "value = ?", "R200") != 1 || marks(t, "trace_id = ?", o.TraceID) != 0 {
				t.Error("marks changed")
			}
			if prev, err := store.Replay(context.Background(), o); err != nil || prev != nil {
				t.Errorf("di_tid still claimed: %v %v", prev, err)
			}
		})

		t.Run("ErrInFlight_LoginHeldInOtherCase", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			mark(t, "01111", "login", "reg_mark_login", now)
			a := application("R210", "Reg_Mark_LOGIN", "512345678")
			if _, _, err := r.register(a, r.origin(a)); !errors.Is(err, models.ErrInFlight) {
				t.Fatalf("err = %v, want ErrInFlight", err)
			}
			// Its member mark, taken first, was released again.
			if marks(t, "value = ?", "R210") != 0 {
				t.Error("the member mark was left behind")
			}
		})

		t.Run("OK_MarkAtAnotherFI", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			mark(t, "02222", "member", "R220", now)
			r.mustRegister(application("R220", "reg_mark_fi", "513456789"))
		})

		t.Run("OK_StaleMarkTakenOver", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			mark(t, "01111", "member", "R230", now.Add(-3*time.Minute)) // a crashed instance's
			r.mustRegister(application("R230", "reg_mark_stale", "514567891"))
			if marks(t, "value = ?", "R230") != 0 {
				t.Error("the stale mark survived")
			}
		})

		t.Run("ReleasedAfterSuccess", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			_, o := r.mustRegister(application("R240", "reg_mark_done", "515678912"))
			if n := marks(t, "trace_id = ?", o.TraceID); n != 0 {
				t.Errorf("%d marks left by a finished registration", n)
			}
		})

		// Two requests for the same member at once: one registers it, the other is told it is
		// in flight or already registered, never both stored.
		t.Run("ConcurrentSameMember", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			two := dbtest.SecondInstance(t, store)
			const n = 6
			plans, origins := make([]registration.Plan, n), make([]db.Origin, n)
			for i := range n {
				a := application("R250", fmt.Sprintf("reg_mark_race_%d", i), fmt.Sprintf("5167891%02d", i+10))
				plans[i], origins[i] = r.plan(a), r.origin(a)
			}
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, _, errs[i] = []*db.Store{store, two}[i%2].Register(context.Background(), plans[i], origins[i], reply, time.Now().UTC())
				}()
			}
			close(start)
			wg.Wait()
			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, models.ErrInFlight) && !errors.Is(err, models.ErrAlreadyRegistered):
					t.Errorf("attempt %d: %v", i, err)
				}
			}
			if got := customersWithLogin(t, store, "reg_mark_race_%"); ok != 1 || got != 1 {
				t.Errorf("%d successes, %d customers for one member", ok, got)
			}
			if n := marks(t, "value = ?", "R250"); n != 0 {
				t.Errorf("%d member marks left", n)
			}
		})
	})
}
