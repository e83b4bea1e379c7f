package web

import (
	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// periodForm is a page's period and filters as the form shows them.
type periodForm struct {
	Start, End string // first and last day, in the vendor's time zone
	PartnerID  string
	LinkID     string
}

// readPeriod reads start, end and the optional partner and link filters
// of a page: the same rule as GET /v1/analytics (AnalyticsParams, in the
// vendor's time zone), grouped by groupBy. linkID, when set, fixes the link
// filter.
func (p *pages) readPeriod(c echo.Context, v *attribution.Vendor, groupBy, linkID string) (attribution.AnalyticsQuery, periodForm, error) {
	var vals [4]string
	for i, name := range [...]string{"start", "end", "partner_id", "link_id"} {
		s, err := formText(c, name)
		if err != nil {
			return attribution.AnalyticsQuery{}, periodForm{}, err
		}
		vals[i] = s
	}
	if linkID != "" {
		vals[3] = linkID
	}
	q, err := attribution.AnalyticsParams{Start: vals[0], End: vals[1], PartnerID: vals[2], LinkID: vals[3],
		GroupBy: groupBy}.Query(p.Clock(), v.Location())
	if err != nil {
		return q, periodForm{}, err
	}
	f := periodForm{
		Start:     q.Start.In(q.Location).Format("2006-01-02"),
		End:       q.End.In(q.Location).AddDate(0, 0, -1).Format("2006-01-02"), // End is exclusive
		PartnerID: q.PartnerID, LinkID: q.LinkID,
	}
	return q, f, nil
}
