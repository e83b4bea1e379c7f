package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// diagnose answers GET /v1/diagnose?email=|external_id=|customer_id=: the
// customer's timeline and the verdict naming the cause of a tracking gap.
func (d *diagnosis) diagnose(c echo.Context) error {
	q := attribution.DiagnosisQuery{
		Email:      c.QueryParam("email"),
		ExternalID: c.QueryParam("external_id"),
		CustomerID: c.QueryParam("customer_id"),
	}
	// DiagnosisFacts validates q and refuses malformed customer ids.
	facts, err := d.store.DiagnosisFacts(c.Request().Context(), VendorOf(c), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, facts.Diagnose())
}
