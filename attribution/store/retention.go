package store

import (
	"context"
	"time"
)

// Retention deletes what is kept no longer: old raw clicks (once rolled
// up) and snippet page aggregates.
type Retention struct{ core }

// retentionBatch bounds the rows deleted per statement, so retention never
// holds long locks on the clicks table.
const retentionBatch = 5000

// RetentionResult says what a retention run removed.
type RetentionResult struct {
	Before        time.Time // clicks before this were pruned
	ClicksDeleted int64
	ClicksKept    int64 // attributing clicks kept, their visitor data erased
	PingsPruned   bool  // whether the snippet page aggregates were pruned too
	// PartitionsDropped counts the months of clicks dropped whole
	// (PostgreSQL); their clicks are counted in ClicksDeleted and
	// ClicksKept.
	PartitionsDropped int
}

// ApplyRetention deletes raw clicks and snippet pings older than days, but
// only clicks already rolled up (analytics read their rollups): the cutoff
// is moved back to a day before the rollup's end when needed. A click that
// credits a customer or a purchase is kept (analytics and the audit trail
// read its link, campaign and device), with its IP and visitor hashes
// erased. On PostgreSQL a month of clicks goes whole, once all of it is
// past the cutoff (partitions.go).
func (s *Retention) ApplyRetention(ctx context.Context, days int) (RetentionResult, error) {
	if days <= 0 {
		return RetentionResult{}, nil
	}
	return s.PruneClicks(ctx, s.now().UTC().AddDate(0, 0, -days))
}

// PruneClicks is ApplyRetention with an explicit cutoff.
func (s *Retention) PruneClicks(ctx context.Context, before time.Time) (RetentionResult, error) {
	res := RetentionResult{}
	through, err := rolledUpThrough(ctx, s.db)
	if err != nil {
		return res, err
	}
	// The rollup re-reads the day before what it rolls up (unique counters)
	// and rolls the last hour up again.
	if limit := through.Add(-rollupRelook - uniqueContext).Truncate(time.Hour); limit.Before(before) {
		before = limit
	}
	res.Before = before
	if through.IsZero() || before.IsZero() {
		return res, nil
	}
	// PostgreSQL drops whole months first; what is left to delete row by
	// row is in the tables dropOldClicks names.
	dropped, tables, err := s.dialect.dropOldClicks(ctx, s.db, before)
	res.PartitionsDropped = dropped.partitions
	res.ClicksDeleted += dropped.deleted
	res.ClicksKept += dropped.kept
	if err != nil {
		return res, err
	}
	vendors, err := vendorIDs(ctx, s.db)
	if err != nil {
		return res, classify(err)
	}
	for _, table := range tables {
		if err := s.pruneClickRows(ctx, &res, table, vendors, before); err != nil {
			return res, err
		}
	}
	// The snippet page aggregates go with the clicks.
	if _, err := s.PruneSnippetPages(ctx, before); err != nil {
		return res, err
	}
	res.PingsPruned = true
	return res, nil
}

// pruneClickRows deletes the clicks of table older than before, batch by
// batch, but keeps the attributing ones, their IP and visitor hashes erased.
func (s *Retention) pruneClickRows(ctx context.Context, res *RetentionResult, table string, vendors []string, before time.Time) error {
	for _, v := range vendors {
		for {
			r, err := s.db.NewRaw(`DELETE FROM `+table+` WHERE id IN (
				SELECT id FROM `+table+` WHERE vendor_id = ? AND clicked_at < ?
				AND id NOT IN (SELECT click_id FROM customers WHERE vendor_id = ? AND click_id <> '')
				AND id NOT IN (SELECT click_id FROM purchases WHERE vendor_id = ? AND click_id <> '')
				LIMIT ?)`, v, before, v, v, retentionBatch).Exec(ctx)
			if err != nil {
				return classify(err)
			}
			n, _ := r.RowsAffected()
			res.ClicksDeleted += n
			if n < retentionBatch {
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r, err := s.db.NewRaw(`UPDATE `+table+` SET ip_trunc = '', ip_hash = '', visitor_hash = ''
			WHERE vendor_id = ? AND clicked_at < ? AND (ip_trunc <> '' OR ip_hash <> '' OR visitor_hash <> '')`, v, before).Exec(ctx)
		if err != nil {
			return classify(err)
		}
		n, _ := r.RowsAffected()
		res.ClicksKept += n
	}
	return nil
}

// PruneSnippetPages deletes the ping aggregates whose newest ping is older
// than before, and returns how many rows went. The retention job calls it.
func (s *Retention) PruneSnippetPages(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.NewDelete().TableExpr("snippet_pages").Where("last_seen < ?", before).Exec(ctx)
	if err != nil {
		return 0, classify(err)
	}
	return res.RowsAffected()
}
