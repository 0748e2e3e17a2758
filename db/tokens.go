package db

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/custreg/custreg/models"
)

// SaveTokens stores newly issued tokens in one transaction; tokens of an app disabled meanwhile
// are refused with models.ErrClientAppDisabled. The app's row is read under a shared lock, so a
// concurrent DisableClientApp either sees these tokens (and revokes them) or is seen here.
func (s *Store) SaveTokens(ctx context.Context, tokens ...*models.Token) error {
	return Translate("save tokens", s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ids := make([]uint, 0, 1)
		for _, t := range tokens {
			if !slices.Contains(ids, t.ClientAppID) {
				ids = append(ids, t.ClientAppID)
			}
		}
		var disabled []sql.NullTime
		err := tx.Model(&models.ClientApp{}).Clauses(clause.Locking{Strength: clause.LockingStrengthShare}).
			Where("id IN ?", ids).Pluck("disabled_at", &disabled).Error
		if err != nil {
			return err
		}
		if slices.ContainsFunc(disabled, func(t sql.NullTime) bool { return t.Valid }) {
			return models.ErrClientAppDisabled
		}
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
	if err := s.db.WithContext(ctx).Where("hash = ?", hash).Take(&t).Error; err != nil {
		return nil, Translate("get token", err)
	}
	return &t, nil
}

// RevokeToken revokes the app's token with the given hash and, for a refresh token, every access
// token issued with or from it (D29). Unknown tokens and other apps' tokens are left alone.
func (s *Store) RevokeToken(ctx context.Context, hash string, clientAppID uint, now time.Time) error {
	return Translate("revoke token", s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
