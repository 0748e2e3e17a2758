package secure

// Fuzz targets for what package secure parses: stored password hashes (PHC strings), master
// keys and key lists from the configuration, and the stored forms the key ring reads back
// (ciphertexts, client-secret digests). Stored values count as input: a corrupted or planted
// row must be refused, never crash the service or make it do unbounded work.

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/custreg/custreg/internal/fuzzcorpus"
)

// fixedRing is a key ring of two fixed master keys, k1 primary and k0 an older one, so seeds
// can hold ciphertexts and digests made under it.
func fixedRing(t testing.TB) *Keyring {
	t.Helper()
	return mustRing(t, "k1", map[string][]byte{"k1": bytes.Repeat([]byte{1}, KeySize), "k0": bytes.Repeat([]byte{2}, KeySize)})
}

// sealWithNonce is Encrypt with a chosen nonce, for a deterministic seed.
func sealWithNonce(t testing.TB, k *Keyring, id string, nonce, plaintext, aad []byte) string {
	t.Helper()
	aead := k.keys[id].aead
	return ciphertextVersion + "." + id + "." + base64.RawURLEncoding.EncodeToString(aead.Seal(append([]byte(nil), nonce...), nonce, plaintext, aad))
}

func hostileSeeds(extra ...any) []fuzzcorpus.Seed {
	var seeds []fuzzcorpus.Seed
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("hostile-"+h.Name, append([]any{h.Value}, extra...)...))
	}
	return seeds
}

func FuzzParsePHC(f *testing.F) {
	salt := base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 16))
	key := base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	phc := func(params string) string { return "$argon2id$v=19$" + params + "$" + salt + "$" + key }
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("valid-default", phc("m=19456,t=2,p=1")),
		fuzzcorpus.S("valid-legacy-secret", phc("m=8192,t=1,p=1")),
		fuzzcorpus.S("max-memory", phc("m=1048576,t=64,p=255")),
		fuzzcorpus.S("memory-over-cap", phc("m=1048577,t=1,p=1")),
		fuzzcorpus.S("memory-uint32-overflow", phc("m=4294967296,t=1,p=1")),
		fuzzcorpus.S("huge-time", phc("m=64,t=99999999999999999999,p=1")),
		fuzzcorpus.S("zero-threads", phc("m=64,t=1,p=0")),
		fuzzcorpus.S("leading-zero", phc("m=064,t=1,p=1")),
		fuzzcorpus.S("plus-sign", phc("m=+64,t=1,p=1")),
		fuzzcorpus.S("reordered", phc("t=1,m=64,p=1")),
		fuzzcorpus.S("extra-param", phc("m=64,t=1,p=1,k=1")),
		fuzzcorpus.S("argon2i", strings.Replace(phc("m=64,t=1,p=1"), "argon2id", "argon2i", 1)),
		fuzzcorpus.S("version-16", strings.Replace(phc("m=64,t=1,p=1"), "v=19", "v=16", 1)),
		fuzzcorpus.S("padded-salt", "$argon2id$v=19$m=64,t=1,p=1$"+salt+"==$"+key),
		fuzzcorpus.S("url-alphabet", "$argon2id$v=19$m=64,t=1,p=1$"+strings.Repeat("_-", 11)+"$"+key),
		fuzzcorpus.S("short-salt", "$argon2id$v=19$m=64,t=1,p=1$AAAA$"+key),
		fuzzcorpus.S("long-key", "$argon2id$v=19$m=64,t=1,p=1$"+salt+"$"+strings.Repeat("A", 200)),
		fuzzcorpus.S("trailing-dollar", phc("m=64,t=1,p=1")+"$"),
		fuzzcorpus.S("keyed-digest", "hmac-sha256$k1$"+strings.Repeat("A", 43)),
	}
	fuzzcorpus.Check(f, append(seeds, hostileSeeds()...))
	// A hasher that never runs argon2: the target is the parser, and a planted m=1048576
	// must not cost a gigabyte per execution.
	h := NewPasswordHasher(Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 1)
	h.compute = func(_, _ []byte, p Argon2Params) []byte { return make([]byte, p.KeyLen) }
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePHC(s)
		_, _, verr := h.Verify(context.Background(), "password", s)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) || !errors.Is(verr, ErrMalformedHash) {
				t.Fatalf("parsePHC(%+q): %v; Verify: %v", s, err, verr)
			}
			return
		}
		if verr != nil {
			t.Fatalf("parsePHC accepted %+q but Verify failed: %v", s, verr)
		}
		switch {
		case p.Memory > maxMemoryKiB, p.Time < 1 || p.Time > maxTime, p.Threads < 1, p.Memory < 8*uint32(p.Threads):
			t.Fatalf("parsePHC(%+q) accepted out-of-bounds parameters %+v", s, p)
		case len(salt) < minSaltLen || len(salt) > maxSaltLen, len(key) < minKeyLen || len(key) > maxKeyLen:
			t.Fatalf("parsePHC(%+q) accepted a salt of %d or a key of %d bytes", s, len(salt), len(key))
		}
		// A stored hash is read in exactly one way: what is accepted is what Hash writes.
		if again := encodePHC(p, salt, key); again != s {
			t.Fatalf("parsePHC accepted the non-canonical %+q (canonical %+q)", s, again)
		}
	})
}

// keyErrorText is every message ParseKey and ParseKeyList may give: fixed words and numbers,
// so no part of the input (a key) can be in it.
var keyErrorText = regexp.MustCompile(`^(entry [0-9]+: )?secure: invalid key: (must decode to 32 bytes, got [0-9]+|not valid base64)$` +
	`|^secure: invalid key id: entry [0-9]+ (is not id:base64-key with an id of 1-32 letters, digits, _ or -|repeats an id)$`)

func FuzzParseKey(f *testing.F) {
	k := bytes.Repeat([]byte{0xfb}, KeySize)
	std, url := base64.StdEncoding.EncodeToString(k), base64.URLEncoding.EncodeToString(k)
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("std", std),
		fuzzcorpus.S("std-unpadded", strings.TrimRight(std, "=")),
		fuzzcorpus.S("url", url),
		fuzzcorpus.S("spaces", " \t"+std+"\n"),
		fuzzcorpus.S("short", "c2hvcnQ="),
		fuzzcorpus.S("long", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 33))),
		fuzzcorpus.S("mixed-alphabets", strings.Replace(std, "+", "-", 1)),
		fuzzcorpus.S("list", "k0:"+std+",k_old-2:"+url),
		fuzzcorpus.S("list-spaces", "k0:"+std+"  k1:"+url+" ,"),
		fuzzcorpus.S("list-repeated-id", "k0:"+std+",k0:"+url),
		fuzzcorpus.S("list-no-colon", "k0"),
		fuzzcorpus.S("list-empty-id", ":"+std),
		fuzzcorpus.S("list-long-id", strings.Repeat("k", 33)+":"+std),
		fuzzcorpus.S("list-dot-id", "k.0:"+std),
		fuzzcorpus.S("list-two-colons", "k0:"+std+":"+std),
	}
	fuzzcorpus.Check(f, append(seeds, hostileSeeds()...))
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParseKey(s)
		switch {
		case err != nil && (!errors.Is(err, ErrInvalidKey) || !keyErrorText.MatchString(err.Error())):
			t.Fatalf("ParseKey: unexpected error %q", err)
		case err == nil && len(key) != KeySize:
			t.Fatalf("ParseKey(%+q) gave %d bytes", s, len(key))
		case err == nil:
			// Line breaks inside are skipped, as encoding/base64 does (a wrapped key).
			trimmed := strings.NewReplacer("\r", "", "\n", "").Replace(strings.TrimSpace(s))
			found := false
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
				found = found || enc.EncodeToString(key) == trimmed
			}
			if !found {
				t.Fatalf("ParseKey(%+q) is not a base64 rendering of its key", s)
			}
		}
		keys, err := ParseKeyList(s)
		if err != nil {
			if !keyErrorText.MatchString(err.Error()) {
				t.Fatalf("ParseKeyList: unexpected error %q", err)
			}
			return
		}
		for id, key := range keys {
			if !validKeyID(id) || len(key) != KeySize {
				t.Fatalf("ParseKeyList(%+q) accepted id %q with %d bytes", s, id, len(key))
			}
		}
		if len(keys) > 0 {
			var primary string
			for id := range keys {
				primary = id
			}
			if _, err := NewKeyring(primary, keys); err != nil {
				t.Fatalf("ParseKeyList(%+q) accepted keys NewKeyring refuses: %v", s, err)
			}
		}
	})
}

func FuzzStoredSecrets(f *testing.F) {
	ring := fixedRing(f)
	nonce := bytes.Repeat([]byte{3}, 12)
	const aad = "fi=01111|field=ssn"
	ct := sealWithNonce(f, ring, "k1", nonce, []byte("123456789"), []byte(aad))
	old := sealWithNonce(f, ring, "k0", nonce, []byte("Quellenberg"), []byte(aad))
	digest, _ := ring.HashClientSecret("sandbox-secret")
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("ciphertext", ct, "sandbox-secret"),
		fuzzcorpus.S("ciphertext-old-key", old, "sandbox-secret"),
		fuzzcorpus.S("ciphertext-unknown-key", strings.Replace(ct, ".k1.", ".k9.", 1), "x"),
		fuzzcorpus.S("ciphertext-truncated", ct[:len(ct)-5], "x"),
		fuzzcorpus.S("ciphertext-padded", ct+"==", "x"),
		fuzzcorpus.S("ciphertext-v2", "v2"+ct[2:], "x"),
		fuzzcorpus.S("ciphertext-dots", "v1..", "x"),
		fuzzcorpus.S("digest", digest, "sandbox-secret"),
		fuzzcorpus.S("digest-wrong-secret", digest, "sandbox-secreT"),
		fuzzcorpus.S("digest-old-key", strings.Replace(digest, "$k1$", "$k0$", 1), "sandbox-secret"),
		fuzzcorpus.S("digest-unknown-key", strings.Replace(digest, "$k1$", "$k9$", 1), "sandbox-secret"),
		fuzzcorpus.S("digest-empty", "hmac-sha256$k1$", ""),
		fuzzcorpus.S("digest-long-secret", digest, strings.Repeat("s", MaxClientSecretLen+1)),
		fuzzcorpus.S("argon2-hash", "$argon2id$v=19$m=8192,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x"),
	}
	fuzzcorpus.Check(f, append(seeds, hostileSeeds("sandbox-secret")...))
	digests := map[string]string{}
	for _, id := range ring.KeyIDs() {
		digests[id] = clientSecretPrefix + id + "$"
	}
	f.Fuzz(func(t *testing.T, stored, secret string) {
		if got, err := ring.DecryptString(stored, aad); err != nil {
			if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("Decrypt(%+q): unexpected error %v", stored, err)
			}
		} else if got != "123456789" && got != "Quellenberg" {
			t.Fatalf("Decrypt(%+q) opened %q, which the seeds never sealed", stored, got)
		}
		ok, current := ring.VerifyClientSecret(secret, stored)
		if ok {
			id, _, _ := strings.Cut(strings.TrimPrefix(stored, clientSecretPrefix), "$")
			want := digests[id] + secretDigest(ring.keys[id].secret, secret)
			if want != stored || secret == "" || len(secret) > MaxClientSecretLen || current != (id == ring.PrimaryID()) {
				t.Fatalf("VerifyClientSecret(%+q, %+q) = %v, %v", secret, stored, ok, current)
			}
		}
		// What the ring seals it opens, under the same additional data only.
		sealed, err := ring.EncryptString(secret, stored)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := ring.DecryptString(sealed, stored); err != nil || back != secret {
			t.Fatalf("round trip of %+q under %+q: %q, %v", secret, stored, back, err)
		}
		if _, err := ring.DecryptString(sealed, stored+"x"); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("opened under other additional data: %v", err)
		}
		if bi := ring.BlindIndex(stored, secret); len(bi) != 64 || bi != ring.BlindIndex(stored, " "+secret+"\t") {
			t.Fatalf("BlindIndex(%+q) = %q", secret, bi)
		}
	})
}
