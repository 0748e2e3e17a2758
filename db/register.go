package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
)

// inFlightTTL bounds how long a crashed instance's in-flight markers block a retry.
const inFlightTTL = 2 * time.Minute

// Registration is a validated registration, ready to be stored as one unit.
type Registration struct {
	FI            *models.Institution
	MemberNumber  string
	Customer      NewCustomerInput
	HostPIN       string
	Addresses     []models.CustomerAddress
	Phones        []models.CustomerPhone
	Destinations  []models.Destination
	Accepted      []models.Disclosure // evidence is recorded for each
	ClientAppID   uint
	OfferingID    string
	OriginatingIP string
	TraceID       string // also the idempotency key, with ClientAppID (D7)
	// Reply renders the success answer from what was created. It runs inside the registration's
	// transaction, and its result is stored, encrypted, as the idempotency record's answer in
	// the same transaction: a registration is never committed without its replayable reply.
	Reply func(*Registered) (body []byte, contentType string, err error)
}

// Registered is what a successful registration created.
type Registered struct {
	Customer     models.Customer
	Member       models.Member
	Addresses    []models.CustomerAddress
	Phones       []models.CustomerPhone
	Destinations []models.Destination
}

// Register stores a registration in one transaction: the host member (found or created, D10), the
// customer with hashed password and encrypted PII, addresses, phones, destinations, disclosure
// evidence and the audit event. Duplicates are refused by unique indexes, so concurrent requests
// cannot both succeed: ErrLoginTaken (login id in the FI, any case), ErrAlreadyRegistered (the
// member already has a PRIMARY user, or the same SSN is registered at the FI, D32).
func (s *Store) Register(ctx context.Context, reg *Registration, now time.Time) (*Registered, error) {
	fiID := reg.FI.ID
	if err := s.registrationConflicts(s.DB.WithContext(ctx), reg); err != nil {
		return nil, err
	}
	// Hash and encrypt before the transaction: argon2id takes tens of milliseconds and must not
	// hold a write lock.
	var member models.Member
	c, err := s.NewCustomer(ctx, fiID, &member, reg.Customer)
	if err != nil {
		return nil, err
	}
	if reg.HostPIN != "" {
		if c.HostPINEnc, err = s.Keys.EncryptString(reg.HostPIN, AAD(fiID, c.ID, "host_pin")); err != nil {
			return nil, err
		}
	}
	// The disclosure flags (acceptedDisclosure, needsToAcceptDisclosure, registered) are derived
	// from the recorded decisions by RecomputeAcceptance inside the transaction.
	c.ChannelType = models.ChannelTPVAPI
	out := &Registered{}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.registrationConflicts(tx, reg); err != nil {
			return err
		}
		m, err := findOrCreateMember(tx, fiID, reg.MemberNumber, reg.Customer.FirstName+" "+reg.Customer.LastName)
		if err != nil {
			return err
		}
		c.MemberID = m.ID
		if err := tx.Omit("Member").Create(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return s.duplicateCause(ctx, reg)
			}
			return err
		}
		for i := range reg.Addresses {
			reg.Addresses[i].CustomerID, reg.Addresses[i].Position = c.ID, i
		}
		for i := range reg.Phones {
			reg.Phones[i].CustomerID, reg.Phones[i].Position = c.ID, i
		}
		for i := range reg.Destinations {
			reg.Destinations[i].CustomerID, reg.Destinations[i].Position = c.ID, i
		}
		if err := createAll(tx, reg.Addresses); err != nil {
			return err
		}
		if err := createAll(tx, reg.Phones); err != nil {
			return err
		}
		if err := createAll(tx, reg.Destinations); err != nil {
			return err
		}
		for i := range reg.Accepted {
			err := recordUserDecision(tx, &UserDecision{Customer: &c, Disclosure: &reg.Accepted[i], Status: "ACCEPTED",
				ClientAppID: reg.ClientAppID, OfferingID: reg.OfferingID, OriginatingIP: reg.OriginatingIP,
				Channel: models.ChannelTPVAPI, TraceID: reg.TraceID, At: now}, false)
			if err != nil {
				return err
			}
		}
		if err := RecomputeAcceptance(tx, fiID, c.ID); err != nil {
			return err
		}
		if err := tx.Omit("Member").Where("id = ?", c.ID).Take(&c).Error; err != nil {
			return err
		}
		audit := RegistrationAudit(fiID, reg.ClientAppID, reg.OfferingID, reg.TraceID, models.OutcomeSuccess, "", &c.ID, now)
		if err := tx.Create(&audit).Error; err != nil {
			return err
		}
		c.Member = *m
		out.Customer, out.Member, out.Addresses, out.Phones, out.Destinations = c, *m, reg.Addresses, reg.Phones, reg.Destinations
		if reg.Reply != nil {
			return s.completeIdempotent(tx, reg, out, now)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, models.ErrLoginTaken) || errors.Is(err, models.ErrAlreadyRegistered) || errors.Is(err, models.ErrInFlight) {
			return nil, err
		}
		return nil, Translate("register customer", err)
	}
	return out, nil
}

// completeIdempotent stores the rendered reply of a registration on its idempotency record,
// inside the registration's transaction. The record must still be this request's in-flight one.
func (s *Store) completeIdempotent(tx *gorm.DB, reg *Registration, done *Registered, now time.Time) error {
	body, ctype, err := reg.Reply(done)
	if err != nil {
		return err
	}
	enc, err := s.Keys.Encrypt(body, []byte(IdempotencyAAD(reg.ClientAppID, reg.TraceID)))
	if err != nil {
		return err
	}
	res := tx.Model(&models.IdempotencyRecord{}).Where("client_app_id = ? AND trace_id = ? AND status = 0", reg.ClientAppID, reg.TraceID).
		Updates(map[string]any{"status": 200, "content_type": ctype, "response_enc": enc, "completed_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return models.ErrInFlight // the key was taken over meanwhile: let its owner answer
	}
	return nil
}

// createAll inserts a batch of rows (nothing for an empty batch).
func createAll[T any](tx *gorm.DB, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.Create(&rows).Error
}

// registrationConflicts answers the duplicate checks: the member already has a PRIMARY user
// (26331) first, so a retried registration learns it is done; then a login taken by anyone else
// in the FI (26201); then the same person (SSN blind index) registered under another member (D32).
func (s *Store) registrationConflicts(tx *gorm.DB, reg *Registration) error {
	fiID := reg.FI.ID
	var n int64
	err := tx.Model(&models.Customer{}).Joins("JOIN members ON members.id = customers.member_id").
		Where("members.institution_id = ? AND members.member_number = ? AND customers.user_type = ?", fiID, reg.MemberNumber, "PRIMARY").
		Count(&n).Error
	if err != nil {
		return err
	}
	if n > 0 {
		return models.ErrAlreadyRegistered
	}
	if err := tx.Model(&models.Customer{}).Where("institution_id = ? AND login_id_norm = ?", fiID,
		rules.NormalizeUsername(reg.Customer.LoginID)).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return models.ErrLoginTaken
	}
	if reg.Customer.SSN != "" {
		if err := tx.Model(&models.Customer{}).Where("institution_id = ? AND ssn_index = ?", fiID,
			s.Keys.BlindIndex("ssn:"+fiID, reg.Customer.SSN)).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return models.ErrAlreadyRegistered
		}
	}
	return nil
}

// duplicateCause explains a unique-index violation raised by a concurrent registration. The
// failed statement aborted a PostgreSQL transaction, so it looks outside it.
func (s *Store) duplicateCause(ctx context.Context, reg *Registration) error {
	if err := s.registrationConflicts(s.DB.WithContext(ctx), reg); err != nil {
		return err
	}
	return models.ErrAlreadyRegistered
}

func findOrCreateMember(tx *gorm.DB, fiID, number, name string) (*models.Member, error) {
	var m models.Member
	err := tx.Where("institution_id = ? AND member_number = ?", fiID, number).Take(&m).Error
	if err == nil {
		return &m, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	m = models.Member{InstitutionID: fiID, MemberNumber: number, Name: name}
	if err := tx.Omit("Institution").Create(&m).Error; err != nil {
		return nil, err
	}
	return &m, nil
}

// RegistrationAudit is the RegistrationUser audit event of one registration attempt (never PII).
func RegistrationAudit(fiID string, clientAppID uint, offeringID, traceID, outcome, codes string, customerID *string, now time.Time) models.AuditEvent {
	return models.AuditEvent{Event: "RegistrationUser", ChannelType: models.ChannelTPVAPI, UserProduct: "THIRD_PARTY_REGISTRATION",
		InstitutionID: fiID, ClientAppID: clientAppID, OfferingID: offeringID, TraceID: traceID,
		Outcome: outcome, ErrorCodes: codes, CustomerID: customerID, CreatedAt: now}
}

// RecordAudit stores an audit event on its own (failed attempts, whose transaction rolled back).
func (s *Store) RecordAudit(ctx context.Context, ev *models.AuditEvent) error {
	return Translate("record audit event", s.DB.WithContext(ctx).Create(ev).Error)
}

// AcquireInFlight marks (kind, value) in the FI as being registered by traceID, or returns
// ErrInFlight when another request holds it. Markers older than inFlightTTL are taken over.
func (s *Store) AcquireInFlight(ctx context.Context, fiID, kind, value, traceID string, now time.Time) error {
	row := models.InFlight{InstitutionID: fiID, Kind: kind, Value: value, TraceID: traceID, CreatedAt: now}
	for attempt := 0; attempt < 2; attempt++ {
		err := s.DB.WithContext(ctx).Create(&row).Error
		if err == nil {
			return nil
		}
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			return Translate("mark registration in flight", err)
		}
		res := s.DB.WithContext(ctx).Where("institution_id = ? AND kind = ? AND value = ? AND created_at < ?",
			fiID, kind, value, now.Add(-inFlightTTL)).Delete(&models.InFlight{})
		if res.Error != nil {
			return Translate("expire in-flight marker", res.Error)
		}
		if res.RowsAffected == 0 {
			return models.ErrInFlight
		}
	}
	return models.ErrInFlight
}

// ReleaseInFlight removes a marker this request holds.
func (s *Store) ReleaseInFlight(ctx context.Context, fiID, kind, value, traceID string) error {
	return Translate("release in-flight marker", s.DB.WithContext(ctx).
		Where("institution_id = ? AND kind = ? AND value = ? AND trace_id = ?", fiID, kind, value, traceID).
		Delete(&models.InFlight{}).Error)
}

// BeginIdempotent records a request under its idempotency key. When the key is new it returns
// (nil, nil) and the caller owns the key; otherwise it returns the existing record (completed or
// still in flight). Abandoned in-flight records older than inFlightTTL are taken over.
func (s *Store) BeginIdempotent(ctx context.Context, appID uint, traceID, requestHash string, now time.Time) (*models.IdempotencyRecord, error) {
	rec := models.IdempotencyRecord{ClientAppID: appID, TraceID: traceID, RequestHash: requestHash, CreatedAt: now}
	for attempt := 0; attempt < 2; attempt++ {
		err := s.DB.WithContext(ctx).Create(&rec).Error
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, Translate("begin idempotent request", err)
		}
		var cur models.IdempotencyRecord
		if err := s.DB.WithContext(ctx).Where("client_app_id = ? AND trace_id = ?", appID, traceID).Take(&cur).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				continue // released meanwhile: try again
			}
			return nil, Translate("read idempotency record", err)
		}
		if cur.Status == 0 && cur.CreatedAt.Before(now.Add(-inFlightTTL)) {
			if err := s.DB.WithContext(ctx).Where("client_app_id = ? AND trace_id = ? AND status = 0", appID, traceID).
				Delete(&models.IdempotencyRecord{}).Error; err != nil {
				return nil, Translate("expire idempotency record", err)
			}
			continue
		}
		return &cur, nil
	}
	return nil, fmt.Errorf("begin idempotent request: %w", models.ErrInFlight)
}

// AbandonIdempotent forgets an in-flight key whose request failed, so the client may retry it.
func (s *Store) AbandonIdempotent(ctx context.Context, appID uint, traceID string) error {
	return Translate("abandon idempotent request", s.DB.WithContext(ctx).
		Where("client_app_id = ? AND trace_id = ? AND status = 0", appID, traceID).Delete(&models.IdempotencyRecord{}).Error)
}

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
	q := s.DB.WithContext(ctx).Preload("Member").Where("customers.institution_id = ?", fiID)
	switch idType {
	case "LOGINID":
		q = q.Where("login_id_norm = ?", rules.NormalizeUsername(id))
	case "MEMNUMBER", "HOSTID":
		q = q.Joins("JOIN members ON members.id = customers.member_id").
			Where("members.member_number = ? AND customers.user_type = ?", id, "PRIMARY")
	default:
		q = q.Where("customers.id = ?", id)
	}
	var v CustomerView
	if err := q.Take(&v.Customer).Error; err != nil {
		return nil, Translate("find customer", err)
	}
	db := s.DB.WithContext(ctx)
	if err := db.Where("customer_id = ?", v.Customer.ID).Order("position").Find(&v.Addresses).Error; err != nil {
		return nil, Translate("customer addresses", err)
	}
	if err := db.Where("customer_id = ?", v.Customer.ID).Order("position").Find(&v.Phones).Error; err != nil {
		return nil, Translate("customer phones", err)
	}
	if err := db.Where("customer_id = ?", v.Customer.ID).Order("position").Find(&v.Destinations).Error; err != nil {
		return nil, Translate("customer destinations", err)
	}
	return &v, nil
}

// ClientAppByID returns an app by its row id.
func (s *Store) ClientAppByID(ctx context.Context, id uint) (*models.ClientApp, error) {
	var app models.ClientApp
	if err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&app).Error; err != nil {
		return nil, Translate("get client app", err)
	}
	return &app, nil
}

// Disclosures lists the FI's disclosure definitions by name.
func (s *Store) Disclosures(ctx context.Context, fiID string) ([]models.Disclosure, error) {
	var ds []models.Disclosure
	err := s.DB.WithContext(ctx).Where("institution_id = ?", fiID).Order("name").Find(&ds).Error
	return ds, Translate("list disclosures", err)
}
