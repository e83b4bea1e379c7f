package attribution

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Tracking gaps: what in a period went uncredited and why, and what looks
// wrong in the data that credits the rest. The store gathers GapFacts;
// BuildGapReport decides. GET /v1/gaps and /dashboard/gaps show the same
// report.

// GapCount is how many unattributed signups (customers created in the
// period) or purchases carry one stored reason, and, for purchases, their
// amounts per currency.
type GapCount struct {
	Reason  string           `bun:"reason"`
	Count   int64            `bun:"n"`
	Amounts map[string]int64 `bun:"-"`
}

// UTMCount is one UTM value as the data holds it: the clicks of the period
// that carried it and the links that set it.
type UTMCount struct {
	Field  string // utm_source, utm_medium, utm_campaign
	Value  string
	Clicks int64
	Links  int64
}

// LinkClicks is an active link and its clicks of the period.
type LinkClicks struct {
	LinkID    string
	Key       string
	PartnerID string
	Clicks    int64
}

// VariantClicks is a variant (?v=) seen in the lookback before the period
// and its clicks in the period.
type VariantClicks struct {
	Variant string
	Before  int64
	Clicks  int64
}

// GapFacts is what the store knows about a vendor's period.
type GapFacts struct {
	Start, End time.Time
	// WindowDays is the vendor's attribution window (remedy texts).
	WindowDays int
	Signups    []GapCount
	Purchases  []GapCount
	UTM        []UTMCount
	Links      []LinkClicks
	Variants   []VariantClicks
}

// VariantLookback is how far before the period the variants that stopped
// getting clicks are looked for.
const VariantLookback = 90 * 24 * time.Hour

// GapCause is one cause of the period's unattributed signups or purchases,
// with its remedy. Amounts (purchases only) are per currency.
type GapCause struct {
	Cause   string           `json:"cause"`
	Count   int64            `json:"count"`
	Amounts map[string]int64 `json:"amounts,omitempty"`
	Summary string           `json:"summary"`
	Remedy  Remedy           `json:"remedy"`
}

// UTMValue is one spelling of a UTM value.
type UTMValue struct {
	Value  string `json:"value"`
	Clicks int64  `json:"clicks"`
	Links  int64  `json:"links"`
}

// UTMGroup is a set of spellings of one UTM value (Facebook, facebook,
// fb): analytics count them apart. Canonical is the spelling most used.
type UTMGroup struct {
	Field     string     `json:"field"`
	Canonical string     `json:"canonical"`
	Values    []UTMValue `json:"values"`
}

// LinkWithoutClicks is an active link nobody clicked in the period.
type LinkWithoutClicks struct {
	LinkID    string `json:"link_id"`
	Key       string `json:"key"`
	PartnerID string `json:"partner_id"`
}

// VariantWithoutClicks is a variant clicked before the period and not in it.
type VariantWithoutClicks struct {
	Variant      string `json:"variant"`
	ClicksBefore int64  `json:"clicks_before"`
}

// GapReport is the answer of GET /v1/gaps.
type GapReport struct {
	Start                 time.Time              `json:"start"`
	End                   time.Time              `json:"end"`
	UnattributedSignups   []GapCause             `json:"unattributed_signups"`
	UnattributedPurchases []GapCause             `json:"unattributed_purchases"`
	UTMGroups             []UTMGroup             `json:"utm_groups"`
	LinksWithoutClicks    []LinkWithoutClicks    `json:"links_without_clicks"`
	VariantsWithoutClicks []VariantWithoutClicks `json:"variants_without_clicks"`
}

// GapService gathers the facts of a vendor's period [start, end).
type GapService interface {
	GapFacts(ctx context.Context, v *Vendor, start, end time.Time) (*GapFacts, error)
}

// GapPeriod is the period rule of the report: the last 30 days by default.
var GapPeriod = PeriodRule{DefaultDays: 30, MaxDays: AnalyticsMaxDays}

// Gaps reads the facts of v's period p and builds its report: the one path
// of GET /v1/gaps and /dashboard/gaps.
func Gaps(ctx context.Context, svc GapService, v *Vendor, p Period) (*GapReport, error) {
	f, err := svc.GapFacts(ctx, v, p.Start, p.End)
	if err != nil {
		return nil, err
	}
	return BuildGapReport(f), nil
}

// BuildGapReport turns the facts into the report: causes with their
// remedies, most frequent first; UTM spellings grouped; links and
// variants without clicks.
func BuildGapReport(f *GapFacts) *GapReport {
	r := &GapReport{Start: f.Start.UTC(), End: f.End.UTC(),
		UnattributedSignups: gapCauses(f.Signups, f.WindowDays), UnattributedPurchases: gapCauses(f.Purchases, f.WindowDays),
		UTMGroups: GroupUTMValues(f.UTM), LinksWithoutClicks: []LinkWithoutClicks{}, VariantsWithoutClicks: []VariantWithoutClicks{}}
	for _, l := range f.Links {
		if l.Clicks == 0 {
			r.LinksWithoutClicks = append(r.LinksWithoutClicks, LinkWithoutClicks{LinkID: l.LinkID, Key: l.Key, PartnerID: l.PartnerID})
		}
	}
	for _, v := range f.Variants {
		if v.Clicks == 0 && v.Before > 0 && v.Variant != "" {
			r.VariantsWithoutClicks = append(r.VariantsWithoutClicks, VariantWithoutClicks{Variant: v.Variant, ClicksBefore: v.Before})
		}
	}
	slices.SortFunc(r.VariantsWithoutClicks, func(a, b VariantWithoutClicks) int { return strings.Compare(a.Variant, b.Variant) })
	return r
}

func gapCauses(counts []GapCount, windowDays int) []GapCause {
	out := []GapCause{}
	for _, c := range counts {
		if c.Count <= 0 {
			continue
		}
		cause := c.Reason
		if cause == "" {
			cause = ReasonNoToken // rows written before reasons were stored
		}
		g := GapCause{Cause: cause, Count: c.Count, Amounts: c.Amounts}
		g.Summary, g.Remedy = GapRemedy(cause, windowDays)
		if i := slices.IndexFunc(out, func(o GapCause) bool { return o.Cause == cause }); i >= 0 {
			out[i].Count += g.Count
			out[i].Amounts = addAmounts(out[i].Amounts, g.Amounts)
			continue
		}
		out = append(out, g)
	}
	slices.SortStableFunc(out, func(a, b GapCause) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Cause, b.Cause))
	})
	return out
}

// GapRemedy says, for the stored reason of many unattributed conversions,
// what it means and what to do. One customer's exact cause is the
// diagnosis's (Diagnose); this is the period's view, so each remedy ends by
// diagnosing the customers behind it.
func GapRemedy(reason string, windowDays int) (summary string, remedy Remedy) {
	diagnose := RemedyAction{Action: ActionDiagnose, Fill: []string{FillEmail}}
	switch reason {
	case ReasonNoToken:
		return "Signed up without a click token.",
			Remedy{Text: "The visitor's tally_ref never reached Tally: the snippet is missing on a landing page, the cookie was cleared or blocked, or the visitor changed browser or device. Check the snippet's health and each link's destination, then diagnose these customers to credit their partners by hand.",
				Steps: []RemedyAction{{Action: ActionCheckSnippetHealth}, diagnose}}
	case ReasonExpired:
		return "The click was older than the attribution window.",
			Remedy{Text: fmt.Sprintf("The referral click was more than %d days before the conversion. If your customers take longer to decide, raise the attribution window (at most %d days); credit these customers by hand if their partners should be paid.", windowDays, MaxWindowDays),
				Steps: []RemedyAction{{Action: ActionSetWindow, WindowDays: min(windowDays*2, MaxWindowDays)}, diagnose}}
	case ReasonInvalidToken:
		return "The click token was invalid or tampered with.",
			Remedy{Text: "The token failed verification: it was altered, or signed with keys this deployment no longer has (TALLY_HASH_KEY or TALLY_BLOCK_KEY changed). Keep the keys stable across restarts and instances; diagnose these customers to credit them by hand.",
				Steps: []RemedyAction{diagnose}}
	case ReasonOtherVendor:
		return "The click token belonged to another program.",
			Remedy{Text: "These visitors followed another program's link before signing up here: nothing of yours was lost. If one of your partners referred them, diagnose the customer and credit the partner by hand.",
				Steps: []RemedyAction{diagnose}}
	case ReasonPartnerDisabled:
		return "The click's partner was not active.",
			Remedy{Text: "Only active partners are credited. If the partner should earn from these customers, activate them, then credit the customers by hand.",
				Steps: []RemedyAction{{Action: ActionActivatePartner, Fill: []string{FillPartnerID}}, diagnose}}
	case ReasonLinkArchived:
		return "The click's link was archived.",
			Remedy{Text: "Archived links credit nobody. If the partner should be credited, diagnose these customers and credit the partner by hand.",
				Steps: []RemedyAction{diagnose}}
	case ReasonSelfReferral:
		return "The partner referred themselves.",
			Remedy{Text: "A partner's own signup earns no reward. Nothing to repair unless the email match was wrong."}
	case ReasonNoCustomer:
		return "The Stripe purchase matched no Tally customer.",
			Remedy{Text: "Pass client_reference_id (the tally_ref token or your external_id) to Stripe Checkout, or set metadata.tally_customer_id on the Stripe customer; Tally then attributes the purchase and its reward. Diagnose a purchase's email to link it by hand.",
				Steps: []RemedyAction{{Action: ActionLinkStripeCustomer}, diagnose}}
	case ReasonNoPartner:
		return "The purchase's customer has no partner.",
			Remedy{Text: "The customer was never attributed. Diagnose the customer and credit their partner by hand; the customer's purchases follow.",
				Steps: []RemedyAction{diagnose}}
	}
	return "Not attributed (" + reason + ").", Remedy{Text: "Diagnose these customers to see what happened.", Steps: []RemedyAction{diagnose}}
}

// utmAliases are common abbreviations of sources, by normalized spelling.
var utmAliases = map[string]string{
	"fb": "facebook", "facebookcom": "facebook", "mfacebookcom": "facebook", "lmfacebookcom": "facebook",
	"ig": "instagram", "insta": "instagram", "instagramcom": "instagram",
	"yt": "youtube", "youtubecom": "youtube",
	"li": "linkedin", "lnkd": "linkedin", "linkedincom": "linkedin",
	"tw": "twitter", "twittercom": "twitter", "tco": "twitter",
	"tt": "tiktok", "tiktokcom": "tiktok",
	"googlecom": "google", "goog": "google",
	"newsletters": "newsletter", "emails": "email", "mail": "email",
}

// NormalizeUTMValue is the spelling-blind form of a UTM value: lower case,
// without a leading www. and with only its letters and digits (no spaces,
// -, _, ., +), then a known abbreviation (fb) replaced by its name.
// Two values with the same normal form mean the same thing.
func NormalizeUTMValue(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "www.")
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	n := b.String()
	if a, ok := utmAliases[n]; ok {
		return a
	}
	return n
}

// GroupUTMValues groups the spellings of each field's values by their
// normal form and keeps the groups with two spellings or more, each
// spelling's clicks and links added up. Groups are ordered by field, then
// by their clicks, most first; spellings likewise.
func GroupUTMValues(values []UTMCount) []UTMGroup {
	type key struct{ field, norm string }
	byKey := map[key]*UTMGroup{}
	var order []key
	for _, v := range values {
		if strings.TrimSpace(v.Value) == "" {
			continue
		}
		k := key{v.Field, NormalizeUTMValue(v.Value)}
		if k.norm == "" {
			continue
		}
		g, ok := byKey[k]
		if !ok {
			g = &UTMGroup{Field: v.Field}
			byKey[k] = g
			order = append(order, k)
		}
		if i := slices.IndexFunc(g.Values, func(u UTMValue) bool { return u.Value == v.Value }); i >= 0 {
			g.Values[i].Clicks += v.Clicks
			g.Values[i].Links += v.Links
		} else {
			g.Values = append(g.Values, UTMValue{Value: v.Value, Clicks: v.Clicks, Links: v.Links})
		}
	}
	out := []UTMGroup{}
	for _, k := range order {
		g := byKey[k]
		if len(g.Values) < 2 {
			continue
		}
		slices.SortFunc(g.Values, func(a, b UTMValue) int {
			return cmp.Or(cmp.Compare(b.Clicks, a.Clicks), cmp.Compare(b.Links, a.Links), strings.Compare(a.Value, b.Value))
		})
		g.Canonical = g.Values[0].Value
		out = append(out, *g)
	}
	slices.SortStableFunc(out, func(a, b UTMGroup) int {
		return cmp.Or(strings.Compare(a.Field, b.Field), cmp.Compare(groupClicks(b), groupClicks(a)), strings.Compare(a.Canonical, b.Canonical))
	})
	return out
}

func groupClicks(g UTMGroup) int64 {
	var n int64
	for _, v := range g.Values {
		n += v.Clicks
	}
	return n
}
