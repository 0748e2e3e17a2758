package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// TestOneCustomerPerSSNAndFI: the blind index of the SSN is unique per FI in the schema itself
// (D32), so no interleaving of concurrent registrations can store the same person twice; other
// FIs and customers without an SSN are not constrained.
func TestOneCustomerPerSSNAndFI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		var m1, m2 models.Member
		if err := store.Conn().Where("member_number = ?", "468531842").Take(&m1).Error; err != nil {
			t.Fatal(err)
		}
		if err := store.Conn().Where("member_number = ?", "555000111").Take(&m2).Error; err != nil {
			t.Fatal(err)
		}
		customer := func(id, login string, m models.Member, ssnIndex string) *models.Customer {
			return &models.Customer{ID: id, InstitutionID: m.InstitutionID, LoginIDNorm: login, LoginID: login, MemberID: m.ID,
				AuthID: id, InstitutionUserID: id, UserType: "PRIMARY", PasswordHash: "x", HostLoginID: "h", FirstName: "A", LastName: "B",
				SSNIndex: ssnIndex}
		}
		if err := store.Conn().Omit("Member").Create(customer("a0000000000000000000000000000001", "ssn_one", m1, "idx-same")).Error; err != nil {
			t.Fatal(err)
		}
		err := store.Conn().Omit("Member").Create(customer("a0000000000000000000000000000002", "ssn_two", m2, "idx-same")).Error
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Fatalf("second customer with the same SSN index at the FI: %v", err)
		}
		// Without an SSN, customers are not constrained by it.
		m3 := models.Member{InstitutionID: m1.InstitutionID, MemberNumber: "SCHEMA3", Name: "C"}
		if err := store.Conn().Omit("Institution").Create(&m3).Error; err != nil {
			t.Fatal(err)
		}
		if err := store.Conn().Omit("Member").Create(customer("a0000000000000000000000000000003", "nossn_one", m2, "")).Error; err != nil {
			t.Fatal(err)
		}
		if err := store.Conn().Omit("Member").Create(customer("a0000000000000000000000000000004", "nossn_two", m3, "")).Error; err != nil {
			t.Fatalf("a second customer without an SSN: %v", err)
		}
	})
}

// TestMigrationAddsPasswordRecovery: a database from before password recovery (customers
// without failed_password_reset_count, no password_resets table) is upgraded at start-up; its
// customers start with a count of zero.
func TestMigrationAddsPasswordRecovery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		m := store.Conn().Migrator()
		if err := m.DropTable(&models.PasswordReset{}); err != nil {
			t.Fatal(err)
		}
		if err := m.DropColumn(&models.Customer{}, "FailedPasswordResetCount"); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(context.Background(), store.Conn()); err != nil {
			t.Fatalf("migrate an older schema: %v", err)
		}
		if !m.HasTable(&models.PasswordReset{}) || !m.HasColumn(&models.Customer{}, "FailedPasswordResetCount") {
			t.Fatal("password recovery's table or column is missing after migration")
		}
		var c models.Customer
		if err := store.Conn().Where("login_id_norm = ?", "sandboxuser1").Take(&c).Error; err != nil {
			t.Fatal(err)
		}
		if c.FailedPasswordResetCount != 0 {
			t.Errorf("an existing customer's count is %d", c.FailedPasswordResetCount)
		}
	})
}

// TestMigrationAddsAppLimits: a database from before per-app limits gets the columns, empty (the
// server's defaults) for its existing apps.
func TestMigrationAddsAppLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		m := store.Conn().Migrator()
		for _, col := range []string{"Quota", "SpikeArrest"} {
			if err := m.DropColumn(&models.ClientApp{}, col); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(context.Background(), store.Conn()); err != nil {
			t.Fatalf("migrate an older schema: %v", err)
		}
		// Read through a fresh instance: this one's connections prepared the apps query against
		// the old columns (PostgreSQL: "cached plan must not change result type"), which a
		// server starting on an older schema never does, since it migrates before any query.
		app, err := dbtest.SecondInstance(t, store).ClientApp(context.Background(), "sandbox-app")
		if err != nil {
			t.Fatal(err)
		}
		if app.Quota != "" || app.SpikeArrest != "" {
			t.Errorf("an existing app's limits are %q %q, want empty", app.Quota, app.SpikeArrest)
		}
	})
}

// TestProcessesStartingAtOnceMigrateOneFile: found by TestInstancesShareOneDatabase, several
// processes opening a fresh SQLite file at once raced GORM's schema checks and all but one
// failed with "table already exists". Opened together here, from pools of their own, every one
// migrates; on PostgreSQL an advisory lock has always serialised them.
func TestProcessesStartingAtOnceMigrateOneFile(t *testing.T) {
	for _, target := range dbtest.Targets() {
		t.Run(target.Name, func(t *testing.T) {
			dsn := target.DSN(t)
			errs := make([]error, 6)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					conn, err := db.Open(context.Background(), dsn, nil)
					if err == nil {
						err = db.Close(conn)
					}
					errs[i] = err
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("opening %d: %v", i, err)
				}
			}
		})
	}
}
