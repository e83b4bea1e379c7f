package attribution

import "time"

// Ping is one page load reported by the snippet: the raw data of the
// snippet health checks. VendorID is "" when the page presented a missing,
// malformed or unknown public key, or an origin the vendor does not allow;
// PublicKey then keeps what was presented (never a secret key).
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
