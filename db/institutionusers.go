package db

import (
	"context"
	"strings"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// Institution user id types: what the path of an institution-users or user-status request names
// (ByLoginID and ByCustomerID, the Customer v2 types, name a user there too).
const (
	ByInstitutionUserID = "INSTITUTION_USER_ID" // Customer.InstitutionUserID (the default)
	ByHostUserID        = "HOST_USER_ID"        // the member number: the member's PRIMARY user
	ByLegacyUserGUID    = "LEGACY_USER_GUID"    // the customer GUID (user-status calls it CUSTOMER_ID)
	ByUserID            = "USER_ID"             // Customer.AuthID
)

// InstitutionUserByRef finds an FI's user by any of its names (the By* id types; "" is
// ByInstitutionUserID). Another FI's user is models.ErrNotFound, like an unknown one.
func (s *Store) InstitutionUserByRef(ctx context.Context, fiID, idType, ref string) (*models.Customer, error) {
	q := s.db.WithContext(ctx).Preload("Member").Where("customers.institution_id = ?", fiID)
	switch idType {
	case ByHostUserID:
		q = q.Joins("JOIN members ON members.id = customers.member_id").
			Where("members.member_number = ? AND customers.user_type = ?", ref, models.RolePrimary)
	case ByLoginID:
		q = q.Where("customers.login_id_norm = ?", rules.NormalizeUsername(ref))
	case ByLegacyUserGUID, ByCustomerID:
		q = q.Where("customers.id = ?", ref)
	case ByUserID:
		q = q.Where("customers.auth_id = ?", ref)
	default:
		q = q.Where("customers.institution_user_id = ?", ref)
	}
	var c models.Customer
	if err := q.Take(&c).Error; err != nil {
		return nil, Translate("find institution user", err)
	}
	return &c, nil
}

// Relatives are the users related to one user: the PRIMARY parent of an ENTITLED sub-user, or the
// ENTITLED sub-users of a PRIMARY user.
type Relatives struct {
	Parent   *models.Customer  // nil for a PRIMARY user
	SubUsers []models.Customer // in creation order; none for a sub-user
}

// RelativesOf loads c's parent or sub-users, all of c's FI.
func (s *Store) RelativesOf(ctx context.Context, c *models.Customer) (*Relatives, error) {
	out := &Relatives{}
	conn := s.db.WithContext(ctx).Preload("Member").Where("institution_id = ?", c.InstitutionID)
	if c.ParentID != nil {
		var p models.Customer
		if err := conn.Where("id = ?", *c.ParentID).Take(&p).Error; err != nil {
			return nil, Translate("get parent user", err)
		}
		out.Parent = &p
		return out, nil
	}
	if err := conn.Where("parent_id = ?", c.ID).Order("created_at, id").Find(&out.SubUsers).Error; err != nil {
		return nil, Translate("get sub-users", err)
	}
	return out, nil
}

// Contacts are a user's postal addresses and contact methods.
type Contacts struct {
	Addresses    []models.CustomerAddress
	Destinations []models.Destination
}

// ContactsOf loads a user's addresses and contact methods in their order.
func (s *Store) ContactsOf(ctx context.Context, customerID string) (*Contacts, error) {
	var out Contacts
	conn := s.db.WithContext(ctx)
	if err := conn.Where("customer_id = ?", customerID).Order("position").Find(&out.Addresses).Error; err != nil {
		return nil, Translate("customer addresses", err)
	}
	if err := conn.Where("customer_id = ?", customerID).Order("position").Find(&out.Destinations).Error; err != nil {
		return nil, Translate("customer contact methods", err)
	}
	return &out, nil
}

// BirthDate opens a user's birth date ("" when none is stored).
func (s *Store) BirthDate(c *models.Customer) (string, error) { return birthDateField.open(s.keys, c) }

// Identification document types this service holds.
const DocumentSSN = "SSN"

// ExportedDocument is one identification document as it leaves the service: the number
// encrypted to the FI's document key, and masked to its last four.
type ExportedDocument struct {
	Type     string // DocumentSSN
	Number   string // secure.EncryptDocument of the number
	MaskedID string // "*****6789"
}

// ExportDocuments returns c's identification documents encrypted to the FI's document key: the
// SSN given at registration or provisioning (the only document kept). Without a key it is
// models.ErrNoDocumentKey, whatever the user holds. The number in clear never leaves this
// function.
func (s *Store) ExportDocuments(fi *models.Institution, c *models.Customer) ([]ExportedDocument, error) {
	if strings.TrimSpace(fi.DocumentKey) == "" {
		return nil, models.ErrNoDocumentKey
	}
	pub, err := secure.ParseDocumentKey(fi.DocumentKey)
	if err != nil {
		return nil, err // checked when provisioned: a damaged row
	}
	ssn, err := ssnField.open(s.keys, c)
	if err != nil || ssn == "" {
		return nil, err
	}
	enc, err := secure.EncryptDocument(pub, ssn)
	if err != nil {
		return nil, err
	}
	return []ExportedDocument{{Type: DocumentSSN, Number: enc, MaskedID: secure.MaskLast4(ssn)}}, nil
}
