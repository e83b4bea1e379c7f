package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// eraseCustomer answers DELETE /v1/customers/{id}: the customer's personal
// data is erased, its purchase and reward amounts kept. Idempotent.
func (d *diagnosis) eraseCustomer(c echo.Context) error {
	res, err := d.erasure.EraseCustomer(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
