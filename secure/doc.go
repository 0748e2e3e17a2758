// Package secure holds the service's cryptography: argon2id password
// hashing, opaque bearer tokens and identifiers, client-secret hashing,
// AES-256-GCM encryption of PII at rest with key rotation, and a keyed blind
// index for equality lookups on encrypted values.
//
// No function in this package puts a password, secret, token, key or
// plaintext into an error message.
package secure
