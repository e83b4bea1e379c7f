package attribution

import "time"

// PartnerInviteLifetime is how long an invite link works.
const PartnerInviteLifetime = 14 * 24 * time.Hour

// PartnerInvite is a one-time link that makes an invited partner active.
// Only the token's hash is stored; Token and URL are set on the answer
// that made the invite, the only time they are known.
type PartnerInvite struct {
	TokenHash string     `json:"-" bun:"token_hash,pk"`
	VendorID  string     `json:"-" bun:"vendor_id"`
	PartnerID string     `json:"partner_id" bun:"partner_id"`
	CreatedAt time.Time  `json:"created_at" bun:"created_at"`
	ExpiresAt time.Time  `json:"expires_at" bun:"expires_at"`
	UsedAt    *time.Time `json:"-" bun:"used_at"`

	Partner *Partner `json:"partner" bun:"-"`
	Token   string   `json:"-" bun:"-"`
	URL     string   `json:"invite_url,omitempty" bun:"-"`
}

// NewPartnerInvite returns a fresh invite of partner p made at now.
func NewPartnerInvite(p *Partner, now time.Time) *PartnerInvite {
	token := RandomString(43)
	return &PartnerInvite{TokenHash: HashKey(token), VendorID: p.VendorID, PartnerID: p.ID,
		CreatedAt: now, ExpiresAt: now.Add(PartnerInviteLifetime), Partner: p, Token: token}
}

// InvitePath is the path of the invite link of token.
func InvitePath(token string) string { return "/join/invite/" + token }

// CanInvite refuses an invite to a partner who is not invited: the others
// applied, are active, or were turned down. ECONFLICT.
func CanInvite(p *Partner) error {
	if p.Status != PartnerInvited {
		return Errorf(ECONFLICT, "This partner is %s: only an invited partner gets an invite link.", p.Status)
	}
	return nil
}

// Acceptable reports why i cannot be accepted at now by its partner p, or
// nil. Every reason reads the same to the visitor: the link does not work.
// ENOTFOUND.
func (i *PartnerInvite) Acceptable(p *Partner, now time.Time) error {
	if i.UsedAt != nil || !now.Before(i.ExpiresAt) || p == nil || p.Status != PartnerInvited {
		return Errorf(ENOTFOUND, "This invite link has expired or was already used. Ask the program for a new one.")
	}
	return nil
}

// FirstLink decides the link a partner gets at once, so that the portal
// always has a link to share: an active partner with no link yet, of a
// vendor whose domain is known, gets a link to that domain's home page.
// One rule for a partner created active, approved, or accepting an invite.
func FirstLink(v *Vendor, p *Partner, hasLink bool) (LinkCreate, bool) {
	if p.Status != PartnerActive || v.Domain == "" || hasLink {
		return LinkCreate{}, false
	}
	return LinkCreate{PartnerID: p.ID, DestinationURL: "https://" + v.Domain + "/"}, true
}
