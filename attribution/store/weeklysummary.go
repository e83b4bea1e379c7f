package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// JobWeeklySummary sends the vendors' weekly summaries (see joblock.go;
// an id apart from the others' range, so ids added meanwhile never clash).
const JobWeeklySummary int64 = 7283540

// SendWeeklySummaries emails each vendor's admins the summary of the last
// complete week in the vendor's time zone (attribution.SummaryWeek), once
// per vendor and week: the weekly_summaries row, inserted in the
// transaction that enqueues the emails, makes a second run (or another
// instance's) send nothing. Admins who turned the summary off get none. A
// vendor created after the week ended has nothing to sum up yet. It
// returns the number of vendors whose summary was enqueued.
func (s *Store) SendWeeklySummaries(ctx context.Context) (int, error) {
	now := s.now()
	ids, err := vendorIDs(ctx, s.db)
	if err != nil {
		return 0, classify(err)
	}
	sent := 0
	for _, id := range ids {
		v, err := s.Vendors.FindVendor(ctx, id)
		if err != nil {
			return sent, err
		}
		start, end := attribution.SummaryWeek(now, v.Location())
		if !v.CreatedAt.Before(end) {
			continue
		}
		rep, err := s.Analytics.Analytics(ctx, v.ID, attribution.AnalyticsQuery{Start: start, End: end,
			GroupBy: attribution.GroupByDay, Location: v.Location()})
		if err != nil {
			return sent, err
		}
		done := false
		err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			res, err := tx.NewRaw(`INSERT INTO weekly_summaries (vendor_id, week_start, sent_at) VALUES (?, ?, ?)
				ON CONFLICT (vendor_id, week_start) DO NOTHING`, v.ID, start.UTC(), now).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // sent already
			}
			done = true
			var admins []*attribution.User
			err = tx.NewSelect().Model(&admins).Where("vendor_id = ? AND role = ?", v.ID, attribution.RoleAdmin).
				Where("id NOT IN (SELECT user_id FROM user_mail_opt_outs WHERE kind = ?)", attribution.MailWeeklySummary).
				OrderExpr("id").Scan(ctx)
			if err != nil {
				return err
			}
			base := s.publicURL
			for _, u := range admins {
				unsubscribe, err := unsubscribeURL(ctx, tx, base, v.ID, "", u.ID, attribution.MailWeeklySummary, now)
				if err != nil {
					return err
				}
				msg, err := attribution.WeeklySummaryMail(attribution.MailProgram{VendorID: v.ID, Name: v.Name}, u.Email,
					start.In(v.Location()), end.In(v.Location()), rep.Totals, base+"/dashboard", unsubscribe)
				if err != nil {
					return err
				}
				if err := EnqueueMail(ctx, tx, msg, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return sent, err
		}
		if done {
			sent++
		}
	}
	if sent > 0 {
		s.wakeMailer()
	}
	return sent, nil
}
