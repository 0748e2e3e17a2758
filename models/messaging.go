package models

import "time"

// MessagingGateway is an FI's SMS and voice gateway: the HTTPS webhook its messages are POSTed
// to and the secret that signs them. The secret is needed in clear to sign, so it is encrypted
// at rest under the PII key ring (never hashed, never stored in clear).
type MessagingGateway struct {
	InstitutionID    string      `gorm:"primaryKey;size:5"`
	Institution      Institution `gorm:"constraint:OnDelete:CASCADE"`
	WebhookURL       string      `gorm:"size:2048;not null"`
	WebhookSecretEnc string      `gorm:"size:1024;not null"`
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// OutboxMessage is a message as the sandbox delivered it: kept, newest first, for the person
// test-driving the sandbox to read (GET /sandbox/outbox). Only sandbox mode writes these rows;
// they hold the passcode in clear because showing it is their purpose, and are purged after a day.
type OutboxMessage struct {
	ID            uint      `gorm:"primaryKey"`
	MessageID     string    `gorm:"size:64;not null"`
	InstitutionID string    `gorm:"size:5;not null"`
	To            string    `gorm:"column:destination;size:256;not null"`
	ToNorm        string    `gorm:"column:destination_norm;size:256;not null;index:ix_outbox_destination_sent"` // lower-cased email, or a phone's digits
	Channel       string    `gorm:"size:8;not null"`
	Subject       string    `gorm:"size:256"`
	Body          string    `gorm:"size:4096;not null"`
	Passcode      string    `gorm:"size:32"`
	SentAt        time.Time `gorm:"not null;index:ix_outbox_destination_sent;index"`
}
