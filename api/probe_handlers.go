package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// probeHandlers serve the liveness and readiness probes.
type probeHandlers struct {
	deps handlerDeps
}

func (s *probeHandlers) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *probeHandlers) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.deps.Database.Ping(ctx); err != nil {
		return attribution.Errorf(attribution.EUNAVAILABLE, "The database is not reachable.")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
