// Package openid issues the OpenID Connect ID tokens of the partner sign-in: JWTs signed with
// the configured key (RS256 for RSA keys, ES256 for P-256 keys) through go-jose, the JWKS that
// publishes the current key and the earlier ones still verifying tokens, and the discovery
// document. It imports nothing internal.
package openid

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// IDTokenTTL is how long an ID token is valid. A key retired from signing must stay in the JWKS
// at least this long after its last token (docs/decisions.md, key rotation).
const IDTokenTTL = 5 * time.Minute

// Paths the discovery document names, relative to the issuer.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/oauth2/v1/keys"
	TokenPath     = "/oauth2/v1/token"
	AuthCodePath  = "/v1/auth-code"
)

// PublicKey is a verification key published in the JWKS: a retired signing key.
type PublicKey struct {
	ID  string
	Key crypto.PublicKey
}

// Issuer signs ID tokens with one key and publishes it with the retired ones.
type Issuer struct {
	url    string
	kid    string
	alg    jose.SignatureAlgorithm
	signer jose.Signer
	keys   jose.JSONWebKeySet
}

// New makes the issuer url (an absolute http(s) URL, its "iss") signing with key under the id
// kid ("" for the key's RFC 7638 thumbprint), and publishing old too. The key must be RSA of at
// least 2048 bits or ECDSA P-256.
func New(issuerURL string, key crypto.Signer, kid string, old []PublicKey) (*Issuer, error) {
	u, err := url.Parse(issuerURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("issuer %q must be an absolute http(s) URL without query or fragment", issuerURL)
	}
	alg, err := algorithmOf(key.Public())
	if err != nil {
		return nil, err
	}
	if kid == "" {
		if kid, err = thumbprint(key.Public()); err != nil {
			return nil, err
		}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(alg)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("ID token signer: %w", err)
	}
	is := &Issuer{url: strings.TrimSuffix(issuerURL, "/"), kid: kid, alg: alg, signer: signer}
	is.keys.Keys = append(is.keys.Keys, jose.JSONWebKey{Key: key.Public(), KeyID: kid, Algorithm: string(alg), Use: "sig"})
	for _, o := range old {
		oalg, err := algorithmOf(o.Key)
		if err != nil {
			return nil, fmt.Errorf("old key %s: %w", o.ID, err)
		}
		id := o.ID
		if id == "" {
			if id, err = thumbprint(o.Key); err != nil {
				return nil, err
			}
		}
		for _, k := range is.keys.Keys {
			if k.KeyID == id {
				return nil, fmt.Errorf("key id %s is given twice", id)
			}
		}
		is.keys.Keys = append(is.keys.Keys, jose.JSONWebKey{Key: o.Key, KeyID: id, Algorithm: string(oalg), Use: "sig"})
	}
	return is, nil
}

// URL is the issuer identifier ("iss"), without a trailing slash.
func (is *Issuer) URL() string { return is.url }

// KeyID is the id of the signing key ("kid").
func (is *Issuer) KeyID() string { return is.kid }

// Algorithm is the signing algorithm (RS256 or ES256).
func (is *Issuer) Algorithm() string { return string(is.alg) }

// JWKS is the published key set: the signing key first, then the retired ones.
func (is *Issuer) JWKS() jose.JSONWebKeySet { return is.keys }

// Claims are what an ID token says beyond the issuer: who, for whom, when, and the profile
// claims when the profile scope was granted.
type Claims struct {
	Subject  string
	Audience []string // the partner's client id first
	AuthTime time.Time
	Nonce    string
	Profile  *Profile
}

// Profile holds the standard profile claims this service knows of a user.
type Profile struct {
	Name, GivenName, MiddleName, FamilyName, PreferredUsername string
	UpdatedAt                                                  time.Time
}

// idTokenClaims are the registered and OIDC claims of an ID token.
type idTokenClaims struct {
	jwt.Claims
	AuthTime          int64  `json:"auth_time"`
	Nonce             string `json:"nonce,omitempty"`
	AuthorizedParty   string `json:"azp,omitempty"`
	Name              string `json:"name,omitempty"`
	GivenName         string `json:"given_name,omitempty"`
	MiddleName        string `json:"middle_name,omitempty"`
	FamilyName        string `json:"family_name,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	UpdatedAt         int64  `json:"updated_at,omitempty"`
}

// Sign issues an ID token valid from now for IDTokenTTL.
func (is *Issuer) Sign(c Claims, now time.Time) (string, error) {
	if c.Subject == "" || len(c.Audience) == 0 {
		return "", errors.New("ID token: subject and audience are required")
	}
	out := idTokenClaims{
		Claims: jwt.Claims{Issuer: is.url, Subject: c.Subject, Audience: jwt.Audience(c.Audience),
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(IDTokenTTL))},
		AuthTime: c.AuthTime.Unix(), Nonce: c.Nonce,
	}
	if len(c.Audience) > 1 {
		out.AuthorizedParty = c.Audience[0] // OIDC Core §2: azp names the client among several audiences
	}
	if p := c.Profile; p != nil {
		out.Name, out.GivenName, out.MiddleName, out.FamilyName = p.Name, p.GivenName, p.MiddleName, p.FamilyName
		out.PreferredUsername = p.PreferredUsername
		if !p.UpdatedAt.IsZero() {
			out.UpdatedAt = p.UpdatedAt.Unix()
		}
	}
	return jwt.Signed(is.signer).Claims(out).Serialize()
}

// Discovery is the OpenID Provider metadata (OpenID Connect Discovery 1.0 §3).
type Discovery struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
}

// Discovery describes the issuer. The authorization endpoint is the FI's own app's code request
// (POST /v1/auth-code), not a page a browser is sent to: the FI's digital banking signs the user
// in and asks for the code.
func (is *Issuer) Discovery(apiScopes []string) Discovery {
	return Discovery{
		Issuer: is.url, AuthorizationEndpoint: is.url + AuthCodePath, TokenEndpoint: is.url + TokenPath, JWKSURI: is.url + JWKSPath,
		ResponseTypesSupported: []string{"code"}, SubjectTypesSupported: []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{string(is.alg)},
		ScopesSupported:                   append([]string{"openid", "profile", "offline_access"}, apiScopes...),
		GrantTypesSupported:               []string{"authorization_code", "refresh_token", "client_credentials", "password"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic"},
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "name", "given_name",
			"middle_name", "family_name", "preferred_username", "updated_at"},
	}
}

func algorithmOf(pub crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return "", errors.New("an RSA signing key needs at least 2048 bits")
		}
		return jose.RS256, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", errors.New("an ECDSA signing key must be on P-256")
		}
		return jose.ES256, nil
	}
	return "", fmt.Errorf("unsupported key type %T: use RSA (2048 bits or more) or ECDSA P-256", pub)
}

func thumbprint(pub crypto.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum[:12]), nil
}

// ParsePrivateKey reads a PEM signing key: PKCS#8, PKCS#1 (RSA) or SEC 1 (EC).
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", key)
	}
	if _, err := algorithmOf(signer.Public()); err != nil {
		return nil, err
	}
	return signer, nil
}

// ParsePublicKey reads a PEM verification key: a public key (PKIX) or a private one, whose
// public half is taken.
func ParsePublicKey(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if block.Type == "PUBLIC KEY" {
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		if _, err := algorithmOf(pub); err != nil {
			return nil, err
		}
		return pub, nil
	}
	priv, err := ParsePrivateKey(data)
	if err != nil {
		return nil, err
	}
	return priv.Public(), nil
}

// GenerateKey makes a fresh RSA 2048 signing key.
func GenerateKey() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }

// LoadOrCreateKeyFile reads the PEM signing key kept at path, creating it (PKCS#8, mode 0600)
// with a fresh key if it does not exist. Sandbox mode only: production keys are configured.
func LoadOrCreateKeyFile(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		key, perr := ParsePrivateKey(data)
		if perr != nil {
			return nil, fmt.Errorf("sandbox signing key file %s: %w", path, perr)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sandbox signing key file: %w", err)
	}
	key, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race: use its key
			return LoadOrCreateKeyFile(path)
		}
		return nil, fmt.Errorf("sandbox signing key file: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sandbox signing key file: %w", err)
	}
	return key, f.Close()
}

var (
	processKeyOnce sync.Once
	processKey     crypto.Signer
	processKeyErr  error
)

// Ephemeral is an issuer at url signing with a key made once per process and kept nowhere: for
// tests and examples, whose tokens need not outlive the process.
func Ephemeral(url string) (*Issuer, error) {
	processKeyOnce.Do(func() { processKey, processKeyErr = GenerateKey() })
	if processKeyErr != nil {
		return nil, processKeyErr
	}
	return New(url, processKey, "", nil)
}
