package recovery

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

func TestNewPasscodeShape(t *testing.T) {
	for range 1000 {
		p, err := NewPasscode()
		if err != nil {
			t.Fatal(err)
		}
		if !validPasscode(p) {
			t.Fatalf("passcode %q is not %d digits", p, Digits)
		}
	}
}

// TestNewPasscodeLeadingZerosAndRejection drives the generator with chosen random values: small
// values keep their leading zeros, and values at or above the last whole multiple of 10^6 below
// 2^32 are drawn again instead of folded onto low passcodes.
func TestNewPasscodeLeadingZerosAndRejection(t *testing.T) {
	if acceptBelow != 4_294_000_000 {
		t.Fatalf("acceptBelow = %d", acceptBelow)
	}
	u32 := func(vs ...uint32) *bytes.Reader {
		var b []byte
		for _, v := range vs {
			b = append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
		}
		return bytes.NewReader(b)
	}
	for _, c := range []struct {
		name string
		in   *bytes.Reader
		want string
	}{
		{"zero", u32(0), "000000"},
		{"small", u32(42), "000042"},
		{"wraps", u32(1_000_007), "000007"},
		{"largest accepted", u32(acceptBelow - 1), "999999"},
		{"first rejected", u32(acceptBelow, 123), "000123"},
		{"last rejected", u32(1<<32-1, 1<<32-1, 654321), "654321"},
	} {
		got, err := newPasscode(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	if _, err := newPasscode(bytes.NewReader([]byte{1, 2})); err == nil {
		t.Error("a short random source must be an error")
	}
}

// TestNewPasscodeDistribution is a sanity check, not a proof: every digit value appears about
// equally often at every position (chi-square well under what a biased generator gives), and
// passcodes starting with 0 are as common as any other first digit.
func TestNewPasscodeDistribution(t *testing.T) {
	const n = 60_000
	var counts [Digits][10]int
	for range n {
		p, err := NewPasscode()
		if err != nil {
			t.Fatal(err)
		}
		for i := range Digits {
			counts[i][p[i]-'0']++
		}
	}
	const expected = n / 10.0
	for i := range Digits {
		chi := 0.0
		for d := range 10 {
			diff := float64(counts[i][d]) - expected
			chi += diff * diff / expected
		}
		// 9 degrees of freedom: P(chi² > 33.7) < 0.0001 for a uniform source.
		if chi > 33.7 {
			t.Errorf("position %d: chi-square %.1f, counts %v", i, chi, counts[i])
		}
	}
	if counts[0][0] < expected*0.9 {
		t.Errorf("only %d of %d passcodes start with 0", counts[0][0], n)
	}
}

func TestPolicyNumbers(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := ExpiresAt(now); got.Sub(now) != 10*time.Minute {
		t.Errorf("validity %v", got.Sub(now))
	}
	if got := WindowStart(now); now.Sub(got) != 15*time.Minute {
		t.Errorf("window %v", now.Sub(got))
	}
	for sent, want := range map[int64]bool{0: true, 2: true, 3: false, 7: false} {
		if MaySend(sent) != want {
			t.Errorf("MaySend(%d) = %v", sent, !want)
		}
	}
	if Dead(4) || !Dead(5) {
		t.Error("a challenge dies at its fifth wrong try")
	}
}

func TestChannel(t *testing.T) {
	for _, c := range []struct {
		destination, asked, want string
	}{
		{"SMS", "SMS", "SMS"},
		{"SMS", "VOICE", "VOICE"},
		{"VOICE", "SMS", "SMS"},
		{"VOICE", "", "VOICE"},
		{"EMAIL", "EMAIL", "EMAIL"},
		{"EMAIL", "", "EMAIL"},
		{"EMAIL", "SMS", ""},
		{"EMAIL", "VOICE", ""},
		{"SMS", "EMAIL", ""},
		{"SMS", "sms", ""},
		{"FAX", "FAX", ""},
	} {
		got, err := Channel(c.destination, c.asked)
		if c.want == "" {
			if !errors.Is(err, models.ErrProtocolMismatch) {
				t.Errorf("Channel(%s, %q) = %q, %v; want ErrProtocolMismatch", c.destination, c.asked, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Channel(%s, %q) = %q, %v; want %s", c.destination, c.asked, got, err, c.want)
		}
	}
}

func TestUsable(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	past := now.Add(-time.Minute)
	open := models.PasswordReset{CreatedAt: now.Add(-9 * time.Minute), ExpiresAt: now.Add(time.Minute)}
	with := func(f func(*models.PasswordReset)) models.PasswordReset { c := open; f(&c); return c }
	for _, c := range []struct {
		name string
		c    models.PasswordReset
		want error
	}{
		{"open", open, nil},
		{"four wrong tries", with(func(c *models.PasswordReset) { c.WrongTries = 4 }), nil},
		{"five wrong tries", with(func(c *models.PasswordReset) { c.WrongTries = 5 }), models.ErrPasscodeTriesExhausted},
		{"at expiry", with(func(c *models.PasswordReset) { c.ExpiresAt = now }), models.ErrPasscodeExpired},
		{"superseded", with(func(c *models.PasswordReset) { c.SupersededAt = &past }), models.ErrPasscodeExpired},
		{"used", with(func(c *models.PasswordReset) { c.ConsumedAt = &past }), models.ErrPasscodeUsed},
		{"used and expired", with(func(c *models.PasswordReset) { c.ConsumedAt, c.ExpiresAt = &past, past }), models.ErrPasscodeUsed},
		{"dead and expired", with(func(c *models.PasswordReset) { c.WrongTries, c.ExpiresAt = 5, past }), models.ErrPasscodeTriesExhausted},
	} {
		if got := Usable(c.c, now); !errors.Is(got, c.want) || (c.want == nil) != (got == nil) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func ring(t *testing.T, primary string, ids ...string) *secure.Keyring {
	t.Helper()
	keys := map[string][]byte{}
	for _, id := range ids {
		keys[id] = bytes.Repeat([]byte(id[len(id)-1:]), secure.KeySize)
	}
	r, err := secure.NewKeyring(primary, keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHashAndVerify(t *testing.T) {
	keys := ring(t, "k1", "k1")
	b := Binding{InstitutionID: "01111", CustomerID: "8fe733f4e27246908f92e8f7c0b96847", ChallengeID: "0123456789abcdef0123456789abcdef"}
	h := Hash(keys, b, "012345")
	if !strings.HasPrefix(h, "hmac-sha256$k1$") || strings.Contains(h, "012345") || len(h) > 128 {
		t.Fatalf("stored form %q", h)
	}
	if Hash(keys, b, "012345") != h {
		t.Error("the digest must be deterministic for one challenge")
	}
	if !Verify(keys, b, "012345", h) || !Verify(keys, b, " 012345\n", h) {
		t.Fatal("the right passcode must match")
	}
	other := func(f func(*Binding)) Binding { o := b; f(&o); return o }
	for name, c := range map[string]struct {
		b        Binding
		passcode string
		stored   string
	}{
		"wrong passcode":       {b, "012346", h},
		"other customer":       {other(func(o *Binding) { o.CustomerID = "a0000000000000000000000000000001" }), "012345", h},
		"other challenge":      {other(func(o *Binding) { o.ChallengeID = "a0000000000000000000000000000002" }), "012345", h},
		"other FI":             {other(func(o *Binding) { o.InstitutionID = "02222" }), "012345", h},
		"empty":                {b, "", h},
		"five digits":          {b, "01234", h},
		"letters":              {b, "01234a", h},
		"seven digits":         {b, "0123456", h},
		"inner space":          {b, "012 345", h},
		"malformed stored":     {b, "012345", "sha256$k1$" + strings.TrimPrefix(h, "hmac-sha256$k1$")},
		"unknown key":          {b, "012345", strings.Replace(h, "$k1$", "$k9$", 1)},
		"empty stored":         {b, "012345", ""},
		"bad base64":           {b, "012345", h + "!"},
		"truncated digest":     {b, "012345", h[:len(h)-4]},
		"digest of all digits": {b, "000000", Hash(keys, b, "000000")[:20]},
	} {
		if Verify(keys, c.b, c.passcode, c.stored) {
			t.Errorf("%s: matched", name)
		}
	}
	// A passcode issued before a key rotation still verifies while the old key is in the ring.
	rotated := ring(t, "k2", "k1", "k2")
	if !Verify(rotated, b, "012345", h) {
		t.Error("a digest under the previous key must still verify")
	}
	if !strings.HasPrefix(Hash(rotated, b, "012345"), "hmac-sha256$k2$") {
		t.Error("new digests use the primary key")
	}
	if Verify(ring(t, "k3", "k3"), b, "012345", h) {
		t.Error("a digest under a retired key must not verify")
	}
}
