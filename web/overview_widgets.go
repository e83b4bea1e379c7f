package web

import (
	"context"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// overviewWidgets are the overview's chart, top partners and links, live
// feed and tasks.
type overviewWidgets struct {
	Chart       chart
	Days        []attribution.AnalyticsRow
	TopPartners []topRow
	TopLinks    []topRow
	Feed        []feedItem
	FeedAfter   string // the newest click shown: the feed sends what follows
	Tasks       *attribution.DashboardTasks
	Health      []attribution.HealthCheck // failing or warning checks
}

// topRow is one partner or link among the period's top ones.
type topRow struct {
	Name, Href string
	attribution.AnalyticsRow
	Revenue []money
}

// topSize is how many partners and links the overview lists.
const topSize = 5

// loadOverviewWidgets reads the widgets for the period of q (group_by day),
// given its reports by day, partner and link.
func (p *pages) loadOverviewWidgets(ctx context.Context, v *attribution.Vendor, q attribution.AnalyticsQuery, days, byPartner, byLink *attribution.AnalyticsReport) (*overviewWidgets, error) {
	w := &overviewWidgets{Chart: clicksChart(days), Days: days.Rows}
	for _, g := range []struct {
		rep  *attribution.AnalyticsReport
		out  *[]topRow
		name func(id string) (string, string, error)
	}{
		{byPartner, &w.TopPartners, func(id string) (string, string, error) {
			pa, err := p.Partners.FindPartner(ctx, v.ID, id)
			if err != nil {
				return "", "", err
			}
			return pa.Name, "/dashboard/partners/" + pa.ID, nil
		}},
		{byLink, &w.TopLinks, func(id string) (string, string, error) {
			l, err := p.Links.FindLink(ctx, v.ID, id)
			if err != nil {
				return "", "", err
			}
			return l.Key, "/dashboard/links/" + l.ID, nil
		}},
	} {
		for _, r := range g.rep.Rows {
			if len(*g.out) == topSize {
				break
			}
			if r.Key == "" { // conversions credited by hand, without a link
				continue
			}
			name, href, err := g.name(r.Key)
			if attribution.ErrorCode(err) == attribution.ENOTFOUND {
				continue
			} else if err != nil {
				return nil, err
			}
			*g.out = append(*g.out, topRow{Name: name, Href: href, AnalyticsRow: r, Revenue: moneyList(r.Revenue)})
		}
	}
	clicks, err := p.Dashboard.RecentClicks(ctx, v.ID, attribution.FeedSize)
	if err != nil {
		return nil, err
	}
	for _, c := range clicks {
		w.Feed = append(w.Feed, newFeedItem(c, v.Location()))
	}
	if len(w.Feed) > 0 {
		w.FeedAfter = w.Feed[0].ID
	}
	if w.Tasks, err = p.Dashboard.Tasks(ctx, v.ID, q.Start, q.End); err != nil {
		return nil, err
	}
	now := p.Clock()
	hd, err := p.Health.SnippetHealthData(ctx, v, now.Add(-time.Duration(attribution.DefaultHealthDays)*24*time.Hour))
	if err != nil {
		return nil, err
	}
	for _, c := range attribution.EvaluateSnippetHealth(v, hd, now).Checks {
		if c.Status == attribution.HealthFailing || c.Status == attribution.HealthWarning {
			w.Health = append(w.Health, c)
		}
	}
	return w, nil
}
