package secure

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
)

// NewToken returns an opaque bearer token: 32 bytes (256 bits) from
// crypto/rand, encoded as 43 characters of unpadded URL-safe base64.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secure: reading random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// TokenHash returns the lowercase hex SHA-256 of token, the form stored in the
// database. A fast hash is adequate because tokens carry full entropy.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewID32 returns 16 bytes from crypto/rand as 32 lowercase hex characters,
// for use as an unguessable identifier (customer GUIDs and similar).
func NewID32() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secure: reading random id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// MaxClientSecretLen is the longest client secret, in bytes, that is hashed.
const MaxClientSecretLen = 256

var (
	// ErrSecretEmpty is returned by HashClientSecret for an empty secret.
	ErrSecretEmpty = errors.New("secure: client secret is empty")
	// ErrSecretTooLong is returned by HashClientSecret for secrets over
	// MaxClientSecretLen bytes.
	ErrSecretTooLong = errors.New("secure: client secret too long")
)

// clientSecretParams are cheaper than the password parameters. Client secrets
// are set by operators and may be low entropy (e.g. "sandbox-secret"), so a
// fast unsalted hash would fall to a dictionary; a salted, memory-hard argon2id
// hash makes each guess against a leaked row cost real work. They are
// verified on every token request, though, so the cost is kept to about a
// quarter of a password hash, and SecretVerifier caches successful checks.
var clientSecretParams = Argon2Params{Memory: 8192, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// HashClientSecret returns an argon2id PHC string (m=8192 KiB, t=1, p=1) for
// secret with a fresh random salt.
func HashClientSecret(secret string) (string, error) {
	if secret == "" {
		return "", ErrSecretEmpty
	}
	if len(secret) > MaxClientSecretLen {
		return "", ErrSecretTooLong
	}
	p := clientSecretParams
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("secure: reading random salt: %w", err)
	}
	return encodePHC(p, salt, argon2Key([]byte(secret), salt, p)), nil
}

// VerifyClientSecret reports whether secret matches phc, an argon2id PHC
// string, comparing in constant time. Malformed hashes, empty secrets and
// secrets over MaxClientSecretLen bytes never match.
func VerifyClientSecret(secret, phc string) bool {
	if secret == "" || len(secret) > MaxClientSecretLen {
		return false
	}
	p, salt, want, err := parsePHC(phc)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(argon2Key([]byte(secret), salt, p), want) == 1
}

// SecretVerifier wraps VerifyClientSecret with a bounded in-memory cache of
// successful verifications, keyed by SHA-256(phc || 0x00 || secret) so the
// secret is never held in clear. Failures are never cached, and a changed
// stored hash yields a different key. It is safe for concurrent use.
type SecretVerifier struct {
	mu   sync.Mutex
	max  int
	seen map[[sha256.Size]byte]struct{}
}

// NewSecretVerifier returns a verifier caching at most maxEntries successful
// verifications (maxEntries <= 0 means 1024). When full, an arbitrary entry
// is evicted.
func NewSecretVerifier(maxEntries int) *SecretVerifier {
	if maxEntries <= 0 {
		maxEntries = 1024
	}
	return &SecretVerifier{max: maxEntries, seen: make(map[[sha256.Size]byte]struct{}, maxEntries)}
}

// Verify reports whether secret matches phc, like VerifyClientSecret, but
// answers from the cache when this exact (phc, secret) pair verified before.
func (v *SecretVerifier) Verify(secret, phc string) bool {
	h := sha256.New()
	h.Write([]byte(phc))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	var key [sha256.Size]byte
	h.Sum(key[:0])

	v.mu.Lock()
	_, hit := v.seen[key]
	v.mu.Unlock()
	if hit {
		return true
	}
	if !VerifyClientSecret(secret, phc) {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.seen[key]; !ok && len(v.seen) >= v.max {
		for k := range v.seen {
			delete(v.seen, k)
			break
		}
	}
	v.seen[key] = struct{}{}
	return true
}
