package db

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
)

// ClientApp returns the app with the given client id and the FIs it may act for.
func (s *Store) ClientApp(ctx context.Context, clientID string) (*models.ClientApp, error) {
	var app models.ClientApp
	err := s.DB.WithContext(ctx).Preload("Institutions").Where("client_id = ?", clientID).Take(&app).Error
	if err != nil {
		return nil, Translate("get client app", err)
	}
	return &app, nil
}

// ReplaceClientSecretHash swaps an app's stored secret hash for a new one (an upgrade to the
// current key or format) unless it changed meanwhile, e.g. by a concurrent upgrade or rotation.
func (s *Store) ReplaceClientSecretHash(ctx context.Context, appID uint, old, replacement string) error {
	return Translate("replace client secret hash", s.DB.WithContext(ctx).Model(&models.ClientApp{}).
		Where("id = ? AND secret_hash = ?", appID, old).Update("secret_hash", replacement).Error)
}

// SaveTokens stores newly issued tokens in one transaction.
func (s *Store) SaveTokens(ctx context.Context, tokens ...*models.Token) error {
	return Translate("save tokens", s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, t := range tokens {
			if err := tx.Create(t).Error; err != nil {
				return err
			}
		}
		return nil
	}))
}

// Token returns the token with the given hash, revoked or expired ones included.
func (s *Store) Token(ctx context.Context, hash string) (*models.Token, error) {
	var t models.Token
	if err := s.DB.WithContext(ctx).Where("hash = ?", hash).Take(&t).Error; err != nil {
		return nil, Translate("get token", err)
	}
	return &t, nil
}

// RevokeToken revokes the app's token with the given hash and, for a refresh token, every access
// token issued with or from it (D29). Unknown tokens and other apps' tokens are left alone.
func (s *Store) RevokeToken(ctx context.Context, hash string, clientAppID uint, now time.Time) error {
	return Translate("revoke token", s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t models.Token
		err := tx.Where("hash = ? AND client_app_id = ?", hash, clientAppID).Take(&t).Error
		if err != nil {
			if err == gorm.ErrRecordNotFound {
				return nil
			}
			return err
		}
		q := tx.Model(&models.Token{}).Where("revoked_at IS NULL").Where("hash = ?", hash)
		if t.Kind == models.TokenRefresh {
			q = tx.Model(&models.Token{}).Where("revoked_at IS NULL").Where("hash = ? OR parent_hash = ?", hash, hash)
		}
		return q.Update("revoked_at", now).Error
	}))
}

// CustomerByLogin finds an FI's customer by username, case-insensitively.
func (s *Store) CustomerByLogin(ctx context.Context, fiID, loginID string) (*models.Customer, error) {
	var c models.Customer
	err := s.DB.WithContext(ctx).Preload("Member").
		Where("institution_id = ? AND login_id_norm = ?", fiID, rules.NormalizeUsername(loginID)).Take(&c).Error
	if err != nil {
		return nil, Translate("get customer by login", err)
	}
	return &c, nil
}

// RecordLoginFailure counts a failed password login atomically and locks the customer once the
// count reaches threshold, stamping when the lockout began. It reports whether the customer is
// now locked.
func (s *Store) RecordLoginFailure(ctx context.Context, customerID string, threshold int, now time.Time) (bool, error) {
	err := s.DB.WithContext(ctx).Model(&models.Customer{}).Where("id = ?", customerID).Updates(map[string]any{
		"failed_login_count": gorm.Expr("failed_login_count + 1"),
		"locked":             gorm.Expr("CASE WHEN failed_login_count + 1 >= ? THEN ? ELSE locked END", threshold, true),
		"locked_at":          gorm.Expr("CASE WHEN locked THEN locked_at WHEN failed_login_count + 1 >= ? THEN ? ELSE NULL END", threshold, now),
	}).Error
	if err != nil {
		return false, Translate("record login failure", err)
	}
	var c models.Customer
	if err := s.DB.WithContext(ctx).Select("locked").Where("id = ?", customerID).Take(&c).Error; err != nil {
		return false, Translate("read lock state", err)
	}
	return c.Locked, nil
}

// EndLockout clears a lockout whose cool-down has passed: the customer is unlocked with a fresh
// failure count, unless the lock changed meanwhile (another instance ended it, or an operator
// acted). It reports whether this call ended it.
func (s *Store) EndLockout(ctx context.Context, customerID string, lockedAt time.Time) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&models.Customer{}).Where("id = ? AND locked = ? AND locked_at = ?", customerID, true, lockedAt).
		Updates(map[string]any{"locked": false, "locked_at": nil, "failed_login_count": 0})
	if res.Error != nil {
		return false, Translate("end lockout", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// RecordLoginSuccess resets the failure count and stamps the login time.
func (s *Store) RecordLoginSuccess(ctx context.Context, customerID string, now time.Time) error {
	return Translate("record login", s.DB.WithContext(ctx).Model(&models.Customer{}).Where("id = ?", customerID).
		Updates(map[string]any{"failed_login_count": 0, "last_login_at": now}).Error)
}

// UpdatePasswordHash replaces a customer's hash (after a parameter upgrade).
func (s *Store) UpdatePasswordHash(ctx context.Context, customerID, hash string) error {
	return Translate("update password hash", s.DB.WithContext(ctx).Model(&models.Customer{}).
		Where("id = ?", customerID).Update("password_hash", hash).Error)
}

// Unlock clears a customer's lock and failure count (operator action). It reports whether a
// customer matched.
func (s *Store) Unlock(ctx context.Context, fiID, loginID string) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&models.Customer{}).
		Where("institution_id = ? AND login_id_norm = ?", fiID, rules.NormalizeUsername(loginID)).
		Updates(map[string]any{"locked": false, "locked_at": nil, "failed_login_count": 0})
	if res.Error != nil {
		return false, Translate("unlock", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Retention of short-lived rows.
const (
	// ExpiredTokenRetention keeps expired and revoked tokens a day longer, for investigations.
	ExpiredTokenRetention = 24 * time.Hour
	// IdempotencyRetention is how long a di_tid replays its first answer.
	IdempotencyRetention = 24 * time.Hour
)

// Purged counts what Purge removed.
type Purged struct{ Tokens, IdempotencyRecords, InFlight int64 }

// Purge deletes tokens expired for longer than ExpiredTokenRetention, idempotency records older
// than IdempotencyRetention and stale in-flight markers. Evidence and audit rows are never purged.
func (s *Store) Purge(ctx context.Context, now time.Time) (Purged, error) {
	var out Purged
	conn := s.DB.WithContext(ctx)
	res := conn.Where("expires_at < ?", now.Add(-ExpiredTokenRetention)).Delete(&models.Token{})
	if res.Error != nil {
		return out, Translate("purge tokens", res.Error)
	}
	out.Tokens = res.RowsAffected
	res = conn.Where("created_at < ?", now.Add(-IdempotencyRetention)).Delete(&models.IdempotencyRecord{})
	if res.Error != nil {
		return out, Translate("purge idempotency records", res.Error)
	}
	out.IdempotencyRecords = res.RowsAffected
	res = conn.Where("created_at < ?", now.Add(-inFlightTTL)).Delete(&models.InFlight{})
	if res.Error != nil {
		return out, Translate("purge in-flight markers", res.Error)
	}
	out.InFlight = res.RowsAffected
	return out, nil
}
