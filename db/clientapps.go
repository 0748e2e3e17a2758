package db

import (
	"context"

	"github.com/custreg/custreg/models"
)

// ClientApp returns the app with the given client id and the FIs it may act for.
func (s *Store) ClientApp(ctx context.Context, clientID string) (*models.ClientApp, error) {
	var app models.ClientApp
	err := s.db.WithContext(ctx).Preload("Institutions").Where("client_id = ?", clientID).Take(&app).Error
	if err != nil {
		return nil, Translate("get client app", err)
	}
	return &app, nil
}

// ClientAppByID returns an app by its row id.
func (s *Store) ClientAppByID(ctx context.Context, id uint) (*models.ClientApp, error) {
	var app models.ClientApp
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&app).Error; err != nil {
		return nil, Translate("get client app", err)
	}
	return &app, nil
}

// ReplaceClientSecretHash swaps an app's stored secret hash for a new one (an upgrade to the
// current key or format) unless it changed meanwhile, e.g. by a concurrent upgrade or rotation.
func (s *Store) ReplaceClientSecretHash(ctx context.Context, appID uint, old, replacement string) error {
	return Translate("replace client secret hash", s.db.WithContext(ctx).Model(&models.ClientApp{}).
		Where("id = ? AND secret_hash = ?", appID, old).Update("secret_hash", replacement).Error)
}
