package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// analyticsHandlers serve the vendor's analytics.
type analyticsHandlers struct {
	svc   attribution.AnalyticsService
	clock attribution.Clock
}

// analyticsParamsOf reads the analytics query parameters of a request.
func analyticsParamsOf(c echo.Context) attribution.AnalyticsParams {
	return attribution.AnalyticsParams{
		Start: c.QueryParam("start"), End: c.QueryParam("end"), TZ: c.QueryParam("tz"),
		GroupBy: c.QueryParam("group_by"), PartnerID: c.QueryParam("partner_id"), LinkID: c.QueryParam("link_id"),
		Variant: c.QueryParam("variant"), UTMSource: c.QueryParam("utm_source"),
	}
}

// getAnalytics answers GET /v1/analytics; dates and day buckets are in the
// vendor's time zone unless tz names another.
func (h *analyticsHandlers) getAnalytics(c echo.Context) error {
	q, err := analyticsParamsOf(c).Query(h.clock(), VendorOf(c).Location())
	if err != nil {
		return err
	}
	rep, err := h.svc.Analytics(c.Request().Context(), VendorOf(c).ID, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}
