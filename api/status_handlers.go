package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// Status is the body of GET /admin/v1/status: the backlogs an operator
// watches (alert when one keeps growing).
type Status struct {
	// WebhookQueue counts Stripe events acknowledged as queued and not yet
	// applied, across every instance (it is read from the database).
	WebhookQueue int `json:"webhook_queue"`
	// WebhookDead counts Stripe events dead after their last attempt,
	// waiting for their vendor's retry (alert when above zero).
	WebhookDead int `json:"webhook_dead"`
	// ClickQueue counts this instance's clicks not yet committed.
	ClickQueue int64 `json:"click_queue"`
}

// statusHandlers serve the operator's GET /admin/v1/status.
type statusHandlers struct {
	deps   handlerDeps
	clicks attribution.ClickRecorder
}

func (s *statusHandlers) status(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	n, err := s.deps.Payments.QueuedPaymentEvents(ctx)
	if err != nil {
		return attribution.Errorf(attribution.EUNAVAILABLE, "The database is not reachable.")
	}
	dead, err := s.deps.Payments.DeadPaymentEvents(ctx)
	if err != nil {
		return attribution.Errorf(attribution.EUNAVAILABLE, "The database is not reachable.")
	}
	st := Status{WebhookQueue: n, WebhookDead: dead}
	if q, ok := s.clicks.(interface{ Queued() int64 }); ok {
		st.ClickQueue = q.Queued()
	}
	return c.JSON(http.StatusOK, st)
}
