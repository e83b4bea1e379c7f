package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// portalHomeData is the portal's home: the partner's links to share and
// their figures for the period.
type portalHomeData struct {
	Profile    *attribution.PartnerProfile
	Links      []*attribution.Link
	Start, End string // the period's first and last day, as the form shows them
	Total      *attribution.PartnerDay
	Earnings   []money // rewards of the period (not declined), per currency
	Chart      chart
}

// portalHome answers GET /partner: the partner's active links with copy
// buttons and QR codes, and clicks, signups, purchases and earnings for
// the period ("start", "end": the same rule as GET /v1/partner/analytics).
func (p *pages) portalHome(c echo.Context) error {
	ctx, me := c.Request().Context(), partnerOf(c)
	v, err := p.portalVendor(c)
	if err != nil {
		return err
	}
	start, err := formText(c, "start")
	if err != nil {
		return err
	}
	end, err := formText(c, "end")
	if err != nil {
		return err
	}
	period, err := attribution.ParsePeriod(start, end, "", v.Location(), p.Clock(), attribution.PartnerAnalyticsPeriod)
	if err != nil {
		return err
	}
	days, err := p.Portal.PartnerAnalytics(ctx, v.ID, me.ID, period.Start, period.End)
	if err != nil {
		return err
	}
	links, err := p.partnerLinks(c, v.ID, me.ID, attribution.LinkActive)
	if err != nil {
		return err
	}
	d := portalHomeData{
		Profile: attribution.ProfileOf(v, me), Links: links,
		Start: period.Start.In(period.Location).Format("2006-01-02"),
		End:   period.End.In(period.Location).AddDate(0, 0, -1).Format("2006-01-02"), // End is exclusive
		Total: attribution.PartnerTotal(days), Chart: partnerChart(days, period.Start, period.End),
	}
	for cur, amount := range d.Total.Rewards {
		d.Earnings = append(d.Earnings, money{Amount: amount, Currency: cur})
	}
	slices.SortFunc(d.Earnings, func(a, b money) int { return strings.Compare(a.Currency, b.Currency) })
	return p.renderPortal(c, http.StatusOK, "portal_home", "Your partner portal", "home", v, d)
}

// partnerLinks lists the partner's own links (of status, when set) with
// their referral URLs.
func (p *pages) partnerLinks(c echo.Context, vendorID, partnerID, status string) ([]*attribution.Link, error) {
	list, _, err := p.Links.ListLinks(c.Request().Context(), vendorID,
		attribution.LinkFilter{PartnerID: partnerID, Status: status, Page: attribution.Page{Limit: attribution.MaxPageLimit}})
	if err != nil {
		return nil, err
	}
	for _, l := range list {
		l.SetURL(p.PublicURL)
	}
	return list, nil
}

// partnerChart charts clicks, unique clicks and signups per UTC day of
// [start, end), the days of PartnerAnalytics, days without activity at 0.
func partnerChart(days []*attribution.PartnerDay, start, end time.Time) chart {
	c := chart{XLabel: "Day", YLabel: "Count", Series: []chartSeries{{Label: "Clicks"}, {Label: "Unique clicks"}, {Label: "Signups"}}}
	byDate := make(map[string]*attribution.PartnerDay, len(days))
	for _, d := range days {
		byDate[d.Date] = d
	}
	for _, day := range attribution.DayStarts(start.UTC(), end.UTC(), time.UTC) {
		key := attribution.DayKey(day, time.UTC)
		d := byDate[key]
		if d == nil {
			d = &attribution.PartnerDay{}
		}
		c.Labels = append(c.Labels, key)
		c.Series[0].Values = append(c.Series[0].Values, int64(d.Clicks))
		c.Series[1].Values = append(c.Series[1].Values, int64(d.UniqueClicks))
		c.Series[2].Values = append(c.Series[2].Values, int64(d.Signups))
	}
	return c
}
