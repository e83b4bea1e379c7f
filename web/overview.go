package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// overviewData is the period's figures on /dashboard.
type overviewData struct {
	Start, End string // the period's first and last day, as the form shows them
	Totals     attribution.AnalyticsRow
	Revenue    []money // per currency
	Rewards    []attribution.RewardTotal
	NoPartners bool // the program has no partner yet: say what to do first
	More       *overviewWidgets
}

type money struct {
	Amount   int64
	Currency string
}

// overview answers GET /dashboard: the period's clicks, unique clicks,
// signups, purchases, revenue and rewards by status. start and end mean
// what they mean for GET /v1/analytics (attribution.AnalyticsParams).
func (p *pages) overview(c echo.Context) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
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
	q, err := attribution.AnalyticsParams{Start: start, End: end, GroupBy: attribution.GroupByDay}.Query(p.Clock(), v.Location())
	if err != nil {
		return err
	}
	// The day report and the top partners' and links' in one read of the
	// clicks after the rollup.
	reps, err := p.Analytics.Breakdowns(ctx, v.ID, q, []string{attribution.GroupByDay, attribution.GroupByPartner, attribution.GroupByLink})
	if err != nil {
		return err
	}
	rep := reps[0]
	rewards, err := p.Rewards.RewardTotals(ctx, v.ID, q.Start, q.End)
	if err != nil {
		return err
	}
	partners, _, err := p.Partners.ListPartners(ctx, v.ID, attribution.PartnerFilter{Page: attribution.Page{Limit: 1}})
	if err != nil {
		return err
	}
	d := overviewData{
		Start:  q.Start.In(q.Location).Format("2006-01-02"),
		End:    q.End.In(q.Location).AddDate(0, 0, -1).Format("2006-01-02"), // End is exclusive
		Totals: rep.Totals, Rewards: rewards, NoPartners: len(partners) == 0,
	}
	if d.More, err = p.loadOverviewWidgets(ctx, v, q, rep, reps[1], reps[2]); err != nil {
		return err
	}
	for cur, amount := range rep.Totals.Revenue {
		d.Revenue = append(d.Revenue, money{Amount: amount, Currency: cur})
	}
	slices.SortFunc(d.Revenue, func(a, b money) int { return strings.Compare(a.Currency, b.Currency) })
	return p.render(c, http.StatusOK, "overview", view{Title: "Overview", Nav: "overview", User: u, Vendor: v, Data: d})
}
