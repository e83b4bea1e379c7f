package api

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/internal/metrics"
)

// httpMetrics records every request by its route template (c.Path(), never
// the raw URL), method and status class. It runs outermost, so it answers
// the errors (a panic's too) itself and sees the status sent.
func httpMetrics(m *metrics.Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if m == nil {
			return next
		}
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			m.HTTPRequest(c.Request().Method, c.Path(), c.Response().Status, time.Since(start))
			return nil
		}
	}
}
