package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// Lifetimes of the developer portal's secrets.
const (
	// VerificationTTL is how long an email verification link works.
	VerificationTTL = 24 * time.Hour
	// PortalSessionTTL is how long a portal session lasts after sign-in.
	PortalSessionTTL = 12 * time.Hour
)

// NormalizeEmail is the form a developer account is found by: trimmed and lower-cased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// SignUp says what SignUpDeveloper did with an address.
type SignUp int

// Outcomes of SignUpDeveloper.
const (
	// SignedUp: a new account, waiting for its address to be verified.
	SignedUp SignUp = iota
	// SignedUpAgain: the address had an account that was never verified; it takes the new
	// password and a new link (the earlier link stops working).
	SignedUpAgain
	// AlreadyVerified: the address has a verified account; nothing changed.
	AlreadyVerified
)

// SignUpDeveloper creates a portal account for email with password (hashed like users'
// passwords) and returns the single-use verification token to send to the address. An address
// whose account was never verified gets the new password and a new token: whoever can read the
// mailbox is its owner. A verified account is left alone (AlreadyVerified, no token).
func (s *Store) SignUpDeveloper(ctx context.Context, email, password string, now time.Time) (string, SignUp, error) {
	norm := NormalizeEmail(email)
	hash, err := s.passwords.Hash(ctx, password)
	if err != nil {
		return "", 0, err
	}
	token, err := secure.NewToken()
	if err != nil {
		return "", 0, err
	}
	expires := now.Add(VerificationTTL).UTC()
	for attempt := 0; ; attempt++ {
		var dev models.Developer
		err := s.db.WithContext(ctx).Where("email_norm = ?", norm).Take(&dev).Error
		switch {
		case err == nil && dev.VerifiedAt != nil:
			return "", AlreadyVerified, nil
		case err == nil:
			res := s.db.WithContext(ctx).Model(&models.Developer{}).Where("id = ? AND verified_at IS NULL", dev.ID).
				Updates(map[string]any{"email": strings.TrimSpace(email), "password_hash": hash,
					"verify_token_hash": secure.TokenHash(token), "verify_expires_at": expires, "updated_at": now})
			if res.Error != nil {
				return "", 0, Translate("sign up again", res.Error)
			}
			if res.RowsAffected == 0 && attempt == 0 {
				continue // verified meanwhile: answer as such
			}
			return token, SignedUpAgain, nil
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return "", 0, Translate("find developer", err)
		}
		id, err := secure.NewID32()
		if err != nil {
			return "", 0, err
		}
		dev = models.Developer{ID: id, Email: strings.TrimSpace(email), EmailNorm: norm, PasswordHash: hash,
			VerifyTokenHash: secure.TokenHash(token), VerifyExpiresAt: &expires, CreatedAt: now, UpdatedAt: now}
		err = Translate("create developer", s.db.WithContext(ctx).Create(&dev).Error)
		if errors.Is(err, models.ErrConflict) && attempt == 0 {
			continue // the same address signed up at the same moment: take that account
		}
		if err != nil {
			return "", 0, err
		}
		return token, SignedUp, nil
	}
}

// VerifyDeveloper consumes a verification token: the account's address counts as verified from
// now on. An unknown, used or expired token is models.ErrTokenInvalid.
func (s *Store) VerifyDeveloper(ctx context.Context, token string, now time.Time) (*models.Developer, error) {
	if token == "" || len(token) > 256 {
		return nil, fmt.Errorf("verify developer: %w", models.ErrTokenInvalid)
	}
	hash := secure.TokenHash(token)
	var dev models.Developer
	err := s.db.WithContext(ctx).Where("verify_token_hash = ?", hash).Take(&dev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("verify developer: %w", models.ErrTokenInvalid)
	}
	if err != nil {
		return nil, Translate("verify developer", err)
	}
	if dev.VerifyExpiresAt == nil || !now.Before(*dev.VerifyExpiresAt) {
		return nil, fmt.Errorf("verify developer: %w", models.ErrTokenInvalid)
	}
	at := now.UTC()
	// Single use: only the request that clears this very token verifies.
	res := s.db.WithContext(ctx).Model(&models.Developer{}).Where("id = ? AND verify_token_hash = ?", dev.ID, hash).
		Updates(map[string]any{"verified_at": at, "verify_token_hash": "", "verify_expires_at": nil, "updated_at": now})
	if res.Error != nil {
		return nil, Translate("verify developer", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("verify developer: %w", models.ErrTokenInvalid)
	}
	dev.VerifiedAt, dev.VerifyTokenHash, dev.VerifyExpiresAt = &at, "", nil
	return &dev, nil
}

// AuthenticateDeveloper checks a portal account's password. An unknown address and a wrong
// password are the same models.ErrBadCredentials and cost the same hash; the right password of
// an account not yet verified is models.ErrNotVerified.
func (s *Store) AuthenticateDeveloper(ctx context.Context, email, password string) (*models.Developer, error) {
	var dev models.Developer
	err := s.db.WithContext(ctx).Where("email_norm = ?", NormalizeEmail(email)).Take(&dev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		s.passwords.DummyVerify(ctx, password)
		return nil, models.ErrBadCredentials
	}
	if err != nil {
		return nil, Translate("find developer", err)
	}
	ok, rehash, err := s.passwords.Verify(ctx, password, dev.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, models.ErrBadCredentials
	}
	if dev.VerifiedAt == nil {
		return nil, models.ErrNotVerified
	}
	if rehash {
		if h, err := s.passwords.Hash(ctx, password); err == nil {
			_ = s.db.WithContext(ctx).Model(&models.Developer{}).Where("id = ?", dev.ID).Update("password_hash", h).Error
		}
	}
	return &dev, nil
}

// Developer returns a portal account by id.
func (s *Store) Developer(ctx context.Context, id string) (*models.Developer, error) {
	var dev models.Developer
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&dev).Error; err != nil {
		return nil, Translate("get developer", err)
	}
	return &dev, nil
}

// CreatePortalSession starts a session of the developer and returns its cookie value; only its
// SHA-256 is stored.
func (s *Store) CreatePortalSession(ctx context.Context, developerID string, now time.Time) (string, error) {
	token, err := secure.NewToken()
	if err != nil {
		return "", err
	}
	row := models.PortalSession{Hash: secure.TokenHash(token), DeveloperID: developerID, CreatedAt: now.UTC(),
		ExpiresAt: now.Add(PortalSessionTTL).UTC()}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return "", Translate("create portal session", err)
	}
	return token, nil
}

// PortalSession returns the developer of a live session; an unknown or expired one is
// models.ErrNotFound.
func (s *Store) PortalSession(ctx context.Context, token string, now time.Time) (*models.Developer, error) {
	if token == "" || len(token) > 256 {
		return nil, fmt.Errorf("get portal session: %w", models.ErrNotFound)
	}
	var row models.PortalSession
	if err := s.db.WithContext(ctx).Where("hash = ?", secure.TokenHash(token)).Take(&row).Error; err != nil {
		return nil, Translate("get portal session", err)
	}
	if !now.Before(row.ExpiresAt) {
		return nil, fmt.Errorf("get portal session: expired: %w", models.ErrNotFound)
	}
	return s.Developer(ctx, row.DeveloperID)
}

// EndPortalSession deletes a session (sign-out); an unknown one is no error.
func (s *Store) EndPortalSession(ctx context.Context, token string) error {
	return Translate("end portal session", s.db.WithContext(ctx).Where("hash = ?", secure.TokenHash(token)).Delete(&models.PortalSession{}).Error)
}
