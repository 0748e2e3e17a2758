package db

import (
	"context"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/registration"
	"github.com/custreg/custreg/rules"
)

// Origin is where a registration came from: the app, the offering and device address it
// names (or its configured offering and the caller's address), and the request's di_tid, which
// is also its idempotency key with the app (D7). It is kept with the evidence and the audit.
type Origin struct {
	ClientAppID   uint
	OfferingID    string
	OriginatingIP string
	TraceID       string
	RequestHash   string // identifies the request's body: the same di_tid with another is 26330
}

// Registered is what a successful registration created.
type Registered struct {
	Customer     models.Customer
	Member       models.Member
	Addresses    []models.CustomerAddress
	Phones       []models.CustomerPhone
	Destinations []models.Destination
}

// ReplyFunc renders the success answer of a registration from what it created. Register runs it
// inside the registration's transaction and stores its result, encrypted, as the request's
// idempotent reply, so a registration is never committed without its replayable answer.
type ReplyFunc func(*Registered) (body []byte, contentType string, err error)

// RegistrationContext is what checking a registration needs: the FI with its policy, its
// disclosure definitions, and the registering app.
func (s *Store) RegistrationContext(ctx context.Context, fiID string, appID uint) (*models.Institution, []models.Disclosure, *models.ClientApp, error) {
	fi, err := s.Institution(ctx, fiID)
	if err != nil {
		return nil, nil, nil, err
	}
	defs, err := s.Disclosures(ctx, fiID)
	if err != nil {
		return nil, nil, nil, err
	}
	app, err := s.ClientAppByID(ctx, appID)
	if err != nil {
		return nil, nil, nil, err
	}
	return fi, defs, app, nil
}

// Register stores a checked registration as one unit and returns what it created, or — when the
// same request (app, di_tid and body) already succeeded — the stored Reply of the first time.
//
// Before the transaction it claims the idempotency key and marks the member number and login id
// as in flight (both held in the database, so they work across instances), and hashes and seals
// the customer's secrets (argon2id must not run under a write lock). The transaction creates the
// host member when it is new (D10), the customer, addresses, phones, destinations, acceptance
// evidence, the success audit event and the stored reply. Unique indexes refuse duplicates, so
// concurrent requests cannot both succeed. Errors:
//   - models.ErrInFlight: the di_tid is in use by a running request or with another body, or
//     another request holds the member or login;
//   - models.ErrAlreadyRegistered: the member has a PRIMARY user, or the SSN is registered at the
//     FI (D32);
//   - models.ErrLoginTaken: the login id is taken in the FI (any case).
//
// On any failure nothing of the request is left behind: the same di_tid can be retried.
func (s *Store) Register(ctx context.Context, p registration.Plan, o Origin, reply ReplyFunc, now time.Time) (*Registered, *Reply, error) {
	prev, release, err := s.claimRegistration(ctx, p, o, now)
	if err != nil || prev != nil {
		return nil, prev, err
	}
	out, err := s.register(ctx, p, o, reply, now)
	if err != nil {
		// Whatever happened, the key and the markers must not stay claimed by a request that
		// stored nothing.
		release()
		cleanup, cancel := CleanupContext(ctx)
		defer cancel()
		_ = s.abandonIdempotent(cleanup, o)
		return nil, nil, err
	}
	return out, nil, nil
}

// claimRegistration claims the request's idempotency key and marks its member number and login
// id in flight. Usually all three are free, and one transaction takes them; when one is taken
// it claims them one at a time, which tells a replay (prev) from a request in flight and takes
// over markers left by a crashed request. release removes the markers, for a registration that
// failed (a successful one removes them in its own transaction).
func (s *Store) claimRegistration(ctx context.Context, p registration.Plan, o Origin, now time.Time) (prev *Reply, release func(), err error) {
	rec := models.IdempotencyRecord{ClientAppID: o.ClientAppID, TraceID: o.TraceID, RequestHash: o.RequestHash, CreatedAt: now}
	marks := inFlightMarks(p, o.TraceID, now)
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&rec).Error; err != nil {
			return err
		}
		return tx.Create(&marks).Error
	})
	switch {
	case err == nil:
		return nil, func() { s.releaseInFlight(ctx, p.FI.ID, o.TraceID, marks) }, nil
	case !errors.Is(err, gorm.ErrDuplicatedKey):
		return nil, nil, Translate("claim registration", err)
	}
	if prev, err = s.beginIdempotent(ctx, o, now); err != nil || prev != nil {
		return prev, nil, err
	}
	if release, err = s.holdInFlight(ctx, p, o.TraceID, now); err != nil {
		cleanup, cancel := CleanupContext(ctx)
		defer cancel()
		_ = s.abandonIdempotent(cleanup, o)
		return nil, nil, err
	}
	return nil, release, nil
}

func (s *Store) register(ctx context.Context, p registration.Plan, o Origin, reply ReplyFunc, now time.Time) (*Registered, error) {
	fiID := p.FI.ID
	// Checked before the password is hashed, so a duplicate costs no hash. A registration that
	// races this check loses at the unique indexes, and duplicateCause names the conflict.
	if err := s.registrationConflicts(s.db.WithContext(ctx), p); err != nil {
		return nil, err
	}
	var member models.Member
	c, err := s.NewCustomer(ctx, fiID, &member, NewCustomerInput{LoginID: p.Person.LoginID, Password: p.Person.Password,
		FirstName: p.Person.FirstName, MiddleName: p.Person.MiddleName, LastName: p.Person.LastName, Email: p.Person.Email,
		SSN: p.Person.SSN, BirthDate: p.Person.BirthDate, MotherMaidenName: p.Person.MotherMaidenName, HostPIN: p.HostPIN})
	if err != nil {
		return nil, err
	}
	// The disclosure flags (acceptedDisclosure, needsToAcceptDisclosure, registered) are derived
	// from the recorded decisions by RecomputeAcceptance inside the transaction.
	c.ChannelType = models.ChannelTPVAPI
	addresses, phones, destinations := slices.Clone(p.Addresses), slices.Clone(p.Phones), slices.Clone(p.Destinations)
	out := &Registered{}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := findOrCreateMember(tx, fiID, p.MemberNumber, p.Person.FirstName+" "+p.Person.LastName)
		if err != nil {
			return err
		}
		c.MemberID = m.ID
		if err := insertCustomer(tx, &c); err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return errRegistrationDuplicate // explained once the transaction has let go of its connection
			}
			return err
		}
		for i := range addresses {
			addresses[i].CustomerID, addresses[i].Position = c.ID, i
		}
		for i := range phones {
			phones[i].CustomerID, phones[i].Position = c.ID, i
		}
		for i := range destinations {
			destinations[i].CustomerID, destinations[i].Position = c.ID, i
		}
		if err := createAll(tx, addresses); err != nil {
			return err
		}
		if err := createAll(tx, phones); err != nil {
			return err
		}
		if err := createAll(tx, destinations); err != nil {
			return err
		}
		for i := range p.Accepted {
			err := writeUserDecision(tx, &UserDecision{Customer: &c, Disclosure: &p.Accepted[i], Status: "ACCEPTED",
				ClientAppID: o.ClientAppID, OfferingID: o.OfferingID, OriginatingIP: o.OriginatingIP,
				Channel: models.ChannelTPVAPI, TraceID: o.TraceID, At: now}, false, true)
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
		audit := RegistrationAudit(fiID, o, models.OutcomeSuccess, "", &c.ID, now)
		if err := tx.Create(&audit).Error; err != nil {
			return err
		}
		// The customer's unique indexes now refuse what the markers held off.
		if err := deleteInFlight(tx, fiID, o.TraceID, inFlightMarks(p, o.TraceID, now)); err != nil {
			return err
		}
		c.Member = *m
		out.Customer, out.Member, out.Addresses, out.Phones, out.Destinations = c, *m, addresses, phones, destinations
		return s.completeIdempotent(tx, o, out, reply, now)
	})
	if errors.Is(err, errRegistrationDuplicate) {
		err = s.duplicateCause(ctx, p)
	}
	if err != nil {
		if errors.Is(err, models.ErrLoginTaken) || errors.Is(err, models.ErrAlreadyRegistered) || errors.Is(err, models.ErrInFlight) {
			return nil, err
		}
		return nil, Translate("register customer", err)
	}
	return out, nil
}

// registrationConflicts answers the duplicate checks: the member already has a PRIMARY user
// (26331) first, so a retried registration learns it is done; then a login taken by anyone else
// in the FI (26201); then the same person (SSN blind index) registered under another member (D32).
func (s *Store) registrationConflicts(tx *gorm.DB, p registration.Plan) error {
	fiID := p.FI.ID
	var n int64
	err := tx.Model(&models.Customer{}).Joins("JOIN members ON members.id = customers.member_id").
		Where("members.institution_id = ? AND members.member_number = ? AND customers.user_type = ?", fiID, p.MemberNumber, "PRIMARY").
		Count(&n).Error
	if err != nil {
		return err
	}
	if n > 0 {
		return models.ErrAlreadyRegistered
	}
	if err := tx.Model(&models.Customer{}).Where("institution_id = ? AND login_id_norm = ?", fiID,
		rules.NormalizeUsername(p.Person.LoginID)).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return models.ErrLoginTaken
	}
	if p.Person.SSN != "" {
		if err := tx.Model(&models.Customer{}).Where("institution_id = ? AND ssn_index = ?", fiID,
			ssnField.indexOf(s.keys, fiID, p.Person.SSN)).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return models.ErrAlreadyRegistered
		}
	}
	return nil
}

// errRegistrationDuplicate is a unique-index violation inside the registration's transaction.
// Its cause is read after the transaction ends: read inside it, from another connection, it
// would wait for one while holding its own, and concurrent registrations holding the others
// and waiting for the write lock would leave it none until the budget ran out.
var errRegistrationDuplicate = errors.New("registration: duplicate key")

// duplicateCause explains a unique-index violation raised by a concurrent registration. The
// failed statement aborted a PostgreSQL transaction, so it looks outside it.
func (s *Store) duplicateCause(ctx context.Context, p registration.Plan) error {
	if err := s.registrationConflicts(s.db.WithContext(ctx), p); err != nil {
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

// createAll inserts a batch of rows (nothing for an empty batch).
func createAll[T any](tx *gorm.DB, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.Create(&rows).Error
}

// cleanupBudget bounds the clean-up after a failed request (releasing its markers and claims,
// auditing it): it runs after the request's own deadline may have passed, so it needs its own,
// short enough that the answer is still written before the HTTP write timeout.
const cleanupBudget = 2 * time.Second

// CleanupContext is the context of clean-up work after a request failed: not cancelled with
// the request, but bounded by cleanupBudget. A request's clean-up steps share one budget: none
// runs past the request's deadline plus cleanupBudget, so a request whose database is down
// answers within its deadline plus the budget however many steps it takes (each step used to
// get a budget of its own, and a registration could take three of them on a frozen server).
func CleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(cleanupBudget)
	if d, ok := ctx.Deadline(); ok && d.Add(cleanupBudget).Before(deadline) {
		deadline = d.Add(cleanupBudget)
	}
	return context.WithDeadline(context.WithoutCancel(ctx), deadline)
}

// inFlightMarks are the markers of a registration: its member number and its login id.
func inFlightMarks(p registration.Plan, traceID string, now time.Time) []models.InFlight {
	return []models.InFlight{
		{InstitutionID: p.FI.ID, Kind: "member", Value: p.MemberNumber, TraceID: traceID, CreatedAt: now},
		{InstitutionID: p.FI.ID, Kind: "login", Value: rules.NormalizeUsername(p.Person.LoginID), TraceID: traceID, CreatedAt: now},
	}
}

// holdInFlight marks the plan's member number and login id as being registered by traceID, one
// at a time, so a concurrent request for either is told 26330 instead of racing; release removes
// the marks it took.
func (s *Store) holdInFlight(ctx context.Context, p registration.Plan, traceID string, now time.Time) (release func(), err error) {
	marks := inFlightMarks(p, traceID, now)
	held := 0
	release = func() { s.releaseInFlight(ctx, p.FI.ID, traceID, marks[:held]) }
	for _, m := range marks {
		if err := s.acquireInFlight(ctx, p.FI.ID, m.Kind, m.Value, traceID, now); err != nil {
			release()
			return nil, err
		}
		held++
	}
	return release, nil
}

// acquireInFlight marks (kind, value) in the FI as being registered by traceID, or returns
// ErrInFlight when another request holds it. Markers older than inFlightTTL are taken over.
func (s *Store) acquireInFlight(ctx context.Context, fiID, kind, value, traceID string, now time.Time) error {
	row := models.InFlight{InstitutionID: fiID, Kind: kind, Value: value, TraceID: traceID, CreatedAt: now}
	for attempt := 0; attempt < 2; attempt++ {
		err := s.db.WithContext(ctx).Create(&row).Error
		if err == nil {
			return nil
		}
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			return Translate("mark registration in flight", err)
		}
		res := s.db.WithContext(ctx).Where("institution_id = ? AND kind = ? AND value = ? AND created_at < ?",
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

// releaseInFlight removes markers this request holds, in one statement, under the clean-up
// budget (the request may have failed on its deadline). Best effort: a marker left behind
// expires after inFlightTTL.
func (s *Store) releaseInFlight(ctx context.Context, fiID, traceID string, marks []models.InFlight) {
	cleanup, cancel := CleanupContext(ctx)
	defer cancel()
	_ = deleteInFlight(s.db.WithContext(cleanup), fiID, traceID, marks)
}

// deleteInFlight deletes the markers that traceID holds among marks.
func deleteInFlight(tx *gorm.DB, fiID, traceID string, marks []models.InFlight) error {
	if len(marks) == 0 {
		return nil
	}
	q := tx.Where("kind = ? AND value = ?", marks[0].Kind, marks[0].Value)
	for _, m := range marks[1:] {
		q = q.Or("kind = ? AND value = ?", m.Kind, m.Value)
	}
	return Translate("release in-flight marker", tx.Where("institution_id = ? AND trace_id = ?", fiID, traceID).
		Where(q).Delete(&models.InFlight{}).Error)
}

// RegistrationAudit is the RegistrationUser audit event of one registration attempt (never PII).
func RegistrationAudit(fiID string, o Origin, outcome, codes string, customerID *string, now time.Time) models.AuditEvent {
	return models.AuditEvent{Event: "RegistrationUser", ChannelType: models.ChannelTPVAPI, UserProduct: "THIRD_PARTY_REGISTRATION",
		InstitutionID: fiID, ClientAppID: o.ClientAppID, OfferingID: o.OfferingID, TraceID: o.TraceID,
		Outcome: outcome, ErrorCodes: codes, CustomerID: customerID, CreatedAt: now}
}

// RecordRegistrationFailure stores the audit event of a refused registration attempt (its own
// write: a refused attempt stores nothing else).
func (s *Store) RecordRegistrationFailure(ctx context.Context, fiID string, o Origin, codes string, now time.Time) error {
	ev := RegistrationAudit(fiID, o, models.OutcomeFailure, codes, nil, now)
	return Translate("record audit event", s.db.WithContext(ctx).Create(&ev).Error)
}
