package secure

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
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

// Client secrets are random machine secrets, checked on every token request before the caller
// is known. They are stored as a keyed digest, HMAC-SHA256 under a subkey of the PII master key
// ("hmac-sha256$<key id>$<digest>"), so a leaked row is useless without the key, and checking one
// costs microseconds: no unauthenticated request can start slow, memory-hard work (OWASP's
// guidance for high-entropy secrets). Hashes from earlier versions (argon2id PHC strings) are
// still recognised, checked under a concurrency limit and replaced at first use.

// clientSecretPrefix marks a keyed client-secret digest.
const clientSecretPrefix = "hmac-sha256$"

// IsKeyedSecretHash reports whether stored is a keyed client-secret digest (as opposed to a
// legacy argon2id hash).
func IsKeyedSecretHash(stored string) bool { return strings.HasPrefix(stored, clientSecretPrefix) }

// IsLegacySecretHash reports whether stored is an argon2id client-secret hash of an earlier
// version.
func IsLegacySecretHash(stored string) bool { return strings.HasPrefix(stored, "$argon2id$") }

// HashClientSecret returns the keyed digest of secret under the primary key:
// hmac-sha256$<key id>$<unpadded base64url HMAC-SHA256>.
func (k *Keyring) HashClientSecret(secret string) (string, error) {
	if secret == "" {
		return "", ErrSecretEmpty
	}
	if len(secret) > MaxClientSecretLen {
		return "", ErrSecretTooLong
	}
	return clientSecretPrefix + k.primary + "$" + secretDigest(k.keys[k.primary].secret, secret), nil
}

// VerifyClientSecret reports whether secret matches a keyed digest, comparing in constant time.
// current is false when the digest was made under a key other than the primary one, so the caller
// can store a fresh HashClientSecret. Empty or over-long secrets, malformed digests and digests
// under keys the ring does not hold never match.
func (k *Keyring) VerifyClientSecret(secret, stored string) (ok, current bool) {
	rest, found := strings.CutPrefix(stored, clientSecretPrefix)
	keyID, digest, found2 := strings.Cut(rest, "$")
	key, held := k.keys[keyID]
	if !found || !found2 || !held {
		key = k.keys[k.primary] // spend the same effort on a digest that cannot match
		digest = ""
	}
	if secret == "" || len(secret) > MaxClientSecretLen {
		secret, digest = "-", ""
	}
	got := secretDigest(key.secret, secret)
	ok = digest != "" && subtle.ConstantTimeCompare([]byte(got), []byte(digest)) == 1
	return ok, ok && keyID == k.primary
}

func secretDigest(key []byte, secret string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// legacySecretParams are those of the argon2id client-secret hashes of earlier versions.
var legacySecretParams = Argon2Params{Memory: 8192, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// LegacySecretGate bounds the verification of legacy argon2id client-secret hashes: at most
// a fixed number run at once and a caller that finds no free slot is refused at once, so a flood
// of requests against a not-yet-upgraded app cannot exhaust memory or CPU.
type LegacySecretGate struct{ slots chan struct{} }

// NewLegacySecretGate allows n concurrent legacy verifications (n <= 0 means 1).
func NewLegacySecretGate(n int) *LegacySecretGate {
	if n <= 0 {
		n = 1
	}
	return &LegacySecretGate{slots: make(chan struct{}, n)}
}

// Verify checks secret against a legacy argon2id hash, or returns ErrBusy without hashing when
// every slot is taken.
func (g *LegacySecretGate) Verify(secret, phc string) (bool, error) {
	select {
	case g.slots <- struct{}{}:
	default:
		return false, ErrBusy
	}
	defer func() { <-g.slots }()
	return verifyLegacyClientSecret(secret, phc), nil
}

// LegacyClientSecretHash makes an argon2id hash the way earlier versions did; the service never
// stores new ones, but upgrade tests need such rows.
func LegacyClientSecretHash(secret string) (string, error) {
	p := legacySecretParams
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("secure: reading random salt: %w", err)
	}
	return encodePHC(p, salt, argon2Key([]byte(secret), salt, p)), nil
}

// verifyLegacyClientSecret reports whether secret matches an argon2id PHC string.
func verifyLegacyClientSecret(secret, phc string) bool {
	if secret == "" || len(secret) > MaxClientSecretLen {
		return false
	}
	p, salt, want, err := parsePHC(phc)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(argon2Key([]byte(secret), salt, p), want) == 1
}
