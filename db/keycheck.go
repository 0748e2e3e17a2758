package db

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// ErrWrongKey is returned by CheckKeys when a key of the ring does not open the data stored
// under its id.
var ErrWrongKey = errors.New("wrong PII key")

// WrongKeyError names the key id whose key does not match the database.
type WrongKeyError struct{ KeyID string }

func (e *WrongKeyError) Error() string {
	return fmt.Sprintf("the PII key with id %s is not the one this database was written with", e.KeyID)
}

// Unwrap makes errors.Is(err, ErrWrongKey) hold.
func (e *WrongKeyError) Unwrap() error { return ErrWrongKey }

// keyCheckValue is the check value of key id under the ring: a digest that only the same key
// under the same id reproduces.
func keyCheckValue(keys *secure.Keyring, id string) (string, error) {
	return keys.BlindIndexWith(id, "key-check", "custreg")
}

// CheckKeys refuses a key ring that cannot open this database: for every key id of the ring the
// database has a check value for, the value must match. The primary key's check value is stored
// at its first use. A database written before check values existed is probed instead by opening
// one stored account number and SSN under the primary id. Run it before anything writes.
func (s *Store) CheckKeys(ctx context.Context) error {
	conn := s.db.WithContext(ctx)
	for _, id := range s.keys.KeyIDs() {
		want, err := keyCheckValue(s.keys, id)
		if err != nil {
			return err
		}
		var kc models.KeyCheck
		err = conn.Where("key_id = ?", id).Take(&kc).Error
		switch {
		case err == nil:
			if kc.Check != want {
				return &WrongKeyError{KeyID: id}
			}
			continue
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return Translate("read key check", err)
		}
		if id != s.keys.PrimaryID() {
			continue // an old key the database never recorded: nothing to compare
		}
		if err := s.probeKey(ctx, id); err != nil {
			return err
		}
		err = conn.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.KeyCheck{KeyID: id, Check: want}).Error
		if err != nil {
			return Translate("store key check", err)
		}
	}
	return nil
}

// probeKey opens one stored account number and one SSN sealed under key id, if there are any.
func (s *Store) probeKey(ctx context.Context, id string) error {
	prefix := "v1." + id + ".%"
	var a models.Account
	err := s.db.WithContext(ctx).Where("number_enc LIKE ?", prefix).Limit(1).Find(&a).Error
	if err != nil {
		return Translate("probe key", err)
	}
	if a.NumberEnc != "" {
		if _, err := s.keys.DecryptString(a.NumberEnc, AAD(a.InstitutionID, a.PublicID, accountNumberField.field)); err != nil {
			return &WrongKeyError{KeyID: id}
		}
	}
	var c models.Customer
	if err := s.db.WithContext(ctx).Where("ssn_enc LIKE ?", prefix).Limit(1).Find(&c).Error; err != nil {
		return Translate("probe key", err)
	}
	if c.SSNEnc != "" {
		if _, err := s.keys.DecryptString(c.SSNEnc, AAD(c.InstitutionID, c.ID, ssnField.field)); err != nil {
			return &WrongKeyError{KeyID: id}
		}
	}
	return nil
}
