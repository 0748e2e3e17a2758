package openid_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/custreg/custreg/openid"
)

// TestIssuerSignsWhatItPublishes: RS256 and ES256 keys sign tokens that verify with the JWKS
// (go-jose), carrying the kid and the claims; weak or foreign keys and doubled key ids are refused.
func TestIssuerSignsWhatItPublishes(t *testing.T) {
	rsaKey, err := openid.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, c := range []struct {
		alg string
		is  func() (*openid.Issuer, error)
	}{
		{"RS256", func() (*openid.Issuer, error) { return openid.New("https://api.example.com/", rsaKey, "", nil) }},
		{"ES256", func() (*openid.Issuer, error) {
			return openid.New("https://api.example.com", ecKey, "ec1", []openid.PublicKey{{Key: rsaKey.Public()}})
		}},
	} {
		is, err := c.is()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := is.Sign(openid.Claims{Subject: "guid", Audience: []string{"partner", "https://rp.example"}, AuthTime: now, Nonce: "n",
			Profile: &openid.Profile{GivenName: "Sam"}}, now)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
		if err != nil || tok.Headers[0].KeyID != is.KeyID() || tok.Headers[0].Algorithm != c.alg || is.Algorithm() != c.alg {
			t.Fatalf("%s: %v %+v", c.alg, err, tok)
		}
		set := is.JWKS()
		keys := set.Key(is.KeyID())
		var claims struct {
			jwt.Claims
			Nonce     string `json:"nonce"`
			AZP       string `json:"azp"`
			AuthTime  int64  `json:"auth_time"`
			GivenName string `json:"given_name"`
		}
		if len(keys) != 1 || tok.Claims(keys[0].Key, &claims) != nil {
			t.Fatalf("%s: does not verify with the published key", c.alg)
		}
		if claims.Issuer != "https://api.example.com" || claims.Subject != "guid" || claims.Nonce != "n" || claims.AZP != "partner" ||
			claims.AuthTime != now.Unix() || claims.GivenName != "Sam" || claims.Expiry.Time().Sub(claims.IssuedAt.Time()) != openid.IDTokenTTL {
			t.Errorf("%s claims: %+v", c.alg, claims)
		}
		for _, k := range is.JWKS().Keys {
			if !k.IsPublic() {
				t.Errorf("%s: the JWKS publishes a private key", c.alg)
			}
		}
	}

	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"RSA 1024": func() error { _, err := openid.New("https://x.example", weak, "", nil); return err },
		"P-384":    func() error { _, err := openid.New("https://x.example", p384, "", nil); return err },
		"no URL":   func() error { _, err := openid.New("x.example", rsaKey, "", nil); return err },
		"doubled kid": func() error {
			_, err := openid.New("https://x.example", rsaKey, "k", []openid.PublicKey{{ID: "k", Key: ecKey.Public()}})
			return err
		},
		"no audience": func() error {
			is, _ := openid.New("https://x.example", rsaKey, "", nil)
			_, err := is.Sign(openid.Claims{Subject: "s"}, now)
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestKeyFiles: the sandbox key file is made once (mode 0600) and read back; PEM keys parse in
// PKCS#8, PKCS#1 and SEC 1, public keys from PKIX or private PEM.
func TestKeyFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.pem")
	first, err := openid.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", err, info)
	}
	again, err := openid.LoadOrCreateKeyFile(path)
	if err != nil || !again.Public().(*rsa.PublicKey).Equal(first.Public()) {
		t.Fatalf("the key is kept: %v", err)
	}
	rsaKey := first.(*rsa.PrivateKey)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	pubDER, _ := x509.MarshalPKIXPublicKey(ecKey.Public())
	for name, block := range map[string]*pem.Block{
		"PKCS#1": {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)},
		"SEC 1":  {Type: "EC PRIVATE KEY", Bytes: ecDER},
	} {
		if _, err := openid.ParsePrivateKey(pem.EncodeToMemory(block)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := openid.ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})); err != nil {
		t.Errorf("PKIX: %v", err)
	}
	if _, err := openid.ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})); err == nil ||
		!strings.Contains(err.Error(), "not a private key") {
		t.Errorf("a public key as the signing key: %v", err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openid.LoadOrCreateKeyFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a broken key file: %v", err)
	}
}
