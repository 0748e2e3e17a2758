package db

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// Store is the database handle plus what writing PII needs: the key ring for encryption and blind
// indexes, and the password hasher.
type Store struct {
	DB        *gorm.DB
	Keys      *secure.Keyring
	Passwords *secure.PasswordHasher
}

// LoadOrCreateKeyFile reads the base64 PII key kept at path, creating it (mode 0600) with a fresh
// random key if it does not exist. Sandbox mode only: production keys come from the environment.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		key, perr := secure.ParseKey(string(data))
		if perr != nil {
			return nil, fmt.Errorf("sandbox key file %s: %w", path, perr)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sandbox key file: %w", err)
	}
	key, err := secure.GenerateKey()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race: use its key
			return LoadOrCreateKeyFile(path)
		}
		return nil, fmt.Errorf("sandbox key file: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sandbox key file: %w", err)
	}
	return key, f.Close()
}

// Institution returns the FI with the given id.
func (s *Store) Institution(ctx context.Context, id string) (*models.Institution, error) {
	var fi models.Institution
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&fi).Error
	if err != nil {
		return nil, Translate("get institution", err)
	}
	return &fi, nil
}
