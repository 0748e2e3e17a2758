package secure

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// KeySize is the required length of a master key in bytes.
const KeySize = 32

const (
	ciphertextVersion = "v1"
	maxKeyIDLen       = 32

	// HKDF info strings: each master key yields independent subkeys, so it
	// is never used directly for two purposes.
	infoEncrypt  = "custreg/secure v1 pii aes-256-gcm"
	infoIndex    = "custreg/secure v1 blind-index hmac-sha256"
	infoSecret   = "custreg/secure v1 client-secret hmac-sha256"
	infoPasscode = "custreg/secure v1 passcode hmac-sha256"
)

var (
	// ErrInvalidKey is returned for key material that is not 32 bytes or not
	// valid base64. The key material is never part of the message.
	ErrInvalidKey = errors.New("secure: invalid key")
	// ErrInvalidKeyID is returned by NewKeyring for a key id that is empty,
	// longer than 32 bytes or not made of [A-Za-z0-9_-].
	ErrInvalidKeyID = errors.New("secure: invalid key id")
	// ErrUnknownKey is returned when a ciphertext or caller names a key id
	// the keyring does not hold.
	ErrUnknownKey = errors.New("secure: unknown key id")
	// ErrDecrypt is returned when a ciphertext is malformed, was tampered
	// with, or was encrypted under different additional data.
	ErrDecrypt = errors.New("secure: decryption failed")
)

// Keyring holds AES-256-GCM encryption keys and blind-index keys by key id,
// all derived with HKDF-SHA256 from 32-byte master keys. New values are
// encrypted and indexed under the primary key; values under any held key can
// be decrypted. It is immutable and safe for concurrent use.
type Keyring struct {
	primary string
	keys    map[string]ringKey
}

type ringKey struct {
	aead     cipher.AEAD
	index    []byte
	secret   []byte // keys the client-secret digests
	passcode []byte // keys the one-time passcode digests
}

// NewKeyring builds a keyring from master keys by id. Every key must be
// exactly KeySize bytes, ids must be 1-32 characters of [A-Za-z0-9_-], and
// primaryID must be one of them. The master keys are not retained.
func NewKeyring(primaryID string, keys map[string][]byte) (*Keyring, error) {
	if _, ok := keys[primaryID]; !ok {
		return nil, fmt.Errorf("%w: primary key id %q not configured", ErrUnknownKey, primaryID)
	}
	k := &Keyring{primary: primaryID, keys: make(map[string]ringKey, len(keys))}
	for id, master := range keys {
		if !validKeyID(id) {
			return nil, fmt.Errorf("%w: %q", ErrInvalidKeyID, id)
		}
		if len(master) != KeySize {
			return nil, fmt.Errorf("%w: key %q must be %d bytes, got %d", ErrInvalidKey, id, KeySize, len(master))
		}
		encKey, err := hkdf.Key(sha256.New, master, nil, infoEncrypt, KeySize)
		if err != nil {
			return nil, fmt.Errorf("secure: deriving key %q: %w", id, err)
		}
		idxKey, err := hkdf.Key(sha256.New, master, nil, infoIndex, KeySize)
		if err != nil {
			return nil, fmt.Errorf("secure: deriving key %q: %w", id, err)
		}
		secretKey, err := hkdf.Key(sha256.New, master, nil, infoSecret, KeySize)
		if err != nil {
			return nil, fmt.Errorf("secure: deriving key %q: %w", id, err)
		}
		passcodeKey, err := hkdf.Key(sha256.New, master, nil, infoPasscode, KeySize)
		if err != nil {
			return nil, fmt.Errorf("secure: deriving key %q: %w", id, err)
		}
		block, err := aes.NewCipher(encKey)
		if err != nil {
			return nil, fmt.Errorf("secure: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secure: key %q: %w", id, err)
		}
		k.keys[id] = ringKey{aead: aead, index: idxKey, secret: secretKey, passcode: passcodeKey}
	}
	return k, nil
}

func validKeyID(id string) bool {
	if id == "" || len(id) > maxKeyIDLen {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ParseKey decodes a base64 master key (standard or URL-safe alphabet, with
// or without padding, surrounding whitespace and line breaks ignored, in its
// canonical form) and requires exactly KeySize bytes. Errors wrap ErrInvalidKey and never contain the input.
func ParseKey(b64 string) ([]byte, error) {
	s := strings.TrimSpace(b64)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		// Strict: one key, one spelling (the bits after the last byte must be zero), so two
		// configured strings never silently name the same key.
		key, err := enc.Strict().DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("%w: must decode to %d bytes, got %d", ErrInvalidKey, KeySize, len(key))
		}
		return key, nil
	}
	return nil, fmt.Errorf("%w: not valid base64", ErrInvalidKey)
}

// ParseKeyList reads master keys written as id:base64 entries separated by commas or spaces
// (--pii-old-keys): each id as NewKeyring requires, each key as ParseKey reads it, no id twice.
// Errors name the entry by its position and never contain key material.
func ParseKeyList(s string) (map[string][]byte, error) {
	keys := map[string][]byte{}
	for i, entry := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		id, b64, ok := strings.Cut(entry, ":")
		if !ok || !validKeyID(id) {
			return nil, fmt.Errorf("%w: entry %d is not id:base64-key with an id of 1-%d letters, digits, _ or -", ErrInvalidKeyID, i+1, maxKeyIDLen)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("%w: entry %d repeats an id", ErrInvalidKeyID, i+1)
		}
		key, err := ParseKey(b64)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		keys[id] = key
	}
	return keys, nil
}

// GenerateKey returns a new random KeySize-byte master key.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secure: reading random key: %w", err)
	}
	return key, nil
}

// PrimaryID returns the id of the key used for new ciphertexts and blind
// indexes.
func (k *Keyring) PrimaryID() string { return k.primary }

// KeyIDs returns the ids of all keys in the ring, sorted.
func (k *Keyring) KeyIDs() []string {
	ids := make([]string, 0, len(k.keys))
	for id := range k.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Encrypt seals plaintext with AES-256-GCM under the primary key and a random
// 12-byte nonce, binding it to aad (e.g. "fi=01111|field=ssn"), and returns
// "v1.<keyid>.<base64url(nonce||ciphertext)>". Decrypting requires the same
// aad, so ciphertexts cannot be moved between rows or fields.
func (k *Keyring) Encrypt(plaintext, aad []byte) (string, error) {
	aead := k.keys[k.primary].aead
	buf := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("secure: reading random nonce: %w", err)
	}
	buf = aead.Seal(buf, buf, plaintext, aad)
	return ciphertextVersion + "." + k.primary + "." + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Decrypt opens a string produced by Encrypt under any key in the ring. It
// returns ErrUnknownKey if the key id is not held, and an error wrapping
// ErrDecrypt if s is malformed, tampered with, or aad differs.
func (k *Keyring) Decrypt(s string, aad []byte) ([]byte, error) {
	version, rest, ok1 := strings.Cut(s, ".")
	id, body, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || version != ciphertextVersion {
		return nil, fmt.Errorf("%w: malformed ciphertext", ErrDecrypt)
	}
	key, ok := k.keys[id]
	if !ok {
		return nil, ErrUnknownKey
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	ns := key.aead.NonceSize()
	if err != nil || len(raw) < ns+key.aead.Overhead() {
		return nil, fmt.Errorf("%w: malformed ciphertext", ErrDecrypt)
	}
	plaintext, err := key.aead.Open(nil, raw[:ns], raw[ns:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}

// EncryptString is Encrypt for string plaintext and aad.
func (k *Keyring) EncryptString(plaintext, aad string) (string, error) {
	return k.Encrypt([]byte(plaintext), []byte(aad))
}

// DecryptString is Decrypt returning a string, for string aad.
func (k *Keyring) DecryptString(s, aad string) (string, error) {
	b, err := k.Decrypt(s, []byte(aad))
	return string(b), err
}

// BlindIndex returns the hex HMAC-SHA256, under the primary key's index
// subkey, of scope || 0x00 || normalized value. Equal values in the same
// scope (e.g. the same SSN within one FI) give equal indexes; different
// scopes give unrelated ones. Normalization only trims surrounding whitespace
// and lower-cases, so callers must pass a canonical form (e.g. SSN digits
// only); scope must not contain a NUL byte.
//
// The index is tied to the primary key: after the primary key changes, stored
// indexes must be recomputed (see BlindIndexWith and KeyIDs), or lookups must
// try every key in the ring until re-indexing is complete.
func (k *Keyring) BlindIndex(scope, value string) string {
	return blindIndex(k.keys[k.primary].index, scope, value)
}

// BlindIndexWith is BlindIndex under the key with id keyID, for lookups and
// re-indexing during key rotation. It returns ErrUnknownKey if keyID is not
// in the ring.
func (k *Keyring) BlindIndexWith(keyID, scope, value string) (string, error) {
	key, ok := k.keys[keyID]
	if !ok {
		return "", ErrUnknownKey
	}
	return blindIndex(key.index, scope, value), nil
}

func blindIndex(key []byte, scope, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(strings.ToLower(strings.TrimSpace(value))))
	return hex.EncodeToString(m.Sum(nil))
}

// PasscodeMAC returns the HMAC-SHA256 of msg under the primary key's passcode subkey, and the
// primary key's id. The subkey serves one-time passcodes only, so their digests are unrelated
// to blind indexes and client-secret digests of the same bytes.
func (k *Keyring) PasscodeMAC(msg []byte) (keyID string, mac []byte) {
	return k.primary, hmacSHA256(k.keys[k.primary].passcode, msg)
}

// PasscodeMACWith is PasscodeMAC under the key with id keyID, for digests made before a key
// rotation. It returns ErrUnknownKey if keyID is not in the ring.
func (k *Keyring) PasscodeMACWith(keyID string, msg []byte) ([]byte, error) {
	key, ok := k.keys[keyID]
	if !ok {
		return nil, ErrUnknownKey
	}
	return hmacSHA256(key.passcode, msg), nil
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}
