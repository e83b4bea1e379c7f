package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// createCustomer creates a customer attributed to a partner by hand.
func (m *money) createCustomer(c echo.Context) error {
	var req attribution.CustomerCreate
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	cust, err := m.customers.CreateCustomer(c.Request().Context(), VendorOf(c), ActorOf(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, cust)
}

// reassignCustomer credits a customer to another partner by hand.
func (m *money) reassignCustomer(c echo.Context) error {
	var req attribution.Reassignment
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	res, err := m.customers.ReassignCustomer(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
