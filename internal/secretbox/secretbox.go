// Package secretbox encrypts the secrets Tally keeps at rest (the vendors'
// Stripe signing secrets) with AES-256-GCM under the server key.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Prefix marks a value encrypted by a Box. Values without it are legacy
// clear text: they still read, and are encrypted on their next write.
const Prefix = "enc:v1:"

// KeySize is the size of a TALLY_SECRET_KEY key (AES-256).
const KeySize = 32

// Box encrypts secrets with the server key: the first key encrypts, every
// key decrypts, so the key can be rotated. Each value is bound to where it
// is stored (table, column, row id) as additional data, so a ciphertext
// copied to another row does not open.
type Box struct {
	aeads []cipher.AEAD
}

// New takes one or more 32-byte keys, newest first.
func New(keys ...[]byte) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("secret box: a key is required")
	}
	b := &Box{}
	for _, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("secret box: each key must be %d bytes, got %d", KeySize, len(k))
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
func (b *Box) Seal(plain, where string) (string, error) {
	if plain == "" || b == nil {
		return plain, nil
	}
	aead := b.aeads[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(plain), []byte(where))
	return Prefix + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// ErrUndecryptable: the value was encrypted with a key this server no
// longer has (TALLY_SECRET_KEY changed without keeping the old key), or was
// altered.
var ErrUndecryptable = errors.New("stored secret cannot be decrypted with TALLY_SECRET_KEY")

// Open decrypts a value sealed for where; a legacy clear value is returned
// as is. A nil box opens nothing sealed.
func (b *Box) Open(stored, where string) (string, error) {
	if !strings.HasPrefix(stored, Prefix) {
		return stored, nil
	}
	if b == nil {
		return "", ErrUndecryptable
	}
	raw, err := base64.RawStdEncoding.DecodeString(stored[len(Prefix):])
	if err != nil {
		return "", ErrUndecryptable
	}
	for _, aead := range b.aeads {
		n := aead.NonceSize()
		if len(raw) < n+aead.Overhead() {
			return "", ErrUndecryptable
		}
		if plain, err := aead.Open(nil, raw[:n], raw[n:], []byte(where)); err == nil {
			return string(plain), nil
		}
	}
	return "", ErrUndecryptable
}
