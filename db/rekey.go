package db

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
)

// Rekeyed counts the rows Rekey rewrote, and the client apps it could not move.
type Rekeyed struct {
	Customers, Accounts, IdempotencyRecords int
	// StaleClientSecrets counts apps whose secret digest is under an earlier key or format.
	// Secrets are not recoverable from their digests, so each moves to the primary key at its
	// app's next successful token request (or when its secret is provisioned again).
	StaleClientSecrets int
}

// rekeyBatch bounds one transaction of Rekey.
const rekeyBatch = 200

// Rekey moves every encrypted value to the key ring's primary key and recomputes the blind
// indexes under it: run it after making a new key primary (the old one still in the ring, see
// --pii-old-keys), then retire the old key. Values already under the primary are left alone, so
// Rekey can be interrupted and run again.
func (s *Store) Rekey(ctx context.Context) (Rekeyed, error) {
	var out Rekeyed
	prefix := "v1." + s.Keys.PrimaryID() + "."
	stale := func(v string) bool { return v != "" && !strings.HasPrefix(v, prefix) }

	// reseal re-encrypts one value under the primary, keeping its AAD, and returns the plaintext.
	reseal := func(enc *string, aad string) (string, error) {
		if *enc == "" {
			return "", nil
		}
		plain, err := s.Keys.DecryptString(*enc, aad)
		if err != nil {
			return "", err
		}
		if *enc, err = s.Keys.EncryptString(plain, aad); err != nil {
			return "", err
		}
		return plain, nil
	}

	var customers []models.Customer
	err := s.DB.WithContext(ctx).Where("ssn_enc NOT LIKE ? OR birth_date_enc NOT LIKE ? OR mother_maiden_name_enc NOT LIKE ? OR host_pin_enc NOT LIKE ?",
		prefix+"%", prefix+"%", prefix+"%", prefix+"%").
		FindInBatches(&customers, rekeyBatch, func(tx *gorm.DB, _ int) error {
			for i := range customers {
				c := &customers[i]
				if !stale(c.SSNEnc) && !stale(c.BirthDateEnc) && !stale(c.MotherMaidenNameEnc) && !stale(c.HostPINEnc) {
					continue
				}
				ssn, err := reseal(&c.SSNEnc, AAD(c.InstitutionID, c.ID, "ssn"))
				if err != nil {
					return err
				}
				if ssn != "" {
					c.SSNIndex = s.Keys.BlindIndex("ssn:"+c.InstitutionID, ssn)
				}
				for field, enc := range map[string]*string{"birth_date": &c.BirthDateEnc, "mother_maiden_name": &c.MotherMaidenNameEnc, "host_pin": &c.HostPINEnc} {
					if _, err := reseal(enc, AAD(c.InstitutionID, c.ID, field)); err != nil {
						return err
					}
				}
				if err := tx.Model(c).Select("ssn_enc", "ssn_index", "birth_date_enc", "mother_maiden_name_enc", "host_pin_enc").Updates(c).Error; err != nil {
					return err
				}
				out.Customers++
			}
			return nil
		}).Error
	if err != nil {
		return out, Translate("rekey customers", err)
	}

	var accounts []models.Account
	err = s.DB.WithContext(ctx).Where("number_enc NOT LIKE ?", prefix+"%").
		FindInBatches(&accounts, rekeyBatch, func(tx *gorm.DB, _ int) error {
			for i := range accounts {
				a := &accounts[i]
				number, err := reseal(&a.NumberEnc, AAD(a.InstitutionID, a.PublicID, "account_number"))
				if err != nil {
					return err
				}
				a.NumberIndex = s.Keys.BlindIndex("account:"+a.InstitutionID, number)
				if err := tx.Model(a).Select("number_enc", "number_index").Updates(a).Error; err != nil {
					return err
				}
				out.Accounts++
			}
			return nil
		}).Error
	if err != nil {
		return out, Translate("rekey accounts", err)
	}

	// Idempotency records have a composite key: take batches until none is left under an old key.
	for {
		var records []models.IdempotencyRecord
		err := s.DB.WithContext(ctx).Where("response_enc <> '' AND response_enc NOT LIKE ?", prefix+"%").
			Limit(rekeyBatch).Find(&records).Error
		if err != nil {
			return out, Translate("rekey idempotency records", err)
		}
		if len(records) == 0 {
			break
		}
		progressed := 0
		for i := range records {
			r := &records[i]
			if !stale(r.ResponseEnc) { // LIKE ignores case on SQLite; the prefix check does not
				continue
			}
			if _, err := reseal(&r.ResponseEnc, IdempotencyAAD(r.ClientAppID, r.TraceID)); err != nil {
				return out, Translate("rekey idempotency records", err)
			}
			err := s.DB.WithContext(ctx).Model(&models.IdempotencyRecord{}).Where("client_app_id = ? AND trace_id = ?", r.ClientAppID, r.TraceID).
				Update("response_enc", r.ResponseEnc).Error
			if err != nil {
				return out, Translate("rekey idempotency records", err)
			}
			out.IdempotencyRecords++
			progressed++
		}
		if progressed == 0 {
			break
		}
	}

	var n int64
	err = s.DB.WithContext(ctx).Model(&models.ClientApp{}).Where("secret_hash NOT LIKE ?", "hmac-sha256$"+s.Keys.PrimaryID()+"$%").Count(&n).Error
	if err != nil {
		return out, Translate("count client secrets under old keys", err)
	}
	out.StaleClientSecrets = int(n)
	return out, nil
}
