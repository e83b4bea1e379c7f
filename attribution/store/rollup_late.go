package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Late clicks. The rollup reads an hour once, rollupSettle after it ended.
// A click committed after that (a click writer retrying through an outage)
// is noted by its hour in rollup_late_hours, and the next rollup run rolls
// that hour up again, with the day after it (its clicks decide whether the
// visitor's later clicks are unique).
const (
	// lateMargin: a click is noted as late once its hour may have been rolled
	// up by an instance whose clock runs this far ahead, or whose commit
	// becomes visible this long after the check.
	lateMargin = time.Minute
	// lateSpan: the hours rolled up again for a late click at hour h are
	// [h, h+lateSpan): its own and those whose unique counters it changes.
	lateSpan = time.Hour + uniqueContext
)

// clickMayBeLate reports whether the rollup may already have read the hour
// of a click made at clickedAt, at now.
func clickMayBeLate(clickedAt, now time.Time) bool {
	return !now.Before(clickedAt.Truncate(time.Hour).Add(time.Hour + rollupSettle - lateMargin))
}

// lateHours returns the hours of the clicks the rollup may have read
// already (none, without allocating, for clicks on time).
func lateHours(clicks []*attribution.Click, now time.Time) []time.Time {
	var hours []time.Time
	for _, c := range clicks {
		if !clickMayBeLate(c.ClickedAt, now) {
			continue
		}
		if h := c.ClickedAt.UTC().Truncate(time.Hour); !slices.Contains(hours, h) {
			hours = append(hours, h)
		}
	}
	return hours
}

// noteLateHours records hours for the rollup to read again. The click
// writer notes them before and after inserting the clicks: the note after
// is there for a rollup that took the first note before the clicks were
// committed; the one before, for a crash between the two. The upsert locks
// an existing note, so a rollup deleting it waits for the clicks' commit.
func noteLateHours(ctx context.Context, db bun.IDB, hours []time.Time) error {
	if len(hours) == 0 {
		return nil
	}
	values := strings.TrimSuffix(strings.Repeat("(?), ", len(hours)), ", ")
	args := make([]any, len(hours))
	for i, h := range hours {
		args[i] = h
	}
	_, err := db.NewRaw("INSERT INTO rollup_late_hours (hour) VALUES "+values+
		" ON CONFLICT (hour) DO UPDATE SET hour = excluded.hour", args...).Exec(ctx)
	return err
}

// rollUpLate copies the dimensions of newly attributing clicks
// (rollup_conversions.go), takes the notes of late hours already rolled up (before the
// clicks are read again, so a note written after this is kept for the next
// run) and rolls their spans up again, with their days; then sums the days
// not summed yet (the first run after the daily table's migration).
func (s *Analytics) rollUpLate(ctx context.Context, tx bun.Tx) error {
	if err := copyConversionClicks(ctx, tx); err != nil {
		return err
	}
	through, err := rolledUpThrough(ctx, tx)
	if err != nil || through.IsZero() {
		return err
	}
	var hours []time.Time
	if err := tx.NewRaw("DELETE FROM rollup_late_hours WHERE hour < ? RETURNING hour", through).Scan(ctx, &hours); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	for _, r := range lateRanges(hours, through) {
		if err := rollUpRange(ctx, tx, r[0], r[1]); err != nil {
			return err
		}
		if err := s.redoDays(ctx, tx, r[0], r[1]); err != nil {
			return err
		}
	}
	return s.advanceDays(ctx, tx, through)
}

// lateRanges merges the spans of late hours, within rollupRelook before
// through and ending at through at the latest.
func lateRanges(hours []time.Time, through time.Time) [][2]time.Time {
	slices.SortFunc(hours, func(a, b time.Time) int { return a.Compare(b) })
	var out [][2]time.Time
	for _, h := range hours {
		h = h.UTC()
		if h.Before(through.Add(-rollupRelook)) || !h.Before(through) {
			continue
		}
		end := h.Add(lateSpan)
		if end.After(through) {
			end = through
		}
		if n := len(out); n > 0 && !h.After(out[n-1][1]) {
			if end.After(out[n-1][1]) {
				out[n-1][1] = end
			}
			continue
		}
		out = append(out, [2]time.Time{h, end})
	}
	return out
}
