package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// checkLink is POST /v1/links/{id}/check: fetch the link's destination as a
// click would reach it and report on the snippet and the public key
// (check.Fetcher.CheckLink, which the dashboard's button calls too).
func (h *healthHandlers) checkLink(c echo.Context) error {
	v := VendorOf(c)
	l, err := h.deps.Links.FindLink(c.Request().Context(), v.ID, c.Param("id"))
	if err != nil {
		return err
	}
	rep, err := h.fetcher.CheckLink(c.Request().Context(), l, v.PublicKey)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}
