package attribution

import (
	"crypto/rand"
	"strings"
	"sync"
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

var (
	idMu      sync.Mutex
	idEntropy = ulid.Monotonic(rand.Reader, 0)
)

// NewID returns prefix + a ULID: unique, and ordered by creation time (also
// within one millisecond, through monotonic entropy) so ids double as
// pagination cursors and "newest first" is exact.
func NewID(prefix string, now time.Time) string {
	idMu.Lock()
	id, err := ulid.New(ulid.Timestamp(now), idEntropy)
	idMu.Unlock()
	if err != nil {
		// Monotonic entropy overflowed within one millisecond or the clock
		// went back: fall back to fresh randomness.
		id = ulid.MustNew(ulid.Timestamp(now), rand.Reader)
	}
	return formatID(prefix, id)
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
