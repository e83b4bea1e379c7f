package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// webhookHandlers serve /v1/webhook_endpoints, their deliveries, and
// /v1/events/{id}.
type webhookHandlers struct {
	hooks attribution.WebhookService
}

// WebhookDeliveryRetryRequest is the optional body of a delivery's retry.
type WebhookDeliveryRetryRequest struct {
	Reason string `json:"reason"`
}

func (h *webhookHandlers) createEndpoint(c echo.Context) error {
	var req attribution.WebhookEndpointCreate
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	e, err := h.hooks.CreateWebhookEndpoint(c.Request().Context(), VendorOf(c).ID, ActorOf(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, e)
}

func (h *webhookHandlers) listEndpoints(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixWebhookEndpoint)
	if err != nil {
		return err
	}
	list, more, err := h.hooks.ListWebhookEndpoints(c.Request().Context(), VendorOf(c).ID, page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(e *attribution.WebhookEndpoint) string { return e.ID }))
}

func (h *webhookHandlers) getEndpoint(c echo.Context) error {
	e, err := h.hooks.FindWebhookEndpoint(c.Request().Context(), VendorOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

func (h *webhookHandlers) patchEndpoint(c echo.Context) error {
	var upd attribution.WebhookEndpointUpdate
	if err := httpx.DecodeJSON(c, &upd); err != nil {
		return err
	}
	e, err := h.hooks.UpdateWebhookEndpoint(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"), upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

func (h *webhookHandlers) deleteEndpoint(c echo.Context) error {
	if err := h.hooks.DeleteWebhookEndpoint(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *webhookHandlers) rotateSecret(c echo.Context) error {
	e, err := h.hooks.RotateWebhookSecret(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

func (h *webhookHandlers) listDeliveries(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixWebhookDelivery)
	if err != nil {
		return err
	}
	status, err := enumParam(c, "status", attribution.DeliveryStatuses...)
	if err != nil {
		return err
	}
	list, more, err := h.hooks.ListWebhookDeliveries(c.Request().Context(), VendorOf(c).ID, c.Param("id"),
		attribution.WebhookDeliveryFilter{Status: status, Page: page})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(d *attribution.WebhookDelivery) string { return d.ID }))
}

func (h *webhookHandlers) retryDelivery(c echo.Context) error {
	var req WebhookDeliveryRetryRequest
	if err := httpx.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	d, err := h.hooks.RetryWebhookDelivery(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"), c.Param("delivery_id"), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (h *webhookHandlers) getEvent(c echo.Context) error {
	ev, err := h.hooks.FindWebhookEvent(c.Request().Context(), VendorOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, ev)
}
