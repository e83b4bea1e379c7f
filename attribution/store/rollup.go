package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// The rollup of clicks: click_rollups holds, per vendor, UTC hour, link and
// click dimensions, the clicks, bot clicks and unique-click counters (see
// attribution.VisitorDayMask). A background job (RollUpClicks) rolls up the
// complete hours; analytics read the rollups before rollup_state.through
// and the raw clicks after it, so they are never stale.
const (
	// rollupLockID is the PostgreSQL advisory lock held by each rollup
	// transaction: several instances roll up once, one after the other.
	rollupLockID = 7283520
	// rollupStateClicks names the clicks rollup in rollup_state.
	rollupStateClicks = "clicks"
	// rollupSettle: an hour is rolled up once it ended this long ago.
	rollupSettle = 2 * time.Minute
	// rollupRelook: how far before the rolled-up end an hour noted late
	// (rollup_late_hours) is still rolled up again. Older notes are dropped:
	// retention keeps the raw clicks only this far (and a day) back.
	rollupRelook = 6 * time.Hour
	// rollupChunk: hours rolled up per transaction.
	rollupChunk = 24 * time.Hour
	// uniqueContext: the unique counters of a click depend on the visitor's
	// previous click on the link within this long.
	uniqueContext = 24 * time.Hour
)

// rollupKey is one row of click_rollups.
type rollupKey struct {
	hour                                      time.Time
	linkID, partnerID, variant, utmSource     string
	utmMedium, utmCampaign                    string
	source, referrer, country, device, browse string
	os                                        string
}

type rollupCounts struct {
	clicks, bots int64
	u            [24]int64
}

// clickFact is what the rollup reads of a click.
type clickFact struct {
	LinkID       string    `bun:"link_id"`
	PartnerID    string    `bun:"partner_id"`
	ClickedAt    time.Time `bun:"clicked_at"`
	VisitorHash  string    `bun:"visitor_hash"`
	Bot          bool      `bun:"bot"`
	Variant      string    `bun:"variant"`
	UTMSource    string    `bun:"utm_source"`
	UTMMedium    string    `bun:"utm_medium"`
	UTMCampaign  string    `bun:"utm_campaign"`
	Source       string    `bun:"source"`
	ReferrerHost string    `bun:"referrer_host"`
	Country      string    `bun:"country"`
	Device       string    `bun:"device"`
	Browser      string    `bun:"browser"`
	OS           string    `bun:"os"`
}

// rollUp aggregates a vendor's clicks in [from, to) per hour and
// dimensions, reading the clicks of [since, from) for the unique counters:
// the day before from gets every counter right (the rollup); a query
// reading one counter passes the start of its window holding from.
// partnerID and linkID, when set, narrow the clicks (a visitor's uniqueness
// is per link, so this changes no count).
func rollUp(ctx context.Context, db bun.IDB, vendorID, partnerID, linkID string, since, from, to time.Time) (map[rollupKey]*rollupCounts, error) {
	// The clicks of [from, to), and of the day before only those that can
	// be an earlier click of one of their visitors on the same link (human,
	// with a visitor): reading that whole day cost every analytics query
	// reaching the present a day of clicks.
	var args []any
	where := func(start, end time.Time) string {
		w := "vendor_id = ? AND clicked_at >= ? AND clicked_at < ?"
		args = append(args, vendorID, start.UTC(), end.UTC())
		if partnerID != "" {
			w += " AND partner_id = ?"
			args = append(args, partnerID)
		}
		if linkID != "" {
			w += " AND link_id = ?"
			args = append(args, linkID)
		}
		return w
	}
	const cols = `SELECT link_id, partner_id, clicked_at, visitor_hash, bot, variant, utm_source, utm_medium, utm_campaign, source,
		referrer_host, country, device, browser, os FROM clicks WHERE `
	q := cols + where(from, to) +
		" UNION ALL " + cols + where(since, from) + " AND NOT bot AND visitor_hash <> ''" +
		" AND (link_id, visitor_hash) IN (SELECT link_id, visitor_hash FROM clicks WHERE " + where(from, to) + ")" +
		" ORDER BY link_id, visitor_hash, clicked_at"
	var facts []clickFact
	if err := db.NewRaw(q, args...).Scan(ctx, &facts); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	out := map[rollupKey]*rollupCounts{}
	var prev *clickFact // the previous non-bot click of the same link and visitor
	for i := range facts {
		f := &facts[i]
		f.ClickedAt = f.ClickedAt.UTC()
		if prev != nil && (prev.LinkID != f.LinkID || prev.VisitorHash != f.VisitorHash || f.VisitorHash == "") {
			prev = nil
		}
		if f.ClickedAt.Before(from) {
			if !f.Bot {
				prev = f
			}
			continue
		}
		k := rollupKey{f.ClickedAt.Truncate(time.Hour), f.LinkID, f.PartnerID, f.Variant, f.UTMSource,
			f.UTMMedium, f.UTMCampaign, f.Source, f.ReferrerHost, f.Country, f.Device, f.Browser, f.OS}
		c := out[k]
		if c == nil {
			c = &rollupCounts{}
			out[k] = c
		}
		if f.Bot {
			c.bots++
			continue
		}
		c.clicks++
		var p time.Time
		if prev != nil {
			p = prev.ClickedAt
		}
		m := attribution.VisitorDayMask(f.ClickedAt, p)
		for b := 0; b < 24; b++ {
			if m&(1<<b) != 0 {
				c.u[b]++
			}
		}
		prev = f
	}
	return out, nil
}

// rolledUpThrough returns the end of the rolled-up hours (zero: none yet).
func rolledUpThrough(ctx context.Context, db bun.IDB) (time.Time, error) {
	return rollupStateAt(ctx, db, rollupStateClicks)
}

// rollupStateAt returns where the rollup named name stands in rollup_state
// (zero: it has not run yet).
func rollupStateAt(ctx context.Context, db bun.IDB, name string) (time.Time, error) {
	var st []struct {
		Through time.Time `bun:"through"`
	}
	if err := db.NewRaw("SELECT through FROM rollup_state WHERE name = ?", name).Scan(ctx, &st); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, classify(err)
	}
	if len(st) == 0 {
		return time.Time{}, nil
	}
	return st[0].Through.UTC(), nil
}

// RollUpClicks rolls up every complete hour not rolled up yet, a day per
// transaction, first rolling up again the hours that received late clicks
// (rollup_late_hours), and returns the new end of the rolled-up hours.
// Each hour is otherwise read once: at a steady 1,000 clicks a second,
// rolling the last hour up again every minute read 3.6 million clicks a
// minute. Safe to run from several instances at once.
func (s *Analytics) RollUpClicks(ctx context.Context) (time.Time, error) {
	target := s.now().UTC().Add(-rollupSettle).Truncate(time.Hour)
	if err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.dialect.xactLock(ctx, tx, rollupLockID); err != nil {
			return err
		}
		return s.rollUpLate(ctx, tx)
	}); err != nil {
		return time.Time{}, err
	}
	for {
		var through time.Time
		done := false
		err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if err := s.dialect.xactLock(ctx, tx, rollupLockID); err != nil {
				return err
			}
			var err error
			if through, err = rolledUpThrough(ctx, tx); err != nil {
				return err
			}
			from := through
			if through.IsZero() {
				if from, err = firstClickHour(ctx, tx, target); err != nil {
					return err
				}
			}
			if !from.Before(target) {
				done = true
				return nil
			}
			to := from.Add(rollupChunk)
			if to.After(target) {
				to = target
			}
			if err := rollUpRange(ctx, tx, from, to); err != nil {
				return err
			}
			through = to
			if err := setRollupState(ctx, tx, rollupStateClicks, through); err != nil {
				return err
			}
			return s.advanceDays(ctx, tx, through)
		})
		if err != nil {
			return through, err
		}
		if done || !through.Before(target) {
			return through, nil
		}
		if err := ctx.Err(); err != nil {
			return through, err
		}
	}
}

// setRollupState records how far the rollup called name got.
func setRollupState(ctx context.Context, tx bun.Tx, name string, through time.Time) error {
	_, err := tx.NewRaw(`INSERT INTO rollup_state (name, through) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET through = excluded.through`, name, through.UTC()).Exec(ctx)
	return err
}

// firstClickHour is where the first rollup starts: the hour of the oldest
// click, or target when there is none. It runs every minute until an hour
// has ended: each vendor's oldest click is one probe of the (vendor_id,
// clicked_at) index, where MIN over all of clicks scanned the table (0.3 to
// 0.7 s a minute on 3.5 million clicks, the 5,000/s tail of issue 15).
func firstClickHour(ctx context.Context, db bun.IDB, target time.Time) (time.Time, error) {
	var first []struct {
		At *time.Time `bun:"at"`
	}
	if err := db.NewRaw("SELECT MIN((SELECT MIN(c.clicked_at) FROM clicks c WHERE c.vendor_id = v.id)) AS at FROM vendors v").Scan(ctx, &first); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, err
	}
	if len(first) == 0 || first[0].At == nil {
		return target, nil
	}
	return first[0].At.UTC().Truncate(time.Hour), nil
}

// vendorIDs lists every vendor's id, in order.
func vendorIDs(ctx context.Context, db bun.IDB) ([]string, error) {
	var ids []string
	if err := db.NewRaw("SELECT id FROM vendors ORDER BY id").Scan(ctx, &ids); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return ids, nil
}

// rollUpRange replaces the rollups of [from, to) (whole hours) by fresh ones.
func rollUpRange(ctx context.Context, tx bun.Tx, from, to time.Time) error {
	vendors, err := vendorIDs(ctx, tx)
	if err != nil || len(vendors) == 0 {
		return err
	}
	// One statement for all vendors; the vendor list keeps it on the
	// (vendor_id, hour) index.
	if _, err := tx.NewRaw("DELETE FROM click_rollups WHERE vendor_id IN (?) AND hour >= ? AND hour < ?", bun.List(vendors), from, to).Exec(ctx); err != nil {
		return err
	}
	for _, v := range vendors {
		// An hour at a time: the clicks read are held in memory, and a
		// day's backlog at 1,000 clicks/s is 86 million of them. Each
		// hour reads its own context for the unique counters, so the
		// hours' rows are the range's.
		for h := from; h.Before(to); h = h.Add(time.Hour) {
			end := h.Add(time.Hour)
			if to.Before(end) {
				end = to
			}
			rows, err := rollUp(ctx, tx, v, "", "", h.Add(-uniqueContext), h, end)
			if err != nil {
				return err
			}
			if err := insertRollups(ctx, tx, v, rows); err != nil {
				return err
			}
		}
	}
	return rollUpDims(ctx, tx, vendors, from, to)
}

// dimRollupCols are the click_rollups columns click_dim_rollups sums by
// ("" is the hour's total): every group-by's. A filtered query reads
// click_rollups.
var dimRollupCols = []string{"", "variant", "utm_source", "utm_medium", "utm_campaign", "source", "referrer_host",
	"country", "device", "browser", "os", "partner_id", "link_id"}

// rollUpDims replaces the click_dim_rollups of [from, to) by the sums of
// the click_rollups just written (the migration that created the table
// filled it with the same sums).
func rollUpDims(ctx context.Context, tx bun.Tx, vendors []string, from, to time.Time) error {
	if _, err := tx.NewRaw("DELETE FROM click_dim_rollups WHERE vendor_id IN (?) AND hour >= ? AND hour < ?", bun.List(vendors), from, to).Exec(ctx); err != nil {
		return err
	}
	var sums strings.Builder
	for k := range 24 {
		fmt.Fprintf(&sums, ", SUM(u%02d)", k)
	}
	parts := make([]string, len(dimRollupCols))
	var args []any
	for i, col := range dimRollupCols {
		value, group := "''", ""
		if col != "" {
			value, group = col, ", "+col
		}
		parts[i] = "SELECT vendor_id, '" + col + "', " + value + ", hour, SUM(clicks), SUM(bot_clicks)" + sums.String() +
			" FROM click_rollups WHERE vendor_id IN (?) AND hour >= ? AND hour < ? GROUP BY vendor_id, hour" + group
		args = append(args, bun.List(vendors), from, to)
	}
	var cols strings.Builder
	for k := range 24 {
		fmt.Fprintf(&cols, ", u%02d", k)
	}
	_, err := tx.NewRaw("INSERT INTO click_dim_rollups (vendor_id, dim, dim_value, hour, clicks, bot_clicks"+cols.String()+") "+
		strings.Join(parts, " UNION ALL "), args...).Exec(ctx)
	return err
}

// clickRollup is one row of click_rollups.
type clickRollup struct {
	bun.BaseModel `bun:"table:click_rollups"`

	VendorID     string    `bun:"vendor_id"`
	Hour         time.Time `bun:"hour"`
	LinkID       string    `bun:"link_id"`
	PartnerID    string    `bun:"partner_id"`
	Variant      string    `bun:"variant"`
	UTMSource    string    `bun:"utm_source"`
	UTMMedium    string    `bun:"utm_medium"`
	UTMCampaign  string    `bun:"utm_campaign"`
	Source       string    `bun:"source"`
	ReferrerHost string    `bun:"referrer_host"`
	Country      string    `bun:"country"`
	Device       string    `bun:"device"`
	Browser      string    `bun:"browser"`
	OS           string    `bun:"os"`
	Clicks       int64     `bun:"clicks"`
	BotClicks    int64     `bun:"bot_clicks"`
	rollupUniques
}

// rollupUniques are the unique-click counters u00…u23 (see
// attribution.VisitorDayMask), one column each.
type rollupUniques struct {
	U00, U01, U02, U03, U04, U05, U06, U07, U08, U09, U10, U11 int64
	U12, U13, U14, U15, U16, U17, U18, U19, U20, U21, U22, U23 int64
}

func (u *rollupUniques) set(counts [24]int64) {
	fields := reflect.ValueOf(u).Elem()
	for k, n := range counts {
		fields.Field(k).SetInt(n)
	}
}

const rollupInsertBatch = 500 // rows a statement

func insertRollups(ctx context.Context, tx bun.Tx, vendorID string, rows map[rollupKey]*rollupCounts) error {
	out := make([]clickRollup, 0, len(rows))
	for k, c := range rows {
		r := clickRollup{VendorID: vendorID, Hour: k.hour, LinkID: k.linkID, PartnerID: k.partnerID, Variant: k.variant,
			UTMSource: k.utmSource, UTMMedium: k.utmMedium, UTMCampaign: k.utmCampaign, Source: k.source, ReferrerHost: k.referrer, Country: k.country, Device: k.device,
			Browser: k.browse, OS: k.os, Clicks: c.clicks, BotClicks: c.bots}
		r.set(c.u)
		out = append(out, r)
	}
	for chunk := range slices.Chunk(out, rollupInsertBatch) {
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
