package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// Disclosure returns one of the FI's disclosure definitions by id (case-insensitive).
func (s *Store) Disclosure(ctx context.Context, fiID, id string) (*models.Disclosure, error) {
	var d models.Disclosure
	err := s.db.WithContext(ctx).Where("institution_id = ? AND id = ?", fiID, strings.ToUpper(id)).Take(&d).Error
	if err != nil {
		return nil, Translate("get disclosure", err)
	}
	return &d, nil
}

// DisclosureByName returns the FI's definition with that name.
func (s *Store) DisclosureByName(ctx context.Context, fiID, name string) (*models.Disclosure, error) {
	var d models.Disclosure
	err := s.db.WithContext(ctx).Where("institution_id = ? AND name = ?", fiID, name).Take(&d).Error
	if err != nil {
		return nil, Translate("get disclosure by name", err)
	}
	return &d, nil
}

// Disclosures lists the FI's disclosure definitions by name.
func (s *Store) Disclosures(ctx context.Context, fiID string) ([]models.Disclosure, error) {
	var ds []models.Disclosure
	err := s.db.WithContext(ctx).Where("institution_id = ?", fiID).Order("name").Find(&ds).Error
	return ds, Translate("list disclosures", err)
}

// DisclosureSpec is a disclosure definition of an FI as the disclosures API and provisioning
// files give it. It lives here, not with the other provisioning specs, so that disclosures need
// nothing of provisioning.
type DisclosureSpec struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Data     string `yaml:"data"`
	DataType string `yaml:"dataType"`
	Enabled  *bool  `yaml:"enabled"`
	Required bool   `yaml:"required"`
}

// DisclosureContentHash identifies the exact content of a disclosure as a user would accept it.
func DisclosureContentHash(name, data, dataType string) string {
	sum := sha256.Sum256([]byte(name + "\x00" + data + "\x00" + dataType))
	return hex.EncodeToString(sum[:])
}

// normalized is the spec's content as it is stored: data without a type is a URL, a definition
// is enabled unless the spec says otherwise, and hash identifies the content.
func (d *DisclosureSpec) normalized() (dataType string, enabled bool, hash string) {
	dataType = d.DataType
	if d.Data != "" && dataType == "" {
		dataType = "URL"
	}
	return dataType, d.Enabled == nil || *d.Enabled, DisclosureContentHash(d.Name, d.Data, dataType)
}

// CreateDisclosure adds a definition to the FI (ErrConflict when the name exists).
func (s *Store) CreateDisclosure(ctx context.Context, fiID string, spec *DisclosureSpec) (*models.Disclosure, error) {
	var out *models.Disclosure
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&models.Disclosure{}).Where("institution_id = ? AND name = ?", fiID, spec.Name).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return models.ErrConflict
		}
		if _, err := UpsertDisclosure(tx, fiID, spec); err != nil {
			return err
		}
		var d models.Disclosure
		if err := tx.Where("institution_id = ? AND name = ?", fiID, spec.Name).Take(&d).Error; err != nil {
			return err
		}
		out = &d
		if d.Required {
			return RecomputeAcceptance(tx, fiID, "")
		}
		return nil
	})
	if err != nil {
		return nil, Translate("create disclosure", err)
	}
	return out, nil
}

// UpdateDisclosure changes a definition. A content change (name, data or type) raises its
// version; when a required disclosure changes, its users are flagged to accept it again, their
// earlier evidence untouched.
func (s *Store) UpdateDisclosure(ctx context.Context, fiID, id string, spec *DisclosureSpec) (*models.Disclosure, error) {
	var out models.Disclosure
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur models.Disclosure
		if err := tx.Where("institution_id = ? AND id = ?", fiID, strings.ToUpper(id)).Take(&cur).Error; err != nil {
			return err
		}
		if spec.Name != cur.Name {
			var n int64
			if err := tx.Model(&models.Disclosure{}).Where("institution_id = ? AND name = ?", fiID, spec.Name).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return models.ErrConflict
			}
		}
		dataType, enabled, hash := spec.normalized()
		changed := hash != cur.ContentHash
		affectsUsers := changed || cur.Required != spec.Required || cur.Enabled != enabled
		if changed {
			cur.Version++
		}
		cur.Name, cur.Data, cur.DataType, cur.Enabled, cur.Required, cur.ContentHash = spec.Name, spec.Data, dataType, enabled, spec.Required, hash
		if err := tx.Save(&cur).Error; err != nil {
			return err
		}
		out = cur
		if affectsUsers {
			return RecomputeAcceptance(tx, fiID, "")
		}
		return nil
	})
	if err != nil {
		return nil, Translate("update disclosure", err)
	}
	return &out, nil
}

// UpsertDisclosure creates or updates the FI's disclosure of the same name. The version grows
// only when the content changes. It reports whether the content changed.
func UpsertDisclosure(tx *gorm.DB, fiID string, d *DisclosureSpec) (bool, error) {
	dataType, enabled, hash := d.normalized()
	var cur models.Disclosure
	err := tx.Where("institution_id = ? AND name = ?", fiID, d.Name).Take(&cur).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		id := d.ID
		if id == "" {
			if id, err = secure.NewID32(); err != nil {
				return false, err
			}
			id = strings.ToUpper(id)
		}
		cur = models.Disclosure{ID: id, InstitutionID: fiID, Name: d.Name, Data: d.Data, DataType: dataType,
			Enabled: enabled, Required: d.Required, Version: 1, ContentHash: hash}
		return true, Translate("create disclosure "+d.Name, tx.Create(&cur).Error)
	}
	if err != nil {
		return false, Translate("find disclosure", err)
	}
	changed := cur.ContentHash != hash
	if changed {
		cur.Version++
	}
	cur.Data, cur.DataType, cur.Enabled, cur.Required, cur.ContentHash = d.Data, dataType, enabled, d.Required, hash
	return changed, Translate("update disclosure "+d.Name, tx.Save(&cur).Error)
}

// RecomputeAcceptance derives the disclosure flags of the FI's customers (one customer when
// customerID is set) from the evidence: a customer needs to accept while any enabled required
// disclosure lacks an ACCEPTED decision for its current version as the latest decision. Once
// nothing is pending the customer is registered (D31).
func RecomputeAcceptance(tx *gorm.DB, fiID, customerID string) error {
	pending := `EXISTS (SELECT 1 FROM disclosures d WHERE d.institution_id = customers.institution_id
		AND d.required = ? AND d.enabled = ? AND NOT EXISTS (
			SELECT 1 FROM user_disclosures u WHERE u.customer_id = customers.id AND u.disclosure_id = d.id
			AND u.account_id = '' AND u.status = 'ACCEPTED' AND u.version = d.version))`
	q := tx.Model(&models.Customer{}).Where("institution_id = ?", fiID)
	if customerID != "" {
		q = q.Where("id = ?", customerID)
	}
	// One statement: every SET expression sees the row as it was, so each derives from pending.
	return q.Updates(map[string]any{
		"needs_to_accept_disclosure": gorm.Expr(pending, true, true),
		"accepted_disclosure":        gorm.Expr("NOT "+pending, true, true),
		"registered":                 gorm.Expr("registered OR NOT "+pending, true, true),
	}).Error
}

// UserDecision is one user-disclosure write: a new status for a definition (per account for OLS).
type UserDecision struct {
	Customer      *models.Customer
	Disclosure    *models.Disclosure
	AccountID     string
	Status        string // ACCEPTED, NOT_ACCEPTED, ENROLLED, NOT_ENROLLED; DELETED removes the state
	PaperWaiver   *bool
	ClientAppID   uint
	OfferingID    string
	OriginatingIP string
	Channel       string
	TraceID       string
	At            time.Time
}

// RecordUserDecision stores a decision: the user's current state is created, updated or (for
// DELETED) removed, an evidence record is appended, and the user's flags are derived again — all
// in one transaction. onlyExisting refuses to create state that does not exist (updates).
func (s *Store) RecordUserDecision(ctx context.Context, d *UserDecision, onlyExisting bool) error {
	return Translate("record user disclosure", s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return recordUserDecision(tx, d, onlyExisting)
	}))
}

func recordUserDecision(tx *gorm.DB, d *UserDecision, onlyExisting bool) error {
	if err := writeUserDecision(tx, d, onlyExisting, false); err != nil {
		return err
	}
	return RecomputeAcceptance(tx, d.Customer.InstitutionID, d.Customer.ID)
}

// writeUserDecision stores a decision and its evidence without deriving the user's flags (the
// caller does, once for all its decisions). newCustomer says the customer was created in this
// transaction and has no state to look up.
func writeUserDecision(tx *gorm.DB, d *UserDecision, onlyExisting, newCustomer bool) error {
	c, def := d.Customer, d.Disclosure
	var cur models.UserDisclosure
	exists := false
	if !newCustomer {
		err := tx.Where("customer_id = ? AND disclosure_id = ? AND account_id = ?", c.ID, def.ID, d.AccountID).Take(&cur).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		exists = err == nil
	}
	if !exists && (onlyExisting || d.Status == "DELETED") {
		return models.ErrNotFound
	}
	switch {
	case d.Status == "DELETED":
		if err := tx.Delete(&cur).Error; err != nil {
			return err
		}
	case exists:
		cur.Status, cur.Version, cur.PaperWaiver, cur.UpdatedAt = d.Status, def.Version, d.PaperWaiver, d.At
		if err := tx.Save(&cur).Error; err != nil {
			return err
		}
	default:
		id, err := secure.NewID32()
		if err != nil {
			return err
		}
		cur = models.UserDisclosure{ID: strings.ToUpper(id), InstitutionID: c.InstitutionID, CustomerID: c.ID, DisclosureID: def.ID,
			AccountID: d.AccountID, Status: d.Status, Version: def.Version, PaperWaiver: d.PaperWaiver, UpdatedAt: d.At}
		if err := tx.Create(&cur).Error; err != nil {
			return err
		}
	}
	ev := models.DisclosureEvidence{InstitutionID: c.InstitutionID, CustomerID: c.ID, DisclosureID: def.ID, DisclosureName: def.Name,
		Version: def.Version, ContentHash: def.ContentHash, Status: d.Status, AccountID: d.AccountID, PaperWaiver: d.PaperWaiver,
		OriginatingIP: d.OriginatingIP, OfferingID: d.OfferingID, ClientAppID: d.ClientAppID, Channel: d.Channel, TraceID: d.TraceID, RecordedAt: d.At}
	return tx.Create(&ev).Error
}

// UserDisclosureView is a user's current state joined with its definition.
type UserDisclosureView struct {
	models.UserDisclosure
	DisclosureName string
}

// UserDisclosures lists a customer's current disclosure states.
func (s *Store) UserDisclosures(ctx context.Context, customerID string) ([]UserDisclosureView, error) {
	var out []UserDisclosureView
	err := s.db.WithContext(ctx).Model(&models.UserDisclosure{}).
		Select("user_disclosures.*, disclosures.name AS disclosure_name").
		Joins("JOIN disclosures ON disclosures.id = user_disclosures.disclosure_id").
		Where("user_disclosures.customer_id = ?", customerID).
		Order("disclosures.name, user_disclosures.account_id").Scan(&out).Error
	return out, Translate("list user disclosures", err)
}

// DisclosureHistory returns every evidence record of a customer, oldest first.
func (s *Store) DisclosureHistory(ctx context.Context, customerID string) ([]models.DisclosureEvidence, error) {
	var out []models.DisclosureEvidence
	err := s.db.WithContext(ctx).Where("customer_id = ?", customerID).Order("recorded_at, id").Find(&out).Error
	return out, Translate("disclosure history", err)
}

// DisclosureExport is a user's complete disclosure history, for an FI's compliance officer.
type DisclosureExport struct {
	InstitutionID     string           `json:"institutionId"`
	LoginID           string           `json:"loginId"`
	CustomerID        string           `json:"customerId"`
	InstitutionUserID string           `json:"institutionUserId"`
	ExportedAt        time.Time        `json:"exportedAt"`
	History           []EvidenceRecord `json:"history"`
}

// EvidenceRecord is one decision as exported.
type EvidenceRecord struct {
	RecordedAt     time.Time `json:"recordedAt"`
	DisclosureID   string    `json:"institutionDisclosureId"`
	DisclosureName string    `json:"institutionDisclosureName"`
	Version        int       `json:"version"`
	ContentHash    string    `json:"contentHash"`
	Status         string    `json:"status"`
	AccountID      string    `json:"accountId,omitempty"`
	PaperWaiver    *bool     `json:"paperWaiver,omitempty"`
	OriginatingIP  string    `json:"originatingIp,omitempty"`
	OfferingID     string    `json:"offeringId,omitempty"`
	ClientID       string    `json:"clientId,omitempty"`
	Channel        string    `json:"channel"`
	TraceID        string    `json:"traceId,omitempty"`
}

// ExportDisclosureHistory returns every decision of the FI's user named by login id, oldest first.
func (s *Store) ExportDisclosureHistory(ctx context.Context, fiID, loginID string) (*DisclosureExport, error) {
	c, err := s.CustomerByLogin(ctx, fiID, loginID)
	if err != nil {
		return nil, err
	}
	history, err := s.DisclosureHistory(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var apps []models.ClientApp
	if err := s.db.WithContext(ctx).Select("id", "client_id").Find(&apps).Error; err != nil {
		return nil, Translate("client apps", err)
	}
	clientIDs := map[uint]string{}
	for _, a := range apps {
		clientIDs[a.ID] = a.ClientID
	}
	out := &DisclosureExport{InstitutionID: fiID, LoginID: c.LoginID, CustomerID: c.ID, InstitutionUserID: c.InstitutionUserID,
		ExportedAt: time.Now().UTC(), History: make([]EvidenceRecord, 0, len(history))}
	for _, e := range history {
		out.History = append(out.History, EvidenceRecord{RecordedAt: e.RecordedAt.UTC(), DisclosureID: e.DisclosureID,
			DisclosureName: e.DisclosureName, Version: e.Version, ContentHash: e.ContentHash, Status: e.Status,
			AccountID: e.AccountID, PaperWaiver: e.PaperWaiver, OriginatingIP: e.OriginatingIP, OfferingID: e.OfferingID,
			ClientID: clientIDs[e.ClientAppID], Channel: e.Channel, TraceID: e.TraceID})
	}
	return out, nil
}
