package attribution

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"math/big"
	"strings"
)

// Key prefixes from the design.
const (
	PrefixSecretKey    = "sk_"
	PrefixPublicKey    = "pk_"
	PrefixPartnerToken = "pt_"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RandomString returns n characters drawn uniformly from [0-9A-Za-z].
func RandomString(n int) string {
	var b strings.Builder
	b.Grow(n)
	max := big.NewInt(int64(len(base62)))
	for i := 0; i < n; i++ {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b.WriteByte(base62[v.Int64()])
	}
	return b.String()
}

// NewSecretKey returns a vendor secret key (sk_ + 40 random characters).
func NewSecretKey() string { return PrefixSecretKey + RandomString(40) }

// NewPublicKey returns a vendor public key (pk_ + 24 random characters).
func NewPublicKey() string { return PrefixPublicKey + RandomString(24) }

// NewPartnerToken returns a partner portal token (pt_ + 40 random characters).
func NewPartnerToken() string { return PrefixPartnerToken + RandomString(40) }

// HashKey returns the stored form of a secret key or partner token. The keys
// carry 238 bits of randomness, so a plain SHA-256 cannot be brute-forced and
// lets the database find the row by an indexed equality.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// KeyMatches compares a presented key with a stored hash in constant time.
func KeyMatches(key, storedHash string) bool {
	h := HashKey(key)
	return subtle.ConstantTimeCompare([]byte(h), []byte(storedHash)) == 1
}

// ActionSecretKeyRotate is the audit action of a new secret key.
const ActionSecretKeyRotate = "vendor.rotate_secret_key"

// SecretKeyState is what the audit log keeps of a secret key: never the
// key, only that it was set and then rotated.
type SecretKeyState struct {
	SecretKey string `json:"secret_key"`
}
