package db

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
)

// MessagingGateway returns the webhook URL of the FI's SMS and voice gateway and its signing
// secret, opened; models.ErrNotFound when the FI has none. It implements notify.Gateways.
func (s *Store) MessagingGateway(ctx context.Context, institutionID string) (webhookURL, secret string, err error) {
	var g models.MessagingGateway
	if err := s.db.WithContext(ctx).Where("institution_id = ?", institutionID).Take(&g).Error; err != nil {
		return "", "", Translate("get messaging gateway", err)
	}
	if secret, err = webhookSecretField.open(s.keys, &g); err != nil {
		return "", "", err
	}
	return g.WebhookURL, secret, nil
}

// saveMessagingGateway stores the FI's gateway from a checked provisioning file, sealing the
// secret. An unchanged gateway is not rewritten (a reload changes nothing); with seed, an FI
// that has one keeps it.
func (s *Store) saveMessagingGateway(tx *gorm.DB, fiID string, spec *MessagingSpec, seed bool) error {
	var g models.MessagingGateway
	err := tx.Where("institution_id = ?", fiID).Take(&g).Error
	found := err == nil
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return Translate("find messaging gateway", err)
	}
	if found && seed {
		return nil
	}
	if found && g.WebhookURL == spec.WebhookURL {
		if old, err := webhookSecretField.open(s.keys, &g); err == nil && old == spec.WebhookSecret {
			return nil
		}
	}
	g.InstitutionID, g.WebhookURL = fiID, spec.WebhookURL
	if err := webhookSecretField.seal(s.keys, &g, spec.WebhookSecret); err != nil {
		return err
	}
	return Translate("save messaging gateway", tx.Omit("Institution").Save(&g).Error)
}
