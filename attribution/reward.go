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
		if r.Amount <= 0 {
			return Errorf(EINVALID, "reward_rule.amount must be a positive amount in minor units.")
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
		dec.Amount, dec.Currency = amount*int64(rule.Percent)/10000, currency
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
	return original * (purchaseAmount - refunded) / purchaseAmount
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

// RefundOutcome is what a refund does to one purchase reward.
type RefundOutcome struct {
	Amount     int64  // the reward's new amount (unchanged when paid)
	Status     string // the reward's new status
	Adjustment int64  // a negative amount to claw back from a paid reward, or 0
}

// ApplyRefund reverses a purchase reward in proportion to what was refunded
// of the purchase (refunded is the purchase's cumulative refunded amount, so
// redelivered or reordered refund events converge). A pending or approved
// reward is reduced, and reversed when nothing is left; a paid reward keeps
// its history and the difference becomes a negative adjustment, net of the
// adjustments already made (adjusted, zero or negative). Declined and
// reversed rewards do not change.
func ApplyRefund(status string, amount, original, adjusted, purchaseAmount, refunded int64) RefundOutcome {
	out := RefundOutcome{Amount: amount, Status: status}
	target := RefundedReward(original, purchaseAmount, refunded)
	switch status {
	case RewardPending, RewardApproved:
		if target < amount {
			out.Amount = target
		}
		if out.Amount <= 0 {
			out.Amount, out.Status = 0, RewardReversed
		}
	case RewardPaid:
		if d := target - (amount + adjusted); d < 0 {
			out.Adjustment = d
		}
	}
	return out
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

// RewardService manages rewards. Reads first approve the rewards whose
// hold has passed, so a read never shows a stale pending.
type RewardService interface {
	// ListRewards lists rewards newest first.
	ListRewards(ctx context.Context, vendorID string, f RewardFilter) ([]*Reward, bool, error)
	// FindReward returns one reward. ENOTFOUND.
	FindReward(ctx context.Context, vendorID, id string) (*Reward, error)
	// CreateManualReward creates an approved reward by hand. EINVALID, ENOTFOUND.
	CreateManualReward(ctx context.Context, vendorID, actor string, m ManualReward) (*Reward, error)
	// ChangeReward approves, declines or marks paid. EINVALID, ENOTFOUND, ECONFLICT.
	ChangeReward(ctx context.Context, vendorID, actor, id, action, reason string) (*Reward, error)
	// ApproveDueRewards approves every pending reward whose hold has passed
	// (of one vendor, or of all when vendorID is ""), and returns how many.
	ApproveDueRewards(ctx context.Context, vendorID string) (int, error)
}
