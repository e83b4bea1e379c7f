package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// analyticsTables are the tables of the analytics page, in order: the
// group_by, the table's title and its first column's heading.
var analyticsTables = []struct{ groupBy, title, column string }{
	{attribution.GroupByVariant, "Clicks by variant", "Variant"},
	{attribution.GroupByUTMSource, "Clicks by UTM source", "UTM source"},
	{attribution.GroupByUTMMedium, "Clicks by UTM medium", "UTM medium"},
	{attribution.GroupByUTMCampaign, "Clicks by UTM campaign", "UTM campaign"},
	{attribution.GroupByReferrer, "Clicks by referrer", "Referrer"},
	{attribution.GroupBySource, "Clicks by source", "Source"},
	{attribution.GroupByCountry, "Clicks by country", "Country"},
	{attribution.GroupByDevice, "Clicks by device", "Device"},
	{attribution.GroupByBrowser, "Clicks by browser", "Browser"},
	{attribution.GroupByOS, "Clicks by OS", "OS"},
}

// analyticsData is what the analytics widgets show, on
// /dashboard/analytics and on a link's page.
type analyticsData struct {
	Form     periodForm
	Partners []*attribution.Partner // the filter's choices
	Links    []*attribution.Link
	Totals   attribution.AnalyticsRow
	Revenue  []money
	Chart    chart
	Days     []attribution.AnalyticsRow
	Tables   []analyticsTable
}

// analyticsTable is one breakdown with its CSV download.
type analyticsTable struct {
	ID, Title, Column string
	Rows              []attribution.AnalyticsRow
	CSV               string
}

// analytics answers GET /dashboard/analytics.
func (p *pages) analytics(c echo.Context) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
	if err != nil {
		return err
	}
	q, form, err := p.readPeriod(c, v, attribution.GroupByDay, "")
	if err != nil {
		return err
	}
	d, err := p.analyticsWidgets(ctx, v.ID, q, form)
	if err != nil {
		return err
	}
	if d.Partners, _, err = p.Partners.ListPartners(ctx, v.ID, attribution.PartnerFilter{Page: attribution.Page{Limit: attribution.MaxPageLimit}}); err != nil {
		return err
	}
	if d.Links, _, err = p.Links.ListLinks(ctx, v.ID, attribution.LinkFilter{Page: attribution.Page{Limit: attribution.MaxPageLimit}}); err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "analytics", view{Title: "Analytics", Nav: "analytics", User: u, Vendor: v, Data: d})
}

// analyticsWidgets runs the day report and each table's report for q.
func (p *pages) analyticsWidgets(ctx context.Context, vendorID string, q attribution.AnalyticsQuery, form periodForm) (*analyticsData, error) {
	// The day report with the tables' in one read of the clicks after the
	// rollup.
	groupBys := []string{attribution.GroupByDay}
	for _, t := range analyticsTables {
		groupBys = append(groupBys, t.groupBy)
	}
	all, err := p.Analytics.Breakdowns(ctx, vendorID, q, groupBys)
	if err != nil {
		return nil, err
	}
	days, reps := all[0], all[1:]
	d := &analyticsData{Form: form, Totals: days.Totals, Revenue: moneyList(days.Totals.Revenue), Chart: clicksChart(days), Days: days.Rows}
	base := url.Values{"start": {form.Start}, "end": {form.End}}
	if form.PartnerID != "" {
		base.Set("partner_id", form.PartnerID)
	}
	if form.LinkID != "" {
		base.Set("link_id", form.LinkID)
	}
	for i, t := range analyticsTables {
		rep := reps[i]
		csvQuery := url.Values{"group_by": {t.groupBy}}
		for k, v := range base {
			csvQuery[k] = v
		}
		d.Tables = append(d.Tables, analyticsTable{ID: "by-" + strings.ReplaceAll(t.groupBy, "_", "-"), Title: t.title,
			Column: t.column, Rows: rep.Rows, CSV: "/dashboard/analytics.csv?" + csvQuery.Encode()})
	}
	return d, nil
}

// moneyList lists per-currency amounts in currency order.
func moneyList(m map[string]int64) []money {
	out := make([]money, 0, len(m))
	for cur, amount := range m {
		out = append(out, money{Amount: amount, Currency: cur})
	}
	slices.SortFunc(out, func(a, b money) int { return strings.Compare(a.Currency, b.Currency) })
	return out
}

// analyticsCSV answers GET /dashboard/analytics.csv?group_by=…: one
// table of the analytics page, with its period and filters. Text cells go
// through attribution.CSVText; counts and amounts (minor units, one column
// per currency) stay numbers.
func (p *pages) analyticsCSV(c echo.Context) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
	if err != nil {
		return err
	}
	groupBy, err := formText(c, "group_by")
	if err != nil {
		return err
	}
	q, form, err := p.readPeriod(c, v, groupBy, "")
	if err != nil {
		return err
	}
	rep, err := p.Analytics.Analytics(ctx, v.ID, q)
	if err != nil {
		return err
	}
	var currencies []string
	for _, r := range append(rep.Rows, rep.Totals) {
		for cur := range r.Revenue {
			currencies = append(currencies, cur)
		}
		for cur := range r.Rewards {
			currencies = append(currencies, cur)
		}
	}
	slices.Sort(currencies)
	currencies = slices.Compact(currencies)
	header := []string{q.GroupBy, "clicks", "unique_clicks", "bot_clicks", "signups", "purchases"}
	for _, cur := range currencies {
		header = append(header, "revenue_"+cur)
	}
	for _, cur := range currencies {
		header = append(header, "rewards_"+cur)
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.Write(header); err != nil {
		return err
	}
	n := func(i int64) string { return strconv.FormatInt(i, 10) }
	for _, r := range rep.Rows {
		rec := []string{attribution.CSVText(r.Key), n(r.Clicks), n(r.UniqueClicks), n(r.BotClicks), n(r.Signups), n(r.Purchases)}
		for _, cur := range currencies {
			rec = append(rec, n(r.Revenue[cur]))
		}
		for _, cur := range currencies {
			rec = append(rec, n(r.Rewards[cur]))
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	name := "analytics-" + q.GroupBy + "-" + form.Start + "-" + form.End + ".csv"
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}
