// Package models holds the GORM models of the service and the domain's sentinel errors.
// It imports nothing internal.
package models

import "time"

// Disclosure acceptance policies of an FI (decision D4).
const (
	AcceptAtRegistration = "atRegistration"
	AcceptAtFirstLogin   = "atFirstLogin"
)

// Institution is a financial institution (FI) this deployment serves, with its registration policy.
type Institution struct {
	ID                   string `gorm:"primaryKey;size:5"` // five digits, e.g. "01111"
	Name                 string `gorm:"size:128;not null"`
	UsernameMin          int    `gorm:"not null"`
	UsernameMax          int    `gorm:"not null"`
	PasswordMin          int    `gorm:"not null"`
	PasswordMax          int    `gorm:"not null"`
	DisclosureAcceptance string `gorm:"size:16;not null"`
	MaxDestinations      int    `gorm:"not null"` // contact points per registration (D24)
	LockoutThreshold     int    `gorm:"not null"` // failed password logins before the user is locked
	// LockoutCooldown is how long, in seconds, a lockout lasts before the user may try again;
	// 0 keeps the user locked until an operator unlocks them.
	LockoutCooldown int `gorm:"not null;default:0"`
	// DocumentKey is the FI's identification-document export key: the PEM of an RSA public key
	// whose private half only the FI holds. Identification documents leave the service
	// encrypted to it; "" means none is provisioned.
	DocumentKey string `gorm:"type:text;not null;default:''"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ClientApp is a third-party application allowed to obtain tokens (its Shared Key is ClientID).
// The secret is kept only as a hash.
type ClientApp struct {
	ID              uint   `gorm:"primaryKey"`
	ClientID        string `gorm:"size:128;not null;uniqueIndex"`
	SecretHash      string `gorm:"size:256;not null"`
	Name            string `gorm:"size:128;not null"`
	OfferingID      string `gorm:"size:128;not null"` // default offering_id when the client sends none
	Grants          string `gorm:"size:256;not null"` // space-separated grant types
	Scopes          string `gorm:"size:1024;not null"`
	V1TokenTTL      int    `gorm:"not null"` // seconds
	V2TokenTTL      int    `gorm:"not null"`
	RefreshTokenTTL int    `gorm:"not null"`
	// RedirectURI is where a partner app receives its authorization codes (OIDC partner
	// sign-in); the auth-code answer names it.
	RedirectURI string `gorm:"size:2048;not null;default:''"`
	// CodePartners are the client ids of the partner apps this app (an FI's own digital
	// banking) may request authorization codes for, space-separated.
	CodePartners string `gorm:"size:1024;not null;default:''"`
	// The partner's authorization-flow policy, as Authorize Client reports it.
	SecondaryAuthentication bool                   `gorm:"not null;default:false"`
	ConsentRequired         bool                   `gorm:"not null;default:false"`
	DeviceRegistration      bool                   `gorm:"not null;default:false"`
	Institutions            []ClientAppInstitution `gorm:"constraint:OnDelete:CASCADE"`
	// PreviousSecretHash is the secret a rotation replaced; it still authenticates the app until
	// PreviousSecretExpiresAt (the rotation's grace period), then never again.
	PreviousSecretHash      string `gorm:"size:256;not null;default:''"`
	PreviousSecretExpiresAt *time.Time
	// DisabledAt: the app was disabled then; it gets no tokens and its tokens were revoked.
	DisabledAt *time.Time
	// DeveloperID is the sandbox developer-portal account that created the app ("" for apps
	// of the provisioning file and the command line).
	DeveloperID string `gorm:"size:32;not null;default:'';index"`
	// Quota and SpikeArrest are the app's request limits as rates ("20000/h", "50/s", "none";
	// package limits); empty takes the server's defaults (--app-quota, --app-spike-arrest).
	Quota       string `gorm:"size:32;not null;default:''"`
	SpikeArrest string `gorm:"size:32;not null;default:''"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ClientAppInstitution records that a client app may act for an FI.
type ClientAppInstitution struct {
	ClientAppID   uint        `gorm:"primaryKey"`
	InstitutionID string      `gorm:"primaryKey;size:5"`
	Institution   Institution `gorm:"constraint:OnDelete:CASCADE"`
}

// Member is a record of the FI's core ("host") system. Its member number is the hostUserId of
// the accounts API (D10).
type Member struct {
	ID            uint        `gorm:"primaryKey"`
	InstitutionID string      `gorm:"size:5;not null;uniqueIndex:ux_members_fi_number"`
	Institution   Institution `gorm:"constraint:OnDelete:RESTRICT"`
	MemberNumber  string      `gorm:"size:16;not null;uniqueIndex:ux_members_fi_number"`
	Name          string      `gorm:"size:128;not null"`
	// BillPayLoginID is the member's login id at the FI's bill pay (OFX) provider, "" when the
	// member has none; it is shown only to apps with institution-users-billpay:read.
	BillPayLoginID string `gorm:"size:64;not null;default:''"`
	Accounts       []Account
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Account is one of a member's accounts at the FI. The number is encrypted at rest; its last four
// digits serve the masked form and a keyed hash (NumberIndex) makes it unique per FI.
type Account struct {
	ID                  uint   `gorm:"primaryKey"`
	PublicID            string `gorm:"size:64;not null;uniqueIndex"` // the opaque accountId
	InstitutionID       string `gorm:"size:5;not null;uniqueIndex:ux_accounts_fi_number"`
	NumberIndex         string `gorm:"size:64;not null;uniqueIndex:ux_accounts_fi_number"`
	MemberID            uint   `gorm:"not null;index"`
	Member              Member `gorm:"constraint:OnDelete:CASCADE"`
	NumberEnc           string `gorm:"size:256;not null"`
	NumberLast4         string `gorm:"size:4;not null"`
	Category            string `gorm:"size:32;not null"`
	TypeValue           string `gorm:"size:32;not null"`
	FIRawAccountType    int64
	FIAccountType       int64
	TypeDescription     string `gorm:"size:128"`
	Description         string `gorm:"size:128"`
	NickName            string `gorm:"size:128"`
	PrimaryHolderName   string `gorm:"size:128"`
	CurrencyCode        string `gorm:"size:3;not null"`
	CurrentBalanceMinor int64  // amounts in minor units (cents)
	AvailBalanceMinor   int64
	RoutingNumber       string `gorm:"size:16"`
	Closed              bool
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Transaction is one transaction of an account, as the FI's core reports it. The amount is
// positive, in minor units of the currency; Credit says whether it credits the account (it
// follows from the type, see CreditTransactionTypes). Dates are calendar days, yyyy-MM-dd.
type Transaction struct {
	ID              uint    `gorm:"primaryKey"`
	PublicID        string  `gorm:"size:64;not null;uniqueIndex"` // the opaque transaction id
	AccountID       uint    `gorm:"not null;uniqueIndex:ux_transactions_account_number"`
	Account         Account `gorm:"constraint:OnDelete:CASCADE"`
	InstitutionID   string  `gorm:"size:5;not null"`
	Number          string  `gorm:"size:32;not null;uniqueIndex:ux_transactions_account_number"` // transactionNumber
	Type            string  `gorm:"size:40;not null"`
	AmountMinor     int64   `gorm:"not null"`
	CurrencyCode    string  `gorm:"size:3;not null"`
	Credit          bool    `gorm:"not null"`
	Description     string  `gorm:"size:128"`
	TransactionDate string  `gorm:"size:10;not null"`
	EffectiveDate   string  `gorm:"size:10;not null"`
	Pending         bool    `gorm:"not null"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Disclosure is an FI's disclosure definition. Version grows whenever the content (name, data or
// data type) changes; ContentHash identifies the exact text a user accepted.
type Disclosure struct {
	ID            string      `gorm:"primaryKey;size:32"` // 32 upper-case hex
	InstitutionID string      `gorm:"size:5;not null;uniqueIndex:ux_disclosures_fi_name"`
	Institution   Institution `gorm:"constraint:OnDelete:RESTRICT"`
	Name          string      `gorm:"size:64;not null;uniqueIndex:ux_disclosures_fi_name"`
	Data          string      `gorm:"size:2048"`
	DataType      string      `gorm:"size:16"`
	Enabled       bool        `gorm:"not null"`
	Required      bool        `gorm:"not null"`
	Version       int         `gorm:"not null"`
	ContentHash   string      `gorm:"size:64;not null"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Customer is a user registered for digital banking at an FI, linked to a host member.
// Passwords are argon2id hashes; SSN, birth date and mother's maiden name are encrypted.
// UserType is the retail role: PRIMARY (the member's own user, at most one) or ENTITLED (a
// sub-user the member entitled, whose ParentID is the PRIMARY user's GUID; it shares the member,
// and so its accounts, with its parent).
type Customer struct {
	ID                      string     `gorm:"primaryKey;size:32"` // GUID, 32 lower-case hex
	InstitutionID           string     `gorm:"size:5;not null;uniqueIndex:ux_customers_fi_login;uniqueIndex:ux_customers_fi_ssn,where:ssn_index <> ''"`
	LoginIDNorm             string     `gorm:"size:256;not null;uniqueIndex:ux_customers_fi_login"` // lower-cased
	MemberID                uint       `gorm:"not null;uniqueIndex:ux_customers_primary_member,where:user_type = 'PRIMARY'"`
	Member                  Member     `gorm:"constraint:OnDelete:RESTRICT"`
	AuthID                  string     `gorm:"size:32;not null;uniqueIndex"`
	InstitutionUserID       string     `gorm:"size:32;not null;uniqueIndex"` // 32 upper-case hex
	UserType                string     `gorm:"size:16;not null;uniqueIndex:ux_customers_primary_member,where:user_type = 'PRIMARY'"`
	ParentID                *string    `gorm:"size:32;index"` // ENTITLED only
	LoginID                 string     `gorm:"size:256;not null"`
	PasswordHash            string     `gorm:"size:256;not null"`
	HostLoginID             string     `gorm:"size:64;not null"`
	FirstName               string     `gorm:"size:64;not null"`
	MiddleName              string     `gorm:"size:64"`
	LastName                string     `gorm:"size:64;not null"`
	Email                   string     `gorm:"size:128"`
	SSNEnc                  string     `gorm:"size:256"`
	SSNLast4                string     `gorm:"size:4"`
	SSNIndex                string     `gorm:"size:64;uniqueIndex:ux_customers_fi_ssn,where:ssn_index <> ''"` // one user per person and FI (D32)
	BirthDateEnc            string     `gorm:"size:256"`
	MotherMaidenNameEnc     string     `gorm:"size:512"`
	HostPINEnc              string     `gorm:"size:256"`
	BillPayEnabled          bool       `gorm:"not null"`
	ChannelType             string     `gorm:"size:16;not null;default:TPV_API"`
	AcceptedDisclosure      bool       `gorm:"not null"`
	NeedsToAcceptDisclosure bool       `gorm:"not null"`
	Registered              bool       `gorm:"not null"`
	Locked                  bool       `gorm:"not null"`
	LockedAt                *time.Time // when the lockout began (nil for locks set before this was kept)
	FailedLoginCount        int        `gorm:"not null"`
	LastLoginAt             *time.Time
	CreatedAt               time.Time
	UpdatedAt               time.Time
	// FailedPasswordResetCount counts wrong passcodes since the last successful password reset.
	FailedPasswordResetCount int `gorm:"not null;default:0"`
}

// Retail user roles (Customer.UserType).
const (
	RolePrimary  = "PRIMARY"
	RoleEntitled = "ENTITLED"
)

// Kinds of stored token: an access token (V1 or V2, see Token.Version) or a refresh token.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// Token is an issued bearer or refresh token. Only the SHA-256 of the opaque token is stored, so a
// database dump yields no usable token; any instance sharing the database accepts it.
type Token struct {
	Hash          string    `gorm:"primaryKey;size:64"`
	Kind          string    `gorm:"size:8;not null"`
	Version       int       `gorm:"not null"` // 1 (legacy) or 2
	InstitutionID string    `gorm:"size:5;not null;index"`
	ClientAppID   uint      `gorm:"not null;index"`
	Grant         string    `gorm:"size:32;not null"`
	Scopes        string    `gorm:"size:1024;not null"` // space-separated (V2 only)
	CustomerID    *string   `gorm:"size:32;index"`      // password grant
	ParentHash    string    `gorm:"size:64;index"`      // the refresh token an access token came with or from
	OriginatingIP string    `gorm:"size:45"`            // end-user device (originating_ip) or the caller
	OfferingID    string    `gorm:"size:128"`           // offering_id, else the app's offering
	UserAgent     string    `gorm:"size:512"`
	IssuedAt      time.Time `gorm:"not null"`
	ExpiresAt     time.Time `gorm:"not null;index"`
	RevokedAt     *time.Time
}

// CustomerAddress is one postal address of a customer, in submission order.
type CustomerAddress struct {
	ID         uint   `gorm:"primaryKey"`
	CustomerID string `gorm:"size:32;not null;index"`
	Position   int    `gorm:"not null"`
	Address1   string `gorm:"size:128;not null"`
	Address2   string `gorm:"size:128"`
	Address3   string `gorm:"size:128"`
	City       string `gorm:"size:128;not null"`
	State      string `gorm:"size:128;not null"`
	PostalCode string `gorm:"size:32;not null"`
	Country    string `gorm:"size:3;not null"`
}

// CustomerPhone is one phone number of a customer, in submission order.
type CustomerPhone struct {
	ID          uint   `gorm:"primaryKey"`
	CustomerID  string `gorm:"size:32;not null;index"`
	Position    int    `gorm:"not null"`
	Number      string `gorm:"size:16;not null"`
	CountryCode string `gorm:"size:4"`
}

// Destination is an alert/MFA destination created from a submitted phone number or email.
type Destination struct {
	ID          uint   `gorm:"primaryKey"`
	CustomerID  string `gorm:"size:32;not null;index"`
	Position    int    `gorm:"not null"`
	ContactInfo string `gorm:"size:128;not null"`
	Protocol    string `gorm:"size:8;not null"` // VOICE, SMS, EMAIL
	Activated   bool   `gorm:"not null"`
	CountryCode string `gorm:"size:4"` // telephone country code of a phone destination
	// Validated: the FI confirmed the destination reaches the user (provisioned ones); a
	// registration's destinations are not validated until then.
	Validated bool      `gorm:"not null;default:false"`
	CreatedAt time.Time // enrolledDateTime
}

// Channels of disclosure evidence.
const (
	ChannelTPVAPI         = "TPV_API"
	ChannelDisclosuresAPI = "DISCLOSURES_API"
	ChannelProvisioning   = "PROVISIONING"
)

// DisclosureEvidence is one append-only record of a user's decision on a disclosure: which
// text (version and content hash) was accepted or declined, when, from where and through which
// app and channel. Records are never updated or deleted.
type DisclosureEvidence struct {
	ID             uint   `gorm:"primaryKey"`
	InstitutionID  string `gorm:"size:5;not null;index:ix_evidence_customer"`
	CustomerID     string `gorm:"size:32;not null;index:ix_evidence_customer"`
	DisclosureID   string `gorm:"size:32;not null;index"`
	DisclosureName string `gorm:"size:64;not null"`
	Version        int    `gorm:"not null"`
	ContentHash    string `gorm:"size:64;not null"`
	Status         string `gorm:"size:16;not null"` // ACCEPTED, NOT_ACCEPTED, ENROLLED, NOT_ENROLLED, DELETED
	AccountID      string `gorm:"size:64"`
	PaperWaiver    *bool
	OriginatingIP  string    `gorm:"size:45"`
	OfferingID     string    `gorm:"size:128"`
	ClientAppID    uint      `gorm:"not null"`
	Channel        string    `gorm:"size:16;not null"`
	TraceID        string    `gorm:"size:64"`
	RecordedAt     time.Time `gorm:"not null"`
}

// Registration audit outcomes.
const (
	OutcomeSuccess = "SUCCESS"
	OutcomeFailure = "FAILURE"
)

// AuditEvent records one registration attempt, success or failure, without PII.
type AuditEvent struct {
	ID            uint      `gorm:"primaryKey"`
	Event         string    `gorm:"size:32;not null"` // RegistrationUser
	ChannelType   string    `gorm:"size:16;not null"` // TPV_API
	UserProduct   string    `gorm:"size:32;not null"` // THIRD_PARTY_REGISTRATION
	InstitutionID string    `gorm:"size:5;not null;index"`
	ClientAppID   uint      `gorm:"not null"`
	OfferingID    string    `gorm:"size:128"`
	TraceID       string    `gorm:"size:64;not null"`
	Outcome       string    `gorm:"size:8;not null"`
	ErrorCodes    string    `gorm:"size:256"` // space-separated
	CustomerID    *string   `gorm:"size:32"`
	CreatedAt     time.Time `gorm:"not null"`
}

// PasswordReset is one password-recovery challenge: a one-time passcode sent to one of the
// customer's contact methods. Only a keyed digest of the passcode is kept, bound to the FI, the
// customer and the challenge, so a row copied onto another customer's never matches.
type PasswordReset struct {
	ID            string     `gorm:"primaryKey;size:32"` // 32 lower-case hex
	InstitutionID string     `gorm:"size:5;not null"`
	CustomerID    string     `gorm:"size:32;not null;index:ix_password_resets_customer"`
	DestinationID uint       `gorm:"not null"`          // the contactMethodId it went to
	Protocol      string     `gorm:"size:8;not null"`   // SMS, VOICE or EMAIL: how it was sent
	PasscodeHash  string     `gorm:"size:128;not null"` // hmac-sha256$<key id>$<digest>
	CreatedAt     time.Time  `gorm:"not null;index:ix_password_resets_customer"`
	ExpiresAt     time.Time  `gorm:"not null;index"`
	WrongTries    int        `gorm:"not null"`
	ConsumedAt    *time.Time // the passcode set a new password
	SupersededAt  *time.Time // a newer passcode was sent
}

// IdempotencyRecord remembers a Register v4 request by its di_tid so a retry replays the first
// answer. The stored response is encrypted: it carries personal data.
type IdempotencyRecord struct {
	ClientAppID uint   `gorm:"primaryKey"`
	TraceID     string `gorm:"primaryKey;size:64"`
	RequestHash string `gorm:"size:64;not null"`
	Status      int    `gorm:"not null"` // 0 while in flight
	ContentType string `gorm:"size:64"`
	ResponseEnc string `gorm:"type:text"`
	CreatedAt   time.Time
	CompletedAt *time.Time
}

// InFlight marks a member number or login id with a registration under way, so a concurrent
// request for the same one is told 26330 instead of racing. Rows are removed when the request
// ends; stale ones (a crashed instance) expire.
type InFlight struct {
	InstitutionID string    `gorm:"primaryKey;size:5"`
	Kind          string    `gorm:"primaryKey;size:8"` // member, login
	Value         string    `gorm:"primaryKey;size:256"`
	TraceID       string    `gorm:"size:64;not null"`
	CreatedAt     time.Time `gorm:"not null"`
}

// UserDisclosure is a user's current state for one disclosure (per account for OLS). Its history
// is kept separately, append-only, as DisclosureEvidence.
type UserDisclosure struct {
	ID            string `gorm:"primaryKey;size:32"` // 32 upper-case hex
	InstitutionID string `gorm:"size:5;not null"`
	CustomerID    string `gorm:"size:32;not null;uniqueIndex:ux_user_disclosures_key"`
	DisclosureID  string `gorm:"size:32;not null;uniqueIndex:ux_user_disclosures_key"`
	AccountID     string `gorm:"size:64;not null;uniqueIndex:ux_user_disclosures_key"` // "" when not per account
	Status        string `gorm:"size:16;not null"`
	Version       int    `gorm:"not null"` // the disclosure version the status refers to
	PaperWaiver   *bool
	UpdatedAt     time.Time `gorm:"not null"`
}

// KeyCheck is a key check value: a keyed digest of a fixed text under one PII key id, stored with
// the database so that a start with another key under the same id is refused before it writes.
type KeyCheck struct {
	KeyID     string `gorm:"primaryKey;size:64"`
	Check     string `gorm:"size:128;not null"`
	CreatedAt time.Time
}

// AuthCode is an authorization code of the OIDC partner sign-in: issued to a partner app for one
// user of one FI at the request of the FI's own digital-banking app, redeemable once, briefly.
// Only the SHA-256 of the code is stored.
type AuthCode struct {
	Hash            string    `gorm:"primaryKey;size:64"`
	InstitutionID   string    `gorm:"size:5;not null"`
	ClientAppID     uint      `gorm:"not null;index"` // the partner the code is for
	RequestedBy     uint      `gorm:"not null"`       // the FI's app that asked for it
	CustomerID      string    `gorm:"size:32;not null"`
	Scopes          string    `gorm:"size:1024;not null"` // API scopes, space-separated
	RequestedScopes string    `gorm:"size:256;not null"`  // OIDC scopes (openid profile offline_access), space-separated
	OIDC            bool      `gorm:"not null"`           // nonce, aud or requested_scopes were given: an ID token is issued
	Nonce           string    `gorm:"size:512"`
	Audience        string    `gorm:"size:512"`
	AuthTime        time.Time `gorm:"not null"` // when the user signed in (auth_time), else the code's issue time
	IssuedAt        time.Time `gorm:"not null"`
	ExpiresAt       time.Time `gorm:"not null;index"`
	UsedAt          *time.Time
	// TokenHashes are the tokens the code was exchanged for, space-separated: a second
	// exchange of the same code revokes them (RFC 6749 §4.1.2).
	TokenHashes string `gorm:"size:256;not null;default:''"`
}
