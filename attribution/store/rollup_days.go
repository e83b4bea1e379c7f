package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Daily rollups: click_dim_days holds the sums of click_dim_rollups per UTC
// day. rollup_state 'click_days' is the end of the days summed (a UTC
// midnight, never after the rolled-up hours' end); analytics read a day's
// row only before it.
const (
	rollupStateDays = "click_days"
	dayLength       = 24 * time.Hour
)

// rolledUpDays returns the end of the days summed (zero: none yet).
func rolledUpDays(ctx context.Context, db bun.IDB) (time.Time, error) {
	return rollupStateAt(ctx, db, rollupStateDays)
}

// advanceDays sums the days that through completed and were not summed
// yet; the first run after the migration sums every day rolled up before.
func (s *Analytics) advanceDays(ctx context.Context, tx bun.Tx, through time.Time) error {
	end := through.UTC().Truncate(dayLength)
	summed, err := rolledUpDays(ctx, tx)
	if err != nil {
		return err
	}
	from := summed
	if from.IsZero() {
		var first []struct {
			At *time.Time `bun:"at"`
		}
		if err := tx.NewRaw("SELECT MIN(hour) AS at FROM click_dim_rollups").Scan(ctx, &first); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		from = end
		if len(first) > 0 && first[0].At != nil {
			from = first[0].At.UTC().Truncate(dayLength)
		}
	}
	if from.Before(end) {
		if err := s.sumDays(ctx, tx, from, end); err != nil {
			return err
		}
		return setRollupState(ctx, tx, rollupStateDays, end)
	}
	if !summed.IsZero() {
		return nil
	}
	return setRollupState(ctx, tx, rollupStateDays, from) // nothing to sum yet
}

// redoDays sums again the days holding [from, to) that were summed before.
func (s *Analytics) redoDays(ctx context.Context, tx bun.Tx, from, to time.Time) error {
	summed, err := rolledUpDays(ctx, tx)
	if err != nil {
		return err
	}
	end := to.UTC().Add(dayLength - time.Nanosecond).Truncate(dayLength)
	if summed.Before(end) {
		end = summed
	}
	if start := from.UTC().Truncate(dayLength); start.Before(end) {
		return s.sumDays(ctx, tx, start, end)
	}
	return nil
}

// sumDays replaces the click_dim_days of the UTC days in [from, to) by the
// sums of their hours in click_dim_rollups, one statement a day.
func (s *Analytics) sumDays(ctx context.Context, tx bun.Tx, from, to time.Time) error {
	vendors, err := vendorIDs(ctx, tx)
	if err != nil || len(vendors) == 0 {
		return err
	}
	if _, err := tx.NewRaw("DELETE FROM click_dim_days WHERE vendor_id IN (?) AND day >= ? AND day < ?", bun.List(vendors), from, to).Exec(ctx); err != nil {
		return err
	}
	var cols, sums strings.Builder
	for k := range 24 {
		fmt.Fprintf(&cols, ", u%02d", k)
		fmt.Fprintf(&sums, ", SUM(u%02d)", k)
	}
	q := "INSERT INTO click_dim_days (vendor_id, dim, dim_value, day, clicks, bot_clicks" + cols.String() + ")" +
		" SELECT vendor_id, dim, dim_value, " + s.dialect.timeParam() + ", SUM(clicks), SUM(bot_clicks)" + sums.String() +
		" FROM click_dim_rollups WHERE vendor_id IN (?) AND hour >= ? AND hour < ? GROUP BY vendor_id, dim, dim_value"
	for d := from; d.Before(to); d = d.Add(dayLength) {
		if _, err := tx.NewRaw(q, d, bun.List(vendors), d, d.Add(dayLength)).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
