package attribution

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Reward rule types.
const (
	RewardPercent = "percent"
	RewardFlat    = "flat"
)

// Reward statuses.
const (
	RewardPending  = "pending"
	RewardApproved = "approved"
	RewardPaid     = "paid"
	RewardDeclined = "declined"
	RewardReversed = "reversed"
)

// RewardStatuses lists every reward status, for filters.
var RewardStatuses = []string{RewardPending, RewardApproved, RewardPaid, RewardDeclined, RewardReversed}

// RewardRule is how a vendor (or, overriding it, one partner) pays partners.
type RewardRule struct {
	Type           string `json:"type"`
	Percent        int    `json:"percent,omitempty"` // basis points: 2000 = 20 %
	Amount         int64  `json:"amount,omitempty"`  // flat, minor units
	Currency       string `json:"currency,omitempty"`
	DurationMonths *int   `json:"duration_months"` // 0: first purchase only; N: within N months of the first; nil: every purchase
	HoldDays       int    `json:"hold_days"`
}

// Validate checks r.
func (r *RewardRule) Validate() error {
	r.Currency = strings.ToLower(strings.TrimSpace(r.Currency))
	switch r.Type {
	case RewardPercent:
		if r.Percent <= 0 || r.Percent > 10000 {
			return Errorf(EINVALID, "reward_rule.percent is in basis points, from 1 to 10000 (100 %%).")
		}
		if r.Amount != 0 || r.Currency != "" {
			return Errorf(EINVALID, "reward_rule of type percent takes no amount or currency.")
		}
	case RewardFlat:
		if !ValidAmount(r.Amount) {
			return Errorf(EINVALID, "reward_rule.amount must be a positive amount in minor units, at most %d.", MaxAmount)
		}
		if !ValidCurrency(r.Currency) {
			return Errorf(EINVALID, "reward_rule.currency must be an ISO 4217 code such as usd.")
		}
		if r.Percent != 0 {
			return Errorf(EINVALID, "reward_rule of type flat takes no percent.")
		}
	default:
		return Errorf(EINVALID, "reward_rule.type must be %q or %q.", RewardPercent, RewardFlat)
	}
	if r.DurationMonths != nil && (*r.DurationMonths < 0 || *r.DurationMonths > 120) {
		return Errorf(EINVALID, "reward_rule.duration_months must be from 0 to 120, or null for every purchase.")
	}
	if r.HoldDays < 0 || r.HoldDays > 365 {
		return Errorf(EINVALID, "reward_rule.hold_days must be from 0 to 365.")
	}
	return nil
}

// ValidCurrency reports whether s looks like a lower-case ISO 4217 code.
func ValidCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// RewardDecision is what the rule makes of one purchase.
type RewardDecision struct {
	Earns     bool // false: the purchase earns nothing (outside duration, no rule, zero)
	Amount    int64
	Currency  string
	Status    string
	Reason    string
	HoldUntil time.Time
}

// DecideReward applies rule to a purchase of amount (minor units) in
// currency at purchasedAt, for a customer whose first purchase was at
// firstPurchaseAt (equal to purchasedAt for the first one). Percentages
// round down to the minor unit.
func DecideReward(rule *RewardRule, amount int64, currency string, purchasedAt, firstPurchaseAt time.Time, selfReferral bool) RewardDecision {
	if rule == nil || amount <= 0 {
		return RewardDecision{}
	}
	if d := rule.DurationMonths; d != nil {
		if *d == 0 && purchasedAt.After(firstPurchaseAt) {
			return RewardDecision{}
		}
		if *d > 0 && !purchasedAt.Before(firstPurchaseAt.AddDate(0, *d, 0)) {
			return RewardDecision{}
		}
	}
	dec := RewardDecision{Earns: true, Status: RewardPending, HoldUntil: purchasedAt.AddDate(0, 0, rule.HoldDays)}
	switch rule.Type {
	case RewardPercent:
		dec.Amount, dec.Currency = MulDiv(amount, int64(rule.Percent), 10000), currency
	case RewardFlat:
		dec.Amount, dec.Currency = rule.Amount, rule.Currency
	default:
		return RewardDecision{}
	}
	if selfReferral {
		dec.Status, dec.Reason = RewardDeclined, ReasonSelfReferral
	}
	return dec
}

// RefundedReward returns what a reward of original amount is worth after
// refunded of purchaseAmount was refunded, rounding down.
func RefundedReward(original, purchaseAmount, refunded int64) int64 {
	if purchaseAmount <= 0 || refunded >= purchaseAmount {
		return 0
	}
	if refunded <= 0 {
		return original
	}
	return MulDiv(original, purchaseAmount-refunded, purchaseAmount)
}

// RewardRuleUpdate is a reward_rule field in a PATCH: absent leaves the rule
// unchanged, null removes it, an object replaces it. encoding/json calls
// UnmarshalJSON for null too, which tells null from absent.
type RewardRuleUpdate struct {
	Set  bool
	Rule *RewardRule
}

// UnmarshalJSON decodes null or a rule object, refusing unknown fields.
func (u *RewardRuleUpdate) UnmarshalJSON(b []byte) error {
	u.Set = true
	if string(bytes.TrimSpace(b)) == "null" {
		u.Rule = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	r := new(RewardRule)
	if err := dec.Decode(r); err != nil {
		return err
	}
	u.Rule = r
	return nil
}

// MarshalJSON writes the rule, or null.
func (u RewardRuleUpdate) MarshalJSON() ([]byte, error) { return json.Marshal(u.Rule) }

// apply validates the update and returns the rule to store.
func (u RewardRuleUpdate) apply(current *RewardRule) (*RewardRule, error) {
	if !u.Set {
		return current, nil
	}
	if u.Rule == nil {
		return nil, nil
	}
	r := *u.Rule
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// RefundOutcome is what a refund or an exclusion does to one purchase reward.
type RefundOutcome struct {
	Amount     int64  // the reward's new amount (unchanged when paid)
	Status     string // the reward's new status
	Reason     string // the reward's new reason
	Adjustment int64  // an amount to add to a paid reward (negative: claw back), or 0
}

// ReasonExcluded marks a reward reversed because its purchase was excluded.
const ReasonExcluded = "excluded"

// SettleReward is what a purchase's refunds and exclusion make of its
// reward: refunded is the purchase's cumulative refunded amount (so
// redelivered or reordered refund events converge), and an excluded
// purchase is worth nothing. A pending or approved reward is reduced, and
// reversed when nothing is left; a paid reward keeps its history and the
// difference becomes an adjustment, net of the adjustments already made
// (adjusted). Including an excluded purchase again restores what the
// exclusion reversed. Declined rewards, and rewards reversed by refunds, do
// not change.
func SettleReward(r *Reward, adjusted, purchaseAmount, refunded int64, excluded bool) RefundOutcome {
	out := RefundOutcome{Amount: r.Amount, Status: r.Status, Reason: r.Reason}
	target := RefundedReward(r.OriginalAmount, purchaseAmount, refunded)
	if excluded {
		target = 0
	}
	switch r.Status {
	case RewardPending, RewardApproved:
		if target < r.Amount {
			out.Amount = target
		}
		if out.Amount <= 0 {
			out.Amount, out.Status = 0, RewardReversed
			if excluded {
				out.Reason = ReasonExcluded
			}
		}
	case RewardReversed:
		if r.Reason == ReasonExcluded && !excluded && target > 0 {
			// Included again: pending, and approved once its hold has passed.
			out.Amount, out.Status, out.Reason = target, RewardPending, ""
		}
	case RewardPaid:
		out.Adjustment = target - (r.Amount + adjusted)
	}
	return out
}

// PurchaseRewardFacts is what the store gathers for the reward of one
// attributed purchase.
type PurchaseRewardFacts struct {
	Vendor          *Vendor
	Partner         *Partner // the purchase's partner; nil when gone
	Purchase        *Purchase
	FirstPurchaseID string    // the customer's first purchase ("" when none before this one)
	FirstPurchaseAt time.Time // and when it was made
	CustomerSelf    bool      // the customer is a self-referral of this partner
}

// PurchaseReward decides the reward an attributed purchase earns by the
// rule, or nil: the whole reward policy (partner gone or not active,
// excluded purchase, first purchase only, duration, self-referral, hold,
// test mode, a refund that came before the attribution).
func PurchaseReward(f PurchaseRewardFacts, now time.Time) *Reward {
	p := f.Purchase
	if p.PartnerID == "" || f.Partner == nil || p.Excluded() {
		return nil
	}
	rule := RuleFor(f.Vendor, f.Partner)
	if rule == nil {
		return nil
	}
	first, isFirst := p.PurchasedAt, f.FirstPurchaseID == "" || f.FirstPurchaseID == p.ID
	if !isFirst && f.FirstPurchaseAt.Before(first) {
		first = f.FirstPurchaseAt
	}
	if rule.DurationMonths != nil && *rule.DurationMonths == 0 && !isFirst {
		return nil // same instant as the first purchase, but not it
	}
	self := SelfReferral(p.Email, f.Partner.Email) || f.CustomerSelf
	dec := DecideReward(rule, p.Amount, p.Currency, p.PurchasedAt, first, self)
	if !dec.Earns || dec.Amount <= 0 {
		return nil
	}
	hold := dec.HoldUntil
	r := &Reward{
		ID: NewID(PrefixReward, now), VendorID: f.Vendor.ID, PartnerID: p.PartnerID,
		CustomerID: p.CustomerID, PurchaseID: p.ID, Kind: RewardKindPurchase,
		Amount: dec.Amount, OriginalAmount: dec.Amount, Currency: dec.Currency, Livemode: p.Livemode,
		Status: dec.Status, Reason: dec.Reason, HoldUntil: &hold, CreatedAt: now, UpdatedAt: now,
	}
	if r.Status == RewardPending && f.Partner.Status != PartnerActive {
		r.Status, r.Reason = RewardDeclined, ReasonPartnerDisabled
	}
	if r.Status == RewardDeclined {
		r.DeclinedAt = &now
	}
	if p.RefundedAmount > 0 {
		o := SettleReward(r, 0, p.Amount, p.RefundedAmount, false)
		r.Amount, r.Status = o.Amount, o.Status
		if r.Status == RewardReversed {
			r.ReversedAt = &now
		}
	}
	r.Status = r.StatusAt(now)
	if r.Status == RewardApproved {
		r.ApprovedAt = &now
	}
	return r
}

// StatusAt is the reward's status at now: a pending live-mode reward whose
// hold has passed is approved, whether or not the approval job has
// persisted it yet, so reads never write. Test-mode rewards are never
// approved automatically. The store's effectiveStatusSQL is this rule in SQL.
func (r *Reward) StatusAt(now time.Time) string {
	if r.Status == RewardPending && r.Livemode && r.HoldUntil != nil && !r.HoldUntil.After(now) {
		return RewardApproved
	}
	return r.Status
}

// At returns the reward as it stands at now (see StatusAt).
func (r *Reward) At(now time.Time) *Reward {
	if st := r.StatusAt(now); st != r.Status {
		c := *r
		c.Status, c.ApprovedAt = st, c.HoldUntil
		return &c
	}
	return r
}

// Reward kinds.
const (
	RewardKindPurchase   = "purchase"   // earned by a purchase, by the rule (at most one per purchase)
	RewardKindManual     = "manual"     // created by hand
	RewardKindAdjustment = "adjustment" // negative: a refund after the reward was paid
)

// Reward is what a partner earned (or, for an adjustment, gives back).
type Reward struct {
	ID             string     `json:"id" bun:"id,pk"`
	VendorID       string     `json:"vendor_id" bun:"vendor_id"`
	PartnerID      string     `json:"partner_id" bun:"partner_id"`
	CustomerID     string     `json:"customer_id" bun:"customer_id"`
	PurchaseID     string     `json:"purchase_id" bun:"purchase_id"`
	Kind           string     `json:"kind" bun:"kind"`
	Amount         int64      `json:"amount" bun:"amount"`
	OriginalAmount int64      `json:"original_amount" bun:"original_amount"`
	Currency       string     `json:"currency" bun:"currency"`
	Status         string     `json:"status" bun:"status"`
	Livemode       bool       `json:"livemode" bun:"livemode"`
	Reason         string     `json:"reason" bun:"reason"`
	HoldUntil      *time.Time `json:"hold_until" bun:"hold_until"`
	ApprovedAt     *time.Time `json:"approved_at" bun:"approved_at"`
	PaidAt         *time.Time `json:"paid_at" bun:"paid_at"`
	DeclinedAt     *time.Time `json:"declined_at" bun:"declined_at"`
	ReversedAt     *time.Time `json:"reversed_at" bun:"reversed_at"`
	CreatedAt      time.Time  `json:"created_at" bun:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at" bun:"updated_at"`
}

// Reward actions taken by hand.
const (
	RewardActionApprove = "approve"
	RewardActionDecline = "decline"
	RewardActionPay     = "pay"
)

// Transition applies a manual action to r at now: pending → approved;
// approved → paid; pending or approved → declined. Anything else is
// ECONFLICT. It returns the audit action.
func (r *Reward) Transition(action, reason string, now time.Time) (string, error) {
	switch action {
	case RewardActionApprove:
		if r.Status != RewardPending {
			return "", Errorf(ECONFLICT, "Only a pending reward can be approved; this one is %s.", r.Status)
		}
		r.Status, r.ApprovedAt = RewardApproved, &now
		return ActionRewardApprove, nil
	case RewardActionDecline:
		if r.Status != RewardPending && r.Status != RewardApproved {
			return "", Errorf(ECONFLICT, "Only a pending or approved reward can be declined; this one is %s.", r.Status)
		}
		r.Status, r.DeclinedAt, r.Reason = RewardDeclined, &now, reason
		return ActionRewardDecline, nil
	case RewardActionPay:
		if !r.Livemode {
			return "", Errorf(ECONFLICT, "A test-mode reward (livemode: false) cannot be marked paid.")
		}
		if r.Status != RewardApproved {
			return "", Errorf(ECONFLICT, "Only an approved reward can be marked paid; this one is %s.", r.Status)
		}
		r.Status, r.PaidAt = RewardPaid, &now
		return ActionRewardPay, nil
	}
	return "", Errorf(EINVALID, "Unknown action %q.", action)
}

// ManualReward is a reward created by hand for any partner.
type ManualReward struct {
	PartnerID  string `json:"partner_id"`
	CustomerID string `json:"customer_id"`
	PurchaseID string `json:"purchase_id"`
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	Reason     string `json:"reason"`
}

// Validate normalizes and checks m.
func (m *ManualReward) Validate() error {
	m.Currency = strings.ToLower(strings.TrimSpace(m.Currency))
	if m.PartnerID == "" {
		return Errorf(EINVALID, "partner_id is required.")
	}
	if err := validateAmount(m.Amount); err != nil {
		return err
	}
	if !ValidCurrency(m.Currency) {
		return Errorf(EINVALID, "currency must be an ISO 4217 code such as usd.")
	}
	return ValidateReason(&m.Reason)
}

// RewardFilter narrows a reward list.
type RewardFilter struct {
	PartnerID  string
	CustomerID string
	PurchaseID string
	Status     string
	Kind       string
	Page       Page
}

// RewardService manages rewards. Reads show each reward as it stands now
// (Reward.StatusAt), so a read never shows a stale pending and never writes.
type RewardService interface {
	// ListRewards lists rewards newest first.
	ListRewards(ctx context.Context, vendorID string, f RewardFilter) ([]*Reward, bool, error)
	// FindReward returns one reward. ENOTFOUND.
	FindReward(ctx context.Context, vendorID, id string) (*Reward, error)
	// CreateManualReward creates an approved reward by hand. EINVALID, ENOTFOUND.
	CreateManualReward(ctx context.Context, vendorID, actor string, m ManualReward) (*Reward, error)
	// ChangeReward approves, declines or marks paid. EINVALID, ENOTFOUND, ECONFLICT.
	ChangeReward(ctx context.Context, vendorID, actor, id, action, reason string) (*Reward, error)
}
