package attribution

import (
	"sort"
	"time"
)

// The attribution engine: pure functions of tokens, statuses and time.

// maxClockSkew tolerates clicks stamped slightly in the future by another
// instance's clock.
const maxClockSkew = 5 * time.Minute

// TokenCheck is one presented token after verification: Reason is "" when
// the token is usable as far as the token alone can tell.
type TokenCheck struct {
	Token  ClickToken `json:"token"`
	Reason string     `json:"reason,omitempty"`
}

// CheckTokens verifies each distinct presented token for a conversion of v
// at now. Handlers call it before the store: the store never holds the codec.
func CheckTokens(codec *TokenCodec, raws []string, v *Vendor, now time.Time) []TokenCheck {
	var checks []TokenCheck
	seen := map[string]bool{}
	for _, raw := range raws {
		if raw == "" || seen[raw] {
			continue
		}
		seen[raw] = true
		checks = append(checks, CheckToken(codec, raw, v.ID, v.Window(), now))
	}
	return checks
}

// CheckToken verifies a raw token for a conversion of vendorID at now: the
// signature, the vendor, and the window (inclusive: a click exactly window
// old still counts).
func CheckToken(codec *TokenCodec, raw, vendorID string, window time.Duration, now time.Time) TokenCheck {
	t, err := codec.Decode(raw)
	if err != nil {
		return TokenCheck{Reason: ReasonInvalidToken}
	}
	if t.VendorID != vendorID {
		return TokenCheck{Token: t, Reason: ReasonOtherVendor}
	}
	clicked := t.Time()
	if clicked.After(now.Add(maxClockSkew)) {
		return TokenCheck{Token: t, Reason: ReasonInvalidToken}
	}
	// Tokens carry whole seconds: compare at that precision, so a click
	// exactly window old still counts whatever fraction of a second now has.
	if now.Truncate(time.Second).Sub(clicked) > window {
		return TokenCheck{Token: t, Reason: ReasonExpired}
	}
	return TokenCheck{Token: t}
}

// StatusFunc tells why a token's partner or link may not be credited: ""
// when both are active, else ReasonPartnerDisabled or ReasonLinkArchived.
type StatusFunc func(t ClickToken) string

// LastClick picks the newest valid token. When none is valid it returns the
// reason to store: no_token when nothing was presented, else the reason of
// the newest token that could be read (invalid_token when none could).
func LastClick(checks []TokenCheck, status StatusFunc) (*ClickToken, string) {
	if len(checks) == 0 {
		return nil, ReasonNoToken
	}
	sorted := append([]TokenCheck(nil), checks...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Token.ClickedAt > sorted[j].Token.ClickedAt })
	reason := ""
	for _, c := range sorted {
		if c.Reason == "" && status != nil {
			c.Reason = status(c.Token)
		}
		if c.Reason == "" {
			t := c.Token
			return &t, ""
		}
		if reason == "" || reason == ReasonInvalidToken {
			reason = c.Reason
		}
	}
	return nil, reason
}

// Decision is what a conversion does to a customer's attribution.
type Decision struct {
	Outcome string
	Reason  string // why unattributed, when Outcome is OutcomeUnattributed or the token lost
}

// Decide applies last click to a customer (new or existing) given the
// conversion's winning token (nil when none) and the reason none won.
// It mutates c. partnerEmail is the winning partner's email, for the
// self-referral check.
func Decide(c *Customer, winner *ClickToken, reason string, partnerEmail string, now time.Time) Decision {
	if winner == nil {
		if c.Attributed() {
			return Decision{Outcome: OutcomeKept, Reason: reason}
		}
		c.Reason = reason
		return Decision{Outcome: OutcomeUnattributed, Reason: reason}
	}
	clicked := winner.Time()
	switch {
	case !c.Attributed():
		assign(c, winner, partnerEmail, now)
		return Decision{Outcome: OutcomeAttributed}
	case c.AttributedBy == AttributedByManual:
		// A vendor's decision stands until the vendor changes it.
		return Decision{Outcome: OutcomeKept}
	case c.ClickedAt != nil && !clicked.After(*c.ClickedAt):
		return Decision{Outcome: OutcomeKept} // an older or the same click
	case winner.PartnerID == c.PartnerID:
		assign(c, winner, partnerEmail, now) // same partner, fresher click
		return Decision{Outcome: OutcomeKept}
	default:
		assign(c, winner, partnerEmail, now)
		return Decision{Outcome: OutcomeReattributed}
	}
}

func assign(c *Customer, t *ClickToken, partnerEmail string, now time.Time) {
	clicked := t.Time()
	c.PartnerID, c.LinkID, c.ClickID = t.PartnerID, t.LinkID, t.ClickID
	c.ClickedAt, c.AttributedAt = &clicked, &now
	c.AttributedBy, c.Reason = AttributedByClick, ""
	c.SelfReferral = SelfReferral(c.Email, partnerEmail)
}

// SelfReferral reports whether a customer (or purchase) email is the
// partner's own: recorded, never rewarded.
func SelfReferral(customerEmail, partnerEmail string) bool {
	return customerEmail != "" && NormalizeEmail(customerEmail) == NormalizeEmail(partnerEmail)
}

// Creditability tells why a token's partner or link may not be credited:
// "" when the partner exists and is active and the link is active. found
// is false when the partner is gone (signed by us, but deleted).
func Creditability(found bool, partnerStatus, linkStatus string) string {
	switch {
	case !found:
		return ReasonInvalidToken
	case partnerStatus != PartnerActive:
		return ReasonPartnerDisabled
	case linkStatus != LinkActive:
		return ReasonLinkArchived
	}
	return ""
}

// CreditPartner attributes c to partner without a click (by hand or by a
// promotion code); by is AttributedByManual or AttributedByCode.
func CreditPartner(c *Customer, partner *Partner, by string, now time.Time) {
	c.PartnerID, c.LinkID, c.ClickID, c.ClickedAt = partner.ID, "", "", nil
	c.AttributedAt, c.AttributedBy, c.Reason = &now, by, ""
	c.SelfReferral = SelfReferral(c.Email, partner.Email)
	c.UpdatedAt = now
}

// NewCustomer is a customer first seen now; the one place a customer is
// built, whatever created it (signup, Stripe, promotion code, by hand).
func NewCustomer(vendorID, externalID, email, name string, now time.Time) *Customer {
	return &Customer{
		ID: NewID(PrefixCustomer, now), VendorID: vendorID,
		ExternalID: externalID, Email: email, Name: name, CreatedAt: now, UpdatedAt: now,
	}
}
