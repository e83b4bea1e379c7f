package attribution

import (
	"crypto/rand"
	"strings"
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

// NewID returns prefix + a ULID: unique, and ordered by creation time so ids
// double as pagination cursors.
func NewID(prefix string, now time.Time) string {
	return prefix + strings.ToLower(ulid.MustNew(ulid.Timestamp(now), rand.Reader).String())
}

// ValidID reports whether s looks like an id with the given prefix. Used to
// refuse garbage before it reaches a query.
func ValidID(prefix, s string) bool {
	if !strings.HasPrefix(s, prefix) || len(s) != len(prefix)+ulid.EncodedSize {
		return false
	}
	_, err := ulid.ParseStrict(strings.ToUpper(s[len(prefix):]))
	return err == nil
}
