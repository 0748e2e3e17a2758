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

// Store is the service's storage: the database and the only owner of its secrets — the key ring
// (PII encryption, blind indexes, client-secret digests) and the password hasher. Nothing outside
// package db touches either; callers ask the Store's methods.
type Store struct {
	db        *gorm.DB
	keys      *secure.Keyring
	passwords *secure.PasswordHasher
	// legacySecrets verifies client-secret hashes of earlier versions (argon2id) one at a time.
	legacySecrets *secure.LegacySecretGate
	tokenWrites   *groupCommit // SaveTokens' group commit
}

// New builds a Store over an open, migrated database connection (see Open).
func New(conn *gorm.DB, keys *secure.Keyring, passwords *secure.PasswordHasher) *Store {
	return &Store{db: conn, keys: keys, passwords: passwords, legacySecrets: secure.NewLegacySecretGate(1),
		tokenWrites: &groupCommit{}}
}

// Conn is the connection underneath, for tests and tools that inspect rows directly; the service
// itself goes through the Store's methods.
func (s *Store) Conn() *gorm.DB { return s.db }

// Close releases the connection pool.
func (s *Store) Close() error { return Close(s.db) }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return Ping(ctx, s.db) }

// PrimaryKeyID is the id of the key new PII is encrypted under.
func (s *Store) PrimaryKeyID() string { return s.keys.PrimaryID() }

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
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&fi).Error
	if err != nil {
		return nil, Translate("get institution", err)
	}
	return &fi, nil
}
