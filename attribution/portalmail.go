package attribution

import (
	"context"
	"time"
)

// Unsubscribing. Each optional email (MailOptional) carries a link, also
// its List-Unsubscribe header, that turns that kind of email off for its
// recipient: a partner (their Notifications) or a vendor's user. The link
// holds a random token stored hashed, made with the email; it works
// without signing in and keeps working (an old email still unsubscribes).

// Unsubscription is what one unsubscribe link turns off: kind, for the
// partner PartnerID or the user UserID (exactly one is set).
type Unsubscription struct {
	TokenHash string    `bun:"token_hash,pk"`
	VendorID  string    `bun:"vendor_id"`
	PartnerID string    `bun:"partner_id"`
	UserID    string    `bun:"user_id"`
	Kind      string    `bun:"kind"`
	CreatedAt time.Time `bun:"created_at"`
}

// NewUnsubscription returns the unsubscribe link of an optional email of
// kind to a partner or a user, and its token. EINVALID for an essential kind.
func NewUnsubscription(vendorID, partnerID, userID, kind string, now time.Time) (*Unsubscription, string, error) {
	if !MailOptional(kind) {
		return nil, "", Errorf(EINVALID, "%s emails are essential: they have no unsubscribe link.", kind)
	}
	if (partnerID == "") == (userID == "") {
		return nil, "", Errorf(EINVALID, "An unsubscribe link is for one partner or one user.")
	}
	token := RandomString(43)
	return &Unsubscription{TokenHash: HashKey(token), VendorID: vendorID, PartnerID: partnerID, UserID: userID,
		Kind: kind, CreatedAt: now}, token, nil
}

// UnsubscribePath is the path of the link of token: partners' under
// /partner, users' at /unsubscribe. Both pages do the same.
func (u *Unsubscription) UnsubscribePath(token string) string {
	if u.PartnerID != "" {
		return "/partner/unsubscribe/" + token
	}
	return "/unsubscribe/" + token
}

// MailKindLabel names an optional kind for people.
func MailKindLabel(kind string) string {
	switch kind {
	case MailNewReward:
		return "New reward"
	case MailPayoutSent:
		return "Payout sent"
	case MailWeeklySummary:
		return "Weekly summary"
	}
	return kind
}

// UnsubscribeInfo is what an unsubscribe page shows: whose emails of which
// kind, from which program, and whether they are off already.
type UnsubscribeInfo struct {
	Program string
	Kind    string
	Email   string
	Off     bool
	Partner bool // a partner's (else a user's)
}

// UnsubscribeService turns optional emails off through their links.
type UnsubscribeService interface {
	// Unsubscription describes the link of token, changing nothing (a
	// mail scanner's GET must not unsubscribe anyone). ENOTFOUND.
	Unsubscription(ctx context.Context, token string) (*UnsubscribeInfo, error)
	// Unsubscribe turns the link's kind off for its recipient; again is
	// no error. ENOTFOUND.
	Unsubscribe(ctx context.Context, token string) (*UnsubscribeInfo, error)
}
