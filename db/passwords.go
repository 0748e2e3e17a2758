package db

import (
	"context"
	"errors"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// hashPassword, verifyPassword and dummyVerify are the password hasher's operations with its
// load shedding (secure.ErrBusy: no slot free in time) reported as models.ErrBusy, which every
// family answers with its spike-arrest code.
func (s *Store) hashPassword(ctx context.Context, password string) (string, error) {
	h, err := s.passwords.Hash(ctx, password)
	return h, busy(err)
}

func (s *Store) verifyPassword(ctx context.Context, password, phc string) (ok, needsRehash bool, err error) {
	ok, needsRehash, err = s.passwords.Verify(ctx, password, phc)
	return ok, needsRehash, busy(err)
}

// dummyVerify spends a hash on an unknown user; it fails as verifyPassword would, so the answer
// for an unknown user is that of a known one.
func (s *Store) dummyVerify(ctx context.Context, password string) error {
	return busy(s.passwords.DummyVerify(ctx, password))
}

func busy(err error) error {
	if errors.Is(err, secure.ErrBusy) {
		return errors.Join(models.ErrBusy, err)
	}
	return err
}
