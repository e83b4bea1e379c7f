package attribution

import (
	"context"
	"time"
)

// Click is one visit of a referral link. It holds no raw IP: the truncated
// address and a salted hash are enough to count unique visitors and to match
// a signup to clicks from the same network in a diagnosis.
type Click struct {
	ID           string    `json:"id" bun:"id,pk"`
	VendorID     string    `json:"vendor_id" bun:"vendor_id"`
	LinkID       string    `json:"link_id" bun:"link_id"`
	PartnerID    string    `json:"partner_id" bun:"partner_id"`
	ClickedAt    time.Time `json:"clicked_at" bun:"clicked_at"`
	IPTrunc      string    `json:"ip_trunc" bun:"ip_trunc"`
	IPHash       string    `json:"-" bun:"ip_hash"`
	VisitorHash  string    `json:"-" bun:"visitor_hash"`
	Browser      string    `json:"browser" bun:"browser"`
	OS           string    `json:"os" bun:"os"`
	Device       string    `json:"device" bun:"device"`
	Bot          bool      `json:"bot" bun:"bot"`
	ReferrerHost string    `json:"referrer_host" bun:"referrer_host"`
	Source       string    `json:"source" bun:"source"`
	UTMSource    string    `json:"utm_source" bun:"utm_source"`
	UTMMedium    string    `json:"utm_medium" bun:"utm_medium"`
	UTMCampaign  string    `json:"utm_campaign" bun:"utm_campaign"`
	UTMContent   string    `json:"utm_content" bun:"utm_content"`
	UTMTerm      string    `json:"utm_term" bun:"utm_term"`
	Variant      string    `json:"variant" bun:"variant"`
	Country      string    `json:"country" bun:"country"`
}

// ClickRecorder persists clicks. Record returns once the click is committed,
// or with an error when it could not be within wait (no bound when wait <= 0)
// or before ctx ended: the click then stays queued and is written when the
// database is back. The wait is a duration, not a context deadline, so that
// the redirect builds no timer context per click.
type ClickRecorder interface {
	Record(ctx context.Context, c *Click, wait time.Duration) error
}
