package attribution

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Analytics group-bys.
const (
	GroupByDay         = "day"
	GroupByPartner     = "partner"
	GroupByLink        = "link"
	GroupByVariant     = "variant"
	GroupByUTMSource   = "utm_source"
	GroupByUTMMedium   = "utm_medium"
	GroupByUTMCampaign = "utm_campaign"
	GroupByReferrer    = "referrer"
	GroupBySource      = "source"
	GroupByCountry     = "country"
	GroupByDevice      = "device"
	GroupByBrowser     = "browser"
	GroupByOS          = "os"
)

// AnalyticsGroupBys lists the accepted group_by values.
var AnalyticsGroupBys = []string{GroupByDay, GroupByPartner, GroupByLink, GroupByVariant, GroupByUTMSource,
	GroupByUTMMedium, GroupByUTMCampaign, GroupByReferrer, GroupBySource, GroupByCountry, GroupByDevice, GroupByBrowser, GroupByOS}

// Analytics limits.
const (
	AnalyticsMaxDays     = 400 // longest range of one query
	AnalyticsDefaultDays = 30  // range when start is not given
)

// AnalyticsParams are the raw query parameters of an analytics request.
type AnalyticsParams struct {
	Start, End, TZ, GroupBy               string
	PartnerID, LinkID, Variant, UTMSource string
}

// AnalyticsQuery is a validated analytics request: [Start, End) in UTC,
// day buckets in Location.
type AnalyticsQuery struct {
	Start, End time.Time
	Location   *time.Location
	GroupBy    string
	PartnerID  string
	LinkID     string
	Variant    string
	UTMSource  string
}

// Query validates p. start and end follow ParsePeriod, in the zone of tz
// or else loc (the vendor's time zone), with AnalyticsPeriod's defaults and
// limit. EINVALID.
func (p AnalyticsParams) Query(now time.Time, loc *time.Location) (AnalyticsQuery, error) {
	q := AnalyticsQuery{GroupBy: p.GroupBy, PartnerID: p.PartnerID, LinkID: p.LinkID, Variant: p.Variant, UTMSource: p.UTMSource}
	if q.GroupBy == "" {
		q.GroupBy = GroupByDay
	}
	if !slices.Contains(AnalyticsGroupBys, q.GroupBy) {
		return q, Errorf(EINVALID, "group_by must be one of %s.", strings.Join(AnalyticsGroupBys, ", "))
	}
	for name, v := range map[string]string{"partner_id": p.PartnerID, "link_id": p.LinkID, "variant": p.Variant, "utm_source": p.UTMSource} {
		if len(v) > 200 {
			return q, Errorf(EINVALID, "%s is longer than 200 characters.", name)
		}
	}
	period, err := ParsePeriod(p.Start, p.End, p.TZ, loc, now, AnalyticsPeriod)
	if err != nil {
		return q, err
	}
	q.Start, q.End, q.Location = period.Start, period.End, period.Location
	return q, nil
}

// AnalyticsRow is one group of an analytics answer. Amounts are in minor
// units, per currency (lower-case ISO code). Rates are per non-bot click.
//
// UniqueClicks counts a visitor (hash of IP and user agent) once per link
// per day, in the group of their first click that day, so the rows add up
// to the totals.
type AnalyticsRow struct {
	Key            string           `json:"key"`
	Clicks         int64            `json:"clicks"`
	UniqueClicks   int64            `json:"unique_clicks"`
	BotClicks      int64            `json:"bot_clicks"`
	Signups        int64            `json:"signups"`
	Purchases      int64            `json:"purchases"`
	Revenue        map[string]int64 `json:"revenue"`
	Rewards        map[string]int64 `json:"rewards"`
	ConversionRate float64          `json:"conversion_rate"`
	PurchaseRate   float64          `json:"purchase_rate"`
}

// Add adds o's counts to r (not the key, not the rates).
func (r *AnalyticsRow) Add(o *AnalyticsRow) {
	r.Clicks += o.Clicks
	r.UniqueClicks += o.UniqueClicks
	r.BotClicks += o.BotClicks
	r.Signups += o.Signups
	r.Purchases += o.Purchases
	r.Revenue = addAmounts(r.Revenue, o.Revenue)
	r.Rewards = addAmounts(r.Rewards, o.Rewards)
}

// Finish fills the rates and replaces nil maps by empty ones.
func (r *AnalyticsRow) Finish() {
	if r.Revenue == nil {
		r.Revenue = map[string]int64{}
	}
	if r.Rewards == nil {
		r.Rewards = map[string]int64{}
	}
	r.ConversionRate, r.PurchaseRate = 0, 0
	if r.Clicks > 0 {
		r.ConversionRate = float64(r.Signups) / float64(r.Clicks)
		r.PurchaseRate = float64(r.Purchases) / float64(r.Clicks)
	}
}

func addAmounts(dst, src map[string]int64) map[string]int64 {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = map[string]int64{}
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

// AnalyticsReport answers an analytics query. RolledUpThrough is the end of
// the hours read from the rollups; later clicks come from the raw table.
type AnalyticsReport struct {
	Start           time.Time      `json:"start"`
	End             time.Time      `json:"end"`
	TZ              string         `json:"tz"`
	GroupBy         string         `json:"group_by"`
	Rows            []AnalyticsRow `json:"rows"`
	Totals          AnalyticsRow   `json:"totals"`
	RolledUpThrough *time.Time     `json:"rolled_up_through"`
}

// AnalyticsService answers analytics queries.
type AnalyticsService interface {
	// Analytics aggregates a vendor's clicks, signups, purchases and rewards
	// over q. Conversions count for the group of the customer's attributing
	// click (partner and link from the customer or purchase), on the day of
	// the event itself. Only attributed conversions are counted.
	Analytics(ctx context.Context, vendorID string, q AnalyticsQuery) (*AnalyticsReport, error)
}

// DayKey names the day of loc holding the instant t.
func DayKey(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02") }

// DayStarts returns the starts (UTC) of the days of loc that overlap
// [start, end), in order.
func DayStarts(start, end time.Time, loc *time.Location) []time.Time {
	l := start.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	var out []time.Time
	for ; d.Before(end); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		out = append(out, d.UTC())
	}
	return out
}

// Unique clicks are rolled up per hour with one counter per possible UTC
// hour at which a day may start: counter K counts the clicks that are a
// visitor's first on their link in the 24 hours window starting at UTC hour
// K. A query in a zone reads, for each of its days, the counter of the UTC
// hour its day starts at. This is exact for zones at whole-hour offsets
// except on the two days of a DST change (23 or 25 hours: the window is 24
// hours). In zones at half-hour offsets an hour belongs to the local day in
// which it starts, so day boundaries move by up to 30 minutes.

// VisitorDayMask returns, for a click at t whose visitor's previous non-bot
// click on the same link was at prev (zero: none), the set of windows K
// (bit K) in which it is the visitor's first click.
func VisitorDayMask(t, prev time.Time) uint32 {
	if prev.IsZero() || t.Sub(prev) >= 24*time.Hour {
		return 1<<24 - 1
	}
	var m uint32
	midnight := t.UTC().Truncate(24 * time.Hour)
	for k := 0; k < 24; k++ {
		w := midnight.Add(time.Duration(k) * time.Hour)
		if w.After(t) {
			w = w.Add(-24 * time.Hour)
		}
		if prev.Before(w) {
			m |= 1 << k
		}
	}
	return m
}

// DayStartHour returns the counter K to read for the day of loc holding the
// hour starting at h: the UTC hour of the first whole hour of that day.
func DayStartHour(h time.Time, loc *time.Location) int {
	l := h.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc).UTC()
	if t := d.Truncate(time.Hour); !t.Equal(d) {
		d = t.Add(time.Hour)
	}
	return d.Hour()
}

// UniqueSegment says that hours before Until read unique counter Hour.
type UniqueSegment struct {
	Until time.Time
	Hour  int
}

// UniqueSegments splits [start, end) into runs of days reading the same
// unique counter (one run for zones without DST).
func UniqueSegments(start, end time.Time, loc *time.Location) []UniqueSegment {
	var out []UniqueSegment
	days := DayStarts(start, end, loc)
	for i, d := range days {
		k := DayStartHour(d.Add(30*time.Minute), loc)
		next := end
		if i+1 < len(days) {
			next = days[i+1]
		}
		if n := len(out); n > 0 && out[n-1].Hour == k {
			out[n-1].Until = next
			continue
		}
		out = append(out, UniqueSegment{Until: next, Hour: k})
	}
	return out
}
