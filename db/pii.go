package db

import (
	"fmt"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// The encrypted-field catalogue: every value the service keeps encrypted is one row below, with
// the field name its AAD carries, the column of its ciphertext and, for a value looked up by
// equality, the scope of its blind index (one per FI: scope + FI id) and its clear last four.
// Writes seal through these rows, reads open through them and Rekey walks them, so a new
// encrypted field is one row here (and its column in models).
var (
	ssnField = piiField[models.Customer]{owner: customerOwner, field: "ssn", column: "ssn_enc",
		cipher: func(c *models.Customer) *string { return &c.SSNEnc },
		scope:  "ssn:", indexColumn: "ssn_index", index: func(c *models.Customer) *string { return &c.SSNIndex },
		last4: func(c *models.Customer) *string { return &c.SSNLast4 }}
	birthDateField = piiField[models.Customer]{owner: customerOwner, field: "birth_date", column: "birth_date_enc",
		cipher: func(c *models.Customer) *string { return &c.BirthDateEnc }}
	motherMaidenNameField = piiField[models.Customer]{owner: customerOwner, field: "mother_maiden_name", column: "mother_maiden_name_enc",
		cipher: func(c *models.Customer) *string { return &c.MotherMaidenNameEnc }}
	hostPINField = piiField[models.Customer]{owner: customerOwner, field: "host_pin", column: "host_pin_enc",
		cipher: func(c *models.Customer) *string { return &c.HostPINEnc }}

	accountNumberField = piiField[models.Account]{owner: accountOwner, field: "account_number", column: "number_enc",
		cipher: func(a *models.Account) *string { return &a.NumberEnc },
		scope:  "account:", indexColumn: "number_index", index: func(a *models.Account) *string { return &a.NumberIndex },
		last4: func(a *models.Account) *string { return &a.NumberLast4 }}

	// The stored Register v4 reply. Its AAD (IdempotencyAAD) names the app and di_tid, not a
	// field: the field name is the catalogue's only.
	replyField = piiField[models.IdempotencyRecord]{owner: replyOwner, field: "reply", column: "response_enc",
		cipher: func(r *models.IdempotencyRecord) *string { return &r.ResponseEnc }}

	// The FI's messaging-gateway secret: sealed, not hashed, because signing needs it in clear.
	webhookSecretField = piiField[models.MessagingGateway]{owner: gatewayOwner, field: "webhook_secret", column: "webhook_secret_enc",
		cipher: func(g *models.MessagingGateway) *string { return &g.WebhookSecretEnc }}
)

// Every encrypted field of a customer, an account, a stored reply and a messaging gateway: what
// Rekey re-seals.
var (
	customerPII = []*piiField[models.Customer]{&ssnField, &birthDateField, &motherMaidenNameField, &hostPINField}
	accountPII  = []*piiField[models.Account]{&accountNumberField}
	replyPII    = []*piiField[models.IdempotencyRecord]{&replyField}
	gatewayPII  = []*piiField[models.MessagingGateway]{&webhookSecretField}
)

// AAD binds an encrypted value to its owner and field, so ciphertexts cannot be swapped between
// rows or columns.
func AAD(fi, owner, field string) string { return "fi=" + fi + "|owner=" + owner + "|field=" + field }

// piiOwner says what a row's encrypted values are bound to: the AAD of one of its fields, and
// the FI that scopes its blind indexes.
type piiOwner[T any] struct {
	aad func(row *T, field string) string
	fi  func(row *T) string
}

var (
	customerOwner = piiOwner[models.Customer]{
		aad: func(c *models.Customer, field string) string { return AAD(c.InstitutionID, c.ID, field) },
		fi:  func(c *models.Customer) string { return c.InstitutionID },
	}
	accountOwner = piiOwner[models.Account]{
		aad: func(a *models.Account, field string) string { return AAD(a.InstitutionID, a.PublicID, field) },
		fi:  func(a *models.Account) string { return a.InstitutionID },
	}
	replyOwner = piiOwner[models.IdempotencyRecord]{
		aad: func(r *models.IdempotencyRecord, _ string) string { return IdempotencyAAD(r.ClientAppID, r.TraceID) },
	}
	gatewayOwner = piiOwner[models.MessagingGateway]{
		aad: func(g *models.MessagingGateway, field string) string {
			return AAD(g.InstitutionID, "messaging-gateway", field)
		},
		fi: func(g *models.MessagingGateway) string { return g.InstitutionID },
	}
)

// piiField is one encrypted column of the rows of type T.
type piiField[T any] struct {
	owner  piiOwner[T]
	field  string           // the field name in the AAD
	column string           // the ciphertext's column
	cipher func(*T) *string // the ciphertext in a row
	// An indexed field (scope set) keeps a blind index of its value, so rows can be found by
	// value, and its last four characters in clear, so it can be shown masked.
	scope       string
	indexColumn string
	index       func(*T) *string
	last4       func(*T) *string
}

// seal encrypts plain into row under the field's AAD (the row's owner columns must be set) and,
// for an indexed field, sets its blind index and last four. An empty value is not stored: the
// columns stay as they are.
func (f *piiField[T]) seal(keys *secure.Keyring, row *T, plain string) error {
	if plain == "" {
		return nil
	}
	enc, err := keys.EncryptString(plain, f.owner.aad(row, f.field))
	if err != nil {
		return fmt.Errorf("seal %s: %w", f.field, err)
	}
	*f.cipher(row) = enc
	if f.scope != "" {
		*f.index(row) = f.indexOf(keys, f.owner.fi(row), plain)
		*f.last4(row) = plain[max(0, len(plain)-4):]
	}
	return nil
}

// open decrypts the field of row: "" when nothing is stored, an error when the ciphertext does
// not belong to this row and field or its key is not in the ring.
func (f *piiField[T]) open(keys *secure.Keyring, row *T) (string, error) {
	enc := *f.cipher(row)
	if enc == "" {
		return "", nil
	}
	plain, err := keys.DecryptString(enc, f.owner.aad(row, f.field))
	if err != nil {
		return "", fmt.Errorf("open %s: %w", f.field, err)
	}
	return plain, nil
}

// indexOf is the blind index of plain among the field's values at FI fiID, under the ring's
// primary key: what a lookup by value compares the index column with.
func (f *piiField[T]) indexOf(keys *secure.Keyring, fiID, plain string) string {
	return keys.BlindIndex(f.scope+fiID, plain)
}

// reseal encrypts row's value again under the ring's primary key, with the same AAD, and
// recomputes its blind index. An empty field stays empty.
func (f *piiField[T]) reseal(keys *secure.Keyring, row *T) error {
	plain, err := f.open(keys, row)
	if err != nil || plain == "" {
		return err
	}
	enc, err := keys.EncryptString(plain, f.owner.aad(row, f.field))
	if err != nil {
		return fmt.Errorf("seal %s: %w", f.field, err)
	}
	*f.cipher(row) = enc
	if f.scope != "" {
		*f.index(row) = f.indexOf(keys, f.owner.fi(row), plain)
	}
	return nil
}

// columns are the field's columns Rekey rewrites: the ciphertext and the blind index.
func (f *piiField[T]) columns() []string {
	if f.scope == "" {
		return []string{f.column}
	}
	return []string{f.column, f.indexColumn}
}

// CustomerPII is what a customer's profile shows of its encrypted data, in clear: the SSN only
// by its last four.
type CustomerPII struct {
	SSNLast4, BirthDate, MotherMaidenName string
}

// CustomerPII opens the encrypted fields a profile shows. Fields never given are "".
func (s *Store) CustomerPII(c *models.Customer) (CustomerPII, error) {
	out := CustomerPII{SSNLast4: c.SSNLast4}
	var err error
	if out.BirthDate, err = birthDateField.open(s.keys, c); err != nil {
		return CustomerPII{}, err
	}
	if out.MotherMaidenName, err = motherMaidenNameField.open(s.keys, c); err != nil {
		return CustomerPII{}, err
	}
	return out, nil
}

// AccountNumber opens an account's number, in full: the caller decides whether it may be shown
// unmasked (D25), and it is never logged.
func (s *Store) AccountNumber(a *models.Account) (string, error) {
	return accountNumberField.open(s.keys, a)
}
