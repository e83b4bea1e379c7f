package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// customerHandlers serve the customer reads of /v1/customers (the manual
// overrides are money's, the erasure diagnosis').
type customerHandlers struct {
	deps handlerDeps
}

func (s *customerHandlers) listCustomers(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixCustomer)
	if err != nil {
		return err
	}
	status, err := enumParam(c, "status", "attributed", "unattributed")
	if err != nil {
		return err
	}
	list, more, err := s.deps.Customers.ListCustomers(c.Request().Context(), VendorOf(c).ID, attribution.CustomerFilter{
		Email: c.QueryParam("email"), ExternalID: c.QueryParam("external_id"),
		PartnerID: c.QueryParam("partner_id"), Status: status, Page: page,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(c *attribution.Customer) string { return c.ID }))
}

func (s *customerHandlers) getCustomer(c echo.Context) error {
	cust, err := s.deps.Customers.FindCustomer(c.Request().Context(), VendorOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cust)
}
