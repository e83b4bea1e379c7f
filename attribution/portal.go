package attribution

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// The partner portal (/partner): a partner signs in with a one-time link
// emailed to them, no password. Partner sessions live on the server like
// users' sessions, in their own table: a partner is never a user, and the
// portal's session never authenticates the JSON API.

// PartnerSignInLifetime is how long an emailed sign-in link works.
const PartnerSignInLifetime = 15 * time.Minute

// Requests of a sign-in link are throttled as sign-ins are (the same rule
// shape as SignInThrottled): after SignInRequestMax requests within
// SignInFailureWindow for one email, or SignInRequestMaxPerIP from one
// IP, further requests are refused until the oldest leaves the window. An
// IP gets more, since people behind one address share it.
const (
	SignInRequestMax      = 5
	SignInRequestMaxPerIP = 20
)

// SignInRequestThrottled reports whether a request of a sign-in link is
// refused, given the recent requests for its email and from its IP.
func SignInRequestThrottled(emailRequests, ipRequests int) bool {
	return emailRequests >= SignInRequestMax || ipRequests >= SignInRequestMaxPerIP
}

// ErrSignInRequestThrottled answers a throttled request, whether or not the
// email belongs to a partner.
func ErrSignInRequestThrottled() error {
	return Errorf(ERATELIMIT, "Too many sign-in links were asked for. Wait 15 minutes, then try again.")
}

// SignInRequestKeys are what requests of sign-in links are counted by: the
// email as typed (normalized) and the IP; distinct from ThrottleKeys, so
// the portal's requests never count as the dashboard's failures.
func SignInRequestKeys(email, ip string) (emailKey, ipKey string) {
	return HashKey("partner-email:" + NormalizeEmail(email)), HashKey("partner-ip:" + ip)
}

// PartnerMaySignIn reports whether a partner of this status may use the
// portal: the same partners as the partner API (an active one).
func PartnerMaySignIn(status string) bool { return status == PartnerActive }

// MaxSignInPrograms bounds the programs one request emails links for: an
// email may be a partner of several vendors, each link names its program.
const MaxSignInPrograms = 20

// PartnerSignInLink is a one-time link into the portal for one partner of
// one vendor; the token itself is only in the link.
type PartnerSignInLink struct {
	TokenHash string     `bun:"token_hash,pk"`
	VendorID  string     `bun:"vendor_id"`
	PartnerID string     `bun:"partner_id"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

// NewPartnerSignInLink returns a sign-in link made at now and its token.
func NewPartnerSignInLink(vendorID, partnerID string, now time.Time) (*PartnerSignInLink, string) {
	token := RandomString(43)
	return &PartnerSignInLink{TokenHash: HashKey(token), VendorID: vendorID, PartnerID: partnerID,
		CreatedAt: now, ExpiresAt: now.Add(PartnerSignInLifetime)}, token
}

// Usable reports why l cannot be used at now, or nil. ENOTFOUND.
func (l *PartnerSignInLink) Usable(now time.Time) error {
	if l.UsedAt != nil {
		return Errorf(ENOTFOUND, "This sign-in link was already used. Ask for a new one.")
	}
	if !now.Before(l.ExpiresAt) {
		return Errorf(ENOTFOUND, "This sign-in link has expired (links work for %s). Ask for a new one.", HumanDuration(PartnerSignInLifetime))
	}
	return nil
}

// PrefixPartnerSession starts partner session ids.
const PrefixPartnerSession = "pses_"

// PartnerSession is a partner's signed-in browser. It ends after
// SessionIdleTimeout without use, on sign-out, or when the partner may no
// longer sign in.
type PartnerSession struct {
	ID         string    `bun:"id,pk"`
	TokenHash  string    `bun:"token_hash"`
	VendorID   string    `bun:"vendor_id"`
	PartnerID  string    `bun:"partner_id"`
	UserAgent  string    `bun:"user_agent"`
	CreatedAt  time.Time `bun:"created_at"`
	LastSeenAt time.Time `bun:"last_seen_at"`
}

// Expired reports whether s has been idle too long at now.
func (s *PartnerSession) Expired(now time.Time) bool {
	return !now.Before(s.LastSeenAt.Add(SessionIdleTimeout))
}

// NeedsTouch reports whether using s at now should record it as last seen.
func (s *PartnerSession) NeedsTouch(now time.Time) bool {
	return now.Sub(s.LastSeenAt) >= SessionTouchEvery
}

// SignInLinkSent is one link a request made: the program it signs in to,
// and the link itself (shown on screen only when mail is off).
type SignInLinkSent struct {
	Program string
	URL     string
}

// PartnerSignedIn is a new partner session: its partner and the cookie's token.
type PartnerSignedIn struct {
	Partner *Partner
	Token   string
}

// PartnerAccountService signs partners in to the portal.
type PartnerAccountService interface {
	// RequestSignIn emails a one-time link to each partner (of any vendor,
	// up to MaxSignInPrograms) whose email is email and who may sign in,
	// and returns the links; none for an unknown email, with the same
	// answer otherwise. ERATELIMIT (ErrSignInRequestThrottled).
	RequestSignIn(ctx context.Context, email string, meta SessionMeta) ([]SignInLinkSent, error)
	// SignInLink returns the usable link of token, without spending it
	// (a mail scanner's GET must not). ENOTFOUND.
	SignInLink(ctx context.Context, token string) (*PartnerSignInLink, error)
	// SpendSignInLink spends the link of token and starts a session.
	// ENOTFOUND (unknown, used or expired link), EFORBIDDEN (the partner
	// may no longer sign in).
	SpendSignInLink(ctx context.Context, token string, meta SessionMeta) (*PartnerSignedIn, error)
	// PartnerSession returns the live session of a cookie token and its
	// partner. EUNAUTHORIZED.
	PartnerSession(ctx context.Context, token string) (*PartnerSession, *Partner, error)
	// SignOut ends the session of a cookie token; an unknown one is no error.
	SignOut(ctx context.Context, token string) error
	// ListPartnerSessions lists the partner's live sessions, the last used
	// first.
	ListPartnerSessions(ctx context.Context, vendorID, partnerID string) ([]*PartnerSession, error)
	// RevokePartnerSession ends one of the partner's sessions. ENOTFOUND.
	RevokePartnerSession(ctx context.Context, vendorID, partnerID, sessionID string) error
}

// OwnLink refuses a link that is not partner's: to a partner, another
// partner's link does not exist. ENOTFOUND.
func OwnLink(l *Link, partnerID string) error {
	if l.PartnerID != partnerID {
		return Errorf(ENOTFOUND, "Link not found.")
	}
	return nil
}

// VariantURL is a referral link that records variant with each click
// (?v=, read by NewClick): a partner shares one link per placement and
// compares them. An empty variant leaves the link as it is. EINVALID.
func VariantURL(linkURL, variant string) (string, error) {
	variant = strings.TrimSpace(variant)
	if variant == "" {
		return linkURL, nil
	}
	if len(variant) > maxClickVariant || !variantRE.MatchString(variant) {
		return "", Errorf(EINVALID, "Variant must be up to %d letters, digits, '-' or '_'.", maxClickVariant)
	}
	return linkURL + "?v=" + variant, nil
}

var variantRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
