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

func TestClientSecret(t *testing.T) {
	phc, err := HashClientSecret("sandbox-secret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=8192,t=1,p=1$") || strings.Contains(phc, "sandbox") {
		t.Fatalf("unexpected client secret hash %q", phc)
	}
	if !VerifyClientSecret("sandbox-secret", phc) {
		t.Fatal("right secret rejected")
	}
	if VerifyClientSecret("sandbox-secreT", phc) || VerifyClientSecret("", phc) || VerifyClientSecret("sandbox-secret", "garbage") {
		t.Fatal("wrong secret or bad hash accepted")
	}
	if _, err := HashClientSecret(""); err != ErrSecretEmpty {
		t.Fatalf("empty secret err = %v", err)
	}
	if _, err := HashClientSecret(strings.Repeat("x", MaxClientSecretLen+1)); err != ErrSecretTooLong {
		t.Fatalf("long secret err = %v", err)
	}
}

func TestSecretVerifierCache(t *testing.T) {
	phc, err := HashClientSecret("sandbox-secret")
	if err != nil {
		t.Fatal(err)
	}
	v := NewSecretVerifier(2)
	if v.Verify("nope", phc) || len(v.seen) != 0 {
		t.Fatal("failed verification accepted or cached")
	}
	for range 3 {
		if !v.Verify("sandbox-secret", phc) {
			t.Fatal("right secret rejected")
		}
	}
	if len(v.seen) != 1 {
		t.Fatalf("cache holds %d entries, want 1", len(v.seen))
	}
	if v.Verify("sandbox-secreT", phc) || v.Verify("", phc) {
		t.Fatal("wrong secret accepted after a cached right one")
	}

	// Bounded: extra successes evict rather than grow.
	other, _ := HashClientSecret("other")
	third, _ := HashClientSecret("third")
	if !v.Verify("other", other) || !v.Verify("third", third) {
		t.Fatal("right secret rejected")
	}
	if len(v.seen) != 2 {
		t.Fatalf("cache holds %d entries, want 2", len(v.seen))
	}
	for k := range v.seen {
		if strings.Contains(string(k[:]), "third") {
			t.Fatal("secret stored in clear")
		}
	}
	if !v.Verify("sandbox-secret", phc) || !v.Verify("third", third) {
		t.Fatal("right secret rejected after eviction")
	}
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
