package db

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// NewCustomerInput is what creating a customer record needs, in clear.
type NewCustomerInput struct {
	ID, LoginID, Password, FirstName, MiddleName, LastName, Email string
	SSN, BirthDate, MotherMaidenName, HostPIN                     string
}

// NewCustomer builds (without saving) a PRIMARY customer of member m: fresh identifiers, the
// password hashed, the PII sealed as the catalogue of pii.go says (the SSN also blind-indexed
// per FI).
func (s *Store) NewCustomer(ctx context.Context, fiID string, m *models.Member, in NewCustomerInput) (models.Customer, error) {
	var err error
	c := models.Customer{ID: in.ID, InstitutionID: fiID, MemberID: m.ID, UserType: "PRIMARY",
		LoginID: in.LoginID, LoginIDNorm: rules.NormalizeUsername(in.LoginID),
		FirstName: in.FirstName, MiddleName: in.MiddleName, LastName: in.LastName, Email: in.Email}
	if c.ID == "" {
		if c.ID, err = secure.NewID32(); err != nil {
			return c, err
		}
	}
	if c.AuthID, err = secure.NewID32(); err != nil {
		return c, err
	}
	if c.InstitutionUserID, err = secure.NewID32(); err != nil {
		return c, err
	}
	c.InstitutionUserID = strings.ToUpper(c.InstitutionUserID)
	c.HostLoginID = strings.ToUpper(c.ID[:12])
	if c.PasswordHash, err = s.hashPassword(ctx, in.Password); err != nil {
		return c, err
	}
	for _, v := range []struct {
		field *piiField[models.Customer]
		plain string
	}{{&ssnField, in.SSN}, {&birthDateField, in.BirthDate}, {&motherMaidenNameField, in.MotherMaidenName}, {&hostPINField, in.HostPIN}} {
		if err := v.field.seal(s.keys, &c, v.plain); err != nil {
			return c, err
		}
	}
	return c, nil
}

// insertCustomer stores a customer built by NewCustomer, whose member is already stored.
func insertCustomer(tx *gorm.DB, c *models.Customer) error { return tx.Omit("Member").Create(c).Error }

// CustomerView is a customer with everything its profile shows.
type CustomerView struct {
	Customer     models.Customer
	Addresses    []models.CustomerAddress
	Phones       []models.CustomerPhone
	Destinations []models.Destination
}

// FindCustomer looks a customer of the FI up by GUID, login id, or member number (the member's
// PRIMARY user).
func (s *Store) FindCustomer(ctx context.Context, fiID, idType, id string) (*CustomerView, error) {
	q := s.db.WithContext(ctx).Preload("Member").Where("customers.institution_id = ?", fiID)
	switch idType {
	case "LOGINID":
		q = q.Where("login_id_norm = ?", rules.NormalizeUsername(id))
	case "MEMNUMBER", "HOSTID":
		q = q.Joins("JOIN members ON members.id = customers.member_id").
			Where("members.member_number = ? AND customers.user_type = ?", id, "PRIMARY")
	default:
		q = q.Where("customers.id = ?", id)
	}
	var c models.Customer
	if err := q.Take(&c).Error; err != nil {
		return nil, Translate("find customer", err)
	}
	return s.CustomerViewOf(ctx, &c)
}

// CustomerViewOf loads a customer's addresses, phones and contact methods (each in position
// order) beside the customer.
func (s *Store) CustomerViewOf(ctx context.Context, c *models.Customer) (*CustomerView, error) {
	v := CustomerView{Customer: *c}
	db := s.db.WithContext(ctx)
	if err := db.Where("customer_id = ?", c.ID).Order("position").Find(&v.Addresses).Error; err != nil {
		return nil, Translate("customer addresses", err)
	}
	if err := db.Where("customer_id = ?", c.ID).Order("position").Find(&v.Phones).Error; err != nil {
		return nil, Translate("customer phones", err)
	}
	if err := db.Where("customer_id = ?", c.ID).Order("position").Order("id").Find(&v.Destinations).Error; err != nil {
		return nil, Translate("customer destinations", err)
	}
	return &v, nil
}

// CustomerByID returns a customer with its member.
func (s *Store) CustomerByID(ctx context.Context, id string) (*models.Customer, error) {
	var c models.Customer
	if err := s.db.WithContext(ctx).Preload("Member").Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, Translate("get customer", err)
	}
	return &c, nil
}

// CustomerByLogin finds an FI's customer by username, case-insensitively.
func (s *Store) CustomerByLogin(ctx context.Context, fiID, loginID string) (*models.Customer, error) {
	var c models.Customer
	err := s.db.WithContext(ctx).Preload("Member").
		Where("institution_id = ? AND login_id_norm = ?", fiID, rules.NormalizeUsername(loginID)).Take(&c).Error
	if err != nil {
		return nil, Translate("get customer by login", err)
	}
	return &c, nil
}

// RecordLoginFailure counts a failed password login atomically and locks the customer once the
// count reaches threshold, stamping when the lockout began. It reports whether the customer is
// now locked.
func (s *Store) RecordLoginFailure(ctx context.Context, customerID string, threshold int, now time.Time) (bool, error) {
	err := s.db.WithContext(ctx).Model(&models.Customer{}).Where("id = ?", customerID).Updates(map[string]any{
		"failed_login_count": gorm.Expr("failed_login_count + 1"),
		"locked":             gorm.Expr("CASE WHEN failed_login_count + 1 >= ? THEN ? ELSE locked END", threshold, true),
		"locked_at":          gorm.Expr("CASE WHEN locked THEN locked_at WHEN failed_login_count + 1 >= ? THEN ? ELSE NULL END", threshold, now),
	}).Error
	if err != nil {
		return false, Translate("record login failure", err)
	}
	var c models.Customer
	if err := s.db.WithContext(ctx).Select("locked").Where("id = ?", customerID).Take(&c).Error; err != nil {
		return false, Translate("read lock state", err)
	}
	return c.Locked, nil
}

// EndLockout clears a lockout whose cool-down has passed: the customer is unlocked with a fresh
// failure count, unless the lock changed meanwhile (another instance ended it, or an operator
// acted). It reports whether this call ended it.
func (s *Store) EndLockout(ctx context.Context, customerID string, lockedAt time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&models.Customer{}).Where("id = ? AND locked = ? AND locked_at = ?", customerID, true, lockedAt).
		Updates(map[string]any{"locked": false, "locked_at": nil, "failed_login_count": 0})
	if res.Error != nil {
		return false, Translate("end lockout", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// RecordLoginSuccess resets the failure count and stamps the login time.
func (s *Store) RecordLoginSuccess(ctx context.Context, customerID string, now time.Time) error {
	return Translate("record login", s.db.WithContext(ctx).Model(&models.Customer{}).Where("id = ?", customerID).
		Updates(map[string]any{"failed_login_count": 0, "last_login_at": now}).Error)
}

// UpdatePasswordHash replaces a customer's hash (after a parameter upgrade).
func (s *Store) UpdatePasswordHash(ctx context.Context, customerID, hash string) error {
	return Translate("update password hash", s.db.WithContext(ctx).Model(&models.Customer{}).
		Where("id = ?", customerID).Update("password_hash", hash).Error)
}

// Unlock clears a customer's lock and failure count (operator action). It reports whether a
// customer matched.
func (s *Store) Unlock(ctx context.Context, fiID, loginID string) (bool, error) {
	res := s.db.WithContext(ctx).Model(&models.Customer{}).
		Where("institution_id = ? AND login_id_norm = ?", fiID, rules.NormalizeUsername(loginID)).
		Updates(map[string]any{"locked": false, "locked_at": nil, "failed_login_count": 0})
	if res.Error != nil {
		return false, Translate("unlock", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Customer v2 user id types: what a customerId path parameter holds.
const (
	ByCustomerID = "CUSTOMER_ID" // the FI customer GUID (the default)
	ByLoginID    = "LOGIN_ID"    // the username
)

// CustomerByRef finds an FI's customer by GUID (ByCustomerID, also for "") or username
// (ByLoginID). Another FI's customer is models.ErrNotFound, like an unknown one.
func (s *Store) CustomerByRef(ctx context.Context, fiID, idType, ref string) (*models.Customer, error) {
	if idType == ByLoginID {
		return s.CustomerByLogin(ctx, fiID, ref)
	}
	var c models.Customer
	err := s.db.WithContext(ctx).Preload("Member").Where("institution_id = ? AND id = ?", fiID, ref).Take(&c).Error
	if err != nil {
		return nil, Translate("get customer", err)
	}
	return &c, nil
}

// UnlockCustomer clears a customer's password-grant lockout (lock, lock time and failure count)
// and records the UnlockUser audit event, in one transaction.
func (s *Store) UnlockCustomer(ctx context.Context, c *models.Customer, a Actor, now time.Time) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&models.Customer{}).Where("id = ? AND institution_id = ?", c.ID, c.InstitutionID).
			Updates(map[string]any{"locked": false, "locked_at": nil, "failed_login_count": 0}).Error
		if err != nil {
			return Translate("unlock", err)
		}
		return recordAudit(tx, AuditUnlockUser, c.InstitutionID, a, c.ID, now)
	})
}
