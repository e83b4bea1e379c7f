package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Analytics answers analytics queries and rolls up clicks (rollup.go).
type Analytics struct{ core }

var _ attribution.AnalyticsService = (*Analytics)(nil)

// rollupDims gives each group-by its click_rollups column and the field of
// a rollupKey holding it ("" for day: grouped by hour and folded into days
// of the query's zone in Go).
var rollupDims = map[string]struct {
	col string
	key func(*rollupKey) string
}{
	attribution.GroupByDay:         {"", func(*rollupKey) string { return "" }},
	attribution.GroupByPartner:     {"partner_id", func(k *rollupKey) string { return k.partnerID }},
	attribution.GroupByLink:        {"link_id", func(k *rollupKey) string { return k.linkID }},
	attribution.GroupByVariant:     {"variant", func(k *rollupKey) string { return k.variant }},
	attribution.GroupByUTMSource:   {"utm_source", func(k *rollupKey) string { return k.utmSource }},
	attribution.GroupByUTMMedium:   {"utm_medium", func(k *rollupKey) string { return k.utmMedium }},
	attribution.GroupByUTMCampaign: {"utm_campaign", func(k *rollupKey) string { return k.utmCampaign }},
	attribution.GroupByReferrer:    {"referrer_host", func(k *rollupKey) string { return k.referrer }},
	attribution.GroupBySource:      {"source", func(k *rollupKey) string { return k.source }},
	attribution.GroupByCountry:     {"country", func(k *rollupKey) string { return k.country }},
	attribution.GroupByDevice:      {"device", func(k *rollupKey) string { return k.device }},
	attribution.GroupByBrowser:     {"browser", func(k *rollupKey) string { return k.browse }},
	attribution.GroupByOS:          {"os", func(k *rollupKey) string { return k.os }},
}

// report accumulates rows by key.
type report struct {
	q    attribution.AnalyticsQuery
	rows map[string]*attribution.AnalyticsRow
}

// row returns the row of key; for day, key is empty and the day of hour is used.
func (r *report) row(key string, hour time.Time) *attribution.AnalyticsRow {
	if r.q.GroupBy == attribution.GroupByDay {
		key = attribution.DayKey(hour, r.q.Location)
	}
	row := r.rows[key]
	if row == nil {
		row = &attribution.AnalyticsRow{Key: key}
		r.rows[key] = row
	}
	return row
}

// Analytics implements attribution.AnalyticsService: rollups for the hours
// rolled up, raw clicks after them, conversions from their own tables.
func (s *Analytics) Analytics(ctx context.Context, vendorID string, q attribution.AnalyticsQuery) (*attribution.AnalyticsReport, error) {
	out, err := s.Breakdowns(ctx, vendorID, q, []string{q.GroupBy})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Breakdowns implements attribution.AnalyticsService: each report's clicks
// as Analytics reads them; the conversions of all of them in one query per
// kind (joining conversions to their clicks is the costly part).
func (s *Analytics) Breakdowns(ctx context.Context, vendorID string, q attribution.AnalyticsQuery, groupBys []string) ([]*attribution.AnalyticsReport, error) {
	return s.breakdowns(ctx, vendorID, q, groupBys, true)
}

// breakdowns is Breakdowns, with or without the conversions (the gaps
// report counts clicks only).
func (s *Analytics) breakdowns(ctx context.Context, vendorID string, q attribution.AnalyticsQuery, groupBys []string, withConversions bool) ([]*attribution.AnalyticsReport, error) {
	for _, g := range groupBys {
		if _, ok := rollupDims[g]; !ok {
			return nil, attribution.Errorf(attribution.EINVALID, "group_by must be one of %s.", strings.Join(attribution.AnalyticsGroupBys, ", "))
		}
	}
	if q.Location == nil {
		q.Location = time.UTC
	}
	q.Start, q.End = q.Start.UTC(), q.End.UTC()
	through, err := rolledUpThrough(ctx, s.db)
	if err != nil {
		return nil, err
	}
	reps := make([]*report, len(groupBys))
	for i, g := range groupBys {
		rq := q
		rq.GroupBy = g
		reps[i] = &report{q: rq, rows: map[string]*attribution.AnalyticsRow{}}
	}
	segs := attribution.UniqueSegments(q.Start, q.End, q.Location)
	rd := newReads(ctx)
	s.addClickCounts(rd, reps, vendorID, through, segs)
	if withConversions {
		s.addConversions(rd, reps, vendorID)
	}
	if err := rd.wait(); err != nil {
		return nil, classify(err)
	}
	out := make([]*attribution.AnalyticsReport, len(reps))
	for i, r := range reps {
		out[i] = r.finish(through)
	}
	return out, nil
}

// finish returns the report: days without a row get one, rows sorted (by
// day, else by clicks), totals added up.
func (r *report) finish(through time.Time) *attribution.AnalyticsReport {
	q := r.q
	out := &attribution.AnalyticsReport{Start: q.Start, End: q.End, TZ: q.Location.String(), GroupBy: q.GroupBy, Rows: []attribution.AnalyticsRow{}}
	if !through.IsZero() {
		out.RolledUpThrough = &through
	}
	if q.GroupBy == attribution.GroupByDay {
		for _, d := range attribution.DayStarts(q.Start, q.End, q.Location) {
			r.row("", d)
		}
	}
	for _, row := range r.rows {
		row.Finish()
		out.Totals.Add(row)
		out.Rows = append(out.Rows, *row)
	}
	out.Totals.Finish()
	sort.Slice(out.Rows, func(i, j int) bool {
		a, b := &out.Rows[i], &out.Rows[j]
		if q.GroupBy != attribution.GroupByDay && a.Clicks != b.Clicks {
			return a.Clicks > b.Clicks
		}
		return a.Key < b.Key
	})
	return out
}

// clickCounts adds the clicks of reps' query (one query, several
// group-bys): the rollups of the hours rolled up (before through), raw
// clicks after them. The partner portal's figures read clicks through it
// too.
func (c core) clickCounts(ctx context.Context, reps []*report, vendorID string, through time.Time, segs []attribution.UniqueSegment) error {
	rd := newReads(ctx)
	c.addClickCounts(rd, reps, vendorID, through, segs)
	return rd.wait()
}

// addClickCounts starts the reads of clickCounts on rd: the rollup pieces,
// and the raw clicks after the rollup read once for all the reports.
func (c core) addClickCounts(rd *reads, reps []*report, vendorID string, through time.Time, segs []attribution.UniqueSegment) {
	q := reps[0].q
	if q.Start.Before(through) {
		end := q.End
		if through.Before(end) {
			end = through
		}
		if byDimRollups(reps) {
			rd.do(func(ctx context.Context) error {
				days, err := rolledUpDays(ctx, c.db)
				if err != nil {
					return err
				}
				for _, r := range reps {
					c.dimRollupPart(rd, r, vendorID, q.Start, end, segs, days)
				}
				return nil
			})
		} else {
			c.filteredRollupPart(rd, reps, vendorID, q.Start, end, segs)
		}
	}
	if through.Before(q.End) {
		from := q.Start
		if from.Before(through) {
			from = through
		}
		// Only the unique counter of the query's days is read: its window
		// holding from starts at most a day before.
		k := uniqueHour(segs, from)
		since := time.Date(from.Year(), from.Month(), from.Day(), k, 0, 0, 0, time.UTC)
		if since.After(from) {
			since = since.Add(-uniqueContext)
		}
		rd.do(func(ctx context.Context) error {
			rows, err := rollUp(ctx, c.db, vendorID, q.PartnerID, q.LinkID, since, from, q.End)
			if err != nil {
				return err
			}
			rd.add(func() {
				for k, n := range rows {
					if (q.Variant != "" && k.variant != q.Variant) || (q.UTMSource != "" && k.utmSource != q.UTMSource) {
						continue
					}
					for _, r := range reps {
						row := r.row(rollupDims[r.q.GroupBy].key(&k), k.hour)
						row.Clicks += n.clicks
						row.BotClicks += n.bots
						row.UniqueClicks += n.u[uniqueHour(segs, k.hour)]
					}
				}
			})
			return nil
		})
	}
}

// uniqueHour returns the unique counter to read for the hour h.
func uniqueHour(segs []attribution.UniqueSegment, h time.Time) int {
	for _, s := range segs {
		if h.Before(s.Until) {
			return s.Hour
		}
	}
	if len(segs) > 0 {
		return segs[len(segs)-1].Hour
	}
	return 0
}

// rollupPiece is a part of a period read from one table with one unique
// counter: hourly rows, or daily rows (click_dim_days) for whole UTC days.
type rollupPiece struct {
	daily    bool
	from, to time.Time
	counter  int
}

// rollupPieces splits [from, to) (whole hours) into runs reading one
// unique counter each (segs), and those into the whole UTC days before
// daysEnd (the days summed; zero: none), read from daily rows, and the
// hours around them. A day's row serves every time zone: the unique
// counters of any set of hours add up, and the query's period is made of
// whole days of its zone. Only days lying in one run are read whole.
func rollupPieces(from, to time.Time, segs []attribution.UniqueSegment, daysEnd time.Time) []rollupPiece {
	var out []rollupPiece
	hours := func(a, b time.Time, k int) {
		if a.Before(b) {
			out = append(out, rollupPiece{from: a, to: b, counter: k})
		}
	}
	cur := from
	for cur.Before(to) {
		end, k := to, uniqueHour(segs, cur)
		for _, sg := range segs {
			if cur.Before(sg.Until) {
				if sg.Until.Before(to) && sg != segs[len(segs)-1] {
					end = sg.Until
				}
				break
			}
		}
		d0 := cur.Add(dayLength - time.Nanosecond).Truncate(dayLength)
		d1 := end
		if daysEnd.Before(d1) {
			d1 = daysEnd
		}
		d1 = d1.Truncate(dayLength)
		if d0.Before(d1) {
			hours(cur, d0, k)
			out = append(out, rollupPiece{daily: true, from: d0, to: d1, counter: k})
			hours(d1, end, k)
		} else {
			hours(cur, end, k)
		}
		cur = end
	}
	return out
}

// dimRollupPart adds the rollups of the hours starting in [from, to) from
// click_dim_rollups, and from click_dim_days for whole days (not when
// grouped by day: a UTC day is not the query's day, and the hourly totals
// are few).
func (c core) dimRollupPart(rd *reads, r *report, vendorID string, from, to time.Time, segs []attribution.UniqueSegment, daysEnd time.Time) {
	col := rollupDims[r.q.GroupBy].col
	sel := "dim_value AS k"
	if col == "" {
		sel, daysEnd = "hour", time.Time{}
	}
	where, value := "", ""
	if dim, v, ok := dayByOneDim(r.q); ok { // a partner's or link's days
		col, where, value = dim, " AND dim_value = ?", v
	}
	// One statement a piece: a UNION ALL of them is planned as a parallel
	// append, whose workers cost more than these small reads.
	for _, p := range rollupPieces(from, to, segs, daysEnd) {
		table, at, key := "click_dim_rollups", "hour", sel
		if p.daily {
			table, at = "click_dim_days", "day"
		}
		args := []any{vendorID, col}
		if where != "" {
			args = append(args, value)
		}
		args = append(args, p.from, p.to)
		q := fmt.Sprintf("SELECT %s, SUM(clicks) AS clicks, SUM(bot_clicks) AS bots, SUM(u%02d) AS uniq FROM %s"+
			" WHERE vendor_id = ? AND dim = ?%s AND %s >= ? AND %s < ? GROUP BY %s", key, p.counter, table, where, at, at, strings.Fields(key)[0])
		rd.do(func(ctx context.Context) error {
			var rows []struct {
				K      string    `bun:"k"`
				Hour   time.Time `bun:"hour"`
				Clicks int64     `bun:"clicks"`
				Bots   int64     `bun:"bots"`
				Uniq   int64     `bun:"uniq"`
			}
			if err := c.db.NewRaw(q, args...).Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			rd.add(func() {
				for _, x := range rows {
					row := r.row(x.K, x.Hour.UTC())
					row.Clicks += x.Clicks
					row.BotClicks += x.Bots
					row.UniqueClicks += x.Uniq
				}
			})
			return nil
		})
	}
}

// filteredRollupPart adds the click_rollups of the hours starting in
// [from, to) that match the query's filters to every report, reading them
// once: a link's page has eleven tables.
func (c core) filteredRollupPart(rd *reads, reps []*report, vendorID string, from, to time.Time, segs []attribution.UniqueSegment) {
	q := reps[0].q
	// Only the reports' columns, summed: a partner's days read a row an
	// hour; each column grouped apart where the database can (keySets).
	cols := make([]string, len(reps))
	for j, r := range reps {
		if cols[j] = rollupDims[r.q.GroupBy].col; cols[j] == "" {
			cols[j] = "hour"
		}
	}
	ks := newKeySets(c.dialect, cols, nil)
	pos := make([]int, len(reps))
	for j := range reps {
		pos[j] = ks.index(cols[j])
	}
	for _, p := range rollupPieces(from, to, segs, time.Time{}) { // one statement a piece, as in dimRollupPart
		part := fmt.Sprintf("SELECT %s, SUM(clicks) AS clicks, SUM(bot_clicks) AS bot_clicks, SUM(u%02d) AS uniq FROM click_rollups"+
			" WHERE vendor_id = ? AND hour >= ? AND hour < ?", ks.selectList(), p.counter)
		args := []any{vendorID, p.from, p.to}
		for _, f := range [...]struct{ col, v string }{{"partner_id", q.PartnerID}, {"link_id", q.LinkID}, {"variant", q.Variant}, {"utm_source", q.UTMSource}} {
			if f.v != "" {
				part += " AND " + f.col + " = ?"
				args = append(args, f.v)
			}
		}
		rd.do(func(ctx context.Context) error {
			// Columns not grouped in a row's set are NULL, scanned as zero values.
			var rows []struct {
				clickRollup
				Grp  int64 `bun:"grp"`
				Uniq int64 `bun:"uniq"`
			}
			if err := c.db.NewRaw(part+" "+ks.groupBy(), args...).Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			rd.add(func() {
				for i := range rows {
					x := &rows[i]
					k := rollupKey{x.Hour.UTC(), x.LinkID, x.PartnerID, x.Variant, x.UTMSource, x.UTMMedium, x.UTMCampaign, x.Source,
						x.ReferrerHost, x.Country, x.Device, x.Browser, x.OS}
					for j, r := range reps {
						if !ks.grouped(x.Grp, pos[j]) {
							continue
						}
						row := r.row(rollupDims[r.q.GroupBy].key(&k), k.hour)
						row.Clicks += x.Clicks
						row.BotClicks += x.BotClicks
						row.UniqueClicks += x.Uniq
					}
				}
			})
			return nil
		})
	}
}

// byDimRollups reports whether reports of one query read click_dim_rollups
// (a few rows an hour per dimension) rather than click_rollups: any query
// without a filter, and the days of one partner or link (the partner
// portal's).
func byDimRollups(reps []*report) bool {
	if q := reps[0].q; q.PartnerID == "" && q.LinkID == "" && q.Variant == "" && q.UTMSource == "" {
		return true
	}
	for _, r := range reps {
		if _, _, ok := dayByOneDim(r.q); !ok {
			return false
		}
	}
	return true
}

// dayByOneDim returns the click_dim_rollups dimension and value of a query
// by day filtered by one partner or one link only.
func dayByOneDim(q attribution.AnalyticsQuery) (dim, value string, ok bool) {
	if q.GroupBy != attribution.GroupByDay || q.Variant != "" || q.UTMSource != "" || (q.PartnerID == "") == (q.LinkID == "") {
		return "", "", false
	}
	if q.PartnerID != "" {
		return "partner_id", q.PartnerID, true
	}
	return "link_id", q.LinkID, true
}

// eventKey is the SQL of the group key of a conversion, given the aliases
// of its partner/link source (pl) and of its click (c, maybe NULL).
func eventKey(groupBy, partner, link string) string {
	switch groupBy {
	case attribution.GroupByPartner:
		return partner
	case attribution.GroupByLink:
		return link
	case attribution.GroupByDay:
		return "''"
	}
	return "COALESCE(c." + rollupDims[groupBy].col + ", '')"
}

// conversions adds signups, purchases (net of refunds) and rewards (not
// declined) to each report (all of one period and filters). Each is
// credited through the customer's (for purchases: the purchase's copy of
// the customer's) partner, link and attributing click. One query per kind
// groups by every report's key at once; when a report needs the click's
// dimensions, they come from conversion_clicks (rollup_conversions.go),
// and from clicks in a second query for the clicks named since the rollup
// job last copied them. The queries start on rd.
func (s *Analytics) addConversions(rd *reads, reps []*report, vendorID string) {
	// The day reports apart: grouped with the others by hour, a year of
	// conversions came back one row each.
	var days, others []*report
	for _, r := range reps {
		if r.q.GroupBy == attribution.GroupByDay {
			days = append(days, r)
		} else {
			others = append(others, r)
		}
	}
	for _, set := range [][]*report{days, others} {
		if len(set) > 0 {
			s.addConversionsOf(rd, set, vendorID)
		}
	}
}

// addConversionsOf adds the conversions to reports of one query, all by
// day or none.
func (s *Analytics) addConversionsOf(rd *reads, reps []*report, vendorID string) {
	q := reps[0].q
	parts := []conversionQuery{
		{
			from: "signups e JOIN customers cu ON cu.id = e.customer_id", click: "cu.click_id",
			// A repeated signup of a customer already credited ("kept") is not a new one.
			partner: "cu.partner_id", link: "cu.link_id", at: "e.created_at", count: "COUNT(*)", currency: "''", amount: "0",
			where: "e.vendor_id = ? AND e.outcome NOT IN ('" + attribution.OutcomeKept + "', '" + attribution.OutcomeAttempt + "') AND cu.partner_id <> ''",
		},
		{
			from: "purchases e", click: "e.click_id",
			partner: "e.partner_id", link: "e.link_id", at: "e.purchased_at", count: "COUNT(*)", currency: "e.currency",
			amount: "SUM(e.amount - e.refunded_amount)",
			where:  "e.vendor_id = ? AND e.partner_id <> '' AND e.status <> '" + attribution.PurchaseExcluded + "'",
		},
		{
			from: "rewards e LEFT JOIN purchases p ON p.id = e.purchase_id AND e.purchase_id <> ''" +
				" LEFT JOIN customers cu ON cu.id = e.customer_id AND e.customer_id <> ''",
			click:   "COALESCE(CASE WHEN p.click_id <> '' THEN p.click_id ELSE cu.click_id END, '')",
			partner: "e.partner_id", link: "CASE WHEN p.link_id <> '' THEN p.link_id ELSE COALESCE(cu.link_id, '') END",
			at: "e.created_at", count: "0", currency: "e.currency", amount: "SUM(e.amount)",
			where: "e.vendor_id = ? AND e.status <> '" + attribution.RewardDeclined + "'",
		},
	}
	byDay, byClick := false, q.Variant != "" || q.UTMSource != ""
	for _, r := range reps {
		byDay = byDay || r.q.GroupBy == attribution.GroupByDay
		switch r.q.GroupBy {
		case attribution.GroupByDay, attribution.GroupByPartner, attribution.GroupByLink:
		default:
			byClick = true
		}
	}
	if !byClick {
		for i, p := range parts {
			rd.do(func(ctx context.Context) error { return s.conversionPart(ctx, rd, reps, vendorID, i, p, byDay) })
		}
		return
	}
	// The click's dimensions: copied in conversion_clicks, and the few not
	// copied yet read from clicks (known once uncopiedClicks answered).
	for i, p := range parts {
		main := p
		main.from += " LEFT JOIN conversion_clicks c ON c.click_id = " + p.click
		main.where += " AND (" + p.click + " = '' OR c.click_id IS NOT NULL)"
		rd.do(func(ctx context.Context) error { return s.conversionPart(ctx, rd, reps, vendorID, i, main, byDay) })
	}
	rd.do(func(ctx context.Context) error {
		pending, err := uncopiedClicks(ctx, s.db, vendorID)
		if err != nil || len(pending) == 0 {
			return err
		}
		for i, p := range parts {
			rest := p
			rest.from += " LEFT JOIN clicks c ON c.id = " + p.click
			if len(pending) > maxUncopied {
				rest.where += " AND " + p.click + " <> '' AND NOT EXISTS (SELECT 1 FROM conversion_clicks x WHERE x.click_id = " + p.click + ")"
			} else {
				rest.where += " AND " + p.click + " IN (?)"
				rest.whereArgs = []any{bun.List(pending)}
			}
			rd.do(func(ctx context.Context) error { return s.conversionPart(ctx, rd, reps, vendorID, i, rest, byDay) })
		}
		return nil
	})
}

// maxUncopied bounds the click ids read by uncopiedClicks; past it the
// conversions not copied are found by their own query.
const maxUncopied = 1000

// uncopiedClicks returns the ids of the vendor's clicks that customers and
// purchases name and conversion_clicks does not hold yet: usually none (the
// rollup job copies them every minute); up to maxUncopied+1.
func uncopiedClicks(ctx context.Context, db bun.IDB, vendorID string) ([]string, error) {
	var ids []string
	err := db.NewRaw(`SELECT click_id FROM customers cu WHERE vendor_id = ? AND click_id <> ''
			AND NOT EXISTS (SELECT 1 FROM conversion_clicks x WHERE x.click_id = cu.click_id)
		UNION SELECT click_id FROM purchases p WHERE vendor_id = ? AND click_id <> ''
			AND NOT EXISTS (SELECT 1 FROM conversion_clicks x WHERE x.click_id = p.click_id)
		LIMIT ?`, vendorID, vendorID, maxUncopied+1).Scan(ctx, &ids)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return ids, err
}

// conversionQuery is the SQL of one kind of conversion: its tables, the
// expressions of its click id, partner, link, time, count, currency and
// amount, and its condition.
type conversionQuery struct {
	from, click, partner, link, at, count, currency, amount, where string
	whereArgs                                                      []any // after the vendor id
}

// conversionPart adds one query's conversions of kind i (0 signups, 1
// purchases, 2 rewards) to each report, once read (rd.add).
func (s *Analytics) conversionPart(ctx context.Context, rd *reads, reps []*report, vendorID string, i int, p conversionQuery, byDay bool) error {
	q := reps[0].q
	from, where, partner, link, at := p.from, p.where, p.partner, p.link, p.at
	keys := make([]string, len(reps))
	for j, r := range reps {
		keys[j] = eventKey(r.q.GroupBy, partner, link)
	}
	hour := "0"
	if byDay {
		hour = s.dialect.hourExpr(at)
	}
	ks := newKeySets(s.dialect, keys, []string{hour, p.currency})
	where += " AND " + at + " >= ? AND " + at + " < ?"
	args := append(append([]any{vendorID}, p.whereArgs...), q.Start, q.End)
	for _, f := range [...]struct{ col, v string }{{partner, q.PartnerID}, {link, q.LinkID},
		{"COALESCE(c.variant, '')", q.Variant}, {"COALESCE(c.utm_source, '')", q.UTMSource}} {
		if f.v != "" {
			where += " AND " + f.col + " = ?"
			args = append(args, f.v)
		}
	}
	sqlq := "SELECT " + ks.selectList() + ", " + p.count + ", " + p.amount + " FROM " + from + " WHERE " + where + " " + ks.groupBy()
	rows, err := s.db.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	pos := make([]int, len(reps)) // each report's key among ks.keys
	for j := range reps {
		pos[j] = ks.index(keys[j])
	}
	type conversionRow struct {
		grp, h, n, sum int64
		cur            sql.NullString
		k              []sql.NullString // NULL: not grouped by it (ks.apart)
	}
	var got []conversionRow
	for rows.Next() {
		x := conversionRow{k: make([]sql.NullString, len(ks.keys))}
		dst := []any{&x.grp}
		for j := range x.k {
			dst = append(dst, &x.k[j])
		}
		dst = append(dst, &x.h, &x.cur, &x.n, &x.sum)
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		got = append(got, x)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rd.add(func() {
		for _, x := range got {
			for j, r := range reps {
				if !ks.grouped(x.grp, pos[j]) {
					continue
				}
				row := r.row(x.k[pos[j]].String, time.Unix(x.h*3600, 0).UTC())
				switch i {
				case 0:
					row.Signups += x.n
				case 1:
					row.Purchases += x.n
					row.Revenue = addAmount(row.Revenue, x.cur.String, x.sum)
				case 2:
					row.Rewards = addAmount(row.Rewards, x.cur.String, x.sum)
				}
			}
		}
	})
	return nil
}

// addAmount adds to one currency's sum, saturating instead of wrapping
// (bounded amounts never get there; a corrupted row must not flip a sign).
func addAmount(m map[string]int64, currency string, amount int64) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	cur := strings.ToLower(currency)
	sum, ok := attribution.AddAmounts(m[cur], amount)
	if !ok {
		sum = math.MaxInt64
		if amount < 0 {
			sum = math.MinInt64
		}
	}
	m[cur] = sum
	return m
}
