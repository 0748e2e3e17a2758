package handlers_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// TestDuplicateSSNRaceAcrossInstances reproduces finding 4 of the security review: 20 concurrent
// registrations of one SSN under different members and logins gave 2–5 successes on PostgreSQL.
// Two instances, each with its own connection pool, share the database; exactly one request
// may win, the others are told 26331 (or 26330 while the winner is in flight).
func TestDuplicateSSNRaceAcrossInstances(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			store := b.Open(t)
			one := newAPIOn(t, store)
			two := newAPIOn(t, dbtest.SecondInstance(t, store))
			tokens := []string{one.v1Token(t, fiCreditUnion), two.v1Token(t, fiCreditUnion)}
			for round := 0; round < 3; round++ {
				ssn := fmt.Sprintf("5%02d67%04d", 10+round, 4321+round)
				var wg sync.WaitGroup
				var mu sync.Mutex
				statuses := map[string]int{}
				start := make(chan struct{})
				for i := 0; i < 20; i++ {
					body := newRegistration(t, fiCreditUnion, withSSN(ssn), withLogin(fmt.Sprintf("ssn_race_%d_%02d", round, i))).json(t)
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						status, code := []*api{one, two}[i%2].registerConcurrently(t, tokens[i%2], body)
						mu.Lock()
						defer mu.Unlock()
						statuses[fmt.Sprintf("%d %s", status, code)]++
						if status != 200 && code != "26331" && code != "26330" {
							t.Errorf("unexpected answer %d %s", status, code)
						}
					}()
				}
				close(start)
				wg.Wait()
				if statuses["200 "] != 1 {
					t.Errorf("round %d: %d successes for one SSN (%v)", round, statuses["200 "], statuses)
				}
				var n int64
				one.store.Conn().Model(&models.Customer{}).Where("login_id_norm LIKE ?", fmt.Sprintf("ssn_race_%d_%%", round)).Count(&n)
				if n != 1 {
					t.Errorf("round %d: %d customers stored for one SSN", round, n)
				}
			}
		})
	}
}

// TestReplyIsStoredWithTheRegistration reproduces finding 5: the idempotency record was completed
// after the registration's transaction, so a failure in between left a committed user whose
// di_tid retry answered 409 26330 instead of the original 200. Writing the reply fails here
// (injected into the database layer); whatever the first request answered, the database and
// a retry with the same di_tid must agree: either the user exists and the retry replays its 200,
// or nothing was stored and the retry registers it.
func TestReplyIsStoredWithTheRegistration(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := newAPIOn(t, b.Open(t))
			tok := a.v1Token(t, fiCreditUnion)
			var broken sync.Mutex
			fail := true
			injected := errors.New("injected: idempotency reply lost")
			err := a.store.Conn().Callback().Update().Before("gorm:update").Register("test:lose_reply", func(tx *gorm.DB) {
				broken.Lock()
				defer broken.Unlock()
				if fail && tx.Statement.Table == "idempotency_records" {
					_ = tx.AddError(injected)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			tid := newTID()
			body := newRegistration(t, fiCreditUnion, withLogin("atomic_reply")).json(t)
			first := a.registerJSON(t, tok, fiCreditUnion, tid, body)
			broken.Lock()
			fail = false
			broken.Unlock()

			var n int64
			a.store.Conn().Model(&models.Customer{}).Where("login_id_norm = ?", "atomic_reply").Count(&n)
			retry := a.registerJSON(t, tok, fiCreditUnion, tid, body)
			switch {
			case n == 1 && (retry.status != 200 || (first.status == 200 && !bytes.Equal(first.body, retry.body))):
				t.Fatalf("user committed (first answer %d) but the retry answered %d %s", first.status, retry.status, retry.body)
			case n == 0 && retry.status != 200:
				t.Fatalf("nothing stored (first answer %d) but the retry answered %d %s", first.status, retry.status, retry.body)
			case n > 1:
				t.Fatalf("%d users", n)
			}
			if first.status == 200 {
				t.Fatalf("the first request answered 200 although its reply could not be stored")
			}
			// And the answer to the failure was the family's, without internals.
			if first.status < 500 || strings.Contains(string(first.body), "injected") {
				t.Errorf("first answer %d %s", first.status, first.body)
			}
			a.store.Conn().Model(&models.Customer{}).Where("login_id_norm = ?", "atomic_reply").Count(&n)
			if n != 1 {
				t.Errorf("%d users after the retry", n)
			}
		})
	}
}
