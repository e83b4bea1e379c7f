package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// snippetHealth is GET /v1/health/snippet?days=: what the snippet's pings,
// the signups and the clicks of the last days say about the integration.
func (h *healthHandlers) snippetHealth(c echo.Context) error {
	days, err := intParam(c, "days", 1, attribution.MaxHealthDays, attribution.DefaultHealthDays)
	if err != nil {
		return err
	}
	v := VendorOf(c)
	now := h.s.deps.Clock()
	since := now.Add(-time.Duration(days) * 24 * time.Hour)
	d, err := h.s.deps.Store.SnippetHealthData(c.Request().Context(), v, since)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, attribution.EvaluateSnippetHealth(v, d, now))
}
