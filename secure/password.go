package secure

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// MaxPasswordLen is the longest password, in bytes, that is ever hashed.
const MaxPasswordLen = 128

var (
	// ErrPasswordTooLong is returned by Hash for passwords over MaxPasswordLen bytes.
	ErrPasswordTooLong = errors.New("secure: password too long")
	// ErrMalformedHash is returned when a stored PHC hash string cannot be parsed
	// or carries parameters outside the accepted bounds.
	ErrMalformedHash = errors.New("secure: malformed password hash")
	// ErrBusy is returned, without hashing, when every slot is taken and the queue is full or
	// the wait for a slot ran out (see PasswordHasher.LimitQueue); also by LegacySecretGate.
	ErrBusy = errors.New("secure: too busy to hash now")
)

// Bounds applied to parameters read from stored hashes, so a corrupted or
// planted row cannot make a verification allocate unbounded memory or CPU.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 64
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 64
)

// Argon2Params are argon2id cost parameters. Memory is in KiB.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultArgon2Params returns the OWASP-recommended argon2id parameters:
// 19 MiB memory, 2 passes, 1 lane, 16-byte salt, 32-byte key.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// PasswordHasher hashes and verifies passwords with argon2id. At most
// maxConcurrent hash computations run at once, so a burst of logins cannot
// exhaust memory; with LimitQueue, callers that find no free slot queue briefly
// and are then refused with ErrBusy instead of waiting without bound. It is safe
// for concurrent use.
type PasswordHasher struct {
	params Argon2Params
	sem    chan struct{}
	// queueLimited, maxWaiting and maxWait bound the queue (LimitQueue); without it callers
	// wait as long as their context lasts.
	queueLimited bool
	maxWaiting   int64
	maxWait      time.Duration
	waiting      atomic.Int64

	// Test hooks; never set outside tests.
	compute func(password, salt []byte, p Argon2Params) []byte
	onWait  func() // called when a caller has to wait for a slot
}

// NewPasswordHasher returns a hasher using p for new hashes. Zero fields of p
// take their DefaultArgon2Params value. maxConcurrent <= 0 means
// runtime.NumCPU().
func NewPasswordHasher(p Argon2Params, maxConcurrent int) *PasswordHasher {
	d := DefaultArgon2Params()
	if p.Memory == 0 {
		p.Memory = d.Memory
	}
	if p.Time == 0 {
		p.Time = d.Time
	}
	if p.Threads == 0 {
		p.Threads = d.Threads
	}
	if p.SaltLen == 0 {
		p.SaltLen = d.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = d.KeyLen
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	return &PasswordHasher{params: p, sem: make(chan struct{}, maxConcurrent), compute: argon2Key}
}

// LimitQueue bounds the callers waiting for a hashing slot: at most waiting of them (0: none)
// wait, each for at most wait (0: as long as its context lasts); the others get ErrBusy at once,
// as does a caller whose wait runs out. Call it before the hasher is used.
func (h *PasswordHasher) LimitQueue(waiting int, wait time.Duration) *PasswordHasher {
	h.queueLimited, h.maxWaiting, h.maxWait = true, int64(max(waiting, 0)), wait
	return h
}

// Slots is the number of hashes that may run at once.
func (h *PasswordHasher) Slots() int { return cap(h.sem) }

// Params returns the parameters used for new hashes.
func (h *PasswordHasher) Params() Argon2Params { return h.params }

// Hash returns an argon2id PHC string for password with a fresh random salt:
// $argon2id$v=19$m=<KiB>,t=<time>,p=<threads>$<salt>$<hash> (raw standard
// base64). It returns ErrPasswordTooLong for passwords over MaxPasswordLen
// bytes without hashing, ErrBusy when no slot is free in time (LimitQueue), and
// ctx.Err() if ctx ends while waiting for a slot.
func (h *PasswordHasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxPasswordLen {
		return "", ErrPasswordTooLong
	}
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("secure: reading random salt: %w", err)
	}
	key, err := h.run(ctx, []byte(password), salt, h.params)
	if err != nil {
		return "", err
	}
	return encodePHC(h.params, salt, key), nil
}

// Verify reports whether password matches the PHC string phc, using the
// parameters stored in phc and a constant-time comparison. needsRehash is true
// only when ok is true and phc's parameters differ from the hasher's current
// ones, so the caller can store a fresh Hash. A password over MaxPasswordLen
// bytes yields (false, false, nil) without hashing. A malformed phc yields
// ErrMalformedHash; no slot free in time yields ErrBusy; ctx ending while
// waiting for a slot yields ctx.Err().
func (h *PasswordHasher) Verify(ctx context.Context, password, phc string) (ok bool, needsRehash bool, err error) {
	p, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, false, err
	}
	if len(password) > MaxPasswordLen {
		return false, false, nil
	}
	got, err := h.run(ctx, []byte(password), salt, p)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != h.params, nil
}

// DummyVerify computes and discards one hash with the current parameters, so
// that a login for an unknown user costs the same as one for a known user.
// Like Verify, it does no work for passwords over MaxPasswordLen bytes, and it
// returns Verify's ErrBusy and ctx errors, so that an unknown user is refused
// exactly like a known one when the hasher is busy.
func (h *PasswordHasher) DummyVerify(ctx context.Context, password string) error {
	if len(password) > MaxPasswordLen {
		return nil
	}
	_, err := h.run(ctx, []byte(password), make([]byte, h.params.SaltLen), h.params)
	return err
}

// run computes one hash while holding a concurrency slot.
func (h *PasswordHasher) run(ctx context.Context, password, salt []byte, p Argon2Params) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case h.sem <- struct{}{}:
	default:
		if err := h.wait(ctx); err != nil {
			return nil, err
		}
	}
	defer func() { <-h.sem }()
	return h.compute(password, salt, p), nil
}

// wait queues for a slot within the LimitQueue bounds.
func (h *PasswordHasher) wait(ctx context.Context) error {
	if n := h.waiting.Add(1); h.queueLimited && n > h.maxWaiting {
		h.waiting.Add(-1)
		return ErrBusy
	}
	defer h.waiting.Add(-1)
	if h.onWait != nil {
		h.onWait()
	}
	var timeout <-chan time.Time
	if h.maxWait > 0 {
		t := time.NewTimer(h.maxWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-timeout:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func argon2Key(password, salt []byte, p Argon2Params) []byte {
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

func encodePHC(p Argon2Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parsePHC parses an argon2id PHC string and checks its parameters are
// within bounds. Salt and key lengths are reported in the returned params.
func parsePHC(phc string) (p Argon2Params, salt, key []byte, err error) {
	// encoding/base64 skips line breaks even when strict: a stored hash has one spelling.
	if strings.ContainsAny(phc, "\r\n") {
		return p, nil, nil, ErrMalformedHash
	}
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" ||
		parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, ErrMalformedHash
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, ErrMalformedHash
	}
	m, err1 := parseParam(kv[0], "m=", 32)
	t, err2 := parseParam(kv[1], "t=", 32)
	th, err3 := parseParam(kv[2], "p=", 8)
	if err1 != nil || err2 != nil || err3 != nil {
		return p, nil, nil, ErrMalformedHash
	}
	b64 := base64.RawStdEncoding.Strict()
	salt, err1 = b64.DecodeString(parts[4])
	key, err2 = b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return p, nil, nil, ErrMalformedHash
	}
	p = Argon2Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if p.Threads < 1 || p.Time < 1 || p.Time > maxTime ||
		p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB ||
		len(salt) < minSaltLen || len(salt) > maxSaltLen ||
		len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}

func parseParam(s, prefix string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, prefix)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
		return 0, ErrMalformedHash
	}
	return strconv.ParseUint(v, 10, bits)
}
