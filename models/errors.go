package models

import "errors"

// Sentinel errors the stores return (wrapped with an operation prefix); the HTTP layer maps each
// to the status and code of the calling operation's error family.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrUnavailable = errors.New("storage unavailable")
	// ErrNoDocumentKey means the FI has no identification-document export key provisioned.
	ErrNoDocumentKey = errors.New("no document key for this FI")
)

// Registration outcomes the HTTP layer maps to contract codes.
var (
	ErrLoginTaken        = errors.New("login id already taken")           // 26201
	ErrAlreadyRegistered = errors.New("user already registered")          // 26331
	ErrInFlight          = errors.New("registration already in progress") // 26330
)

// Contact-info outcomes.
var (
	// ErrPhoneNotFound: the phone number to replace is not one of the customer's.
	ErrPhoneNotFound = errors.New("phone number not on file")
	// ErrPhoneOnFile: the new phone number already is another of the customer's phones.
	ErrPhoneOnFile = errors.New("phone number already on file")
)

// Authentication outcomes.
var (
	// ErrBadCredentials hides whether a client or user exists, is locked or gave a wrong secret.
	ErrBadCredentials = errors.New("credentials are not valid")
	// ErrUserLocked accompanies ErrBadCredentials when this very attempt locked the user.
	ErrUserLocked = errors.New("user locked after repeated failures")
	// ErrBusy means the service sheds load rather than start more slow work now.
	ErrBusy = errors.New("too busy")
)

// Password recovery outcomes.
var (
	// ErrContactMethodNotFound means the customer has no activated contact method of that id.
	ErrContactMethodNotFound = errors.New("contact method not found")
	// ErrProtocolMismatch means the contact method cannot be reached by the protocol asked for
	// (SMS or VOICE to a phone, EMAIL to an email address).
	ErrProtocolMismatch = errors.New("protocol does not fit the contact method")
	// ErrTooManyResets means the customer was sent as many passcodes as the window allows.
	ErrTooManyResets = errors.New("too many passcodes sent")
	// ErrPasscodeWrong means the passcode does not match the customer's current challenge.
	ErrPasscodeWrong = errors.New("passcode is wrong")
	// ErrPasscodeExpired means the current challenge's validity has passed, or none is outstanding.
	ErrPasscodeExpired = errors.New("passcode expired")
	// ErrPasscodeUsed means the current challenge already set a new password.
	ErrPasscodeUsed = errors.New("passcode already used")
	// ErrPasscodeTriesExhausted means the current challenge died of wrong tries; it accompanies
	// ErrPasscodeWrong on the try that killed it.
	ErrPasscodeTriesExhausted = errors.New("too many wrong passcodes")
)
