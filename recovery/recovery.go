// Package recovery is the password-recovery policy: how one-time passcodes are made, how long
// they live, how many wrong tries and sends are allowed, which protocol reaches which contact
// method, and the keyed digest a passcode is stored as. It is plain values and pure functions;
// the store applies them inside its transactions.
package recovery

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// The policy.
const (
	// Digits is the length of a passcode: decimal digits, leading zeros included.
	Digits = 6
	// Validity is how long a passcode may be used after it was issued.
	Validity = 10 * time.Minute
	// MaxWrongTries is how many wrong passcodes a challenge survives: the last of them kills it.
	MaxWrongTries = 5
	// MaxSends is how many passcodes one customer may be sent within any SendWindow.
	MaxSends = 3
	// SendWindow is the sliding window MaxSends counts in.
	SendWindow = 15 * time.Minute
)

// passcodeSpace is the number of distinct passcodes (10^Digits).
const passcodeSpace = 1_000_000

// acceptBelow is the largest multiple of passcodeSpace that fits in 32 bits: random values at or
// above it are drawn again, so every passcode is equally likely (no modulo bias).
const acceptBelow = (1 << 32) / passcodeSpace * passcodeSpace

// NewPasscode returns a fresh passcode: Digits decimal digits drawn uniformly from crypto/rand.
func NewPasscode() (string, error) { return newPasscode(rand.Reader) }

func newPasscode(r io.Reader) (string, error) {
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("recovery: reading random passcode: %w", err)
		}
		if v := binary.BigEndian.Uint32(b[:]); v < acceptBelow {
			return fmt.Sprintf("%0*d", Digits, v%passcodeSpace), nil
		}
	}
}

// ExpiresAt is when a passcode issued at issued stops being valid.
func ExpiresAt(issued time.Time) time.Time { return issued.Add(Validity) }

// WindowStart is the start of the send window ending at now: passcodes created after it count.
func WindowStart(now time.Time) time.Time { return now.Add(-SendWindow) }

// MaySend reports whether another passcode may go out when sentInWindow were created after
// WindowStart(now).
func MaySend(sentInWindow int64) bool { return sentInWindow < MaxSends }

// Channel is the channel a passcode for a contact method of the given protocol (its stored
// Destination.Protocol) goes out on when the caller asks for asked. A phone destination (SMS or
// VOICE) takes either SMS or VOICE, whichever its row was created for, since both rows carry the
// same number; an EMAIL destination takes EMAIL only. An empty asked means the destination's own
// protocol. Anything else is models.ErrProtocolMismatch.
func Channel(destination, asked string) (string, error) {
	if asked == "" {
		asked = destination
	}
	phone := func(p string) bool { return p == "SMS" || p == "VOICE" }
	switch {
	case phone(destination) && phone(asked):
		return asked, nil
	case destination == "EMAIL" && asked == "EMAIL":
		return asked, nil
	}
	return "", models.ErrProtocolMismatch
}

// Usable says whether a passcode may still be tried against challenge c at now: nil, or the
// sentinel of the first reason it may not — models.ErrPasscodeUsed, then
// models.ErrPasscodeTriesExhausted, then models.ErrPasscodeExpired (past its validity, or
// replaced by a newer passcode).
func Usable(c models.PasswordReset, now time.Time) error {
	switch {
	case c.ConsumedAt != nil:
		return models.ErrPasscodeUsed
	case Dead(c.WrongTries):
		return models.ErrPasscodeTriesExhausted
	case c.SupersededAt != nil, !now.Before(c.ExpiresAt):
		return models.ErrPasscodeExpired
	}
	return nil
}

// Dead reports whether a challenge with this many wrong tries takes no more.
func Dead(wrongTries int) bool { return wrongTries >= MaxWrongTries }

// Binding is what a passcode digest is bound to: the same passcode gives unrelated digests for
// another FI, customer or challenge, so a stolen row cannot be replayed elsewhere.
type Binding struct {
	InstitutionID, CustomerID, ChallengeID string
}

// digestPrefix marks a keyed passcode digest: hmac-sha256$<key id>$<base64url digest>.
const digestPrefix = "hmac-sha256$"

// message is the byte string the digest covers. Ids are hex and FI ids digits, so the NUL
// separators cannot be forged from inside a field.
func (b Binding) message(passcode string) []byte {
	return []byte("custreg/recovery v1\x00" + b.InstitutionID + "\x00" + b.CustomerID + "\x00" + b.ChallengeID + "\x00" + passcode)
}

// Hash is the stored form of a passcode for a challenge: HMAC-SHA256 under the passcode subkey
// of the key ring's primary key, as hmac-sha256$<key id>$<unpadded base64url digest>.
func Hash(keys *secure.Keyring, b Binding, passcode string) string {
	id, mac := keys.PasscodeMAC(b.message(passcode))
	return digestPrefix + id + "$" + base64.RawURLEncoding.EncodeToString(mac)
}

// Verify reports whether passcode (surrounding white space ignored) matches the stored digest of
// the challenge b, comparing in constant time. A passcode that is not Digits digits, a malformed
// digest and a digest under a key the ring no longer holds never match, and cost the same.
func Verify(keys *secure.Keyring, b Binding, passcode, stored string) bool {
	passcode = strings.TrimSpace(passcode)
	wellFormed := validPasscode(passcode)
	rest, ok1 := strings.CutPrefix(stored, digestPrefix)
	keyID, digest, ok2 := strings.Cut(rest, "$")
	want, err := base64.RawURLEncoding.Strict().DecodeString(digest)
	mac, kerr := keys.PasscodeMACWith(keyID, b.message(passcode))
	if kerr != nil {
		_, mac = keys.PasscodeMAC(b.message(passcode)) // the same effort for a digest that cannot match
	}
	match := subtle.ConstantTimeCompare(mac, want) == 1
	return match && wellFormed && ok1 && ok2 && err == nil && kerr == nil
}

func validPasscode(p string) bool {
	if len(p) != Digits {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}
