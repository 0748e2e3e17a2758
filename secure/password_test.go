package secure

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// cheap are fast parameters for tests that do not need real cost.
var cheap = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestPasswordRoundTripDefaultParams(t *testing.T) {
	ctx := context.Background()
	h := NewPasswordHasher(DefaultArgon2Params(), 0)

	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)
	m := re.FindStringSubmatch(phc)
	if m == nil {
		t.Fatalf("unexpected PHC format: %s", phc)
	}
	salt, err := base64.RawStdEncoding.DecodeString(m[1])
	if err != nil || len(salt) != 16 {
		t.Fatalf("salt: len %d err %v", len(salt), err)
	}
	key, err := base64.RawStdEncoding.DecodeString(m[2])
	if err != nil || len(key) != 32 {
		t.Fatalf("key: len %d err %v", len(key), err)
	}
	// Independent recomputation: the string really is argon2id with those params.
	if want := argon2.IDKey([]byte("correct horse battery staple"), salt, 2, 19456, 1, 32); string(want) != string(key) {
		t.Fatal("stored hash is not argon2id(password, salt, t=2, m=19456, p=1)")
	}

	ok, rehash, err := h.Verify(ctx, "correct horse battery staple", phc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify(correct) = %v, %v, %v", ok, rehash, err)
	}
	ok, rehash, err = h.Verify(ctx, "correct horse battery stapler", phc)
	if err != nil || ok || rehash {
		t.Fatalf("Verify(wrong) = %v, %v, %v", ok, rehash, err)
	}
}

func TestPasswordSaltsDiffer(t *testing.T) {
	h := NewPasswordHasher(cheap, 1)
	a, _ := h.Hash(context.Background(), "pw")
	b, _ := h.Hash(context.Background(), "pw")
	if a == b {
		t.Fatal("two hashes of the same password are identical")
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	old := NewPasswordHasher(cheap, 1)
	phc, err := old.Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := old.Verify(ctx, "hunter2", phc); !ok || rehash || err != nil {
		t.Fatalf("same params: %v %v %v", ok, rehash, err)
	}
	// Parameters come from the string, so a hasher with new parameters still
	// verifies the old hash and asks for a rehash.
	stronger := cheap
	stronger.Time = 2
	cur := NewPasswordHasher(stronger, 1)
	if ok, rehash, err := cur.Verify(ctx, "hunter2", phc); !ok || !rehash || err != nil {
		t.Fatalf("changed params: %v %v %v", ok, rehash, err)
	}
	if ok, rehash, err := cur.Verify(ctx, "wrong", phc); ok || rehash || err != nil {
		t.Fatalf("wrong password with changed params: %v %v %v", ok, rehash, err)
	}
}

func TestPasswordTooLong(t *testing.T) {
	ctx := context.Background()
	h := NewPasswordHasher(cheap, 1)
	var calls atomic.Int32
	h.compute = func(pw, salt []byte, p Argon2Params) []byte {
		calls.Add(1)
		return argon2Key(pw, salt, p)
	}
	long := strings.Repeat("a", MaxPasswordLen+1)

	if _, err := h.Hash(ctx, long); !errors.Is(err, ErrPasswordTooLong) {
		t.Fatalf("Hash(long) err = %v", err)
	}
	if strings.Contains(ErrPasswordTooLong.Error(), long) {
		t.Fatal("error leaks password")
	}
	phc, err := h.Hash(ctx, strings.Repeat("a", MaxPasswordLen))
	if err != nil {
		t.Fatalf("Hash(max length) err = %v", err)
	}
	if ok, rehash, err := h.Verify(ctx, long, phc); ok || rehash || err != nil {
		t.Fatalf("Verify(long) = %v %v %v", ok, rehash, err)
	}
	h.DummyVerify(ctx, long)
	if n := calls.Load(); n != 1 {
		t.Fatalf("over-long passwords were hashed: %d hash computations, want 1", n)
	}
}

func TestMalformedHash(t *testing.T) {
	h := NewPasswordHasher(cheap, 1)
	good, _ := h.Hash(context.Background(), "pw")
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	bad := []string{
		"",
		"plaintext",
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
		"$argon2id$v=19$m=64,t=1,p=1$!!!$" + key,
	}
	for _, phc := range bad {
		ok, _, err := h.Verify(context.Background(), "pw", phc)
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformedHash", phc, ok, err)
		}
	}
}

// TestConcurrencyCap holds the only slot and checks, without timing, that
// every other caller queues and that no two computations ever overlap.
func TestConcurrencyCap(t *testing.T) {
	const n = 6
	h := NewPasswordHasher(cheap, 1)
	var inflight, maxInflight atomic.Int32
	entered := make(chan struct{}, n)
	waiting := make(chan struct{}, n)
	release := make(chan struct{})
	h.onWait = func() { waiting <- struct{}{} }
	h.compute = func(pw, salt []byte, p Argon2Params) []byte {
		cur := inflight.Add(1)
		for {
			m := maxInflight.Load()
			if cur <= m || maxInflight.CompareAndSwap(m, cur) {
				break
			}
		}
		entered <- struct{}{}
		<-release
		inflight.Add(-1)
		return argon2Key(pw, salt, p)
	}

	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), "pw"); err != nil {
				t.Error(err)
			}
		})
	}
	<-entered // one caller holds the slot...
	for range n - 1 {
		<-waiting // ...and every other caller found it taken and queued.
	}
	close(release)
	wg.Wait()
	if got := len(entered); got != n-1 {
		t.Fatalf("%d further computations ran, want %d", got, n-1)
	}
	if m := maxInflight.Load(); m != 1 {
		t.Fatalf("max concurrent computations = %d, want 1", m)
	}
}

func TestContextCancelledWhileWaiting(t *testing.T) {
	h := NewPasswordHasher(cheap, 1)
	entered := make(chan struct{})
	release := make(chan struct{})
	waiting := make(chan struct{}, 1)
	h.onWait = func() { waiting <- struct{}{} }
	h.compute = func(pw, salt []byte, p Argon2Params) []byte {
		close(entered)
		<-release
		return argon2Key(pw, salt, p)
	}
	holder := make(chan error)
	go func() {
		_, err := h.Hash(context.Background(), "pw")
		holder <- err
	}()
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	waiter := make(chan error)
	go func() {
		_, _, err := h.Verify(ctx, "pw", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ")
		waiter <- err
	}()
	<-waiting
	cancel()
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting Verify err = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	// An already-cancelled context fails fast even when a slot is free.
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with cancelled ctx err = %v", err)
	}
}

func TestDummyVerifyHashes(t *testing.T) {
	h := NewPasswordHasher(DefaultArgon2Params(), 1)
	var got Argon2Params
	h.compute = func(pw, salt []byte, p Argon2Params) []byte {
		got = p
		return argon2Key(pw, salt, p)
	}
	h.DummyVerify(context.Background(), "whatever")
	if got != DefaultArgon2Params() {
		t.Fatalf("DummyVerify used params %+v", got)
	}
}

func BenchmarkPasswordHash(b *testing.B) {
	h := NewPasswordHasher(DefaultArgon2Params(), 0)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestQueueIsBounded: with the only slot held, LimitQueue lets two callers queue and refuses the
// third at once with ErrBusy, without hashing; a queued caller whose wait runs out gets ErrBusy
// too, and DummyVerify reports it like Verify.
func TestQueueIsBounded(t *testing.T) {
	h := NewPasswordHasher(cheap, 1).LimitQueue(2, time.Hour)
	entered := make(chan struct{}, 8)
	release := make(chan struct{})
	waiting := make(chan struct{}, 8)
	var computed atomic.Int32
	h.onWait = func() { waiting <- struct{}{} }
	h.compute = func(pw, salt []byte, p Argon2Params) []byte {
		computed.Add(1)
		entered <- struct{}{}
		<-release
		return argon2Key(pw, salt, p)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Go(func() { _, err := h.Hash(context.Background(), "pw"); errs <- err })
	<-entered
	for range 2 {
		wg.Go(func() { _, err := h.Hash(context.Background(), "pw"); errs <- err })
		<-waiting
	}
	if _, err := h.Hash(context.Background(), "pw"); !errors.Is(err, ErrBusy) {
		t.Fatalf("third waiter: %v, want ErrBusy", err)
	}
	if err := h.DummyVerify(context.Background(), "pw"); !errors.Is(err, ErrBusy) {
		t.Fatalf("DummyVerify with the queue full: %v, want ErrBusy", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a caller within the bounds failed: %v", err)
		}
	}
	if n := computed.Load(); n != 3 {
		t.Fatalf("%d hashes computed, want 3 (the refused ones compute nothing)", n)
	}

	// The wait is bounded too.
	h2 := NewPasswordHasher(cheap, 1).LimitQueue(5, 20*time.Millisecond)
	hold := make(chan struct{})
	inside := make(chan struct{})
	h2.compute = func(pw, salt []byte, p Argon2Params) []byte {
		close(inside)
		<-hold
		return argon2Key(pw, salt, p)
	}
	go func() { _, _ = h2.Hash(context.Background(), "pw") }()
	<-inside
	start := time.Now()
	if _, _, err := h2.Verify(context.Background(), "pw", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ"); !errors.Is(err, ErrBusy) {
		t.Fatalf("after the wait: %v, want ErrBusy", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("refused after %v, before the wait ran out", d)
	}
	close(hold)

	// Queue 0: nobody waits.
	h3 := NewPasswordHasher(cheap, 1).LimitQueue(0, time.Hour)
	in3, hold3 := make(chan struct{}), make(chan struct{})
	h3.compute = func(pw, salt []byte, p Argon2Params) []byte { close(in3); <-hold3; return argon2Key(pw, salt, p) }
	go func() { _, _ = h3.Hash(context.Background(), "pw") }()
	<-in3
	if _, err := h3.Hash(context.Background(), "pw"); !errors.Is(err, ErrBusy) {
		t.Fatalf("queue 0: %v, want ErrBusy", err)
	}
	close(hold3)
}
