package models

import "time"

// Developer is an account of the sandbox's developer portal: someone test-driving the API who
// creates client apps of their own. The password is an argon2id hash like a user's; the email
// address must be verified (a single-use link sent through the sandbox outbox) before the
// account signs in.
type Developer struct {
	ID           string     `gorm:"primaryKey;size:32"` // 32 lower-case hex
	Email        string     `gorm:"size:254;not null"`  // as typed
	EmailNorm    string     `gorm:"size:254;not null;uniqueIndex"`
	PasswordHash string     `gorm:"size:256;not null"`
	VerifiedAt   *time.Time // nil until the address is verified
	// VerifyTokenHash is the SHA-256 of the outstanding verification token ("" when none is);
	// a token works once, before VerifyExpiresAt.
	VerifyTokenHash string `gorm:"size:64;not null;default:'';index"`
	VerifyExpiresAt *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// PortalSession is a signed-in developer's session. Only the SHA-256 of the cookie's value is
// stored, so a database dump yields no usable session.
type PortalSession struct {
	Hash        string    `gorm:"primaryKey;size:64"`
	DeveloperID string    `gorm:"size:32;not null;index"`
	CreatedAt   time.Time `gorm:"not null"`
	ExpiresAt   time.Time `gorm:"not null;index"`
}
