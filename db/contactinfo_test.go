package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// contactSnapshot is everything a contact-info update may change, as stored.
type contactSnapshot struct {
	email        string
	view         *db.CustomerView
	auditEvents  int64
	destinations map[string]models.Destination // by protocol
}

func snapshotContacts(t *testing.T, store *db.Store, id string) contactSnapshot {
	t.Helper()
	ctx := context.Background()
	c, err := store.CustomerByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	v, err := store.CustomerViewOf(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	s := contactSnapshot{email: c.Email, view: v, destinations: map[string]models.Destination{}}
	for _, d := range v.Destinations {
		s.destinations[d.Protocol] = d
	}
	store.Conn().Model(&models.AuditEvent{}).Where("event = ? AND customer_id = ?", db.AuditUpdateContactInfo, id).Count(&s.auditEvents)
	return s
}

func TestUpdateContactInfo(t *testing.T) {
	ctx := context.Background()
	const sam = "8fe733f4e27246908f92e8f7c0b96847"
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		c, err := store.CustomerByID(ctx, sam)
		if err != nil {
			t.Fatal(err)
		}
		actor := db.Actor{ClientAppID: 1, OfferingID: "test", TraceID: "3f2b8c1e-7d4a-4e9b-a6c5-1d0e9f8a7b6c"}
		now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
		before := snapshotContacts(t, store, sam)
		if len(before.view.Destinations) != 3 || !before.destinations["SMS"].Validated {
			t.Fatalf("sandbox contact methods: %+v", before.view.Destinations)
		}

		// A phone that is not the user's, or a new number that already is: nothing changes,
		// not even the email of the same request.
		newEmail := "sam.changed@example.com"
		for _, tc := range []struct {
			change db.PhoneChange
			want   error
		}{
			{db.PhoneChange{Old: "2125550100", New: "4155550199", NewCountryCode: "1"}, models.ErrPhoneNotFound},
		} {
			err := store.UpdateContactInfo(ctx, c, db.ContactChange{Phone: &tc.change, Email: &newEmail}, actor, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%+v: %v, want %v", tc.change, err, tc.want)
			}
			if after := snapshotContacts(t, store, sam); after.email != before.email || after.auditEvents != 0 ||
				len(after.view.Destinations) != 3 || after.view.Phones[0].Number != "4155550142" {
				t.Errorf("a refused update changed something: %+v", after)
			}
		}

		// Phone, email and address at once.
		err = store.UpdateContactInfo(ctx, c, db.ContactChange{
			Phone:   &db.PhoneChange{Old: "4155550142", New: "4155550199", NewCountryCode: "1"},
			Email:   &newEmail,
			Address: &db.AddressChange{Address1: "200 Mission Street", City: "San Francisco", State: "CA", PostalCode: "94105", Country: "US"},
		}, actor, now)
		if err != nil {
			t.Fatal(err)
		}
		after := snapshotContacts(t, store, sam)
		if after.email != newEmail || after.auditEvents != 1 {
			t.Errorf("email %q, audit events %d", after.email, after.auditEvents)
		}
		if ph := after.view.Phones; len(ph) != 1 || ph[0].Number != "4155550199" {
			t.Errorf("phones %+v", ph)
		}
		if ad := after.view.Addresses; len(ad) != 1 || ad[0].Address1 != "200 Mission Street" || ad[0].Address2 != "" || ad[0].Position != 0 {
			t.Errorf("addresses %+v", ad)
		}
		if len(after.view.Destinations) != 3 {
			t.Fatalf("contact methods %+v", after.view.Destinations)
		}
		for _, p := range []string{"VOICE", "SMS", "EMAIL"} {
			old, cur := before.destinations[p], after.destinations[p]
			if cur.ID == old.ID || cur.Position != old.Position || cur.Validated || !cur.Activated || !cur.CreatedAt.Equal(now) {
				t.Errorf("%s: was %+v, now %+v (want a new, unvalidated one in its place)", p, old, cur)
			}
		}
		if after.destinations["SMS"].ContactInfo != "4155550199" || after.destinations["SMS"].CountryCode != "1" ||
			after.destinations["EMAIL"].ContactInfo != newEmail {
			t.Errorf("contact methods %+v", after.view.Destinations)
		}
		var ev models.AuditEvent
		store.Conn().Where("event = ?", db.AuditUpdateContactInfo).Take(&ev)
		if ev.CustomerID == nil || *ev.CustomerID != sam || ev.TraceID != actor.TraceID || ev.Outcome != models.OutcomeSuccess {
			t.Errorf("audit event %+v", ev)
		}

		// The same email again keeps its contact method; a new number already on file is refused.
		if err := store.UpdateContactInfo(ctx, c, db.ContactChange{Email: &newEmail}, actor, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if again := snapshotContacts(t, store, sam); again.destinations["EMAIL"].ID != after.destinations["EMAIL"].ID {
			t.Error("the unchanged email got a new contact method")
		}
		store.Conn().Create(&models.CustomerPhone{CustomerID: sam, Position: 1, Number: "4155550111", CountryCode: "1"})
		err = store.UpdateContactInfo(ctx, c, db.ContactChange{Phone: &db.PhoneChange{Old: "4155550199", New: "4155550111"}}, actor, now)
		if !errors.Is(err, models.ErrPhoneOnFile) {
			t.Errorf("new number already on file: %v", err)
		}

		// A user without an address gets one; another FI's customer row is not touched.
		robin := models.Customer{ID: "b0000000000000000000000000000001", InstitutionID: "02222", LoginIDNorm: "robin", LoginID: "robin",
			AuthID: "b0000000000000000000000000000001", InstitutionUserID: "B0000000000000000000000000000001", UserType: "PRIMARY",
			PasswordHash: "x", HostLoginID: "h", FirstName: "R", LastName: "L"}
		var jordan models.Member
		store.Conn().Where("member_number = ?", "700800900").Take(&jordan)
		robin.MemberID = jordan.ID
		if err := store.Conn().Omit("Member").Create(&robin).Error; err != nil {
			t.Fatal(err)
		}
		err = store.UpdateContactInfo(ctx, &robin, db.ContactChange{Address: &db.AddressChange{Address1: "1 Main St", City: "Springfield",
			State: "IL", PostalCode: "62701", Country: "US"}}, actor, now)
		if err != nil {
			t.Fatal(err)
		}
		if v := snapshotContacts(t, store, robin.ID).view; len(v.Addresses) != 1 || v.Addresses[0].City != "Springfield" {
			t.Errorf("added address: %+v", v.Addresses)
		}
		wrongFI := *c
		wrongFI.InstitutionID = "02222"
		if err := store.UpdateContactInfo(ctx, &wrongFI, db.ContactChange{Email: &newEmail}, actor, now); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("customer under another FI: %v", err)
		}
	})
}
