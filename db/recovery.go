package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/recovery"
	"github.com/custreg/custreg/registration"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// PasswordResetRetention keeps challenges a day past their expiry, for investigations; the send
// limit looks back recovery.SendWindow only.
const PasswordResetRetention = 24 * time.Hour

// ResetDelivery is what sending a new passcode needs. It is the only place the passcode exists
// in clear: the store keeps a keyed digest. Its String, GoString and LogValue leave passcode and
// destination out, so printing or logging one leaks neither.
type ResetDelivery struct {
	ChallengeID     string
	InstitutionID   string
	CustomerID      string
	ContactMethodID uint
	Channel         string // SMS, VOICE or EMAIL
	To              string // the destination: a phone number or an email address
	CountryCode     string // a phone destination's telephone country code, if known
	Passcode        string
	ExpiresAt       time.Time
}

// String names the challenge, the customer and the channel only.
func (d ResetDelivery) String() string {
	return fmt.Sprintf("passcode %s for customer %s over %s (destination and passcode withheld)", d.ChallengeID, d.CustomerID, d.Channel)
}

// GoString keeps %#v as discreet as %v.
func (d ResetDelivery) GoString() string { return d.String() }

// LogValue names the challenge, never the destination or the passcode.
func (d ResetDelivery) LogValue() slog.Value {
	return slog.GroupValue(slog.String("challenge", d.ChallengeID), slog.String("fi", d.InstitutionID),
		slog.String("channel", d.Channel), slog.Uint64("contact_method", uint64(d.ContactMethodID)))
}

// ResetDone is what a completed password reset did.
type ResetDone struct {
	CustomerID    string
	RevokedTokens int64 // the user's access and refresh tokens revoked
}

// StartPasswordReset issues a one-time passcode for a customer of the FI (by GUID, or by
// username for idType ByLoginID) to one of their contact methods, and returns what
// its delivery needs. In one transaction, holding the customer's row so concurrent requests on any
// instance queue: the contact method must be the customer's and activated, the protocol must fit
// it (recovery.Channel; "" means the contact method's own), at most recovery.MaxSends passcodes
// may have been created in the last recovery.SendWindow, earlier open challenges are superseded,
// and the new challenge and an AuditPasswordResetRequest event are stored. Errors:
//   - models.ErrNotFound: no such customer at this FI (another FI's customers included);
//   - models.ErrContactMethodNotFound: not one of the customer's activated contact methods;
//   - models.ErrProtocolMismatch: the protocol cannot reach that contact method;
//   - models.ErrTooManyResets: the send limit is reached (nothing is stored).
func (s *Store) StartPasswordReset(ctx context.Context, fiID, customerRef, idType, contactMethodID, protocol string, a Actor, now time.Time) (*ResetDelivery, error) {
	now = now.UTC()
	challengeID, err := secure.NewID32()
	if err != nil {
		return nil, err
	}
	passcode, err := recovery.NewPasscode()
	if err != nil {
		return nil, err
	}
	var out *ResetDelivery
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := recoveryCustomer(tx, fiID, customerRef, idType, true)
		if err != nil {
			return err
		}
		d, err := contactMethod(tx, c.ID, contactMethodID)
		if err != nil {
			return err
		}
		channel, err := recovery.Channel(d.Protocol, protocol)
		if err != nil {
			return err
		}
		var sent int64
		if err := tx.Model(&models.PasswordReset{}).Where("customer_id = ? AND created_at > ?", c.ID, recovery.WindowStart(now)).
			Count(&sent).Error; err != nil {
			return err
		}
		if !recovery.MaySend(sent) {
			return models.ErrTooManyResets
		}
		if err := tx.Model(&models.PasswordReset{}).Where("customer_id = ? AND consumed_at IS NULL AND superseded_at IS NULL", c.ID).
			Update("superseded_at", now).Error; err != nil {
			return err
		}
		ch := models.PasswordReset{ID: challengeID, InstitutionID: fiID, CustomerID: c.ID, DestinationID: d.ID, Protocol: channel,
			CreatedAt: now, ExpiresAt: recovery.ExpiresAt(now)}
		ch.PasscodeHash = recovery.Hash(s.keys, bindingOf(ch), passcode)
		if err := tx.Create(&ch).Error; err != nil {
			return err
		}
		if err := recordAudit(tx, AuditPasswordResetRequest, fiID, a, c.ID, now); err != nil {
			return err
		}
		out = &ResetDelivery{ChallengeID: ch.ID, InstitutionID: fiID, CustomerID: c.ID, ContactMethodID: d.ID, Channel: channel,
			To: d.ContactInfo, CountryCode: d.CountryCode, Passcode: passcode, ExpiresAt: ch.ExpiresAt}
		return nil
	})
	if err != nil {
		return nil, Translate("start password reset", err)
	}
	return out, nil
}

// CompletePasswordReset sets a customer's new password with the passcode of their current
// challenge (the newest one sent). The new password must pass the FI's password policy first —
// registration.Violations for field newPassword otherwise, before any passcode is looked at, so a
// refused password costs no try and leaves the challenge as it was; it is then hashed before the
// transaction (argon2id must not run under a lock; an unknown customer costs the same hash).
//
// One transaction, holding the customer's row so concurrent completions queue: a right passcode
// consumes the challenge, stores the new password, clears the lockout and the failure counts,
// revokes every token of the user and records an AuditPasswordReset event. A wrong one is counted
// on the challenge and in the customer's FailedPasswordResetCount, and committed although the call
// fails. Errors:
//   - models.ErrNotFound: no such customer at this FI;
//   - models.ErrPasscodeWrong (joined with models.ErrPasscodeTriesExhausted on the try that
//     kills the challenge);
//   - models.ErrPasscodeTriesExhausted: the challenge took recovery.MaxWrongTries wrong tries;
//   - models.ErrPasscodeExpired: past its validity, or no challenge outstanding;
//   - models.ErrPasscodeUsed: the challenge already set a password.
func (s *Store) CompletePasswordReset(ctx context.Context, fiID, customerRef, idType, passcode, newPassword string, a Actor, now time.Time) (*ResetDone, error) {
	now = now.UTC()
	c, err := recoveryCustomer(s.db.WithContext(ctx), fiID, customerRef, idType, false)
	if errors.Is(err, models.ErrNotFound) {
		if err := s.dummyVerify(ctx, newPassword); err != nil {
			return nil, err // busy (or out of time) as a known customer would be
		}
		return nil, Translate("complete password reset", models.ErrNotFound)
	}
	if err != nil {
		return nil, Translate("complete password reset", err)
	}
	fi, err := s.Institution(ctx, fiID)
	if err != nil {
		return nil, err
	}
	if !registration.PasswordAcceptable(*fi, c.LoginID, newPassword) {
		return nil, registration.Violations{{Field: "newPassword", Code: registration.CodeInvalidPassword}}
	}
	hash, err := s.hashPassword(ctx, newPassword)
	if err != nil {
		return nil, err
	}
	var refused error // a wrong passcode: its count is committed, the call still fails
	out := &ResetDone{CustomerID: c.ID}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := recoveryCustomer(tx, fiID, c.ID, ByCustomerID, true); err != nil {
			return err
		}
		var ch models.PasswordReset
		err := tx.Where("customer_id = ? AND superseded_at IS NULL", c.ID).Order("created_at DESC").Take(&ch).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return models.ErrPasscodeExpired
		}
		if err != nil {
			return err
		}
		if err := recovery.Usable(ch, now); err != nil {
			return err
		}
		if !recovery.Verify(s.keys, bindingOf(ch), passcode, ch.PasscodeHash) {
			refused = models.ErrPasscodeWrong
			if recovery.Dead(ch.WrongTries + 1) {
				refused = errors.Join(models.ErrPasscodeWrong, models.ErrPasscodeTriesExhausted)
			}
			return countWrongPasscode(tx, &ch)
		}
		res := tx.Model(&models.PasswordReset{}).Where("id = ? AND consumed_at IS NULL", ch.ID).Update("consumed_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return models.ErrPasscodeUsed
		}
		if err := tx.Model(&models.Customer{}).Where("id = ?", c.ID).Updates(map[string]any{
			"password_hash": hash, "locked": false, "locked_at": nil, "failed_login_count": 0, "failed_password_reset_count": 0,
		}).Error; err != nil {
			return err
		}
		res = tx.Model(&models.Token{}).Where("customer_id = ? AND revoked_at IS NULL", c.ID).Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		out.RevokedTokens = res.RowsAffected
		return recordAudit(tx, AuditPasswordReset, fiID, a, c.ID, now)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return nil, Translate("complete password reset", err)
	}
	return out, nil
}

// countWrongPasscode records one wrong try on the challenge and on the customer.
func countWrongPasscode(tx *gorm.DB, ch *models.PasswordReset) error {
	if err := tx.Model(&models.PasswordReset{}).Where("id = ?", ch.ID).
		Update("wrong_tries", gorm.Expr("wrong_tries + 1")).Error; err != nil {
		return err
	}
	return tx.Model(&models.Customer{}).Where("id = ?", ch.CustomerID).
		Update("failed_password_reset_count", gorm.Expr("failed_password_reset_count + 1")).Error
}

// RecordPasswordResetFailure stores the audit event (AuditPasswordResetRequest or
// AuditPasswordReset) of a refused recovery step with the codes of its answer: the caller knows
// them, the store records successes itself.
func (s *Store) RecordPasswordResetFailure(ctx context.Context, fiID, event string, a Actor, codes string, now time.Time) error {
	ev := auditEvent(event, fiID, a, models.OutcomeFailure, codes, "", now.UTC())
	return Translate("record audit event", s.db.WithContext(ctx).Create(&ev).Error)
}

// recoveryCustomer finds the FI's customer by username (idType ByLoginID) or GUID (otherwise),
// as CustomerByRef does. lock holds the row until the transaction ends (PostgreSQL; a SQLite
// transaction holds the whole database already).
func recoveryCustomer(tx *gorm.DB, fiID, ref, idType string, lock bool) (*models.Customer, error) {
	q := tx.Where("institution_id = ?", fiID)
	if idType == ByLoginID {
		q = q.Where("login_id_norm = ?", rules.NormalizeUsername(ref))
	} else {
		q = q.Where("id = ?", ref)
	}
	if lock {
		q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	var c models.Customer
	if err := q.Take(&c).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, models.ErrNotFound
		}
		return nil, err
	}
	return &c, nil
}

// contactMethod is the customer's activated destination with the given id (a decimal number).
func contactMethod(tx *gorm.DB, customerID, id string) (*models.Destination, error) {
	n, err := strconv.ParseUint(id, 10, 32)
	if err != nil || n == 0 {
		return nil, models.ErrContactMethodNotFound
	}
	var d models.Destination
	err = tx.Where("id = ? AND customer_id = ?", uint(n), customerID).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || err == nil && !d.Activated {
		return nil, models.ErrContactMethodNotFound
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func bindingOf(ch models.PasswordReset) recovery.Binding {
	return recovery.Binding{InstitutionID: ch.InstitutionID, CustomerID: ch.CustomerID, ChallengeID: ch.ID}
}
