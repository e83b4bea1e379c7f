package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// stripeEventHandlers serve a vendor's Stripe events: the list (the queued
// and dead ones above all) and the manual retry of a dead one.
type stripeEventHandlers struct {
	events attribution.StripeEventService
}

// StripeEventRetryRequest is the optional body of
// POST /v1/stripe_events/{id}/retry.
type StripeEventRetryRequest struct {
	Reason string `json:"reason"`
}

// maxStripeEventID bounds a cursor: Stripe's event ids are far shorter.
const maxStripeEventID = 255

func (h *stripeEventHandlers) listStripeEvents(c echo.Context) error {
	limit, err := intParam(c, "limit", 1, attribution.MaxPageLimit, 0)
	if err != nil {
		return err
	}
	// Stripe's event ids are not Tally's: the cursor is any event id of the
	// vendor's, checked by the store.
	cursor := c.QueryParam("cursor")
	if len(cursor) > maxStripeEventID {
		return invalid("cursor is not valid.")
	}
	status, err := enumParam(c, "status", attribution.StripeEventsQueued, attribution.StripeEventsDead)
	if err != nil {
		return err
	}
	list, more, err := h.events.ListStripeEvents(c.Request().Context(), VendorOf(c).ID, attribution.StripeEventFilter{
		Status: status, Page: attribution.Page{Cursor: cursor, Limit: limit}.Normalize(),
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(e *attribution.StripeEvent) string { return e.ID }))
}

func (h *stripeEventHandlers) retryStripeEvent(c echo.Context) error {
	var req StripeEventRetryRequest
	if err := httpx.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	ev, err := h.events.RetryStripeEvent(c.Request().Context(), VendorOf(c).ID, c.Param("id"), ActorOf(c), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ev)
}
