package secure

import (
	"regexp"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	seen := make(map[string]bool)
	for range 1000 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(tok) {
			t.Fatalf("token %q is not 43 URL-safe base64 chars", tok)
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
}

func TestTokenHash(t *testing.T) {
	// SHA-256("abc") from FIPS 180-2.
	if got := TokenHash("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("TokenHash(abc) = %s", got)
	}
}

func TestNewID32(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{32}$`)
	a, err1 := NewID32()
	b, err2 := NewID32()
	if err1 != nil || err2 != nil || !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Fatalf("NewID32: %q %q %v %v", a, b, err1, err2)
	}
}

func TestClientSecretDigest(t *testing.T) {
	k1, _ := GenerateKey()
	k2, _ := GenerateKey()
	old, err := NewKeyring("k1", map[string][]byte{"k1": k1})
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewKeyring("k2", map[string][]byte{"k1": k1, "k2": k2})
	if err != nil {
		t.Fatal(err)
	}
	h, err := ring.HashClientSecret("sandbox-secret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "hmac-sha256$k2$") || strings.Contains(h, "sandbox") || !IsKeyedSecretHash(h) || IsLegacySecretHash(h) {
		t.Fatalf("unexpected digest %q", h)
	}
	if ok, current := ring.VerifyClientSecret("sandbox-secret", h); !ok || !current {
		t.Fatal("right secret rejected")
	}
	for _, bad := range []string{"sandbox-secreT", "", strings.Repeat("x", MaxClientSecretLen+1)} {
		if ok, _ := ring.VerifyClientSecret(bad, h); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, stored := range []string{"garbage", "hmac-sha256$k9$" + h[len("hmac-sha256$k2$"):], "hmac-sha256$k2$", "hmac-sha256$k2"} {
		if ok, _ := ring.VerifyClientSecret("sandbox-secret", stored); ok {
			t.Errorf("stored %q accepted", stored)
		}
	}
	// A digest under an older key still verifies, flagged for re-hashing; under another ring it
	// is not the same digest.
	oldHash, _ := old.HashClientSecret("sandbox-secret")
	if ok, current := ring.VerifyClientSecret("sandbox-secret", oldHash); !ok || current {
		t.Errorf("old-key digest: ok=%v current=%v", ok, current)
	}
	other, _ := NewKeyring("k2", map[string][]byte{"k2": k1})
	if ok, _ := other.VerifyClientSecret("sandbox-secret", h); ok {
		t.Error("a digest verified under a different key")
	}
	if _, err := ring.HashClientSecret(""); err != ErrSecretEmpty {
		t.Fatalf("empty secret err = %v", err)
	}
	if _, err := ring.HashClientSecret(strings.Repeat("x", MaxClientSecretLen+1)); err != ErrSecretTooLong {
		t.Fatalf("long secret err = %v", err)
	}
}

func TestLegacySecretGate(t *testing.T) {
	phc, err := LegacyClientSecretHash("sandbox-secret")
	if err != nil {
		t.Fatal(err)
	}
	if !IsLegacySecretHash(phc) || IsKeyedSecretHash(phc) {
		t.Fatalf("legacy hash %q", phc)
	}
	g := NewLegacySecretGate(1)
	if ok, err := g.Verify("sandbox-secret", phc); !ok || err != nil {
		t.Fatalf("right secret: %v %v", ok, err)
	}
	if ok, err := g.Verify("wrong", phc); ok || err != nil {
		t.Fatalf("wrong secret: %v %v", ok, err)
	}
	// With the only slot taken, a verification is refused at once instead of queueing.
	g.slots <- struct{}{}
	if ok, err := g.Verify("sandbox-secret", phc); ok || err != ErrBusy {
		t.Fatalf("busy gate: %v %v", ok, err)
	}
	<-g.slots
}

func TestMaskLast4(t *testing.T) {
	for in, want := range map[string]string{
		"":          "",
		"1":         "1",
		"1234":      "1234",
		"12345":     "*2345",
		"123456789": "*****6789",
		"ééééé":     "*éééé",
	} {
		if got := MaskLast4(in); got != want {
			t.Errorf("MaskLast4(%q) = %q, want %q", in, got, want)
		}
	}
}
