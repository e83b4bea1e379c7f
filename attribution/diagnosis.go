package attribution

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Causes a diagnosis names: why a customer was (or was not) credited to a
// partner. CauseAttributed means there is no gap.
const (
	CauseAttributed           = "attributed"
	CauseNoClick              = "no_click"
	CauseClickOutsideWindow   = "click_outside_window"
	CauseLaterClickWon        = "later_click_won"
	CauseNoTokenWithClicks    = "no_token_with_clicks"
	CauseSafariCookieCap      = "safari_cookie_cap"
	CauseOtherVendorToken     = "other_vendor_token"
	CauseInvalidToken         = "invalid_token"
	CausePartnerDisabled      = "partner_disabled"
	CauseLinkArchived         = "link_archived"
	CauseSnippetNotSeen       = "snippet_not_seen"
	CauseSnippetMisconfigured = "snippet_misconfigured"
	CauseDirectVisit          = "direct_visit"
	CausePurchaseUnmatched    = "purchase_unmatched"
	// CauseOtherDevice is a secondary finding: a click from the same network
	// in another browser or on another device.
	CauseOtherDevice = "other_browser_or_device"
)

// SafariCookieCap is how long Safari keeps a cookie written by script.
const SafariCookieCap = 7 * 24 * time.Hour

// How a click of a diagnosis was found.
const (
	ViaToken   = "token"   // a token the customer presented (or its attributing click)
	ViaVisitor = "visitor" // the same visitor hash (full IP + user agent) as the customer
	ViaNetwork = "network" // the same truncated IP, browser and OS as a signup
	// ViaDevice: the same truncated IP as a signup, another browser or OS.
	// Too weak for a verdict (a network is shared), named as a finding.
	ViaDevice = "device"
)

// Timeline event types.
const (
	EventClick    = "click"
	EventSignup   = "signup"
	EventPurchase = "purchase"
	EventRefund   = "refund"
	EventReward   = "reward"
	EventOverride = "override"
)

// DiagnosisQuery names the customer to diagnose: exactly one field is set.
type DiagnosisQuery struct {
	Email      string
	ExternalID string
	CustomerID string
}

// Validate normalizes and checks q.
func (q *DiagnosisQuery) Validate() error {
	q.Email = NormalizeEmail(q.Email)
	q.ExternalID = strings.TrimSpace(q.ExternalID)
	q.CustomerID = strings.TrimSpace(q.CustomerID)
	n := 0
	for _, s := range []string{q.Email, q.ExternalID, q.CustomerID} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return Errorf(EINVALID, "Give exactly one of email, external_id or customer_id.")
	}
	if len(q.Email) > 320 || len(q.ExternalID) > 200 || len(q.CustomerID) > 100 {
		return Errorf(EINVALID, "The customer reference is too long.")
	}
	return nil
}

// FoundClick is a click row the diagnosis reached, and how.
type FoundClick struct {
	*Click
	Via string
}

// DiagnosisFacts is everything the store knows that bears on one
// customer's attribution. Lists are oldest first.
type DiagnosisFacts struct {
	Now      time.Time
	Window   time.Duration
	Customer *Customer // nil when only unmatched purchases carry the email
	Email    string    // the email asked about, or the customer's
	Signups  []*Signup
	// Tokens are every token the signups carried, in signup order.
	Tokens []SignupToken
	// Clicks reached through the customer's tokens, its visitor hash, or
	// the truncated IP and browser of its signups.
	Clicks    []FoundClick
	Purchases []*Purchase // the customer's
	Unmatched []*Purchase // Stripe purchases with the email that matched no customer
	Rewards   []*Reward
	Overrides []*AuditEntry
	Partners  map[string]*Partner // every partner named above
	// SnippetSeen: a ping with this vendor's key from an allowed origin was ever recorded.
	SnippetSeen bool
	// BadPings are the kept pings that did not count and are shown to this
	// vendor (BadPingRelation).
	BadPings []MisconfiguredPings
	// VendorHadClicks: the vendor had non-bot clicks in the window before
	// the customer's conversion.
	VendorHadClicks bool
	PublicKey       string
}

// VerdictClick is a click a verdict rests on.
type VerdictClick struct {
	ClickID     string    `json:"click_id"`
	PartnerID   string    `json:"partner_id"`
	PartnerName string    `json:"partner_name"`
	LinkID      string    `json:"link_id"`
	ClickedAt   time.Time `json:"clicked_at"`
	Browser     string    `json:"browser,omitempty"`
	Via         string    `json:"via,omitempty"`
}

// Verdict names the cause of a customer's tracking gap.
type Verdict struct {
	Cause   string `json:"cause"`
	Summary string `json:"summary"`
	Detail  string `json:"detail"`
	// Click is the click the verdict names (the lost, late, old or
	// untracked one); Winner the click that took the credit instead.
	Click        *VerdictClick `json:"click,omitempty"`
	Winner       *VerdictClick `json:"winner,omitempty"`
	ConversionAt *time.Time    `json:"conversion_at,omitempty"`
	WindowDays   int           `json:"window_days"`
	Remedy       Remedy        `json:"remedy"`
}

// TimelineEvent is one dated fact of a customer's history.
type TimelineEvent struct {
	At           time.Time `json:"at"`
	Type         string    `json:"type"`
	ID           string    `json:"id"`
	Detail       string    `json:"detail"`
	PartnerID    string    `json:"partner_id,omitempty"`
	LinkID       string    `json:"link_id,omitempty"`
	ClickID      string    `json:"click_id,omitempty"`
	Via          string    `json:"via,omitempty"`
	Browser      string    `json:"browser,omitempty"`
	OS           string    `json:"os,omitempty"`
	Source       string    `json:"source,omitempty"`
	Bot          bool      `json:"bot,omitempty"`
	TokenPresent *bool     `json:"token_present,omitempty"`
	Outcome      string    `json:"outcome,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	Amount       *int64    `json:"amount,omitempty"`
	Currency     string    `json:"currency,omitempty"`
	Status       string    `json:"status,omitempty"`
	Action       string    `json:"action,omitempty"`
	Actor        string    `json:"actor,omitempty"`
	// Tokens are every click token a signup carried, with why each did or
	// did not credit it.
	Tokens []SignupToken `json:"tokens,omitempty"`
}

// Finding is a secondary observation beside the verdict: something that
// may have cost this or other customers their attribution, but is not
// known to be this customer's cause.
type Finding struct {
	Cause   string        `json:"cause"`
	Summary string        `json:"summary"`
	Detail  string        `json:"detail"`
	Click   *VerdictClick `json:"click,omitempty"`
	Remedy  Remedy        `json:"remedy"`
}

// Diagnosis is a customer's timeline, the verdict naming the cause of its
// tracking gap, and secondary findings.
type Diagnosis struct {
	Customer *Customer       `json:"customer"`
	Timeline []TimelineEvent `json:"timeline"`
	Verdict  Verdict         `json:"verdict"`
	Findings []Finding       `json:"findings"`
}

// DiagnosisService gathers the facts of a diagnosis.
type DiagnosisService interface {
	// DiagnosisFacts loads what bears on one customer of vendor v.
	// EINVALID, ENOTFOUND (no customer and no unmatched purchase by that email).
	DiagnosisFacts(ctx context.Context, v *Vendor, q DiagnosisQuery) (*DiagnosisFacts, error)
}

// Diagnose builds the timeline and the verdict.
func (f *DiagnosisFacts) Diagnose() *Diagnosis {
	v := Diagnose(f)
	return &Diagnosis{Customer: f.Customer, Timeline: Timeline(f), Verdict: v, Findings: Findings(f, v)}
}

// Diagnose names the cause of a customer's tracking gap from the facts.
// The order of the checks is the order of certainty: what the stored
// signup reasons say, then clicks from the same visitor, then the snippet,
// then the absence of anything.
func Diagnose(f *DiagnosisFacts) Verdict {
	d := diagnoser{f: f, windowDays: int(f.Window / (24 * time.Hour))}
	c := f.Customer
	if c == nil {
		return d.purchaseUnmatched()
	}
	if c.Attributed() {
		if v, ok := d.laterClickWon(); ok {
			return v
		}
		if len(f.Unmatched) > 0 {
			return d.purchaseUnmatched()
		}
		return d.attributed()
	}
	conv := d.conversionAt()
	switch reason := d.tokenReason(); reason {
	case ReasonOtherVendor:
		return d.tokenVerdict(CauseOtherVendorToken, conv,
			"The signup carried a click token of another Tally vendor.",
			"The tally_ref token the signup presented was issued for another vendor's link, so it cannot credit any of your partners. This happens when one site hosts several programs, or when a token is copied between sites.",
			"Check that your pages and backend pass only your own tally_ref (public key %s). If one of your partners referred this customer, credit them by hand.")
	case ReasonInvalidToken:
		return d.tokenVerdict(CauseInvalidToken, conv,
			"The signup carried an invalid or tampered click token.",
			"The tally_ref token did not verify: it was altered, truncated (for example by a URL shortener or an encoding step), signed with a retired key, or its partner no longer exists.",
			"Pass the tally_ref value unchanged (public key %s). If a partner referred this customer, credit them by hand.")
	case ReasonPartnerDisabled:
		return d.partnerDisabled(conv, CausePartnerDisabled)
	case ReasonLinkArchived:
		return d.partnerDisabled(conv, CauseLinkArchived)
	case ReasonExpired:
		k := d.tokenClick(ReasonExpired)
		if k == nil {
			k = d.newestClick(conv, false)
		}
		return d.outsideWindow(conv, k)
	}
	// No token reached Tally. What the snippet saw elsewhere on the site is
	// a finding, never this customer's verdict.
	if k := d.newestClick(conv, true); k != nil {
		return d.noToken(conv, k)
	}
	if k := d.newestClick(conv, false); k != nil {
		return d.outsideWindow(conv, k)
	}
	if d.snippetSawNoToken() {
		return d.directVisit(conv)
	}
	return d.noClick(conv)
}

type diagnoser struct {
	f          *DiagnosisFacts
	windowDays int
}

func (d diagnoser) verdict(cause string, conv time.Time) Verdict {
	v := Verdict{Cause: cause, WindowDays: d.windowDays}
	if !conv.IsZero() {
		v.ConversionAt = &conv
	}
	return v
}

// conversionAt is when the customer last converted without credit: the
// newest signup, else the customer's creation.
func (d diagnoser) conversionAt() time.Time {
	if n := len(d.f.Signups); n > 0 {
		return d.f.Signups[n-1].CreatedAt
	}
	if d.f.Customer != nil {
		return d.f.Customer.CreatedAt
	}
	return time.Time{}
}

// tokenReason is the stored reason of the newest signup that carried a
// token, else the customer's own reason when no signup did.
func (d diagnoser) tokenReason() string {
	for i := len(d.f.Signups) - 1; i >= 0; i-- {
		if s := d.f.Signups[i]; s.TokenPresent {
			return s.Reason
		}
	}
	if len(d.f.Signups) == 0 {
		return d.f.Customer.Reason
	}
	return ReasonNoToken
}

func (d diagnoser) hasVisitorFacts() bool {
	for _, s := range d.f.Signups {
		if s.IPTrunc != "" || s.VisitorHash != "" {
			return true
		}
	}
	return false
}

// snippetSawNoToken: the snippet itself reported a signup of this customer
// without a token, so it ran on the visitor's page and found no tally_ref
// in the URL or cookie.
func (d diagnoser) snippetSawNoToken() bool {
	for _, s := range d.f.Signups {
		if s.Source == SourceSnippet && !s.TokenPresent {
			return true
		}
	}
	return false
}

// newestSignup is the newest signup, nil when there is none.
func (d diagnoser) newestSignup() *Signup {
	if n := len(d.f.Signups); n > 0 {
		return d.f.Signups[n-1]
	}
	return nil
}

// tokenClick is the click named by the newest token with reason among the
// signups' tokens: its row when found, else what the token says.
func (d diagnoser) tokenClick(reason string) *VerdictClick {
	for i := len(d.f.Tokens) - 1; i >= 0; i-- {
		t := d.f.Tokens[i]
		if t.Reason != reason || t.ClickID == "" || t.ClickedAt == nil {
			continue
		}
		for j := range d.f.Clicks {
			if k := &d.f.Clicks[j]; k.ID == t.ClickID {
				return d.verdictClick(k.Click, ViaToken)
			}
		}
		return &VerdictClick{ClickID: t.ClickID, PartnerID: t.PartnerID, PartnerName: d.partnerName(t.PartnerID),
			LinkID: t.LinkID, ClickedAt: *t.ClickedAt, Via: ViaToken}
	}
	return nil
}

// hasClickRow reports whether the click row of k was found.
func (d diagnoser) hasClickRow(k *VerdictClick) bool {
	for i := range d.f.Clicks {
		if d.f.Clicks[i].ID == k.ClickID {
			return true
		}
	}
	return false
}

// newestClick returns the newest non-bot click found (by token, visitor or
// network) at or before conv, inside the window (inWindow) or older than
// it (!inWindow).
func (d diagnoser) newestClick(conv time.Time, inWindow bool) *VerdictClick {
	var best *FoundClick
	for i := range d.f.Clicks {
		k := &d.f.Clicks[i]
		if k.Bot || k.Via == ViaDevice || k.ClickedAt.After(conv.Add(maxClockSkew)) {
			continue
		}
		within := conv.Truncate(time.Second).Sub(k.ClickedAt.Truncate(time.Second)) <= d.f.Window
		if within != inWindow {
			continue
		}
		if best == nil || k.ClickedAt.After(best.ClickedAt) {
			best = k
		}
	}
	if best == nil {
		return nil
	}
	return d.verdictClick(best.Click, best.Via)
}

func (d diagnoser) verdictClick(k *Click, via string) *VerdictClick {
	return &VerdictClick{ClickID: k.ID, PartnerID: k.PartnerID, PartnerName: d.partnerName(k.PartnerID),
		LinkID: k.LinkID, ClickedAt: k.ClickedAt, Browser: k.Browser, Via: via}
}

func (d diagnoser) partnerName(id string) string {
	if p := d.f.Partners[id]; p != nil {
		return p.Name
	}
	return ""
}

func (d diagnoser) partnerLabel(id string) string {
	if n := d.partnerName(id); n != "" {
		return fmt.Sprintf("%s (%s)", n, id)
	}
	return id
}

// credit is the manual attribution of the customer to partnerID ("": the
// vendor names the partner).
func (d diagnoser) credit(partnerID, reason string) []RemedyAction {
	return []RemedyAction{creditAction(d.f.Customer.ID, partnerID, reason)}
}

func diagTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func (d diagnoser) attributed() Verdict {
	c := d.f.Customer
	v := d.verdict(CauseAttributed, d.conversionAt())
	v.Summary = fmt.Sprintf("Credited to %s; no tracking gap.", d.partnerLabel(c.PartnerID))
	switch c.AttributedBy {
	case AttributedByManual:
		v.Detail = "The customer was credited to the partner by hand (see the override in the timeline)."
	case AttributedByCode:
		v.Detail = "The customer was credited through the partner's promotion code."
	default:
		v.Detail = "The customer was credited by the partner's click token."
		if c.ClickedAt != nil {
			v.Detail = fmt.Sprintf("The customer was credited by the partner's click of %s, carried by the click token.", diagTime(*c.ClickedAt))
			v.Winner = d.winner()
		}
	}
	if c.SelfReferral {
		v.Detail += " The customer's email is the partner's own: a self-referral, which earns no reward."
	}
	v.Remedy = Remedy{Text: "Nothing to repair. To credit another partner, reassign the customer."}
	return v
}

// winner is the click that credits the attributed customer: its row when
// found (exact time), else what the customer keeps of it (the token's
// whole seconds).
func (d diagnoser) winner() *VerdictClick {
	c := d.f.Customer
	for i := range d.f.Clicks {
		if k := &d.f.Clicks[i]; k.ID == c.ClickID {
			return d.verdictClick(k.Click, k.Via)
		}
	}
	return &VerdictClick{ClickID: c.ClickID, PartnerID: c.PartnerID, PartnerName: d.partnerName(c.PartnerID), LinkID: c.LinkID, ClickedAt: *c.ClickedAt, Via: ViaToken}
}

// laterClickWon finds a click of another partner, older than the click
// that credited the customer (or that the customer's earlier signups
// credited), which lost to it under last click.
func (d diagnoser) laterClickWon() (Verdict, bool) {
	c := d.f.Customer
	if c.AttributedBy != AttributedByClick || c.ClickedAt == nil {
		return Verdict{}, false
	}
	won := *c.ClickedAt
	var loser *VerdictClick
	for i := range d.f.Clicks {
		k := &d.f.Clicks[i]
		if k.Bot || k.PartnerID == c.PartnerID || k.Via == ViaNetwork || k.Via == ViaDevice || !k.ClickedAt.Before(won) {
			continue
		}
		if won.Sub(k.ClickedAt) > d.f.Window {
			continue // it would not have counted anyway
		}
		if loser == nil || k.ClickedAt.After(loser.ClickedAt) {
			loser = d.verdictClick(k.Click, k.Via)
		}
	}
	if loser == nil {
		// A signup credited another partner before; its click row may be missing.
		for i := len(d.f.Signups) - 1; i >= 0; i-- {
			s := d.f.Signups[i]
			if s.PartnerID != "" && s.PartnerID != c.PartnerID && s.CreatedAt.Before(won.Add(maxClockSkew)) {
				loser = &VerdictClick{ClickID: s.ClickID, PartnerID: s.PartnerID, PartnerName: d.partnerName(s.PartnerID), ClickedAt: s.CreatedAt, Via: ViaToken}
				break
			}
		}
	}
	if loser == nil {
		return Verdict{}, false
	}
	v := d.verdict(CauseLaterClickWon, d.conversionAt())
	v.Click = loser
	v.Winner = d.winner()
	won = v.Winner.ClickedAt
	v.Summary = fmt.Sprintf("A later click by %s won over the click by %s.", d.partnerLabel(c.PartnerID), d.partnerLabel(loser.PartnerID))
	v.Detail = fmt.Sprintf("%s's click of %s came before %s's click of %s. Under last click, the newest valid click token credits the conversion, so %s holds this customer.",
		d.partnerLabel(loser.PartnerID), diagTime(loser.ClickedAt), d.partnerLabel(c.PartnerID), diagTime(won), d.partnerLabel(c.PartnerID))
	credit := creditAction(c.ID, loser.PartnerID, fmt.Sprintf("Earlier click of %s credited by agreement", diagTime(loser.ClickedAt)))
	credit.MoveRewards = true
	v.Remedy = Remedy{
		Text:  fmt.Sprintf("This is last click working as designed. If you agreed otherwise with %s, credit them by hand; the customer's pending and approved rewards move with it.", d.partnerLabel(loser.PartnerID)),
		Steps: []RemedyAction{credit},
	}
	return v, true
}

func (d diagnoser) purchaseUnmatched() Verdict {
	var p *Purchase
	for _, u := range d.f.Unmatched {
		if p == nil || u.PurchasedAt.After(p.PurchasedAt) {
			p = u
		}
	}
	v := d.verdict(CausePurchaseUnmatched, time.Time{})
	if p == nil {
		return v
	}
	at := p.PurchasedAt
	v.ConversionAt = &at
	n := len(d.f.Unmatched)
	v.Summary = fmt.Sprintf("%d Stripe purchase(s) with this email matched no Tally customer.", n)
	v.Detail = fmt.Sprintf("Purchase %s of %d %s on %s arrived from Stripe with email %s, but neither its client_reference_id, its metadata.tally_customer_id, its Stripe customer (%s) nor its email matched a Tally customer at the time. It is kept, unattributed.",
		p.ID, p.Amount, strings.ToUpper(p.Currency), diagTime(p.PurchasedAt), p.Email, diagOrNone(p.StripeCustomerID))
	if c := d.f.Customer; c != nil {
		v.Detail += fmt.Sprintf(" Customer %s was created or given this email after the purchase.", c.ID)
		v.Remedy = Remedy{Text: fmt.Sprintf("In Stripe, set metadata.tally_customer_id = %s on the Stripe customer%s; Tally links them on the customer.updated event and attributes the purchase and its reward. Pass client_reference_id (the tally_ref token or your external_id) in future checkouts.", c.ID, diagParen(p.StripeCustomerID))}
		if p.StripeCustomerID != "" {
			v.Remedy.Steps = []RemedyAction{{Action: ActionLinkStripeCustomer, CustomerID: c.ID, StripeCustomerID: p.StripeCustomerID}}
		}
		return v
	}
	v.Remedy = Remedy{
		Text: "Create the customer credited to the partner who referred them, linked to the purchase's Stripe customer: Tally then gives it the unmatched purchases of that Stripe customer and of this email, and creates their rewards. Pass client_reference_id (the tally_ref token or your external_id) in future checkouts.",
		Steps: []RemedyAction{{Action: ActionCreateCustomer, Email: p.Email, StripeCustomerID: p.StripeCustomerID,
			Reason: "Stripe purchase " + p.ID + " matched no customer", Fill: []string{FillPartnerID}}},
	}
	return v
}

func (d diagnoser) tokenVerdict(cause string, conv time.Time, summary, detail, remedy string) Verdict {
	v := d.verdict(cause, conv)
	v.Summary, v.Detail = summary, detail
	k := d.newestClick(conv, true)
	if k != nil && k.Via != ViaToken {
		v.Click = k
		v.Detail += fmt.Sprintf(" The same visitor clicked %s's link on %s.", d.partnerLabel(k.PartnerID), diagTime(k.ClickedAt))
	}
	v.Remedy = Remedy{Text: fmt.Sprintf(remedy, d.f.PublicKey)}
	partner := ""
	if k != nil {
		partner = k.PartnerID
	}
	v.Remedy.Steps = d.credit(partner, "Referral token was not usable ("+cause+")")
	return v
}

func (d diagnoser) partnerDisabled(conv time.Time, cause string) Verdict {
	v := d.verdict(cause, conv)
	reason := ReasonPartnerDisabled
	if cause == CauseLinkArchived {
		reason = ReasonLinkArchived
	}
	k := d.tokenClick(reason)
	if k == nil {
		k = d.newestClick(conv, true)
	}
	v.Click = k
	what := "the partner was disabled"
	if cause == CauseLinkArchived {
		what = "the link was archived"
	}
	v.Summary = fmt.Sprintf("The signup's click token was valid, but %s.", what)
	v.Detail = fmt.Sprintf("A disabled partner's or archived link's clicks still redirect but earn nothing: the signup of %s stayed unattributed.", diagTime(conv))
	if k == nil {
		v.Remedy = Remedy{Text: "If the partner should have been credited, re-enable them (or the link), then credit the customer by hand.",
			Steps: d.credit("", "Partner or link was inactive at signup")}
		return v
	}
	v.Detail += fmt.Sprintf(" The click was %s's, on %s.", d.partnerLabel(k.PartnerID), diagTime(k.ClickedAt))
	if cause == CausePartnerDisabled {
		v.Remedy = Remedy{Text: fmt.Sprintf("If %s should be credited, re-enable them first, then credit the customer by hand.", d.partnerLabel(k.PartnerID)),
			Steps: append([]RemedyAction{{Action: ActionActivatePartner, PartnerID: k.PartnerID}}, d.credit(k.PartnerID, "Partner was disabled at signup")...)}
	} else {
		v.Remedy = Remedy{Text: fmt.Sprintf("If %s should be credited for the archived link, credit the customer by hand.", d.partnerLabel(k.PartnerID)),
			Steps: d.credit(k.PartnerID, "Link was archived at signup")}
	}
	return v
}

func (d diagnoser) outsideWindow(conv time.Time, k *VerdictClick) Verdict {
	v := d.verdict(CauseClickOutsideWindow, conv)
	v.Click = k
	v.Summary = fmt.Sprintf("The click is older than the %d-day attribution window.", d.windowDays)
	if k == nil {
		// Only signups recorded before their tokens were kept lack this.
		v.Detail = fmt.Sprintf("The signup of %s carried a click token older than the %d-day window; which click it named was not recorded with the signup.", diagTime(conv), d.windowDays)
		v.Remedy = Remedy{Text: "If the partner should be credited anyway, credit the customer by hand; to count older clicks, raise the attribution window in your settings.",
			Steps: d.credit("", "Click older than the attribution window")}
		return v
	}
	age := conv.Sub(k.ClickedAt)
	v.Summary = fmt.Sprintf("%s's click of %s is older than the %d-day window at the signup of %s.", d.partnerLabel(k.PartnerID), diagTime(k.ClickedAt), d.windowDays, diagTime(conv))
	v.Detail = fmt.Sprintf("The click on %s and the signup on %s are %d days apart; the window is %d days, so the click credits nothing.",
		diagTime(k.ClickedAt), diagTime(conv), int(age/(24*time.Hour)), d.windowDays)
	if !d.hasClickRow(k) {
		v.Detail += " The click's own row is no longer kept (old clicks are deleted); the signup's token names it."
	}
	v.Remedy = Remedy{
		Text:  fmt.Sprintf("Credit %s by hand if you want to; to count such clicks from now on, raise the attribution window in your settings (at most %d days).", d.partnerLabel(k.PartnerID), MaxWindowDays),
		Steps: d.credit(k.PartnerID, "Click of "+diagTime(k.ClickedAt)+" was outside the attribution window"),
	}
	return v
}

func (d diagnoser) noToken(conv time.Time, k *VerdictClick) Verdict {
	safari := k.Browser == "Safari"
	for _, s := range d.f.Signups {
		if s.Browser == "Safari" {
			safari = true
		}
	}
	if safari && conv.Sub(k.ClickedAt) > SafariCookieCap {
		v := d.verdict(CauseSafariCookieCap, conv)
		v.Click = k
		v.Summary = "Safari deleted the referral cookie after 7 days."
		v.Detail = fmt.Sprintf("The visitor used Safari and clicked %s's link on %s, %d days before the signup of %s. Safari caps cookies written by script at 7 days, so the tally_ref cookie was gone although the click is inside the %d-day window.",
			d.partnerLabel(k.PartnerID), diagTime(k.ClickedAt), int(conv.Sub(k.ClickedAt)/(24*time.Hour)), diagTime(conv), d.windowDays)
		v.Remedy = Remedy{
			Text:  fmt.Sprintf("Set the tally_ref cookie from your own backend (an HTTP response header on your domain) so Safari keeps it for the whole window, and pass it as ref with your backend's signup call. Credit %s by hand for this customer.", d.partnerLabel(k.PartnerID)),
			Steps: d.credit(k.PartnerID, "Safari 7-day cookie cap dropped the click of "+diagTime(k.ClickedAt)),
		}
		return v
	}
	v := d.verdict(CauseNoTokenWithClicks, conv)
	v.Click = k
	v.Summary = fmt.Sprintf("The signup arrived without a token although %s's link was clicked by the same visitor on %s.", d.partnerLabel(k.PartnerID), diagTime(k.ClickedAt))
	var how, causes string
	switch k.Via {
	case ViaVisitor:
		how = "the same browser and IP address"
		causes = "Since it was the same browser, the cookie was cleared or blocked, or the snippet is missing on the landing page so the token in the URL was never stored."
	case ViaNetwork:
		how = "the same network (truncated IP), browser and operating system"
		causes = "Likely causes: the cookie was cleared or blocked, or the snippet is missing on the landing page so the token in the URL was never stored."
	default:
		how = "a token this customer presented before"
		causes = "Likely causes: the cookie was cleared or blocked, the visitor signed up in another browser or on another device, or the snippet is missing on the landing page so the token in the URL was never stored."
	}
	v.Detail = fmt.Sprintf("A click found through %s, inside the %d-day window, reached your site, but the signup of %s carried no tally_ref. ", how, d.windowDays, diagTime(conv))
	if other := d.otherDevice(k); other != "" {
		v.Detail += other
	} else {
		v.Detail += causes
	}
	v.Remedy = Remedy{
		Text:  fmt.Sprintf("Check the snippet's health and that the landing page of the link loads the snippet; credit %s by hand for this customer.", d.partnerLabel(k.PartnerID)),
		Steps: d.credit(k.PartnerID, "Click of "+diagTime(k.ClickedAt)+" found; the signup carried no token"),
	}
	return v
}

// otherDevice names another browser or device when the click's and the
// newest signup's browser or operating system are known and differ.
func (d diagnoser) otherDevice(k *VerdictClick) string {
	s := d.newestSignup()
	var click *Click
	for i := range d.f.Clicks {
		if d.f.Clicks[i].ID == k.ClickID {
			click = d.f.Clicks[i].Click
		}
	}
	if s == nil || click == nil || s.Browser == "" || click.Browser == "" || (s.Browser == click.Browser && s.OS == click.OS) {
		return ""
	}
	return fmt.Sprintf("The click came from %s and the signup from %s: the visitor signed up in another browser or on another device, which never had the tally_ref cookie.",
		agentLabel(click.Browser, click.OS), agentLabel(s.Browser, s.OS))
}

func agentLabel(browser, os string) string {
	if os == "" {
		return browser
	}
	return browser + " on " + os
}

func (d diagnoser) directVisit(conv time.Time) Verdict {
	v := d.verdict(CauseDirectVisit, conv)
	v.Summary = "The customer came directly: no referral click and no token."
	v.Detail = fmt.Sprintf("The snippet reported the signup of %s from the visitor's own page, where it found no tally_ref in the URL or cookie, and no click of your partners' links can be tied to this visitor's browser or network: the customer typed your address, used a bookmark or a search engine.", diagTime(conv))
	v.Remedy = Remedy{
		Text: "Word-of-mouth referrals that skip the link can be tracked with promotion codes: give each partner a Stripe promotion code and Tally credits purchases that use it. If a partner referred this customer, credit them by hand.",
		Steps: []RemedyAction{
			{Action: ActionCreatePromotionCode, Fill: []string{FillPartnerID, FillCode}},
			creditAction(d.f.Customer.ID, "", "Referred by the partner (direct visit)"),
		},
	}
	return v
}

func (d diagnoser) noClick(conv time.Time) Verdict {
	v := d.verdict(CauseNoClick, conv)
	v.Summary = "No referral click is recorded for this customer."
	v.Detail = "No click token reached Tally with this customer's signups or purchases, and no click of your partners' links can be tied to them."
	if !d.hasVisitorFacts() {
		v.Detail += " The signups came from your backend without the visitor's ip and user_agent, so clicks from the same browser cannot be searched: pass the tally_ref cookie as ref, and the visitor's ip and user_agent, with your backend's signup call."
	} else if !d.f.VendorHadClicks {
		v.Detail += fmt.Sprintf(" Your partners' links had no clicks at all in the %d days before the signup.", d.windowDays)
	}
	v.Remedy = Remedy{
		Text:  "If a partner referred this customer, credit them by hand, naming the partner.",
		Steps: d.credit("", "Referred by the partner (no click recorded)"),
	}
	return v
}

// Findings are the secondary observations beside verdict v: a click from
// the same network in another browser or device, and what the snippet's
// pings say about the vendor's site. An attributed customer has none.
func Findings(f *DiagnosisFacts, v Verdict) []Finding {
	out := []Finding{}
	if f.Customer == nil || v.Cause == CauseAttributed || v.Cause == CauseLaterClickWon {
		return out
	}
	d := diagnoser{f: f, windowDays: int(f.Window / (24 * time.Hour))}
	if v.Click == nil {
		if fd, ok := d.deviceFinding(d.conversionAt()); ok {
			out = append(out, fd)
		}
	}
	return append(out, d.snippetFindings()...)
}

// deviceFinding names the newest click in the window from the signups'
// network in another browser or on another device.
func (d diagnoser) deviceFinding(conv time.Time) (Finding, bool) {
	var best *FoundClick
	for i := range d.f.Clicks {
		k := &d.f.Clicks[i]
		if k.Via != ViaDevice || k.Bot || k.ClickedAt.After(conv.Add(maxClockSkew)) || conv.Sub(k.ClickedAt) > d.f.Window {
			continue
		}
		if best == nil || k.ClickedAt.After(best.ClickedAt) {
			best = k
		}
	}
	if best == nil {
		return Finding{}, false
	}
	k := d.verdictClick(best.Click, best.Via)
	fd := Finding{Cause: CauseOtherDevice, Click: k}
	fd.Summary = fmt.Sprintf("%s's link was clicked from the same network in another browser or on another device on %s.", d.partnerLabel(k.PartnerID), diagTime(k.ClickedAt))
	fd.Detail = fmt.Sprintf("A click from the network this customer signed up from (truncated IP) came from %s", agentLabel(best.Browser, best.OS))
	if s := d.newestSignup(); s != nil && s.Browser != "" {
		fd.Detail += ", while the signup came from " + agentLabel(s.Browser, s.OS)
	}
	fd.Detail += ". If it was this customer on another device, the cookie of that device never reached the signup; others share a network too, so Tally does not credit it on its own."
	fd.Remedy = Remedy{
		Text:  fmt.Sprintf("If you know the customer clicked on that device, credit %s by hand.", d.partnerLabel(k.PartnerID)),
		Steps: d.credit(k.PartnerID, "Click of "+diagTime(k.ClickedAt)+" from the same network on another device"),
	}
	return fd, true
}

// snippetFindings reports the snippet never seen, or pages of the
// vendor's site whose pings did not count.
func (d diagnoser) snippetFindings() []Finding {
	var own, unowned []string
	for _, m := range d.f.BadPings {
		switch m.Relation {
		case PingOwn:
			if !slices.Contains(own, m.Origin) {
				own = append(own, m.Origin)
			}
		case PingUnowned:
			if !slices.Contains(unowned, m.Origin) {
				unowned = append(unowned, m.Origin)
			}
		}
	}
	sort.Strings(own)
	sort.Strings(unowned)
	install := []RemedyAction{{Action: ActionInstallSnippet, PublicKey: d.f.PublicKey}, {Action: ActionCheckSnippetHealth}}
	var out []Finding
	if !d.f.SnippetSeen && len(own) == 0 {
		out = append(out, Finding{Cause: CauseSnippetNotSeen,
			Summary: "The snippet has never been seen on your site.",
			Detail:  "Tally never received a page-load ping with your public key, so nothing stores the tally_ref token from a link's URL as a cookie on your domain unless your backend does.",
			Remedy: Remedy{Text: fmt.Sprintf("Add the snippet with data-key=\"%s\" to every page (the landing pages of your links above all), or read tally_ref from the URL in your backend and pass it as ref with your backend's signup call.", d.f.PublicKey),
				Steps: install}})
	}
	if len(own) > 0 {
		out = append(out, Finding{Cause: CauseSnippetMisconfigured,
			Summary: "The snippet runs on some pages with your key from an origin you do not allow, or with your secret key.",
			Detail:  fmt.Sprintf("Pages on %s sent pings that did not count, so the snippet there cannot report signups.", strings.Join(own, ", ")),
			Remedy:  Remedy{Text: "Fix the data-key or allowed_origins as the snippet health's public_key check says.", Steps: []RemedyAction{{Action: ActionCheckSnippetHealth}}}})
	}
	if len(unowned) > 0 {
		out = append(out, Finding{Cause: CauseSnippetMisconfigured,
			Summary: "Pages on your site pinged with a missing key or one that matches no Tally program.",
			Detail:  fmt.Sprintf("Pings from %s carried no usable key. Other programs may share these hosts; if the pages are yours, the snippet there stores no referral token.", strings.Join(unowned, ", ")),
			Remedy:  Remedy{Text: fmt.Sprintf("If those pages are yours, set data-key=\"%s\" on their snippet tag.", d.f.PublicKey), Steps: install}})
	}
	return out
}

// Timeline lists the customer's history, oldest first.
func Timeline(f *DiagnosisFacts) []TimelineEvent {
	out := []TimelineEvent{}
	for _, k := range f.Clicks {
		detail := fmt.Sprintf("Click on a link of partner %s", k.PartnerID)
		switch k.Via {
		case ViaToken:
			detail += ", carried by the customer's token"
		case ViaVisitor:
			detail += ", from the same browser and IP address"
		case ViaNetwork:
			detail += ", from the same network and browser as a signup"
		case ViaDevice:
			detail += ", from the same network as a signup in another browser or on another device"
		}
		if k.Bot {
			detail += " (a bot: never credited)"
		}
		out = append(out, TimelineEvent{At: k.ClickedAt, Type: EventClick, ID: k.ID, Detail: detail + ".",
			PartnerID: k.PartnerID, LinkID: k.LinkID, Via: k.Via, Browser: k.Browser, OS: k.OS, Source: k.Source, Bot: k.Bot})
	}
	tokens := map[string][]SignupToken{}
	for _, t := range f.Tokens {
		tokens[t.SignupID] = append(tokens[t.SignupID], t)
	}
	for _, s := range f.Signups {
		tp := s.TokenPresent
		detail := "Signup (" + s.Source + "), " + s.Outcome
		if s.Reason != "" {
			detail += ": " + s.Reason
		}
		if ts := tokens[s.ID]; len(ts) > 0 {
			detail += "; tokens: " + tokenList(ts)
		}
		out = append(out, TimelineEvent{At: s.CreatedAt, Type: EventSignup, ID: s.ID, Detail: detail + ".",
			PartnerID: s.PartnerID, ClickID: s.ClickID, Browser: s.Browser, OS: s.OS, Source: s.Source,
			TokenPresent: &tp, Outcome: s.Outcome, Reason: s.Reason, Tokens: tokens[s.ID]})
	}
	purchases := append(append([]*Purchase(nil), f.Purchases...), f.Unmatched...)
	for _, p := range purchases {
		amount := p.Amount
		detail := fmt.Sprintf("Purchase of %d %s (%s)", p.Amount, strings.ToUpper(p.Currency), p.Source)
		switch {
		case p.CustomerID == "":
			detail += ", matched no customer"
		case p.PartnerID != "":
			detail += ", credited to " + p.PartnerID
		default:
			detail += ", unattributed"
		}
		out = append(out, TimelineEvent{At: p.PurchasedAt, Type: EventPurchase, ID: p.ID, Detail: detail + ".",
			PartnerID: p.PartnerID, LinkID: p.LinkID, ClickID: p.ClickID, Source: p.Source, Reason: p.Reason,
			Amount: &amount, Currency: p.Currency, Status: p.Status})
		if p.RefundedAmount > 0 {
			ref := p.RefundedAmount
			out = append(out, TimelineEvent{At: p.UpdatedAt, Type: EventRefund, ID: p.ID,
				Detail:    fmt.Sprintf("Refund of %d %s on purchase %s.", ref, strings.ToUpper(p.Currency), p.ID),
				PartnerID: p.PartnerID, Amount: &ref, Currency: p.Currency, Status: p.Status})
		}
	}
	for _, r := range f.Rewards {
		amount := r.Amount
		out = append(out, TimelineEvent{At: r.CreatedAt, Type: EventReward, ID: r.ID,
			Detail:    fmt.Sprintf("Reward (%s) of %d %s for %s, %s.", r.Kind, r.Amount, strings.ToUpper(r.Currency), r.PartnerID, r.Status),
			PartnerID: r.PartnerID, Amount: &amount, Currency: r.Currency, Status: r.Status, Reason: r.Reason})
	}
	for _, a := range f.Overrides {
		detail := "Manual change " + a.Action + " by " + a.Actor
		if a.Reason != "" {
			detail += ": " + a.Reason
		}
		out = append(out, TimelineEvent{At: a.CreatedAt, Type: EventOverride, ID: a.ID, Detail: detail + ".",
			Action: a.Action, Actor: a.Actor, Reason: a.Reason})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// tokenList describes a signup's tokens: whose click each names and why
// it did or did not credit the signup.
func tokenList(ts []SignupToken) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		what := "an unreadable token"
		if t.ClickID != "" && t.ClickedAt != nil {
			what = fmt.Sprintf("click %s of %s on %s", t.ClickID, t.PartnerID, diagTime(*t.ClickedAt))
		} else if t.Reason == ReasonOtherVendor {
			what = "another vendor's token"
		}
		why := "credited"
		if t.Reason != "" {
			why = t.Reason
		}
		parts = append(parts, what+" ("+why+")")
	}
	return strings.Join(parts, ", ")
}

func diagOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func diagParen(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
