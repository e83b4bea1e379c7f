package attribution

import (
	"context"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// The partner portal API: what a partner (pt_ token) may see and do. A
// partner sees only its own links, clicks, customers (emails masked) and
// rewards.

// PartnerProfile is GET /v1/partner/me.
type PartnerProfile struct {
	Partner    *Partner    `json:"partner"`
	VendorID   string      `json:"vendor_id"`
	VendorName string      `json:"vendor_name"`
	Domain     string      `json:"vendor_domain"`
	WindowDays int         `json:"attribution_window_days"`
	RewardRule *RewardRule `json:"reward_rule"` // the rule in force for this partner; null: no rewards
}

// ProfileOf builds the partner's view of its program.
func ProfileOf(v *Vendor, p *Partner) *PartnerProfile {
	return &PartnerProfile{Partner: p, VendorID: v.ID, VendorName: v.Name, Domain: v.Domain, WindowDays: v.WindowDays(), RewardRule: RuleFor(v, p)}
}

// PartnerLinkCreate is the body of POST /v1/partner/links: the partner is
// the caller, never a field.
type PartnerLinkCreate struct {
	DestinationURL string `json:"destination_url"`
	Key            string `json:"key"`
	UTM            UTM    `json:"utm"`
}

// LinkCreate checks the destination against the vendor's domain and returns
// the vendor-side creation for partner p. EINVALID.
func (c PartnerLinkCreate) LinkCreate(v *Vendor, p *Partner) (LinkCreate, error) {
	lc := LinkCreate{PartnerID: p.ID, DestinationURL: c.DestinationURL, Key: c.Key, UTM: c.UTM}
	if err := lc.Validate(); err != nil {
		return lc, err
	}
	if err := PartnerDestinationAllowed(v, lc.DestinationURL); err != nil {
		return lc, err
	}
	return lc, nil
}

// PartnerDestinationAllowed reports whether a partner may point a link at
// dest: only at the vendor's domain or one of its subdomains. A vendor with
// no domain set allows partners no links of their own.
func PartnerDestinationAllowed(v *Vendor, dest string) error {
	if v.Domain == "" {
		return Errorf(EINVALID, "%s has not set its domain, so partners cannot create links yet; ask the vendor to set its domain or to create the link for you.", v.Name)
	}
	u, err := url.Parse(dest)
	if err != nil || u.Hostname() == "" {
		return Errorf(EINVALID, "destination_url must be an absolute http(s) URL.")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	domain := strings.ToLower(v.Domain)
	if host != domain && !strings.HasSuffix(host, "."+domain) {
		return Errorf(EINVALID, "destination_url must be on %s or one of its subdomains.", domain)
	}
	return nil
}

// MaskEmail hides an email but for its first letters and top-level domain:
// ada@example.com -> a***@e***.com. A value that is not an email becomes
// "***"; an empty one stays empty.
func MaskEmail(email string) string {
	if email == "" {
		return ""
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return "***"
	}
	local, domain := email[:at], email[at+1:]
	tld := ""
	if dot := strings.LastIndexByte(domain, '.'); dot > 0 && dot < len(domain)-1 {
		tld = domain[dot:]
	}
	return firstRune(local) + "***@" + firstRune(domain) + "***" + tld
}

func firstRune(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return ""
	}
	return string(r)
}

// PartnerCustomer is a referred customer as its partner sees it: no name,
// no external id, the email masked.
type PartnerCustomer struct {
	ID           string     `json:"id"`
	Email        string     `json:"email"`
	AttributedAt *time.Time `json:"attributed_at"`
	AttributedBy string     `json:"attributed_by"`
	CreatedAt    time.Time  `json:"created_at"`
}

// PartnerViewOf masks a customer for its partner.
func PartnerViewOf(c *Customer) *PartnerCustomer {
	return &PartnerCustomer{ID: c.ID, Email: MaskEmail(c.Email), AttributedAt: c.AttributedAt,
		AttributedBy: c.AttributedBy, CreatedAt: c.CreatedAt}
}

// RewardTotal sums a partner's rewards of one status and currency.
type RewardTotal struct {
	Status   string `json:"status" bun:"status"`
	Currency string `json:"currency" bun:"currency"`
	Amount   int64  `json:"amount" bun:"amount"`
	Count    int    `json:"count" bun:"count"`
}

// PartnerDay is one UTC day of a partner's activity. Revenue is net of
// refunds; rewards leave out declined ones.
type PartnerDay struct {
	Date         string           `json:"date"`
	Clicks       int              `json:"clicks"`
	UniqueClicks int              `json:"unique_clicks"`
	Signups      int              `json:"signups"`
	Purchases    int              `json:"purchases"`
	Revenue      map[string]int64 `json:"revenue"`
	Rewards      map[string]int64 `json:"rewards"`
}

// PartnerPortalService answers the partner's own figures.
type PartnerPortalService interface {
	// PartnerRewardTotals sums the partner's rewards per status and currency.
	PartnerRewardTotals(ctx context.Context, vendorID, partnerID string) ([]RewardTotal, error)
	// PartnerAnalytics returns one row per UTC day of [start, end) with
	// activity, oldest first: non-bot clicks, unique clicks (one per visitor
	// per link per day), signups, purchases, revenue and rewards.
	PartnerAnalytics(ctx context.Context, vendorID, partnerID string, start, end time.Time) ([]*PartnerDay, error)
}
