package attribution

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Link statuses. Archived links answer 404 (or the vendor's fallback URL).
const (
	LinkActive   = "active"
	LinkArchived = "archived"
)

// LinkStatuses lists the accepted link status values.
var LinkStatuses = []string{LinkActive, LinkArchived}

// UTM holds the campaign parameters a link adds to its destination.
type UTM struct {
	Source   string `json:"source"`
	Medium   string `json:"medium"`
	Campaign string `json:"campaign"`
	Content  string `json:"content"`
	Term     string `json:"term"`
}

// utmKeys are the UTM query parameters, in the order appendParams lists them.
var utmKeys = [...]string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"}

// appendParams appends the UTM fields to out as query parameters, in a
// fixed order, skipping empty ones.
func (u UTM) appendParams(out [][2]string) [][2]string {
	for i, v := range [...]string{u.Source, u.Medium, u.Campaign, u.Content, u.Term} {
		if v != "" {
			out = append(out, [2]string{utmKeys[i], v})
		}
	}
	return out
}

func (u UTM) validate() error {
	for _, p := range [][2]string{{"source", u.Source}, {"medium", u.Medium}, {"campaign", u.Campaign}, {"content", u.Content}, {"term", u.Term}} {
		if len(p[1]) > 200 {
			return Errorf(EINVALID, "utm.%s is longer than 200 characters.", p[0])
		}
	}
	return nil
}

// Link is a partner's referral link: /r/{key} redirects to DestinationURL,
// and so does /r/{alias} for each key the link had before (printed QR codes
// never die). Keys and aliases share one namespace.
type Link struct {
	ID             string    `json:"id" bun:"id,pk"`
	VendorID       string    `json:"vendor_id" bun:"vendor_id"`
	PartnerID      string    `json:"partner_id" bun:"partner_id"`
	Key            string    `json:"key" bun:"key"`
	DestinationURL string    `json:"destination_url" bun:"destination_url"`
	UTM            UTM       `json:"utm" bun:"utm"`
	Status         string    `json:"status" bun:"status"`
	Aliases        []string  `json:"aliases" bun:"-"`       // keys the link had before, which still redirect
	URL            string    `json:"url,omitempty" bun:"-"` // set by the API, not kept in the audit log
	CreatedAt      time.Time `json:"created_at" bun:"created_at"`
	UpdatedAt      time.Time `json:"updated_at" bun:"updated_at"`
}

// SetURL fills in the shareable referral link for a Tally served at publicURL.
func (l *Link) SetURL(publicURL string) {
	l.URL = strings.TrimRight(publicURL, "/") + "/r/" + l.Key
}

var linkKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$`)

// ValidLinkKey reports whether a custom key is usable in /r/{key}.
func ValidLinkKey(k string) bool { return linkKeyRE.MatchString(k) }

// NewLinkKey returns a random 8-character key.
func NewLinkKey() string { return RandomString(8) }

// LinkCreate is the body of a link creation.
type LinkCreate struct {
	PartnerID      string `json:"partner_id"`
	DestinationURL string `json:"destination_url"`
	Key            string `json:"key"`
	UTM            UTM    `json:"utm"`
}

// Validate normalizes and checks c.
func (c *LinkCreate) Validate() error {
	c.DestinationURL = strings.TrimSpace(c.DestinationURL)
	c.Key = strings.TrimSpace(c.Key)
	if c.PartnerID == "" {
		return Errorf(EINVALID, "partner_id is required.")
	}
	if err := ValidateHTTPURL("destination_url", c.DestinationURL); err != nil {
		return err
	}
	if c.Key != "" && !ValidLinkKey(c.Key) {
		return Errorf(EINVALID, "key must be 3 to 64 letters, digits, '-' or '_', starting with a letter or digit.")
	}
	return c.UTM.validate()
}

// LinkUpdate holds the fields a PATCH may change; nil means unchanged.
type LinkUpdate struct {
	DestinationURL *string `json:"destination_url"`
	Key            *string `json:"key"`
	UTM            *UTM    `json:"utm"`
	Status         *string `json:"status"`
	// Reason, optional, goes to the audit log.
	Reason string `json:"reason"`
}

// Apply validates upd and copies it onto l.
func (upd LinkUpdate) Apply(l *Link) error {
	if upd.DestinationURL != nil {
		d := strings.TrimSpace(*upd.DestinationURL)
		if err := ValidateHTTPURL("destination_url", d); err != nil {
			return err
		}
		l.DestinationURL = d
	}
	if upd.Key != nil {
		k := strings.TrimSpace(*upd.Key)
		if !ValidLinkKey(k) {
			return Errorf(EINVALID, "key must be 3 to 64 letters, digits, '-' or '_', starting with a letter or digit.")
		}
		l.Key = k
	}
	if upd.UTM != nil {
		if err := upd.UTM.validate(); err != nil {
			return err
		}
		l.UTM = *upd.UTM
	}
	if upd.Status != nil {
		if !slices.Contains(LinkStatuses, *upd.Status) {
			return Errorf(EINVALID, "status must be %q or %q.", LinkActive, LinkArchived)
		}
		l.Status = *upd.Status
	}
	return nil
}

// LinkFilter narrows a link list.
type LinkFilter struct {
	PartnerID string
	Status    string
	Page      Page
}

// RedirectTarget is everything /r/{key} needs, resolved in one read and cached.
type RedirectTarget struct {
	Link         Link
	WindowDays   int
	CookieDomain string
	FallbackURL  string
	// PartnerStatus is the link's partner's status: only an active
	// partner's clicks carry a token (PartnerCarriesToken).
	PartnerStatus string

	dest    *Destination // Link.DestinationURL parsed, by NewRedirectTarget
	destErr error
}

// NewRedirectTarget builds a redirect target and parses its destination
// once, for every redirect the link cache serves from it.
func NewRedirectTarget(l Link, windowDays int, cookieDomain, fallbackURL string) *RedirectTarget {
	t := &RedirectTarget{Link: l, WindowDays: windowDays, CookieDomain: cookieDomain, FallbackURL: fallbackURL}
	t.dest, t.destErr = ParseDestination(l.DestinationURL)
	return t
}

// RedirectURL is the package's RedirectURL for this target's link.
func (t *RedirectTarget) RedirectURL(incoming url.Values, token string) (string, error) {
	if t.destErr != nil {
		return "", t.destErr
	}
	return t.dest.With(t.Link.UTM, incoming, token), nil
}

// ClickToken is the token a click on this target hands the visitor, if any:
// none for a bot (Click.Token) and none when the link's partner is not
// active (PartnerCarriesToken).
func (t *RedirectTarget) ClickToken(c *Click) (ClickToken, bool) {
	if !PartnerCarriesToken(t.PartnerStatus) {
		return ClickToken{}, false
	}
	return c.Token()
}

// Window returns the vendor's attribution window, the tally_ref cookie's lifetime.
func (t *RedirectTarget) Window() time.Duration { return windowOf(t.WindowDays) }

// LinkService manages a vendor's links. Every method but ResolveLink is scoped to vendorID.
type LinkService interface {
	// CreateLink creates a link for one of the vendor's partners, audited as actor. EINVALID, ENOTFOUND (partner), ECONFLICT (key).
	CreateLink(ctx context.Context, vendorID, actor string, c LinkCreate) (*Link, error)
	// FindLink returns one link. ENOTFOUND.
	FindLink(ctx context.Context, vendorID, id string) (*Link, error)
	// ListLinks returns links newest first, and whether more follow.
	ListLinks(ctx context.Context, vendorID string, f LinkFilter) ([]*Link, bool, error)
	// UpdateLink applies upd, audited as actor. EINVALID, ENOTFOUND, ECONFLICT.
	UpdateLink(ctx context.Context, vendorID, actor, id string, upd LinkUpdate) (*Link, error)
	// ResolveLink finds the target of /r/{key}, archived links included. ENOTFOUND.
	ResolveLink(ctx context.Context, key string) (*RedirectTarget, error)
}
