package db_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// TestSQLiteWritersQueue: writers of one SQLite file in one process wait their turn for the
// write lock and all succeed, two pools on the file included; a writer that cannot have the
// lock within the busy timeout fails as unavailable at that timeout, not when the holder ends.
func TestSQLiteWritersQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	one := dbtest.OpenWith(t, path, db.Settings{Timeout: 400 * time.Millisecond})
	two := dbtest.OpenWith(t, path, db.Settings{Timeout: 400 * time.Millisecond})
	if err := one.Conn().Exec("CREATE TABLE w (n INTEGER NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	const writers = 48
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			store := []*db.Store{one, two}[i%2]
			errs[i] = store.Conn().Transaction(func(tx *gorm.DB) error {
				var n int64
				if err := tx.Raw("SELECT count(*) FROM w").Scan(&n).Error; err != nil {
					return err
				}
				time.Sleep(2 * time.Millisecond) // a transaction that takes its time
				return tx.Exec("INSERT INTO w (n) VALUES (?)", n+1).Error
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	var distinct int64
	if err := one.Conn().Raw("SELECT count(DISTINCT n) FROM w").Scan(&distinct).Error; err != nil || distinct != writers {
		t.Errorf("%d distinct counts seen by %d serialised writers (%v)", distinct, writers, err)
	}

	held := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- one.Conn().Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("INSERT INTO w (n) VALUES (0)").Error; err != nil {
				return err
			}
			close(held)
			time.Sleep(1500 * time.Millisecond)
			return nil
		})
	}()
	<-held
	start := time.Now()
	err := two.Conn().Transaction(func(tx *gorm.DB) error { return tx.Exec("INSERT INTO w (n) VALUES (-1)").Error })
	waited := time.Since(start)
	if !errors.Is(db.Translate("write", err), models.ErrUnavailable) || waited < 350*time.Millisecond || waited > 1200*time.Millisecond {
		t.Errorf("a writer behind a 1.5 s transaction: %v after %v; want unavailable after the 400 ms busy timeout", err, waited)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := two.Conn().WithContext(ctx).Exec("INSERT INTO w (n) VALUES (-2)").Error; err != nil {
		t.Errorf("after the holder ended: %v", err)
	}
}
