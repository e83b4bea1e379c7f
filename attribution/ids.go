package attribution

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes say what an id names, the way Stripe's do.
const (
	PrefixVendor   = "ven_"
	PrefixPartner  = "par_"
	PrefixLink     = "lnk_"
	PrefixClick    = "clk_"
	PrefixCustomer = "cus_"
	PrefixPurchase = "pur_"
	PrefixReward   = "rwd_"
	PrefixAudit    = "aud_"
)

// idSequence orders the ids one process makes within a millisecond, with
// no lock: it is the first 64 bits of a ULID's 80 random bits, started at a
// random value below 2^63 and stepped by a random amount of at most 2^20, so
// it does not wrap in 2^43 ids and consecutive ids are not guessable; the
// last 16 bits are random. Ids of several instances stay apart by the
// randomness of each start.
var idSequence atomic.Uint64

func init() {
	var b [8]byte
	_, _ = crand.Read(b[:]) // never fails (crypto/rand panics rather)
	idSequence.Store(binary.BigEndian.Uint64(b[:]) >> 1)
}

// NewID returns prefix + a ULID: unique, and ordered by creation time (also
// within one millisecond of one process, through idSequence) so ids double
// as pagination cursors and "newest first" is exact.
func NewID(prefix string, now time.Time) string {
	var u ulid.ULID
	ms := ulid.Timestamp(now)
	if ms > ulid.MaxTime() {
		ms = ulid.MaxTime()
	}
	_ = u.SetTime(ms) // cannot fail: bounded above
	r := rand.Uint64()
	binary.BigEndian.PutUint64(u[6:14], idSequence.Add(1+r>>44))
	binary.BigEndian.PutUint16(u[14:], uint16(r))
	return formatID(prefix, u)
}

// formatID returns prefix + the lower-case text of u, with one allocation.
func formatID(prefix string, u ulid.ULID) string {
	var text [ulid.EncodedSize]byte
	_ = u.MarshalTextTo(text[:]) // cannot fail: text is the right size
	for i, c := range text {
		if 'A' <= c && c <= 'Z' {
			text[i] = c + ('a' - 'A')
		}
	}
	return prefix + string(text[:])
}

// ValidID reports whether s looks like an id with the given prefix. Used to
// refuse garbage before it reaches a query.
func ValidID(prefix, s string) bool {
	if !strings.HasPrefix(s, prefix) || len(s) != len(prefix)+ulid.EncodedSize {
		return false
	}
	_, err := ulid.ParseStrict(s[len(prefix):]) // either case
	return err == nil
}
