// Package password hashes and verifies passwords with argon2id. A hash is
// stored in the PHC string format, with its parameters:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// so the parameters can be raised later: old hashes still verify, and
// NeedsRehash says which to replace at the next sign-in.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// Current are the parameters of new hashes: OWASP's argon2id minimum
// (19 MiB, 2 passes, 1 thread), about 30 ms on one core.
var Current = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// maxLen bounds what is hashed; the password policy refuses longer ones
// before they get here.
const maxLen = 1024

var b64 = base64.RawStdEncoding

// ErrMalformed is a stored hash this package cannot read.
var ErrMalformed = errors.New("password: malformed hash")

// Hash returns the PHC string of password under Current.
func Hash(password string) (string, error) {
	return hashWith(password, Current)
}

func hashWith(password string, p Params) (string, error) {
	if len(password) > maxLen {
		return "", errors.New("password: too long")
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches hash, in constant time for a
// given hash. A malformed hash matches nothing.
func Verify(hash, password string) bool {
	if len(password) > maxLen {
		return false
	}
	p, salt, key, err := decode(hash)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// NeedsRehash reports whether hash was made with weaker parameters than
// Current (or cannot be read), so it should be replaced once the password
// is known again.
func NeedsRehash(hash string) bool {
	p, salt, key, err := decode(hash)
	if err != nil {
		return true
	}
	return p.Memory < Current.Memory || p.Time < Current.Time || p.Threads < Current.Threads ||
		len(salt) < Current.SaltLen || uint32(len(key)) < Current.KeyLen
}

// dummy is verified against when there is no user, so that an unknown
// email costs the same time as a wrong password.
var dummy, _ = Hash("tally: no such user")

// Waste spends the time of one verification, for unknown accounts.
func Waste(password string) { Verify(dummy, password) }

func decode(hash string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, ErrMalformed
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, ErrMalformed
	}
	// Bounds keep a corrupted row from asking for gigabytes or forever.
	if p.Memory < 8 || p.Memory > 1<<21 || p.Time < 1 || p.Time > 100 || p.Threads < 1 {
		return p, nil, nil, ErrMalformed
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, ErrMalformed
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, ErrMalformed
	}
	p.SaltLen = len(salt)
	p.KeyLen = uint32(len(key))
	return p, salt, key, nil
}
