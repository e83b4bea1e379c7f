package attribution

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Attribution window bounds, in days.
const (
	DefaultWindowDays = 90
	MinWindowDays     = 1
	MaxWindowDays     = 365
)

// Vendor runs a partner program. Struct tags name the JSON fields of the API
// and the columns of the store (bun reads its tags without this package
// importing it).
type Vendor struct {
	ID                    string      `json:"id" bun:"id,pk"`
	Name                  string      `json:"name" bun:"name"`
	Domain                string      `json:"domain" bun:"domain"`
	AllowedOrigins        []string    `json:"allowed_origins" bun:"allowed_origins"`
	CookieDomain          string      `json:"cookie_domain" bun:"cookie_domain"`
	AttributionWindowDays int         `json:"attribution_window_days" bun:"attribution_window_days"`
	FallbackURL           string      `json:"fallback_url" bun:"fallback_url"`
	PublicKey             string      `json:"public_key" bun:"public_key"`
	SecretKeyHash         string      `json:"-" bun:"secret_key_hash"`
	StripeWebhookSecret   string      `json:"-" bun:"stripe_webhook_secret"`
	HasStripeSecret       bool        `json:"stripe_webhook_secret_set" bun:"-"`
	RewardRule            *RewardRule `json:"reward_rule" bun:"reward_rule"` // nil: no rewards
	TimeZone              string      `json:"time_zone" bun:"time_zone"`     // IANA; the day boundaries of periods
	CreatedAt             time.Time   `json:"created_at" bun:"created_at"`
	UpdatedAt             time.Time   `json:"updated_at" bun:"updated_at"`

	// MinimumPayout is in minor units, compared with each currency's total.
	MinimumPayout int64 `json:"minimum_payout" bun:"minimum_payout"`
	// ProgramPage is the public /join/{slug} page (program.go).
	ProgramPage ProgramPage `json:"program_page" bun:"embed:program_page_"`
}

// DefaultTimeZone is a vendor's time zone until it sets one.
const DefaultTimeZone = "UTC"

// Location returns the vendor's time zone, UTC when unset or unknown here.
func (v *Vendor) Location() *time.Location {
	if loc, err := LoadTimeZone(v.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Window returns the vendor's attribution window as a duration.
func (v *Vendor) Window() time.Duration { return windowOf(v.AttributionWindowDays) }

// WindowDays returns the vendor's attribution window in days, the default
// when unset, as the snippet and the partner portal show it.
func (v *Vendor) WindowDays() int { return windowDays(v.AttributionWindowDays) }

// windowDays maps an unset window (<= 0) to the default.
func windowDays(days int) int {
	if days <= 0 {
		return DefaultWindowDays
	}
	return days
}

// windowOf turns a window in days into a duration; unset (<= 0) means the default.
func windowOf(days int) time.Duration { return time.Duration(windowDays(days)) * 24 * time.Hour }

// NewVendor is what creating a vendor answers: the only time the secret key is shown.
type NewVendor struct {
	Vendor    *Vendor
	SecretKey string
}

// VendorUpdate holds the fields a PATCH may change; nil means unchanged.
type VendorUpdate struct {
	Name                  *string          `json:"name"`
	Domain                *string          `json:"domain"`
	AllowedOrigins        *[]string        `json:"allowed_origins"`
	CookieDomain          *string          `json:"cookie_domain"`
	AttributionWindowDays *int             `json:"attribution_window_days"`
	StripeWebhookSecret   *string          `json:"stripe_webhook_secret"`
	FallbackURL           *string          `json:"fallback_url"`
	RewardRule            RewardRuleUpdate `json:"reward_rule"`
	TimeZone              *string          `json:"time_zone"`
	MinimumPayout         *int64           `json:"minimum_payout"`

	// ProgramPage: absent unchanged; each of its fields likewise.
	ProgramPage *ProgramPageUpdate `json:"program_page"`
	// Reason, optional, goes to the audit log.
	Reason string `json:"reason"`
}

// Apply validates upd and copies it onto v.
func (upd VendorUpdate) Apply(v *Vendor) error {
	if upd.Name != nil {
		name := strings.TrimSpace(*upd.Name)
		if err := validateName("name", name); err != nil {
			return err
		}
		v.Name = name
	}
	if upd.Domain != nil {
		d := strings.ToLower(strings.TrimSpace(*upd.Domain))
		if d != "" && !ValidHostname(d) {
			return Errorf(EINVALID, "domain must be a host name such as example.com.")
		}
		v.Domain = d
	}
	if upd.AllowedOrigins != nil {
		origins := make([]string, 0, len(*upd.AllowedOrigins))
		for _, o := range *upd.AllowedOrigins {
			norm, ok := NormalizeOrigin(o)
			if !ok {
				return Errorf(EINVALID, "allowed_origins: %q is not an origin such as https://www.example.com.", o)
			}
			origins = append(origins, norm)
		}
		if len(origins) > 50 {
			return Errorf(EINVALID, "allowed_origins holds at most 50 origins.")
		}
		v.AllowedOrigins = origins
	}
	if upd.CookieDomain != nil {
		d := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(*upd.CookieDomain)), ".")
		if d != "" && !ValidHostname(d) {
			return Errorf(EINVALID, "cookie_domain must be a host name such as example.com.")
		}
		v.CookieDomain = d
	}
	if upd.AttributionWindowDays != nil {
		d := *upd.AttributionWindowDays
		if d < MinWindowDays || d > MaxWindowDays {
			return Errorf(EINVALID, "attribution_window_days must be between %d and %d.", MinWindowDays, MaxWindowDays)
		}
		v.AttributionWindowDays = d
	}
	if upd.StripeWebhookSecret != nil {
		s := strings.TrimSpace(*upd.StripeWebhookSecret)
		if s != "" && (!strings.HasPrefix(s, "whsec_") || len(s) > 200) {
			return Errorf(EINVALID, "stripe_webhook_secret must be the endpoint's signing secret (whsec_…).")
		}
		v.StripeWebhookSecret = s
	}
	if upd.FallbackURL != nil {
		u := strings.TrimSpace(*upd.FallbackURL)
		if u != "" {
			if err := ValidateHTTPURL("fallback_url", u); err != nil {
				return err
			}
		}
		v.FallbackURL = u
	}
	if upd.TimeZone != nil {
		tz := strings.TrimSpace(*upd.TimeZone)
		if tz == "" {
			tz = DefaultTimeZone
		}
		loc, err := LoadTimeZone(tz)
		if err != nil {
			return Errorf(EINVALID, "time_zone must be an IANA time zone name such as Europe/Paris.")
		}
		v.TimeZone = loc.String()
	}
	if upd.MinimumPayout != nil {
		if m := *upd.MinimumPayout; m != 0 && !ValidAmount(m) {
			return Errorf(EINVALID, "minimum_payout must be 0 or a positive amount in minor units, at most %d.", MaxAmount)
		}
		v.MinimumPayout = *upd.MinimumPayout
	}
	if upd.ProgramPage != nil {
		if err := upd.ProgramPage.apply(&v.ProgramPage); err != nil {
			return err
		}
	}
	rule, err := upd.RewardRule.apply(v.RewardRule)
	if err != nil {
		return err
	}
	v.RewardRule = rule
	return nil
}

// VendorSettings is what the audit log keeps of a vendor before and after
// a change: its settings, with each secret reduced to "set" or "unset".
type VendorSettings struct {
	Name                  string      `json:"name"`
	Domain                string      `json:"domain"`
	AllowedOrigins        []string    `json:"allowed_origins"`
	CookieDomain          string      `json:"cookie_domain"`
	AttributionWindowDays int         `json:"attribution_window_days"`
	FallbackURL           string      `json:"fallback_url"`
	RewardRule            *RewardRule `json:"reward_rule"`
	TimeZone              string      `json:"time_zone"`
	StripeWebhookSecret   string      `json:"stripe_webhook_secret"`
	MinimumPayout         int64       `json:"minimum_payout"`

	ProgramPage ProgramPage `json:"program_page"`
}

// Settings returns v's settings for the audit log, secrets as "set"/"unset".
func (v *Vendor) Settings() VendorSettings {
	return VendorSettings{
		Name: v.Name, Domain: v.Domain, AllowedOrigins: v.AllowedOrigins, CookieDomain: v.CookieDomain,
		AttributionWindowDays: v.AttributionWindowDays, FallbackURL: v.FallbackURL, RewardRule: v.RewardRule,
		TimeZone: v.TimeZone, StripeWebhookSecret: secretState(v.StripeWebhookSecret),
		MinimumPayout: v.MinimumPayout, ProgramPage: v.ProgramPage,
	}
}

// secretState is how a secret appears anywhere it is shown after being set.
func secretState(secret string) string {
	if secret == "" {
		return "unset"
	}
	return "set"
}

// AllowsOrigin reports whether a browser page at origin may call the
// snippet endpoints: any origin when the list is empty.
func (v *Vendor) AllowsOrigin(origin string) bool {
	if len(v.AllowedOrigins) == 0 {
		return true
	}
	norm, ok := NormalizeOrigin(origin)
	return ok && slices.Contains(v.AllowedOrigins, norm)
}

// NormalizeOrigin returns scheme://host[:port] in lower case, or false.
func NormalizeOrigin(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// VendorService manages vendors and authenticates their keys.
type VendorService interface {
	// CreateVendor creates a vendor with fresh keys. EINVALID.
	CreateVendor(ctx context.Context, name, domain string) (*NewVendor, error)
	// FindVendor returns a vendor by id. ENOTFOUND.
	FindVendor(ctx context.Context, id string) (*Vendor, error)
	// VendorBySecretKey authenticates a vendor's backend. EUNAUTHORIZED.
	VendorBySecretKey(ctx context.Context, key string) (*Vendor, error)
	// VendorByPublicKey finds the vendor of a snippet. EUNAUTHORIZED.
	VendorByPublicKey(ctx context.Context, key string) (*Vendor, error)
	// UpdateVendor applies upd and audits it as actor. EINVALID, ENOTFOUND.
	UpdateVendor(ctx context.Context, id, actor string, upd VendorUpdate) (*Vendor, error)
	// RotateSecretKey replaces the vendor's secret key and returns the new
	// one, the only time it is shown; the old key stops working. Audited as
	// actor. ENOTFOUND.
	RotateSecretKey(ctx context.Context, id, actor string) (string, error)
}
