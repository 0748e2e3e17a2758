package secure

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

func publicPEM(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestDocumentKeyRoundTrip(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParseDocumentKey(publicPEM(t, &priv.PublicKey) + "\n")
	if err != nil {
		t.Fatal(err)
	}
	a, err := EncryptDocument(pub, "123456789")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := EncryptDocument(pub, "123456789")
	if a == b {
		t.Error("two encryptions of one number are equal: OAEP must be randomised")
	}
	raw, err := base64.StdEncoding.DecodeString(a)
	if err != nil || len(raw) != 256 {
		t.Fatalf("ciphertext %d bytes, %v", len(raw), err)
	}
	plain, err := rsa.DecryptOAEP(sha256.New(), nil, priv, raw, nil)
	if err != nil || string(plain) != "123456789" {
		t.Fatalf("decrypt: %q %v", plain, err)
	}
}

func TestParseDocumentKeyRefuses(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	big, _ := rsa.GenerateKey(rand.Reader, 2048)
	privDER, _ := x509.MarshalPKCS8PrivateKey(big)
	for name, text := range map[string]string{
		"empty":       "",
		"garbage":     "not a key",
		"1024 bits":   publicPEM(t, &small.PublicKey),
		"EC key":      publicPEM(t, &ec.PublicKey),
		"private key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})),
		"trailing":    publicPEM(t, &big.PublicKey) + "junk",
		"bad DER":     string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("xx")})),
		"two blocks":  strings.Repeat(publicPEM(t, &big.PublicKey), 2),
	} {
		if _, err := ParseDocumentKey(text); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
