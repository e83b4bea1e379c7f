package attribution

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Ping is one page load reported by the snippet: the raw data of the
// snippet health checks. VendorID is "" when the page presented a missing,
// malformed or unknown public key, or an origin the vendor does not allow;
// PublicKey then keeps what was presented (never a secret key: see
// LeakedSecretKey).
type Ping struct {
	VendorID  string
	PublicKey string
	Origin    string
	Path      string
	RefInURL  bool
	CookieOK  bool
	At        time.Time
}

// PingRecorder accepts pings; they are aggregated and written in batches.
type PingRecorder interface {
	RecordPing(p Ping)
}

// leakedPrefix starts the stored key of a ping that presented a vendor's
// secret key.
const leakedPrefix = PrefixSecretKey + "of_"

// LeakedSecretKey is what a ping keeps when its page presented the secret
// key of the vendor whose public key is publicKey: whose key leaked, never
// the key. A secret-key-shaped value that is no vendor's is kept as the bare
// prefix "sk_".
func LeakedSecretKey(publicKey string) string { return leakedPrefix + publicKey }

// How a ping that did not count relates to one vendor.
const (
	PingNotShown = ""        // another vendor's, or from a page that is not the vendor's
	PingOwn      = "own"     // the vendor's public key from an origin it does not allow, or its leaked secret key: the vendor's alone
	PingUnowned  = "unowned" // a key that matches no vendor, from a page of the vendor's site: a warning
)

// BadPingRelation is the one rule that decides to which vendor a ping that
// did not count is shown, and how; snippet health and diagnosis both use
// it. A ping carrying a vendor's public key (or that vendor's leaked secret
// key) belongs to that vendor alone; one whose key matches no vendor is
// shown, as a warning, to every vendor whose site matches its page.
// keyOfAVendor tells whether publicKey is some vendor's public key.
func (v *Vendor) BadPingRelation(publicKey, origin string, keyOfAVendor bool) string {
	switch {
	case publicKey == v.PublicKey:
		if v.AllowsOrigin(origin) {
			return PingNotShown // allowed since: the next pings from there count
		}
		return PingOwn
	case publicKey == LeakedSecretKey(v.PublicKey):
		return PingOwn
	case keyOfAVendor || strings.HasPrefix(publicKey, leakedPrefix):
		return PingNotShown
	case v.MatchesPage(origin):
		return PingUnowned
	}
	return PingNotShown
}

// MatchesPage reports whether a page's origin is on the vendor's site: its
// host is the vendor's domain or one of its subdomains, or the origin is
// one of its allowed origins.
func (v *Vendor) MatchesPage(origin string) bool {
	norm, ok := NormalizeOrigin(origin)
	if !ok {
		return false
	}
	if slices.Contains(v.AllowedOrigins, norm) {
		return true
	}
	u, err := url.Parse(norm)
	if err != nil {
		return false
	}
	host, d := u.Hostname(), strings.ToLower(v.Domain)
	return d != "" && (host == d || strings.HasSuffix(host, "."+d))
}
