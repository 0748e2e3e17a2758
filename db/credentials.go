package db

import (
	"context"
	"errors"
	"time"

	"github.com/custreg/custreg/lockout"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// AuthenticateClient checks a client app's Shared Key and Secret Key at now and returns the app
// with the FIs it may act for. A wrong secret, an unknown client id and a disabled app are the
// same models.ErrBadCredentials and cost about the same (a keyed digest, microseconds). After a
// rotation the replaced secret is accepted too until its grace period ends. A hash of an earlier
// version (argon2id) is checked under a gate of one at a time — models.ErrBusy when it is taken —
// and replaced by the keyed digest at its first success, as is a digest under an older key.
func (s *Store) AuthenticateClient(ctx context.Context, clientID, secret string, now time.Time) (*models.ClientApp, error) {
	app, err := s.ClientApp(ctx, clientID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		s.keys.VerifyClientSecret(secret, "") // the same effort as a real check
		return nil, models.ErrBadCredentials
	case err != nil:
		return nil, err
	}
	ok, current, err := s.verifyClientSecret(secret, app.SecretHash)
	if err != nil {
		return nil, err
	}
	if !ok && app.PreviousSecretHash != "" && app.PreviousSecretExpiresAt != nil && now.Before(*app.PreviousSecretExpiresAt) {
		if ok, _, err = s.verifyClientSecret(secret, app.PreviousSecretHash); err != nil {
			return nil, err
		}
		current = true // the replaced secret is not upgraded: it is on its way out
	}
	if !ok || app.DisabledAt != nil {
		return nil, models.ErrBadCredentials
	}
	if !current {
		if h, err := s.keys.HashClientSecret(secret); err == nil {
			// Best effort: the next success tries again.
			_ = s.ReplaceClientSecretHash(ctx, app.ID, app.SecretHash, h)
		}
	}
	return app, nil
}

// verifyClientSecret checks secret against a stored keyed digest or legacy argon2id hash;
// current is false when a match should be re-hashed under the primary key.
func (s *Store) verifyClientSecret(secret, stored string) (ok, current bool, err error) {
	switch {
	case secure.IsKeyedSecretHash(stored):
		ok, current = s.keys.VerifyClientSecret(secret, stored)
	case secure.IsLegacySecretHash(stored):
		if ok, err = s.legacySecrets.Verify(secret, stored); errors.Is(err, secure.ErrBusy) {
			return false, false, models.ErrBusy
		}
	}
	return ok, current, err
}

// Authenticate checks a user's password at an FI (the password grant) under the FI's lockout
// policy, and returns the user. Every failure — unknown user, wrong password, locked — is
// models.ErrBadCredentials, joined with models.ErrUserLocked when this attempt locked the user;
// an unknown user costs a hash like a known one. A lockout whose cool-down has passed ends
// first; failures are counted atomically; a success resets the count, stamps the login and
// re-hashes a password stored with older parameters.
func (s *Store) Authenticate(ctx context.Context, fiID, loginID, password string, now time.Time) (*models.Customer, error) {
	c, err := s.CustomerByLogin(ctx, fiID, loginID)
	if errors.Is(err, models.ErrNotFound) {
		if err := s.dummyVerify(ctx, password); err != nil {
			return nil, err // models.ErrBusy when the hasher sheds load, as for a known user
		}
		return nil, models.ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	fi, err := s.Institution(ctx, fiID)
	if err != nil {
		return nil, err
	}
	ok, rehash, err := s.verifyPassword(ctx, password, c.PasswordHash)
	if err != nil {
		return nil, err
	}
	policy := lockout.PolicyOf(*fi)
	decision := lockout.Decide(policy, lockout.State{Locked: c.Locked, LockedAt: c.LockedAt}, ok, now)
	if decision.EndLockout {
		// Whoever ends it (another instance may race us), the cool-down has passed.
		if _, err := s.EndLockout(ctx, c.ID, *c.LockedAt); err != nil {
			return nil, err
		}
	}
	if decision.CountFailure {
		locked, err := s.RecordLoginFailure(ctx, c.ID, policy.Threshold, now)
		if err != nil {
			return nil, err
		}
		if locked {
			return nil, errors.Join(models.ErrBadCredentials, models.ErrUserLocked)
		}
	}
	if !decision.Allow {
		return nil, models.ErrBadCredentials
	}
	if err := s.RecordLoginSuccess(ctx, c.ID, now); err != nil {
		return nil, err
	}
	if rehash {
		if h, err := s.hashPassword(ctx, password); err == nil {
			_ = s.UpdatePasswordHash(ctx, c.ID, h)
		}
	}
	return c, nil
}
