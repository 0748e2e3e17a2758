// Package consent decides whether a user's decision on one of the FI's disclosures may be
// recorded (contract §7.7–7.9): which definition a write names, which statuses each kind of
// disclosure takes, and what online statements (OLS) need. It is plain policy over models; the
// handlers look definitions and accounts up and record what it allows.
package consent

import (
	"github.com/custreg/custreg/models"
)

// Well-known disclosure names (contract §7.1).
const (
	OLS   = "OLS"
	ESIGN = "ESIGN"
	IB    = "IB"
)

// Codes of the disclosures family that decisions answer.
const (
	CodeRequired     = "DSC_12004" // required fields missing or invalid
	CodeNotSupported = "DSC_12015" // disclosure not supported
	CodeAccountID    = "DSC_12016" // accountId missing or not the user's
	CodePaperWaiver  = "DSC_12017" // paperWaiver missing
)

// Violation is a refused write: the JSON pointer of the field, the code and a message free of
// submitted values.
type Violation struct {
	Field, Code, Message string
}

func (v *Violation) Error() string { return v.Code + " " + v.Field + ": " + v.Message }

func violation(field, code, msg string) *Violation {
	return &Violation{Field: field, Code: code, Message: msg}
}

// Write is a user-disclosure create or update as sent.
type Write struct {
	DefinitionID    string // institutionDisclosureId, else institutionUserDisclosureId (D19)
	DefinitionName  string
	Status          string
	AccountID       *string
	PaperWaiver     *bool
	AccountTypeSent bool
	Update          bool // PUT: OLS is not updated here
}

// Lookup says how the write's definition is found.
type Lookup int

// Lookups.
const (
	ByID   Lookup = iota // a custom disclosure, by institutionDisclosureId
	ByName               // a well-known disclosure, by name
)

// Target says how to find the definition a write names, or why it names none.
func Target(w Write) (Lookup, string, error) {
	switch {
	case w.DefinitionID != "":
		return ByID, w.DefinitionID, nil
	case w.DefinitionName == OLS || w.DefinitionName == ESIGN || w.DefinitionName == IB:
		return ByName, w.DefinitionName, nil
	case w.DefinitionName != "":
		return 0, "", violation("/institutionDisclosureId", CodeRequired, "institutionDisclosureId is required for custom disclosures")
	}
	return 0, "", violation("/institutionDisclosureId", CodeRequired, "institutionDisclosureId or institutionDisclosureName is required")
}

// Found checks the definition a lookup found (nil: none) against the write.
func Found(w Write, how Lookup, def *models.Disclosure) error {
	switch {
	case def == nil && how == ByID:
		return violation("/institutionDisclosureId", CodeRequired, "No such disclosure")
	case def == nil:
		return violation("/institutionDisclosureName", CodeNotSupported, "Disclosure not supported by the FI")
	case how == ByID && w.DefinitionName != "" && w.DefinitionName != def.Name:
		return violation("/institutionDisclosureName", CodeRequired, "institutionDisclosureName does not match the id")
	case !def.Enabled:
		return violation("/institutionDisclosureName", CodeNotSupported, "Disclosure is not enabled")
	}
	return nil
}

// Decision is what may be recorded.
type Decision struct {
	Status      string
	AccountID   string // "" unless the OLS choice is per account
	PaperWaiver *bool
}

// Check applies the status and OLS rules to a write on def by a user holding accounts.
func Check(w Write, def models.Disclosure, accounts []models.Account) (Decision, error) {
	if w.Update && def.Name == OLS {
		return Decision{}, violation("/institutionDisclosureName", CodeNotSupported, "OLS is not updated here")
	}
	switch w.Status {
	case "ACCEPTED", "NOT_ACCEPTED":
	case "ENROLLED", "NOT_ENROLLED":
		if def.Name == OLS || def.Name == ESIGN {
			return Decision{}, violation("/institutionUserDisclosureStatus", CodeRequired, def.Name+" takes only ACCEPTED or NOT_ACCEPTED")
		}
	default:
		return Decision{}, violation("/institutionUserDisclosureStatus", CodeRequired, "institutionUserDisclosureStatus is missing or invalid")
	}
	d := Decision{Status: w.Status}
	if def.Name != OLS {
		return d, nil
	}
	if w.PaperWaiver == nil {
		return Decision{}, violation("/paperWaiver", CodePaperWaiver, "paperWaiver is required for OLS")
	}
	d.PaperWaiver = w.PaperWaiver
	if w.AccountTypeSent || w.AccountID != nil {
		id := ""
		if w.AccountID != nil {
			id = *w.AccountID
		}
		var err error
		if d.AccountID, err = OwnAccount(id, accounts); err != nil {
			return Decision{}, err
		}
	}
	return d, nil
}

// CheckDelete applies the rules of deleting an OLS decision (contract §7.9): only OLS, for one
// of the user's accounts. It returns the account.
func CheckDelete(name, accountID string, accounts []models.Account) (string, error) {
	if err := Deletable(name); err != nil {
		return "", err
	}
	return OwnAccount(accountID, accounts)
}

// Deletable checks that a deletion names OLS, the only disclosure whose decisions are deleted.
func Deletable(name string) error {
	switch name {
	case "":
		return violation("/institutionDisclosureName", CodeRequired, "institutionDisclosureName is required")
	case OLS:
		return nil
	}
	return violation("/institutionDisclosureName", CodeNotSupported, "Only OLS user disclosures are deleted")
}

// OwnAccount checks that accountID names one of the user's accounts.
func OwnAccount(accountID string, accounts []models.Account) (string, error) {
	if accountID == "" {
		return "", violation("/accountId", CodeAccountID, "accountId is required")
	}
	for _, a := range accounts {
		if a.PublicID == accountID {
			return accountID, nil
		}
	}
	return "", violation("/accountId", CodeAccountID, "accountId is not an account of the user")
}
