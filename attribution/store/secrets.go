package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretPrefix marks a value encrypted by a SecretBox. Values without it are
// legacy clear text: they still read, and are encrypted on their next write.
const SecretPrefix = "enc:v1:"

// SecretKeySize is the size of a TALLY_SECRET_KEY key (AES-256).
const SecretKeySize = 32

// SecretBox encrypts secrets at rest (AES-256-GCM) with the server key:
// the first key encrypts, every key decrypts, so the key can be rotated.
// Each value is bound to where it is stored (table, column, row id) as
// additional data, so a ciphertext copied to another row does not open.
type SecretBox struct {
	aeads []cipher.AEAD
}

// NewSecretBox takes one or more 32-byte keys, newest first.
func NewSecretBox(keys ...[]byte) (*SecretBox, error) {
	if len(keys) == 0 {
		return nil, errors.New("secret box: a key is required")
	}
	b := &SecretBox{}
	for _, k := range keys {
		if len(k) != SecretKeySize {
			return nil, fmt.Errorf("secret box: each key must be %d bytes, got %d", SecretKeySize, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		b.aeads = append(b.aeads, aead)
	}
	return b, nil
}

// Seal encrypts plain for the place named by where. The empty string stays
// empty (no secret set). A nil box stores clear text.
func (b *SecretBox) Seal(plain, where string) (string, error) {
	if plain == "" || b == nil {
		return plain, nil
	}
	aead := b.aeads[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(plain), []byte(where))
	return SecretPrefix + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// ErrSecretUndecryptable: the value was encrypted with a key this server no
// longer has (TALLY_SECRET_KEY changed without keeping the old key), or was
// altered.
var ErrSecretUndecryptable = errors.New("stored secret cannot be decrypted with TALLY_SECRET_KEY")

// Open decrypts a value sealed for where; a legacy clear value is returned as is.
func (b *SecretBox) Open(stored, where string) (string, error) {
	if !strings.HasPrefix(stored, SecretPrefix) {
		return stored, nil
	}
	if b == nil {
		return "", ErrSecretUndecryptable
	}
	raw, err := base64.RawStdEncoding.DecodeString(stored[len(SecretPrefix):])
	if err != nil {
		return "", ErrSecretUndecryptable
	}
	for _, aead := range b.aeads {
		n := aead.NonceSize()
		if len(raw) < n+aead.Overhead() {
			return "", ErrSecretUndecryptable
		}
		if plain, err := aead.Open(nil, raw[:n], raw[n:], []byte(where)); err == nil {
			return string(plain), nil
		}
	}
	return "", ErrSecretUndecryptable
}

// SetSecretBox sets the box that encrypts stored secrets (the Stripe
// signing secrets). Call it before serving; without one, secrets are
// written in clear (tools and tests that open a store directly).
func (s *Store) SetSecretBox(b *SecretBox) { s.secrets = b }

// stripeSecretPlace binds a vendor's encrypted signing secret to its row.
func stripeSecretPlace(vendorID string) string {
	return "vendors.stripe_webhook_secret:" + vendorID
}
