package db

import (
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
)

// Audit events of the Customer v2 and recovery operations (never PII: the customer GUID only).
const (
	AuditUnlockUser           = "UnlockUser"
	AuditUpdateContactInfo    = "UpdateContactInfo"
	AuditPasswordResetRequest = "PasswordResetRequested"
	AuditPasswordReset        = "PasswordReset"
)

// Actor is who acted, for the audit trail: the app, its offering and the request's trace id.
type Actor struct {
	ClientAppID uint
	OfferingID  string
	TraceID     string
}

// auditEvent is the audit record of an operation by actor on customerID.
func auditEvent(event, fiID string, a Actor, outcome, codes, customerID string, now time.Time) models.AuditEvent {
	ev := models.AuditEvent{Event: event, ChannelType: models.ChannelTPVAPI, UserProduct: "CUSTOMER_V2",
		InstitutionID: fiID, ClientAppID: a.ClientAppID, OfferingID: a.OfferingID, TraceID: a.TraceID,
		Outcome: outcome, ErrorCodes: codes, CreatedAt: now}
	if customerID != "" {
		ev.CustomerID = &customerID
	}
	return ev
}

// recordAudit writes the audit event in tx.
func recordAudit(tx *gorm.DB, event, fiID string, a Actor, customerID string, now time.Time) error {
	ev := auditEvent(event, fiID, a, models.OutcomeSuccess, "", customerID, now)
	return Translate("record audit event", tx.Create(&ev).Error)
}
