package web

import (
	"encoding/json"

	"github.com/tally-dev/tally/attribution"
)

// chart is a line chart drawn by static/chart.js with uPlot from its JSON
// (a data-chart attribute: the CSP runs no inline script). The page always
// renders the same numbers as a table, for people without JavaScript or
// with a screen reader.
type chart struct {
	XLabel, YLabel string
	Labels         []string // one per point, on the x axis
	Series         []chartSeries
}

type chartSeries struct {
	Label  string  `json:"label"`
	Values []int64 `json:"values"`
}

// JSON is the chart as chart.js reads it.
func (c chart) JSON() (string, error) {
	b, err := json.Marshal(map[string]any{"x_label": c.XLabel, "y_label": c.YLabel, "labels": c.Labels, "series": c.Series})
	return string(b), err
}

// clicksChart charts a group_by=day report: clicks, unique clicks and
// signups per day of the vendor's time zone.
func clicksChart(rep *attribution.AnalyticsReport) chart {
	c := chart{XLabel: "Day", YLabel: "Count", Series: []chartSeries{{Label: "Clicks"}, {Label: "Unique clicks"}, {Label: "Signups"}}}
	for _, r := range rep.Rows {
		c.Labels = append(c.Labels, r.Key)
		c.Series[0].Values = append(c.Series[0].Values, r.Clicks)
		c.Series[1].Values = append(c.Series[1].Values, r.UniqueClicks)
		c.Series[2].Values = append(c.Series[2].Values, r.Signups)
	}
	return c
}
