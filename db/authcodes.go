package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
)

// AuthCodeRetention keeps used and expired authorization codes an hour, so a late second
// exchange is still recognised as a reuse (and revokes what the first one got).
const AuthCodeRetention = time.Hour

// errCodeReused marks a second exchange of a used code inside RedeemAuthCode.
var errCodeReused = errors.New("authorization code already used")

// CustomerByInstitutionUserID returns the registered customer of the FI with the given
// institution user id (32 hex characters, matched without regard to case), with its member.
// A customer of another FI is models.ErrNotFound like an unknown one.
func (s *Store) CustomerByInstitutionUserID(ctx context.Context, fiID, institutionUserID string) (*models.Customer, error) {
	var c models.Customer
	err := s.db.WithContext(ctx).Preload("Member").
		Where("institution_id = ? AND institution_user_id = ?", fiID, strings.ToUpper(institutionUserID)).Take(&c).Error
	if err != nil {
		return nil, Translate("find customer by institution user id", err)
	}
	return &c, nil
}

// SaveAuthCode stores a newly issued authorization code (its hash only).
func (s *Store) SaveAuthCode(ctx context.Context, code *models.AuthCode) error {
	return Translate("save authorization code", s.db.WithContext(ctx).Create(code).Error)
}

// RedeemAuthCode exchanges the partner app's authorization code, once: in one transaction the
// code is marked used, mint turns it into tokens, and the tokens are stored. A code that is
// unknown, expired or another app's is models.ErrNotFound, and stays redeemable by its own app.
// A code used before is models.ErrConflict, and the tokens its first exchange got are revoked.
// An error from mint leaves the code unused.
func (s *Store) RedeemAuthCode(ctx context.Context, hash string, clientAppID uint, now time.Time, mint func(*models.AuthCode) ([]*models.Token, error)) error {
	var reused models.AuthCode
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The conditional update decides a race between two exchanges: one row, one winner.
		res := tx.Model(&models.AuthCode{}).Where("hash = ? AND client_app_id = ? AND used_at IS NULL AND expires_at > ?", hash, clientAppID, now).
			Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		var code models.AuthCode
		if err := tx.Where("hash = ? AND client_app_id = ?", hash, clientAppID).Take(&code).Error; err != nil {
			return err
		}
		if res.RowsAffected == 0 {
			if code.UsedAt != nil {
				reused = code
				return errCodeReused
			}
			return gorm.ErrRecordNotFound // expired
		}
		tokens, err := mint(&code)
		if err != nil {
			return err
		}
		hashes := make([]string, len(tokens))
		for i, t := range tokens {
			if err := tx.Create(t).Error; err != nil {
				return err
			}
			hashes[i] = t.Hash
		}
		return tx.Model(&models.AuthCode{}).Where("hash = ?", hash).Update("token_hashes", strings.Join(hashes, " ")).Error
	})
	if errors.Is(err, errCodeReused) {
		if hashes := strings.Fields(reused.TokenHashes); len(hashes) > 0 {
			rerr := s.db.WithContext(ctx).Model(&models.Token{}).Where("revoked_at IS NULL").
				Where("hash IN ? OR parent_hash IN ?", hashes, hashes).Update("revoked_at", now).Error
			if rerr != nil {
				return Translate("revoke tokens of a reused authorization code", rerr)
			}
		}
		return fmt.Errorf("redeem authorization code: %w", models.ErrConflict)
	}
	return Translate("redeem authorization code", err)
}

// PurgeAuthCodes deletes authorization codes expired for longer than AuthCodeRetention.
func (s *Store) PurgeAuthCodes(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ?", now.Add(-AuthCodeRetention)).Delete(&models.AuthCode{})
	return res.RowsAffected, Translate("purge authorization codes", res.Error)
}
