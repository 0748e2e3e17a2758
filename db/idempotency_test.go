package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// TestStore_Idempotency: a di_tid is claimed by the first request that uses it with the app,
// replays that request's stored answer to the same request, and is in flight to any other use
// (D7); a claim whose request died expires.
func TestStore_Idempotency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		r := newRegistrar(t, store)
		ctx := context.Background()
		claim := func(t *testing.T, o db.Origin, at time.Time) {
			t.Helper()
			err := store.Conn().Create(&models.IdempotencyRecord{ClientAppID: o.ClientAppID, TraceID: o.TraceID, RequestHash: o.RequestHash, CreatedAt: at}).Error
			if err != nil {
				t.Fatal(err)
			}
		}

		t.Run("Replay_Unknown", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			if prev, err := store.Replay(ctx, r.origin(application("R300", "reg_idem_new", "521234567"))); err != nil || prev != nil {
				t.Errorf("Replay = %v, %v; want nothing", prev, err)
			}
		})

		t.Run("Replay_AfterSuccess", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			done, o := r.mustRegister(application("R310", "reg_idem_done", "522345678"))
			want, _, _ := reply(done)
			prev, err := store.Replay(ctx, o)
			if err != nil || prev == nil || string(prev.Body) != string(want) || prev.ContentType != "application/json" {
				t.Fatalf("Replay = %+v, %v; want %s", prev, err, want)
			}
			other := o
			other.RequestHash = strings.Repeat("0", 64)
			if _, err := store.Replay(ctx, other); !errors.Is(err, models.ErrInFlight) {
				t.Errorf("another body: %v, want ErrInFlight", err)
			}
		})

		t.Run("ErrInFlight_WhileRunning", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			a := application("R320", "reg_idem_running", "523456789")
			o := r.origin(a)
			var during error
			_, _, err := store.Register(ctx, r.plan(a), o, func(done *db.Registered) ([]byte, string, error) {
				_, during = store.Replay(ctx, o)
				return reply(done)
			}, time.Now().UTC())
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(during, models.ErrInFlight) {
				t.Errorf("Replay while the request runs: %v, want ErrInFlight", during)
			}
		})

		t.Run("ErrInFlight_ClaimedByAnother", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			a := application("R330", "reg_idem_claimed", "524567891")
			o := r.origin(a)
			claim(t, o, time.Now().UTC())
			if _, _, err := r.register(a, o); !errors.Is(err, models.ErrInFlight) {
				t.Fatalf("err = %v, want ErrInFlight", err)
			}
			// The running request's claim is its own: left alone.
			var n int64
			store.Conn().Model(&models.IdempotencyRecord{}).Where("trace_id = ? AND status = 0", o.TraceID).Count(&n)
			if n != 1 || customersWithLogin(t, store, "reg_idem_claimed") != 0 {
				t.Errorf("claim %d, customers %d", n, customersWithLogin(t, store, "reg_idem_claimed"))
			}
		})

		t.Run("OK_AbandonedClaimTakenOver", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			a := application("R340", "reg_idem_stale", "525678912")
			o := r.origin(a)
			claim(t, o, time.Now().UTC().Add(-3*time.Minute)) // its instance crashed
			if done, prev, err := r.register(a, o); err != nil || prev != nil || done == nil {
				t.Fatalf("done %v, replay %v, err %v", done != nil, prev != nil, err)
			}
		})

		t.Run("OK_SameTraceOtherApp", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			_, o := r.mustRegister(application("R350", "reg_idem_app_a", "526789123"))
			limited, err := store.ClientApp(ctx, "sandbox-limited")
			if err != nil {
				t.Fatal(err)
			}
			a := application("R351", "reg_idem_app_b", "526789124")
			other := r.origin(a)
			other.ClientAppID, other.TraceID = limited.ID, o.TraceID
			if done, prev, err := r.register(a, other); err != nil || prev != nil || done == nil {
				t.Fatalf("done %v, replay %v, err %v", done != nil, prev != nil, err)
			}
		})

		// The stored answer is sealed to its app and di_tid: it is not readable in the row, and
		// a row copied under another di_tid does not open.
		t.Run("ReplySealedToItsRequest", func(t *testing.T) {
			r := &registrar{t: t, store: store, app: r.app}
			done, o := r.mustRegister(application("R360", "reg_idem_sealed", "527891234"))
			var rec models.IdempotencyRecord
			if err := store.Conn().Where("client_app_id = ? AND trace_id = ?", o.ClientAppID, o.TraceID).Take(&rec).Error; err != nil {
				t.Fatal(err)
			}
			if rec.Status != 200 || rec.ResponseEnc == "" || strings.Contains(rec.ResponseEnc, done.Customer.ID) {
				t.Fatalf("stored reply: status %d, %q", rec.Status, rec.ResponseEnc)
			}
			copied := rec
			copied.TraceID = newTID(t)
			if err := store.Conn().Create(&copied).Error; err != nil {
				t.Fatal(err)
			}
			moved := o
			moved.TraceID = copied.TraceID
			if prev, err := store.Replay(ctx, moved); err == nil || errors.Is(err, models.ErrInFlight) {
				t.Errorf("a reply moved to another di_tid: %v, %v; want a decryption error", prev, err)
			}
		})
	})
}
