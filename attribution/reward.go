package attribution

import (
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
