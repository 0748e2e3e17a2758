package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/models"
)

// acked is a registration the service answered 200.
type acked struct {
	tid   string
	reg   registration
	reply []byte
	guid  string
}

// TestKillDuringRegistrationLoad: the service is killed (SIGKILL) in the middle of a load of
// registrations and started again on the same database. Every registration it acknowledged is
// there whole (profile, address, phone, contact methods, disclosure evidence, its replayable
// answer), no partial rows exist, and the requests cut off can be sent again. On SQLite and,
// when configured, PostgreSQL.
func TestKillDuringRegistrationLoad(t *testing.T) {
	for _, target := range processDatabases() {
		t.Run(target.Name, func(t *testing.T) {
			database := target.DSN(t)
			in := startInstance(t, "custreg", database)
			token := in.v1Token()

			var (
				mu      sync.Mutex
				acks    []acked
				cut     []acked // sent, but the kill came before (or instead of) an answer
				stop    = make(chan struct{})
				wg      sync.WaitGroup
				enough  = make(chan struct{})
				closing sync.Once
			)
			for w := 0; w < 6; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						reg, tid := newRegistration("kill", "", "", ""), uuid.NewString()
						r, err := in.register(token, tid, reg)
						mu.Lock()
						switch {
						case err != nil || r.status >= 500:
							cut = append(cut, acked{tid: tid, reg: reg})
						case r.status == http.StatusOK:
							var out struct {
								FICustomer struct{ ID struct{ Value string } }
							}
							_ = json.Unmarshal(r.body, &out)
							acks = append(acks, acked{tid: tid, reg: reg, reply: r.body, guid: out.FICustomer.ID.Value})
							if len(acks) >= 12 {
								closing.Do(func() { close(enough) })
							}
						default:
							t.Errorf("registration answered %d %s", r.status, r.body)
						}
						mu.Unlock()
						if err != nil {
							return // the process is gone
						}
					}
				}()
			}
			select {
			case <-enough:
			case <-time.After(60 * time.Second):
				t.Fatal("the load made no progress")
			}
			in.kill() // mid-load: requests are in every stage of a registration
			close(stop)
			wg.Wait()
			t.Logf("%d registrations acknowledged, %d cut off by the kill", len(acks), len(cut))

			in.start() // the same database, the same flags
			token = in.v1Token()
			for _, a := range acks {
				r := in.must(http.MethodGet, "/bankingservices/v2/fis/"+fiCreditUnion+"/fiCustomers/"+a.guid, map[string]string{
					"Authorization": "Bearer " + token, "di_tid": uuid.NewString(), "Accept": "application/json"}, "")
				var c struct {
					MemberNumber string `json:"memberNumber"`
					Person       struct {
						ContactInfo struct {
							PostalAddress []any `json:"postalAddress"`
							PhoneNumber   []any `json:"phoneNumber"`
						} `json:"contactInfo"`
					} `json:"person"`
					Destinations struct {
						Destination []any `json:"destination"`
					} `json:"destinations"`
				}
				_ = json.Unmarshal(r.body, &c)
				if r.status != http.StatusOK || c.MemberNumber != a.reg.member || len(c.Person.ContactInfo.PostalAddress) != 1 ||
					len(c.Person.ContactInfo.PhoneNumber) != 1 || len(c.Destinations.Destination) != 3 {
					t.Errorf("acknowledged registration %s after the restart: %d %s", a.guid, r.status, r.body)
				}
				// Its answer replays byte for byte: the idempotency record committed with it.
				if again, err := in.register(token, a.tid, a.reg); err != nil || again.status != http.StatusOK || !bytes.Equal(again.body, a.reply) {
					t.Errorf("replay of acknowledged %s: %v %v", a.tid, again, err)
				}
			}
			// A request cut off either committed whole (its retry replays 200), or left at most
			// the claims of a crashed instance, which block a retry for two minutes (26330), or
			// nothing (the retry registers it).
			retries := map[string]int{}
			for _, c := range cut {
				r, err := in.register(token, c.tid, c.reg)
				if err != nil || (r.status != http.StatusOK && errorCode(r.body) != "26330") {
					t.Errorf("retry of a cut-off registration: %v %v", r, err)
					continue
				}
				retries[strconv.Itoa(r.status)+" "+errorCode(r.body)]++
			}
			t.Logf("retries of the cut-off registrations: %v", retries)
			in.stop()
			checkNoPartialRows(t, database, acks)
		})
	}
}

// checkNoPartialRows opens the database itself and looks for what a registration cut in half
// would leave: a customer without its member, address, phone, contact methods, success audit
// or completed idempotency record; rows of a customer that does not exist; a completed
// idempotency record of the load without its customer.
func checkNoPartialRows(t *testing.T, database string, acks []acked) {
	t.Helper()
	conn, err := db.Open(context.Background(), database, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close(conn) }()
	var customers []models.Customer
	if err := conn.Where("login_id_norm LIKE ?", "kill%").Find(&customers).Error; err != nil {
		t.Fatal(err)
	}
	if len(customers) < len(acks) {
		t.Errorf("%d customers of the load stored, %d acknowledged", len(customers), len(acks))
	}
	count := func(model any, where string, args ...any) int64 {
		var n int64
		if err := conn.Model(model).Where(where, args...).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range customers {
		var audit models.AuditEvent
		err := conn.Where("customer_id = ? AND event = ? AND outcome = ?", c.ID, "RegistrationUser", models.OutcomeSuccess).Take(&audit).Error
		switch {
		case count(&models.Member{}, "id = ?", c.MemberID) != 1,
			count(&models.CustomerAddress{}, "customer_id = ?", c.ID) != 1,
			count(&models.CustomerPhone{}, "customer_id = ?", c.ID) != 1,
			count(&models.Destination{}, "customer_id = ?", c.ID) != 3,
			count(&models.UserDisclosure{}, "customer_id = ?", c.ID) == 0,
			count(&models.DisclosureEvidence{}, "customer_id = ?", c.ID) == 0,
			err != nil,
			err == nil && count(&models.IdempotencyRecord{}, "trace_id = ? AND status = ?", audit.TraceID, 200) != 1:
			t.Errorf("customer %s is stored in part (audit: %v)", c.ID, err)
		}
	}
	for _, orphan := range []struct {
		name  string
		model any
	}{{"addresses", &models.CustomerAddress{}}, {"phones", &models.CustomerPhone{}}, {"contact methods", &models.Destination{}},
		{"disclosure states", &models.UserDisclosure{}}, {"disclosure evidence", &models.DisclosureEvidence{}}} {
		if n := count(orphan.model, "customer_id NOT IN (?)", conn.Model(&models.Customer{}).Select("id")); n != 0 {
			t.Errorf("%d %s of no customer", n, orphan.name)
		}
	}
	t.Logf("left by the kill: %d idempotency claims and %d in-flight markers (taken over after two minutes, then purged)",
		count(&models.IdempotencyRecord{}, "status = ?", 0), count(&models.InFlight{}, "1 = 1"))
	var completed []models.IdempotencyRecord
	if err := conn.Where("status = ?", 200).Find(&completed).Error; err != nil {
		t.Fatal(err)
	}
	for _, rec := range completed {
		err := conn.Where("trace_id = ? AND outcome = ? AND customer_id IS NOT NULL", rec.TraceID, models.OutcomeSuccess).Take(&models.AuditEvent{}).Error
		if err == gorm.ErrRecordNotFound {
			t.Errorf("completed idempotency record %s without its registration", rec.TraceID)
		}
	}
}
