package attribution

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// PrefixPayout starts a payout batch's id.
const PrefixPayout = "po_"

// Payout statuses: a batch is pending until the vendor says it sent the
// money, then paid, once.
const (
	PayoutPending = "pending"
	PayoutPaid    = "paid"
)

// Audit of payouts.
const (
	ActionPayoutCreate = "payout.create"
	ActionPayoutPaid   = "payout.paid"
	ObjectPayout       = "payout"
)

// Payout is a batch: what the vendor pays its partners in one currency.
type Payout struct {
	ID           string        `json:"id" bun:"id,pk"`
	VendorID     string        `json:"vendor_id" bun:"vendor_id"`
	Currency     string        `json:"currency" bun:"currency"`
	Amount       int64         `json:"amount" bun:"amount"` // the sum of its items
	PartnerCount int           `json:"partner_count" bun:"partner_count"`
	RewardCount  int           `json:"reward_count" bun:"reward_count"`
	Status       string        `json:"status" bun:"status"`
	CreatedAt    time.Time     `json:"created_at" bun:"created_at"`
	PaidAt       *time.Time    `json:"paid_at" bun:"paid_at"`
	Items        []*PayoutItem `json:"items,omitempty" bun:"-"` // set when one batch is read whole
}

// PayoutItem is what one partner receives in a batch, and for which rewards.
type PayoutItem struct {
	PayoutID    string         `json:"-" bun:"payout_id,pk"`
	PartnerID   string         `json:"partner_id" bun:"partner_id,pk"`
	VendorID    string         `json:"-" bun:"vendor_id"`
	Amount      int64          `json:"amount" bun:"amount"`
	Currency    string         `json:"currency" bun:"currency"`
	RewardCount int            `json:"reward_count" bun:"reward_count"`
	RewardIDs   []string       `json:"reward_ids" bun:"-"`
	Partner     *PayoutPartner `json:"partner,omitempty" bun:"-"`
	// Rewards are the batched rewards with the amount each had when batched.
	Rewards []PayoutReward `json:"-" bun:"-"`
}

// PayoutReward is one reward in a batch, with its amount when batched.
type PayoutReward struct {
	RewardID string
	Amount   int64
}

// PayoutPartner is who an item pays, as the vendor's answers and the
// payout files need it.
type PayoutPartner struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Email        string        `json:"email"`
	PayoutMethod *PayoutMethod `json:"payout_method"`
}

// PayoutCandidate is a reward not in any batch yet, with the facts that
// decide whether it may be paid.
type PayoutCandidate struct {
	Reward           *Reward
	PurchaseExcluded bool // the reward's purchase is excluded (resold, transferred, fraud…)
}

// Payable reports whether a reward that is in no batch may enter one at
// now: approved (Reward.StatusAt), live mode, and not earned by an
// excluded purchase. A negative adjustment of an excluded purchase is
// payable: it takes back what was paid before the exclusion.
func (c PayoutCandidate) Payable(now time.Time) bool {
	r := c.Reward
	return r.Livemode && r.StatusAt(now) == RewardApproved && !(c.PurchaseExcluded && r.Amount > 0)
}

// PayoutDue is what a partner is owed in one currency.
type PayoutDue struct {
	PartnerID   string         `json:"partner_id"`
	Partner     *PayoutPartner `json:"partner,omitempty"`
	Currency    string         `json:"currency"`
	Amount      int64          `json:"amount"`
	RewardCount int            `json:"reward_count"`
	Rewards     []PayoutReward `json:"-"`
}

// DuePayouts sums the payable candidates per partner and currency, with
// negative adjustments, and keeps the sums that are positive and reach the
// vendor's minimum (minor units, compared in each currency). Ordered by
// currency, then partner. A sum that overflows is a corrupted row: EINTERNAL.
func DuePayouts(cands []PayoutCandidate, minimum int64, now time.Time) ([]*PayoutDue, error) {
	type key struct{ partner, currency string }
	sums := map[key]*PayoutDue{}
	for _, c := range cands {
		if !c.Payable(now) {
			continue
		}
		r := c.Reward
		k := key{r.PartnerID, r.Currency}
		d := sums[k]
		if d == nil {
			d = &PayoutDue{PartnerID: r.PartnerID, Currency: r.Currency}
			sums[k] = d
		}
		sum, ok := AddAmounts(d.Amount, r.Amount)
		if !ok {
			return nil, Errorf(EINTERNAL, "The rewards of partner %s overflow a sum.", r.PartnerID)
		}
		d.Amount = sum
		d.RewardCount++
		d.Rewards = append(d.Rewards, PayoutReward{RewardID: r.ID, Amount: r.Amount})
	}
	out := make([]*PayoutDue, 0, len(sums))
	for _, d := range sums {
		if d.Amount > 0 && d.Amount >= minimum {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *PayoutDue) int {
		return cmp.Or(cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.PartnerID, b.PartnerID))
	})
	return out, nil
}

// NewPayouts makes the batches of due (as DuePayouts orders it): one per
// currency, one item per partner.
func NewPayouts(vendorID string, due []*PayoutDue, now time.Time) ([]*Payout, error) {
	out := []*Payout{}
	byCurrency := map[string]*Payout{}
	for _, d := range due {
		p := byCurrency[d.Currency]
		if p == nil {
			p = &Payout{ID: NewID(PrefixPayout, now), VendorID: vendorID, Currency: d.Currency, Status: PayoutPending, CreatedAt: now}
			byCurrency[d.Currency] = p
			out = append(out, p)
		}
		sum, ok := AddAmounts(p.Amount, d.Amount)
		if !ok {
			return nil, Errorf(EINTERNAL, "A %s payout overflows its total.", d.Currency)
		}
		item := &PayoutItem{
			PayoutID: p.ID, PartnerID: d.PartnerID, VendorID: vendorID, Amount: d.Amount,
			Currency: d.Currency, RewardCount: d.RewardCount, Rewards: d.Rewards, Partner: d.Partner,
		}
		for _, r := range d.Rewards {
			item.RewardIDs = append(item.RewardIDs, r.RewardID)
		}
		p.Amount = sum
		p.PartnerCount++
		p.RewardCount += d.RewardCount
		p.Items = append(p.Items, item)
	}
	return out, nil
}

// Audited returns p as the audit log keeps it: its items without their
// partners' details (a payout method holds an IBAN).
func (p *Payout) Audited() *Payout {
	c := *p
	c.Items = make([]*PayoutItem, len(p.Items))
	for i, it := range p.Items {
		ci := *it
		ci.Partner = nil
		c.Items[i] = &ci
	}
	return &c
}

// MarkPaid records that the vendor sent the batch's money: once.
func (p *Payout) MarkPaid(now time.Time) error {
	if p.Status != PayoutPending {
		return Errorf(ECONFLICT, "Payout %s is %s already.", p.ID, p.Status)
	}
	p.Status, p.PaidAt = PayoutPaid, &now
	return nil
}

// PaidReward is what marking its batch paid makes of a batched reward r:
// paid, for the amount it had when batched, since that is what the partner
// received. A reward that a refund or an exclusion changed while it waited
// in the batch is restored to that amount, and drift reports it: the
// caller then settles its purchase again (SettleReward), which turns the
// difference into an adjustment for the partner's next batch.
func PaidReward(r *Reward, batched int64, now time.Time) (paid *Reward, drift bool) {
	c := *r
	drift = c.Amount != batched || (c.Status != RewardPending && c.Status != RewardApproved)
	if c.ApprovedAt == nil {
		c.ApprovedAt = c.HoldUntil
		if c.ApprovedAt == nil {
			c.ApprovedAt = &now
		}
	}
	c.Amount, c.Status, c.PaidAt, c.ReversedAt, c.UpdatedAt = batched, RewardPaid, &now, nil, now
	if drift && c.Reason == ReasonExcluded {
		c.Reason = ""
	}
	return &c, drift
}

// PartnerPayout is a payout as its partner sees it: only its own item.
type PartnerPayout struct {
	ID          string     `json:"id" bun:"id"`
	Currency    string     `json:"currency" bun:"currency"`
	Amount      int64      `json:"amount" bun:"amount"`
	RewardCount int        `json:"reward_count" bun:"reward_count"`
	Status      string     `json:"status" bun:"status"`
	CreatedAt   time.Time  `json:"created_at" bun:"created_at"`
	PaidAt      *time.Time `json:"paid_at" bun:"paid_at"`
}

// PayoutFilter narrows a payout list.
type PayoutFilter struct {
	Status string
	Page   Page
}

// PayoutStatuses lists the payout statuses, for filters.
var PayoutStatuses = []string{PayoutPending, PayoutPaid}

// PayoutService makes and pays payout batches, and keeps the partners'
// payout settings. Every method is scoped to vendorID.
type PayoutService interface {
	// DuePayouts lists what each partner is owed per currency now (see
	// DuePayouts), with the partner's payout details.
	DuePayouts(ctx context.Context, vendorID string) ([]*PayoutDue, error)
	// CreatePayouts makes the batches of what is due (only for partnerIDs
	// when given), one per currency, in one transaction, audited as actor.
	// EINVALID, ECONFLICT (a concurrent run took some rewards).
	CreatePayouts(ctx context.Context, vendorID, actor string, partnerIDs []string) ([]*Payout, error)
	// ListPayouts lists batches newest first, without their items.
	ListPayouts(ctx context.Context, vendorID string, f PayoutFilter) ([]*Payout, bool, error)
	// FindPayout returns one batch with its items and partners. ENOTFOUND.
	FindPayout(ctx context.Context, vendorID, id string) (*Payout, error)
	// MarkPayoutPaid marks a batch and its rewards paid, audited as actor.
	// ENOTFOUND, ECONFLICT (paid already).
	MarkPayoutPaid(ctx context.Context, vendorID, actor, id, reason string) (*Payout, error)
	// PartnerPayouts lists one partner's payouts, newest first.
	PartnerPayouts(ctx context.Context, vendorID, partnerID string, page Page) ([]*PartnerPayout, bool, error)
	// PartnerSettings returns a partner's own settings. ENOTFOUND.
	PartnerSettings(ctx context.Context, vendorID, partnerID string) (*PartnerSettings, error)
	// UpdatePartnerSettings applies upd, audited as actor. EINVALID, ENOTFOUND.
	UpdatePartnerSettings(ctx context.Context, vendorID, partnerID, actor string, upd PartnerSettingsUpdate) (*PartnerSettings, error)
}
