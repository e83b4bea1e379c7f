package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/snippet/check"
)

// SnippetHealthAnswer is the answer of GET /v1/health/snippet: the
// domain's report with each check's remedy steps rendered.
type SnippetHealthAnswer struct {
	*attribution.SnippetHealth
	Checks []HealthCheckAnswer `json:"checks"`
}

// HealthCheckAnswer is a check with its remedy steps rendered.
type HealthCheckAnswer struct {
	attribution.HealthCheck
	Steps []RemedyStep `json:"steps,omitempty"`
}

// healthHandlers serve the snippet health report and the destination check.
type healthHandlers struct {
	deps    handlerDeps
	clock   attribution.Clock
	fetcher *check.Fetcher
	render  remedyRenderer
}

// snippetHealth is GET /v1/health/snippet?days=: what the snippet's pings,
// the signups and the clicks of the last days say about the integration.
func (h *healthHandlers) snippetHealth(c echo.Context) error {
	days, err := intParam(c, "days", 1, attribution.MaxHealthDays, attribution.DefaultHealthDays)
	if err != nil {
		return err
	}
	v := VendorOf(c)
	now := h.clock()
	since := now.Add(-time.Duration(days) * 24 * time.Hour)
	d, err := h.deps.Health.SnippetHealthData(c.Request().Context(), v, since)
	if err != nil {
		return err
	}
	rep := attribution.EvaluateSnippetHealth(v, d, now)
	out := SnippetHealthAnswer{SnippetHealth: rep, Checks: make([]HealthCheckAnswer, 0, len(rep.Checks))}
	for _, c := range rep.Checks {
		out.Checks = append(out.Checks, HealthCheckAnswer{HealthCheck: c, Steps: h.render.steps(c.Steps)})
	}
	return c.JSON(http.StatusOK, out)
}
