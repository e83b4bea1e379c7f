package api

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/snippet/check"
)

// checkToken stands in for a click token in a destination check, so the
// report shows whether the site's own redirects keep tally_ref.
const checkToken = "tally_check"

// checkLink is POST /v1/links/{id}/check: fetch the link's destination as a
// click would reach it and report on the snippet and the public key.
func (h *healthHandlers) checkLink(c echo.Context) error {
	v := VendorOf(c)
	l, err := h.deps.Links.FindLink(c.Request().Context(), v.ID, c.Param("id"))
	if err != nil {
		return err
	}
	target, err := attribution.RedirectURL(l.DestinationURL, l.UTM, url.Values{}, checkToken)
	if err != nil {
		return invalid("The link's destination_url is not a valid URL.")
	}
	rep, err := h.fetcher.Check(c.Request().Context(), target, v.PublicKey)
	var be *check.BlockedError
	switch {
	case errors.As(err, &be):
		return invalid("Refused to fetch %s: %s. Tally does not fetch private, loopback, link-local or multicast addresses; the operator can allow them with TALLY_CHECK_ALLOW_PRIVATE=true.",
			target, be.Error())
	case err != nil:
		return invalid("Cannot check %s: %s.", target, err.Error())
	}
	return c.JSON(http.StatusOK, rep)
}
