package models

import "errors"

// Sentinel errors the stores return (wrapped with an operation prefix); the HTTP layer maps each
// to the status and code of the calling operation's error family.
var (
	ErrNotFound      = errors.New("not found")
	ErrConflict      = errors.New("conflict")
	ErrUnavailable   = errors.New("storage unavailable")
	ErrInvalidConfig = errors.New("invalid configuration")
)
