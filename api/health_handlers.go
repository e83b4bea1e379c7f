package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// snippetHealth is GET /v1/health/snippet?days=: what the snippet's pings,
// the signups and the clicks of the last days say about the integration.
func (h *healthHandlers) snippetHealth(c echo.Context) error {
	days := attribution.DefaultHealthDays
	if v := c.QueryParam("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > attribution.MaxHealthDays {
			return invalid("days must be a whole number from 1 to %d.", attribution.MaxHealthDays)
		}
		days = n
	}
	v := VendorOf(c)
	now := h.s.deps.Clock()
	since := now.Add(-time.Duration(days) * 24 * time.Hour)
	d, err := h.health.SnippetHealthData(c.Request().Context(), v, since)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, attribution.EvaluateSnippetHealth(v, d, now))
}
