package db

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
)

// ContactChange is one contact-info update of a customer: any of a phone, the email address and
// the primary postal address (nil parts stay as they are). The caller has checked the values.
type ContactChange struct {
	Phone   *PhoneChange
	Email   *string
	Address *AddressChange
}

// PhoneChange replaces the customer's phone Old by New (country code NewCountryCode).
type PhoneChange struct {
	Old, New, NewCountryCode string
}

// AddressChange is a whole postal address; it replaces the primary (first) one.
type AddressChange struct {
	Address1, Address2, City, State, PostalCode, Country string
}

// Contact-method protocols.
const (
	ProtocolVoice = "VOICE"
	ProtocolSMS   = "SMS"
	ProtocolEmail = "EMAIL"
)

// UpdateContactInfo applies ch to customer c in one transaction, with the UpdateContactInfo
// audit event, so that a failure changes nothing. A changed phone or email gets new contact
// methods (new ids, activated, not validated: nobody has confirmed they reach the user yet) in
// place of the old ones, whose ids stop working. The phone to replace must be one of c's
// (models.ErrPhoneNotFound), and the new number must not be another of them
// (models.ErrPhoneOnFile).
func (s *Store) UpdateContactInfo(ctx context.Context, c *models.Customer, ch ContactChange, a Actor, now time.Time) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Touching the customer first takes its row lock: concurrent changes of one customer
		// queue here instead of interleaving.
		customer := tx.Model(&models.Customer{}).Where("id = ? AND institution_id = ?", c.ID, c.InstitutionID)
		updates := map[string]any{"updated_at": now}
		if ch.Email != nil {
			updates["email"] = *ch.Email
		}
		if res := customer.Updates(updates); res.Error != nil || res.RowsAffected != 1 {
			return Translate("update customer contact", orNotFound(res.Error, res.RowsAffected))
		}
		if ch.Phone != nil {
			if err := replacePhone(tx, c.ID, *ch.Phone, now); err != nil {
				return err
			}
		}
		if ch.Email != nil {
			if err := replaceDestinations(tx, c.ID, []string{ProtocolEmail}, "", *ch.Email, "", now); err != nil {
				return err
			}
		}
		if ch.Address != nil {
			if err := replacePrimaryAddress(tx, c.ID, *ch.Address); err != nil {
				return err
			}
		}
		return recordAudit(tx, AuditUpdateContactInfo, c.InstitutionID, a, c.ID, now)
	})
}

// orNotFound turns "no row changed" into ErrNotFound.
func orNotFound(err error, rows int64) error {
	if err == nil && rows == 0 {
		return gorm.ErrRecordNotFound
	}
	return err
}

// replacePhone changes the customer's phone p.Old into p.New, with its VOICE and SMS contact
// methods.
func replacePhone(tx *gorm.DB, customerID string, p PhoneChange, now time.Time) error {
	var phones []models.CustomerPhone
	if err := tx.Where("customer_id = ?", customerID).Order("position").Find(&phones).Error; err != nil {
		return Translate("customer phones", err)
	}
	var old *models.CustomerPhone
	for i := range phones {
		if phones[i].Number == p.Old {
			old = &phones[i]
		} else if phones[i].Number == p.New {
			return fmt.Errorf("replace phone: %w", models.ErrPhoneOnFile)
		}
	}
	if old == nil {
		return fmt.Errorf("replace phone: %w", models.ErrPhoneNotFound)
	}
	err := tx.Model(&models.CustomerPhone{}).Where("id = ?", old.ID).
		Updates(map[string]any{"number": p.New, "country_code": p.NewCountryCode}).Error
	if err != nil {
		return Translate("update phone", err)
	}
	if p.New == p.Old { // the country code's spelling only: the contact methods stay
		return Translate("update phone contact methods", tx.Model(&models.Destination{}).
			Where("customer_id = ? AND contact_info = ? AND protocol IN ?", customerID, p.Old, []string{ProtocolVoice, ProtocolSMS}).
			Update("country_code", p.NewCountryCode).Error)
	}
	return replaceDestinations(tx, customerID, []string{ProtocolVoice, ProtocolSMS}, p.Old, p.New, p.NewCountryCode, now)
}

// replaceDestinations deletes the customer's contact methods of these protocols (only those
// reaching old, unless old is "") and creates one for value per protocol, each where the
// deleted one of its protocol was, else at the end. An unchanged value keeps its contact
// methods as they are.
func replaceDestinations(tx *gorm.DB, customerID string, protocols []string, old, value, countryCode string, now time.Time) error {
	var all []models.Destination
	if err := tx.Where("customer_id = ?", customerID).Order("position").Find(&all).Error; err != nil {
		return Translate("customer contact methods", err)
	}
	end := 0
	positions := map[string]int{}
	var doomed []uint
	for _, d := range all {
		end = max(end, d.Position+1)
		if !slices.Contains(protocols, d.Protocol) || (old != "" && d.ContactInfo != old) {
			continue
		}
		if d.ContactInfo == value && old == "" {
			return nil // the same email again: nothing to replace
		}
		if _, seen := positions[d.Protocol]; !seen {
			positions[d.Protocol] = d.Position
		}
		doomed = append(doomed, d.ID)
	}
	if len(doomed) > 0 {
		if err := tx.Where("id IN ?", doomed).Delete(&models.Destination{}).Error; err != nil {
			return Translate("delete contact methods", err)
		}
	}
	fresh := make([]models.Destination, 0, len(protocols))
	for _, protocol := range protocols {
		pos, ok := positions[protocol]
		if !ok {
			pos, end = end, end+1
		}
		fresh = append(fresh, models.Destination{CustomerID: customerID, Position: pos, ContactInfo: value,
			CountryCode: countryCode, Protocol: protocol, Activated: true, CreatedAt: now})
	}
	return Translate("create contact methods", tx.Create(&fresh).Error)
}

// replacePrimaryAddress overwrites the customer's first postal address, or adds it.
func replacePrimaryAddress(tx *gorm.DB, customerID string, ad AddressChange) error {
	var first models.CustomerAddress
	err := tx.Where("customer_id = ?", customerID).Order("position").Limit(1).Find(&first).Error
	if err != nil {
		return Translate("customer addresses", err)
	}
	if first.ID == 0 {
		first = models.CustomerAddress{CustomerID: customerID, Position: 0}
	}
	first.Address1, first.Address2, first.Address3 = ad.Address1, ad.Address2, ""
	first.City, first.State, first.PostalCode, first.Country = ad.City, ad.State, ad.PostalCode, ad.Country
	return Translate("save address", tx.Save(&first).Error)
}
