package secure

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// MinDocumentKeyBits is the smallest RSA modulus accepted as an FI's document key.
const MinDocumentKeyBits = 2048

// ParseDocumentKey parses an FI's identification-document export key: a PEM "PUBLIC KEY" block
// (PKIX, as `openssl pkey -pubout` writes it) holding an RSA key of at least MinDocumentKeyBits.
// Only the public half is ever given to the service: it can encrypt documents to the FI, never
// read them back.
func ParseDocumentKey(pemText string) (*rsa.PublicKey, error) {
	block, rest := pem.Decode([]byte(pemText))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("document key: not a PEM PUBLIC KEY block")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("document key: text after the PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("document key: %w", err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("document key: not an RSA key")
	}
	if pub.N.BitLen() < MinDocumentKeyBits {
		return nil, fmt.Errorf("document key: %d bits, at least %d required", pub.N.BitLen(), MinDocumentKeyBits)
	}
	return pub, nil
}

// EncryptDocument encrypts an identification document's number to the FI's key: RSA-OAEP with
// SHA-256 (as hash and MGF1 hash), no label, the ciphertext in standard padded base64 — what
// `openssl pkeyutl -decrypt -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256` reads
// after base64 -d. Each call gives a different ciphertext.
func EncryptDocument(pub *rsa.PublicKey, number string) (string, error) {
	out, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte(number), nil)
	if err != nil {
		return "", fmt.Errorf("encrypt document: %w", err)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}
