package secure

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func mustKey(t testing.TB) []byte {
	t.Helper()
	k, err := GenerateKey()
	if err != nil || len(k) != KeySize {
		t.Fatalf("GenerateKey: %d bytes, %v", len(k), err)
	}
	return k
}

func mustRing(t testing.TB, primary string, keys map[string][]byte) *Keyring {
	t.Helper()
	r, err := NewKeyring(primary, keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEncryptRoundTrip(t *testing.T) {
	r := mustRing(t, "k1", map[string][]byte{"k1": mustKey(t)})
	aad := []byte("fi=01111|field=ssn")
	ct, err := r.Encrypt([]byte("123456789"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ct, "v1.k1.") || strings.Contains(ct, "123456789") {
		t.Fatalf("unexpected ciphertext %q", ct)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(ct, "v1.k1."))
	if err != nil || len(raw) != 12+9+16 {
		t.Fatalf("body: %d bytes, %v", len(raw), err)
	}
	pt, err := r.Decrypt(ct, aad)
	if err != nil || string(pt) != "123456789" {
		t.Fatalf("Decrypt = %q, %v", pt, err)
	}
	ct2, _ := r.Encrypt([]byte("123456789"), aad)
	if ct2 == ct {
		t.Fatal("nonce reused: identical ciphertexts")
	}

	s, err := r.EncryptString("", "a")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.DecryptString(s, "a"); err != nil || got != "" {
		t.Fatalf("DecryptString(empty) = %q, %v", got, err)
	}
}

func TestDecryptRejects(t *testing.T) {
	r := mustRing(t, "k1", map[string][]byte{"k1": mustKey(t)})
	ct, _ := r.EncryptString("123456789", "fi=01111|field=ssn")

	if _, err := r.DecryptString(ct, "fi=02222|field=ssn"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("AAD mismatch err = %v", err)
	}
	body := []byte(ct)
	last := len(body) - 1
	body[last] = map[bool]byte{true: 'B', false: 'A'}[body[last] == 'A']
	if _, err := r.DecryptString(string(body), "fi=01111|field=ssn"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered err = %v", err)
	}
	for _, s := range []string{"", "v1", "v1.k1", "v2" + ct[2:], "v1.k1.", "v1.k1.!!!!", "v1.k1.AAAA", ct + "."} {
		if _, err := r.DecryptString(s, "fi=01111|field=ssn"); !errors.Is(err, ErrDecrypt) {
			t.Errorf("Decrypt(%q) err = %v, want ErrDecrypt", s, err)
		}
	}
	if _, err := r.DecryptString("v1.k9"+ct[5:], "fi=01111|field=ssn"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown key err = %v", err)
	}
	// Another ring using the same id but a different key cannot decrypt.
	other := mustRing(t, "k1", map[string][]byte{"k1": mustKey(t)})
	if _, err := other.DecryptString(ct, "fi=01111|field=ssn"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong key err = %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	old := mustRing(t, "k1", map[string][]byte{"k1": k1})
	ct1, _ := old.EncryptString("alice@example.com", "row=1")

	r := mustRing(t, "k2", map[string][]byte{"k1": k1, "k2": k2})
	if r.PrimaryID() != "k2" || strings.Join(r.KeyIDs(), ",") != "k1,k2" {
		t.Fatalf("PrimaryID %q KeyIDs %v", r.PrimaryID(), r.KeyIDs())
	}
	if got, err := r.DecryptString(ct1, "row=1"); err != nil || got != "alice@example.com" {
		t.Fatalf("old value after rotation = %q, %v", got, err)
	}
	ct2, _ := r.EncryptString("bob@example.com", "row=2")
	if !strings.HasPrefix(ct2, "v1.k2.") {
		t.Fatalf("new value not under k2: %q", ct2)
	}
	if _, err := old.DecryptString(ct2, "row=2"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old ring on k2 value err = %v", err)
	}

	// Blind indexes follow the primary key; BlindIndexWith reaches the others.
	want, err := old.BlindIndexWith("k1", "01111", "123456789")
	if err != nil || want != old.BlindIndex("01111", "123456789") {
		t.Fatalf("BlindIndexWith(primary) = %q, %v", want, err)
	}
	if got, _ := r.BlindIndexWith("k1", "01111", "123456789"); got != want {
		t.Fatal("k1 index differs between rings")
	}
	if r.BlindIndex("01111", "123456789") == want {
		t.Fatal("index under k2 equals index under k1")
	}
	if _, err := r.BlindIndexWith("k3", "01111", "x"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("BlindIndexWith(unknown) err = %v", err)
	}
}

func TestNewKeyringValidation(t *testing.T) {
	k := mustKey(t)
	cases := []struct {
		primary string
		keys    map[string][]byte
		want    error
	}{
		{"k1", nil, ErrUnknownKey},
		{"k2", map[string][]byte{"k1": k}, ErrUnknownKey},
		{"k1", map[string][]byte{"k1": k[:16]}, ErrInvalidKey},
		{"k1", map[string][]byte{"k1": k, "k2": append(k, 0)}, ErrInvalidKey},
		{"k.1", map[string][]byte{"k.1": k}, ErrInvalidKeyID},
		{"", map[string][]byte{"": k}, ErrInvalidKeyID},
	}
	for _, c := range cases {
		_, err := NewKeyring(c.primary, c.keys)
		if !errors.Is(err, c.want) {
			t.Errorf("NewKeyring(%q) err = %v, want %v", c.primary, err, c.want)
		}
	}
}

func TestKeySeparation(t *testing.T) {
	// Neither purpose uses the master key directly, and the subkeys differ.
	master := mustKey(t)
	r := mustRing(t, "k1", map[string][]byte{"k1": master})
	if idx := r.keys["k1"].index; bytes.Equal(idx, master) || len(idx) != KeySize {
		t.Fatal("index key is the master key or has the wrong size")
	}
	m := hmac.New(sha256.New, master)
	m.Write([]byte("01111\x00123456789"))
	if r.BlindIndex("01111", "123456789") == hex.EncodeToString(m.Sum(nil)) {
		t.Fatal("blind index keyed with the master key")
	}
	ct, _ := r.Encrypt([]byte("x"), nil)
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(ct, "v1.k1."))
	block, _ := aes.NewCipher(master)
	gcm, _ := cipher.NewGCM(block)
	if _, err := gcm.Open(nil, raw[:12], raw[12:], nil); err == nil {
		t.Fatal("ciphertext opens with the master key")
	}
}

func TestParseKey(t *testing.T) {
	k := mustKey(t)
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(k),
		base64.RawStdEncoding.EncodeToString(k),
		base64.URLEncoding.EncodeToString(k),
		base64.RawURLEncoding.EncodeToString(k),
		" " + base64.StdEncoding.EncodeToString(k) + "\n",
	} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("ParseKey(form of key) = %v", err)
		}
	}
	short := base64.StdEncoding.EncodeToString(k[:31])
	for _, s := range []string{short, "not*base64*" + short, "c2VjcmV0LWtleS1tYXRlcmlhbA==", ""} {
		_, err := ParseKey(s)
		if !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ParseKey err = %v, want ErrInvalidKey", err)
			continue
		}
		if s != "" && strings.Contains(err.Error(), s) || strings.Contains(err.Error(), "secret-key") {
			t.Errorf("error %q contains key material", err)
		}
	}
}

func TestBlindIndex(t *testing.T) {
	r := mustRing(t, "k1", map[string][]byte{"k1": mustKey(t)})
	a := r.BlindIndex("01111", "123456789")
	if len(a) != 64 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("index %q is not hex SHA-256", a)
	}
	if b := r.BlindIndex("01111", " 123456789 "); b != a {
		t.Fatal("index not deterministic / not normalized")
	}
	if r.BlindIndex("02222", "123456789") == a {
		t.Fatal("same index in different scopes")
	}
	if r.BlindIndex("01111", "123456780") == a {
		t.Fatal("same index for different values")
	}
	if r.BlindIndex("0111", "1123456789") == a {
		t.Fatal("scope/value boundary not separated")
	}
}

func BenchmarkEncrypt(b *testing.B) {
	r := mustRing(b, "k1", map[string][]byte{"k1": mustKey(b)})
	pt, aad := []byte("123456789"), []byte("fi=01111|field=ssn")
	for b.Loop() {
		if _, err := r.Encrypt(pt, aad); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPasscodeMAC(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	old := mustRing(t, "k1", map[string][]byte{"k1": k1})
	msg := []byte("01111\x00customer\x00challenge\x00012345")
	id, mac := old.PasscodeMAC(msg)
	if id != "k1" || len(mac) != sha256.Size {
		t.Fatalf("PasscodeMAC: key %q, %d bytes", id, len(mac))
	}
	// Its own subkey: not the master key, nor the index or client-secret subkeys.
	pk := old.keys["k1"].passcode
	for name, other := range map[string][]byte{"master": k1, "index": old.keys["k1"].index, "secret": old.keys["k1"].secret} {
		if bytes.Equal(pk, other) {
			t.Errorf("passcode subkey equals the %s key", name)
		}
	}
	// After a rotation the digest under the old key can still be recomputed, the new one differs.
	rotated := mustRing(t, "k2", map[string][]byte{"k1": k1, "k2": k2})
	again, err := rotated.PasscodeMACWith("k1", msg)
	if err != nil || !bytes.Equal(again, mac) {
		t.Fatalf("PasscodeMACWith(k1) after rotation: %v", err)
	}
	if id, fresh := rotated.PasscodeMAC(msg); id != "k2" || bytes.Equal(fresh, mac) {
		t.Errorf("PasscodeMAC after rotation: key %q, same digest %v", id, bytes.Equal(fresh, mac))
	}
	if _, err := rotated.PasscodeMACWith("k3", msg); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
}
