package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// TestOutboxMessagesNewestFirst: a destination's messages come back newest first, however its
// number or address is written, at most MaxOutboxMessages at a time; old ones are purged.
func TestOutboxMessagesNewestFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		ctx := context.Background()
		dbtest.Sandbox(t, store)
		start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		for i := range 60 {
			m := &models.OutboxMessage{MessageID: fmt.Sprintf("m%02d", i), InstitutionID: "01111", Channel: "SMS",
				To: "+1 (555) 123-4567", Body: fmt.Sprintf("passcode %06d", i), Passcode: fmt.Sprintf("%06d", i), SentAt: start.Add(time.Duration(i) * time.Second)}
			if i%3 == 0 {
				m.Channel, m.To, m.Subject = "EMAIL", "Alex.Morgan@Example.com", "Your passcode"
			}
			if err := store.SaveOutboxMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		phone, err := store.OutboxMessages(ctx, "5551234567", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(phone) != 40 || phone[0].MessageID != "m59" || phone[1].MessageID != "m58" || phone[2].MessageID != "m56" || phone[0].To != "+1 (555) 123-4567" {
			t.Fatalf("phone: %d messages, first %+v", len(phone), phone[0])
		}
		for i := 1; i < len(phone); i++ {
			if phone[i].SentAt.After(phone[i-1].SentAt) {
				t.Fatalf("not newest first at %d", i)
			}
		}
		email, err := store.OutboxMessages(ctx, "alex.morgan@example.com", 5)
		if err != nil || len(email) != 5 || email[0].MessageID != "m57" || email[0].Passcode != "000057" || email[0].Subject != "Your passcode" {
			t.Fatalf("email: %v %+v", err, email)
		}
		if all, _ := store.OutboxMessages(ctx, "", 1000); len(all) != db.MaxOutboxMessages || all[0].MessageID != "m59" {
			t.Errorf("all: %d messages", len(all))
		}
		if none, _ := store.OutboxMessages(ctx, "nobody@example.com", 0); len(none) != 0 {
			t.Errorf("unknown destination: %d messages", len(none))
		}

		got, err := store.Purge(ctx, start.Add(db.OutboxRetention).Add(30*time.Second))
		if err != nil || got.OutboxMessages != 30 {
			t.Fatalf("purged %+v, %v; want 30 outbox messages", got, err)
		}
		if left, _ := store.OutboxMessages(ctx, "", 0); len(left) != 30 || left[len(left)-1].MessageID != "m30" {
			t.Errorf("left %d", len(left))
		}
	})
}

func TestNormalizeDestination(t *testing.T) {
	for in, want := range map[string]string{
		"+1 (555) 123-4567": "5551234567", "15551234567": "5551234567", "5551234567": "5551234567",
		" Alex@Example.COM ": "alex@example.com", "+44 20 7946 0958": "442079460958", "n/a": "n/a",
	} {
		if got := db.NormalizeDestination(in); got != want {
			t.Errorf("NormalizeDestination(%q) = %q, want %q", in, got, want)
		}
	}
}
