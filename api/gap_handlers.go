package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// GapsAnswer is the answer of GET /v1/gaps: the domain's report with each
// cause's remedy rendered as requests.
type GapsAnswer struct {
	*attribution.GapReport
	UnattributedSignups   []GapCauseAnswer `json:"unattributed_signups"`
	UnattributedPurchases []GapCauseAnswer `json:"unattributed_purchases"`
}

// GapCauseAnswer is a cause with its remedy rendered.
type GapCauseAnswer struct {
	attribution.GapCause
	Remedy RemedyAnswer `json:"remedy"`
}

// gapHandlers serve the tracking-gaps report.
type gapHandlers struct {
	svc    attribution.GapService
	clock  attribution.Clock
	render remedyRenderer
}

// gaps answers GET /v1/gaps?start=&end=&tz=: the period's unattributed
// signups and purchases by cause, UTM values spelled several ways, and
// links and variants without clicks. The period reads as everywhere
// (attribution.ParsePeriod), the last 30 days by default.
func (h *gapHandlers) gaps(c echo.Context) error {
	v := VendorOf(c)
	p, err := attribution.ParsePeriod(c.QueryParam("start"), c.QueryParam("end"), c.QueryParam("tz"), v.Location(), h.clock(), attribution.GapPeriod)
	if err != nil {
		return err
	}
	rep, err := attribution.Gaps(c.Request().Context(), h.svc, v, p)
	if err != nil {
		return err
	}
	out := GapsAnswer{GapReport: rep, UnattributedSignups: h.causes(rep.UnattributedSignups),
		UnattributedPurchases: h.causes(rep.UnattributedPurchases)}
	return c.JSON(http.StatusOK, out)
}

func (h *gapHandlers) causes(in []attribution.GapCause) []GapCauseAnswer {
	out := make([]GapCauseAnswer, 0, len(in))
	for _, g := range in {
		out = append(out, GapCauseAnswer{GapCause: g, Remedy: h.render.remedy(g.Remedy)})
	}
	return out
}
