package db

import (
	"context"
	"strings"

	"github.com/custreg/custreg/models"
)

// CustomerByAuthID returns the customer of the FI with the given authId (Register v4's authId,
// the legacy accounts list's intuit_authid), matched without regard to case. A customer of
// another FI is models.ErrNotFound like an unknown one.
func (s *Store) CustomerByAuthID(ctx context.Context, fiID, authID string) (*models.Customer, error) {
	var c models.Customer
	err := s.db.WithContext(ctx).Where("institution_id = ? AND auth_id = ?", fiID, strings.ToLower(authID)).Take(&c).Error
	if err != nil {
		return nil, Translate("find customer by auth id", err)
	}
	return &c, nil
}
