package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Payouts makes payout batches of the rewards due, marks them paid, and
// keeps the partners' own settings (payouts_partner.go).
type Payouts struct{ core }

var _ attribution.PayoutService = (*Payouts)(nil)

// payoutRewardRow puts one reward in one batch; its primary key (the
// reward) keeps a reward in at most one batch whatever the races.
type payoutRewardRow struct {
	bun.BaseModel `bun:"table:payout_rewards"`
	RewardID      string `bun:"reward_id,pk"`
	PayoutID      string `bun:"payout_id"`
	PartnerID     string `bun:"partner_id"`
	Amount        int64  `bun:"amount"` // the reward's amount when batched
}

// maxPartnerFilter bounds partner_ids of one payout run.
const maxPartnerFilter = 1000

// DuePayouts lists what each partner is owed now, per currency.
func (s *Payouts) DuePayouts(ctx context.Context, vendorID string) ([]*attribution.PayoutDue, error) {
	minimum, err := minimumPayout(ctx, s.db, vendorID)
	if err != nil {
		return nil, err
	}
	return due(ctx, s.db, vendorID, nil, minimum, s.now())
}

// CreatePayouts makes the batches of what is due in one transaction. Runs
// of one vendor take turns (an advisory lock on PostgreSQL, SQLite's one
// writer), so a second run finds the rewards batched and makes nothing;
// the payout_rewards key refuses a reward twice whatever happens.
func (s *Payouts) CreatePayouts(ctx context.Context, vendorID, actor string, partnerIDs []string) ([]*attribution.Payout, error) {
	if len(partnerIDs) > maxPartnerFilter {
		return nil, attribution.Errorf(attribution.EINVALID, "partner_ids holds at most %d ids.", maxPartnerFilter)
	}
	for _, id := range partnerIDs {
		if !attribution.ValidID(attribution.PrefixPartner, id) {
			return nil, attribution.Errorf(attribution.EINVALID, "partner_ids: %q is not a partner id (par_…).", id)
		}
	}
	out := []*attribution.Payout{}
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.dialect.xactLockName(ctx, tx, "payouts:"+vendorID); err != nil {
			return err
		}
		now := s.now()
		if len(partnerIDs) > 0 {
			n, err := tx.NewSelect().Model((*attribution.Partner)(nil)).
				Where("vendor_id = ? AND id IN (?)", vendorID, bun.List(partnerIDs)).Count(ctx)
			if err != nil {
				return err
			}
			if n != int64(len(uniqueStrings(partnerIDs))) {
				return notFound("Partner")
			}
		}
		minimum, err := minimumPayout(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		dues, err := due(ctx, tx, vendorID, partnerIDs, minimum, now)
		if err != nil {
			return err
		}
		payouts, err := attribution.NewPayouts(vendorID, dues, now)
		if err != nil {
			return err
		}
		for _, p := range payouts {
			if err := insertPayout(ctx, tx, p); err != nil {
				return err
			}
			if err := audit(ctx, tx, vendorID, actor, attribution.ActionPayoutCreate, attribution.ObjectPayout, p.ID, "", nil, p.Audited(), now); err != nil {
				return err
			}
		}
		out = payouts
		return nil
	})
	if attribution.ErrorCode(err) == attribution.ECONFLICT {
		return nil, attribution.Errorf(attribution.ECONFLICT, "Another payout run batched some of these rewards meanwhile; read the due payouts again.")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func insertPayout(ctx context.Context, db bun.IDB, p *attribution.Payout) error {
	if _, err := db.NewInsert().Model(p).Exec(ctx); err != nil {
		return err
	}
	if _, err := db.NewInsert().Model(&p.Items).Exec(ctx); err != nil {
		return err
	}
	var rows []payoutRewardRow
	for _, it := range p.Items {
		for _, r := range it.Rewards {
			rows = append(rows, payoutRewardRow{RewardID: r.RewardID, PayoutID: p.ID, PartnerID: it.PartnerID, Amount: r.Amount})
		}
	}
	_, err := db.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// minimumPayout reads the vendor's minimum payout.
func minimumPayout(ctx context.Context, db bun.IDB, vendorID string) (int64, error) {
	var minimum int64
	err := db.NewSelect().Table("vendors").Column("minimum_payout").Where("id = ?", vendorID).Scan(ctx, &minimum)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("Vendor")
	}
	return minimum, classify(err)
}

// due gathers the rewards in no batch that are approved now (the SQL
// narrows; attribution.DuePayouts decides) and the vendor's excluded
// purchases, and returns what is due with each partner's details.
func due(ctx context.Context, db bun.IDB, vendorID string, partnerIDs []string, minimum int64, now time.Time) ([]*attribution.PayoutDue, error) {
	var rewards []*attribution.Reward
	q := db.NewSelect().Model(&rewards).
		Where("vendor_id = ?", vendorID).
		Where(effectiveStatus("")+" = ?", now, attribution.RewardApproved).
		Where("NOT EXISTS (SELECT 1 FROM payout_rewards AS pr WHERE pr.reward_id = ?TableAlias.id)").
		OrderExpr("id ASC")
	if len(partnerIDs) > 0 {
		q = q.Where("partner_id IN (?)", bun.List(partnerIDs))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, classify(err)
	}
	var excluded []string
	err := db.NewSelect().Table("purchases").Column("id").
		Where("vendor_id = ? AND status = ?", vendorID, attribution.PurchaseExcluded).Scan(ctx, &excluded)
	if err != nil {
		return nil, classify(err)
	}
	isExcluded := make(map[string]bool, len(excluded))
	for _, id := range excluded {
		isExcluded[id] = true
	}
	cands := make([]attribution.PayoutCandidate, len(rewards))
	for i, r := range rewards {
		cands[i] = attribution.PayoutCandidate{Reward: r, PurchaseExcluded: r.PurchaseID != "" && isExcluded[r.PurchaseID]}
	}
	dues, err := attribution.DuePayouts(cands, minimum, now)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(dues))
	for i, d := range dues {
		ids[i] = d.PartnerID
	}
	partners, err := payoutPartners(ctx, db, vendorID, ids)
	if err != nil {
		return nil, err
	}
	for _, d := range dues {
		d.Partner = partners[d.PartnerID]
	}
	return dues, nil
}

// payoutPartners reads the partners an item pays, with their payout methods.
func payoutPartners(ctx context.Context, db bun.IDB, vendorID string, ids []string) (map[string]*attribution.PayoutPartner, error) {
	out := map[string]*attribution.PayoutPartner{}
	if len(ids) == 0 {
		return out, nil
	}
	ids = uniqueStrings(ids)
	var partners []*attribution.Partner
	err := db.NewSelect().Model(&partners).Where("vendor_id = ? AND id IN (?)", vendorID, bun.List(ids)).Scan(ctx)
	if err != nil {
		return nil, classify(err)
	}
	for _, p := range partners {
		out[p.ID] = &attribution.PayoutPartner{ID: p.ID, Name: p.Name, Email: p.Email}
	}
	var settings []*partnerSettingsRow
	err = db.NewSelect().Model(&settings).Where("vendor_id = ? AND partner_id IN (?)", vendorID, bun.List(ids)).Scan(ctx)
	if err != nil {
		return nil, classify(err)
	}
	for _, s := range settings {
		if p := out[s.PartnerID]; p != nil {
			p.PayoutMethod = s.PayoutMethod
		}
	}
	return out, nil
}

func uniqueStrings(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// ListPayouts lists the vendor's batches, newest first, without items.
func (s *Payouts) ListPayouts(ctx context.Context, vendorID string, f attribution.PayoutFilter) ([]*attribution.Payout, bool, error) {
	page := f.Page.Normalize()
	var out []*attribution.Payout
	q := listQuery(s.db, &out, vendorID, page)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	return scanPage(ctx, q, &out, page)
}

// FindPayout returns one batch with its items, their rewards and partners.
func (s *Payouts) FindPayout(ctx context.Context, vendorID, id string) (*attribution.Payout, error) {
	return findPayout(ctx, s.db, vendorID, id)
}

func findPayout(ctx context.Context, db bun.IDB, vendorID, id string) (*attribution.Payout, error) {
	p, err := findByID[attribution.Payout](ctx, db, attribution.PrefixPayout, "Payout", vendorID, id)
	if err != nil {
		return nil, err
	}
	if err := db.NewSelect().Model(&p.Items).Where("payout_id = ?", p.ID).OrderExpr("partner_id ASC").Scan(ctx); err != nil {
		return nil, classify(err)
	}
	var rows []payoutRewardRow
	if err := db.NewSelect().Model(&rows).Where("payout_id = ?", p.ID).OrderExpr("reward_id ASC").Scan(ctx); err != nil {
		return nil, classify(err)
	}
	items := map[string]*attribution.PayoutItem{}
	ids := make([]string, len(p.Items))
	for i, it := range p.Items {
		items[it.PartnerID], ids[i] = it, it.PartnerID
		it.RewardIDs = []string{}
	}
	for _, r := range rows {
		if it := items[r.PartnerID]; it != nil {
			it.RewardIDs = append(it.RewardIDs, r.RewardID)
			it.Rewards = append(it.Rewards, attribution.PayoutReward{RewardID: r.RewardID, Amount: r.Amount})
		}
	}
	partners, err := payoutPartners(ctx, db, vendorID, ids)
	if err != nil {
		return nil, err
	}
	for _, it := range p.Items {
		it.Partner = partners[it.PartnerID]
	}
	return p, nil
}

// MarkPayoutPaid marks a batch paid, once, and its rewards paid for the
// amounts they had when batched (attribution.PaidReward); a reward a
// refund or an exclusion changed meanwhile has its purchase settled again,
// which adds the difference as an adjustment to the partner's next batch.
// Concurrent calls: the conditional update lets exactly one win.
func (s *Payouts) MarkPayoutPaid(ctx context.Context, vendorID, actor, id, reason string) (*attribution.Payout, error) {
	if err := attribution.ValidateOptionalReason(&reason); err != nil {
		return nil, err
	}
	var out *attribution.Payout
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := findPayout(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		now := s.now()
		before := *p
		before.Items = nil
		if err := p.MarkPaid(now); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model(p).Column("status", "paid_at").WherePK().Where("status = ?", attribution.PayoutPending).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return attribution.Errorf(attribution.ECONFLICT, "Payout %s was marked paid meanwhile.", p.ID)
		}
		if err := payRewards(ctx, tx, vendorID, p, now); err != nil {
			return err
		}
		after := *p
		after.Items = nil
		if err := audit(ctx, tx, vendorID, actor, attribution.ActionPayoutPaid, attribution.ObjectPayout, p.ID, reason, &before, &after, now); err != nil {
			return err
		}
		if err := s.enqueuePayoutMails(ctx, tx, vendorID, p, now); err != nil {
			return err
		}
		if err := emitEvent(ctx, tx, vendorID, attribution.EventPayoutPaid, p, now); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.wakeMailer()
	return out, nil
}

// enqueuePayoutMails writes, in the payout's transaction, the "payout
// sent" email to each partner of the batch who wants it.
func (s *Payouts) enqueuePayoutMails(ctx context.Context, tx bun.Tx, vendorID string, p *attribution.Payout, now time.Time) error {
	var name string
	if err := tx.NewSelect().Table("vendors").Column("name").Where("id = ?", vendorID).Scan(ctx, &name); err != nil {
		return err
	}
	program := attribution.MailProgram{VendorID: vendorID, Name: name}
	for _, it := range p.Items {
		if it.Partner == nil || it.Partner.Email == "" {
			continue
		}
		settings, err := partnerSettings(ctx, tx, vendorID, it.PartnerID)
		if err != nil {
			return err
		}
		if !settings.Notifications.Wants(attribution.MailPayoutSent) {
			continue
		}
		unsubscribe, err := unsubscribeURL(ctx, tx, s.publicURL, vendorID, it.Partner.ID, "", attribution.MailPayoutSent, now)
		if err != nil {
			return err
		}
		msg, err := attribution.PayoutSentMail(program, it.Partner.Email, it.Partner.Name, it.Amount, it.Currency,
			s.publicURL+"/partner/payouts", unsubscribe)
		if err != nil {
			return err
		}
		if err := EnqueueMail(ctx, tx, msg, now); err != nil {
			return err
		}
	}
	return nil
}

// payRewards sets the batch's rewards paid (attribution.PaidReward).
func payRewards(ctx context.Context, tx bun.Tx, vendorID string, p *attribution.Payout, now time.Time) error {
	var rewards []*attribution.Reward
	err := tx.NewSelect().Model(&rewards).
		Where("vendor_id = ? AND id IN (SELECT reward_id FROM payout_rewards WHERE payout_id = ?)", vendorID, p.ID).Scan(ctx)
	if err != nil {
		return err
	}
	byID := make(map[string]*attribution.Reward, len(rewards))
	for _, r := range rewards {
		byID[r.ID] = r
	}
	for _, it := range p.Items {
		for _, br := range it.Rewards {
			r := byID[br.RewardID]
			if r == nil {
				return attribution.Errorf(attribution.EINTERNAL, "Reward %s of payout %s is missing.", br.RewardID, p.ID)
			}
			paid, drift := attribution.PaidReward(r, br.Amount, now)
			if _, err := tx.NewUpdate().Model(paid).WherePK().Exec(ctx); err != nil {
				return err
			}
			if err := emitEvent(ctx, tx, vendorID, attribution.EventRewardUpdated, paid, now); err != nil {
				return err
			}
			if drift && paid.Kind == attribution.RewardKindPurchase && paid.PurchaseID != "" {
				purchase, err := findPurchase(ctx, tx, vendorID, paid.PurchaseID)
				if err != nil {
					return err
				}
				if err := settleRewards(ctx, tx, purchase, now); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// PartnerPayouts lists the payouts that pay one partner, newest first,
// each with only that partner's item.
func (s *Payouts) PartnerPayouts(ctx context.Context, vendorID, partnerID string, page attribution.Page) ([]*attribution.PartnerPayout, bool, error) {
	page = page.Normalize()
	out := []*attribution.PartnerPayout{}
	q := s.db.NewSelect().TableExpr("payout_items AS i").Join("JOIN payouts AS p ON p.id = i.payout_id").
		ColumnExpr("p.id, p.currency, i.amount, i.reward_count, p.status, p.created_at, p.paid_at").
		Where("i.vendor_id = ? AND i.partner_id = ?", vendorID, partnerID).
		OrderExpr("p.id DESC").Limit(int64(page.Limit) + 1)
	if page.Cursor != "" {
		q = q.Where("p.id < ?", page.Cursor)
	}
	if err := q.Scan(ctx, &out); err != nil {
		return nil, false, classify(err)
	}
	more := len(out) > page.Limit
	if more {
		out = out[:page.Limit]
	}
	return out, more, nil
}

// refuseBatched refuses a manual change to a reward in a batch: marking
// the batch paid pays it, and the batch's total must stay what was sent.
func refuseBatched(ctx context.Context, db bun.IDB, rewardID string) error {
	var id string
	err := db.NewSelect().Table("payout_rewards").Column("payout_id").Where("reward_id = ?", rewardID).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	return attribution.Errorf(attribution.ECONFLICT, "This reward is in payout %s; marking the payout paid pays it.", id)
}
