package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custreg/custreg/config"
	"github.com/custreg/custreg/openid"
)

// TestOpenIDSigningKeyConfiguration: the sandbox generates its ID-token key beside the database
// once and keeps it; elsewhere the key must be configured (a file or the PEM itself), and
// retired keys given as kid:file are published beside it.
func TestOpenIDSigningKeyConfiguration(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "s.db")
	parseEnv := func(vars map[string]string, args ...string) config.Config {
		t.Helper()
		cfg, err := config.Parse(append([]string{"--db", dbPath}, args...), env(vars))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	parse := func(args ...string) config.Config { t.Helper(); return parseEnv(nil, args...) }

	sandbox := parse("--sandbox")
	first, err := openIDIssuer(sandbox)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(sandbox.OIDCKeyFile())
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("sandbox key file %s: %v %v", sandbox.OIDCKeyFile(), err, info)
	}
	again, err := openIDIssuer(sandbox)
	if err != nil || again.KeyID() != first.KeyID() || first.URL() != "http://127.0.0.1:8080" {
		t.Fatalf("the sandbox key is kept: %v %s %s %s", err, first.KeyID(), again.KeyID(), first.URL())
	}

	if _, err := openIDIssuer(parse()); err == nil || !strings.Contains(err.Error(), "CUSTREG_OIDC_SIGNING_KEY") {
		t.Errorf("outside sandbox mode without a key: %v", err)
	}

	key, err := openid.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	keyFile := filepath.Join(dir, "new.pem")
	if err := os.WriteFile(keyFile, []byte(pemText), 0o600); err != nil {
		t.Fatal(err)
	}
	// The key as a file, or as the PEM itself in the environment.
	for _, signing := range []string{keyFile, pemText} {
		is, err := openIDIssuer(parseEnv(map[string]string{"CUSTREG_OIDC_SIGNING_KEY": signing}, "--oidc-key-id", "k2",
			"--oidc-issuer", "https://api.example.com", "--oidc-old-keys", "k1:"+sandbox.OIDCKeyFile()))
		if err != nil {
			t.Fatal(err)
		}
		jwks := is.JWKS()
		if is.KeyID() != "k2" || is.URL() != "https://api.example.com" || len(jwks.Keys) != 2 || jwks.Keys[1].KeyID != "k1" || !jwks.Keys[1].IsPublic() {
			t.Errorf("configured issuer: %s %s %+v", is.KeyID(), is.URL(), jwks.Keys)
		}
	}
	if _, err := config.Parse([]string{"--oidc-issuer", "not a url"}, env(nil)); err == nil || !strings.Contains(err.Error(), "--oidc-issuer") {
		t.Errorf("a malformed issuer: %v", err)
	}
}
