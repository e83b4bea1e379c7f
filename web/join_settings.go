package web

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// programFields reads the Settings program form's "Public program page",
// "Slug" and "Minimum payout" into upd. A form without the slug field (or
// the minimum payout field) leaves those settings unchanged. EINVALID.
func programFields(c echo.Context, upd *attribution.VendorUpdate) error {
	form, err := c.FormParams()
	if err != nil {
		return attribution.Errorf(attribution.EINVALID, "The form could not be read.")
	}
	if form.Has("program_page_slug") {
		slug, err := formText(c, "program_page_slug")
		if err != nil {
			return err
		}
		enabled := c.FormValue("program_page_enabled") == "on"
		upd.ProgramPage = &attribution.ProgramPageUpdate{Enabled: &enabled, Slug: &slug}
	}
	if form.Has("minimum_payout") {
		s, err := formText(c, "minimum_payout")
		if err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			s = "0"
		}
		min, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return attribution.Errorf(attribution.EINVALID, "Minimum payout must be a whole number of minor units (cents), such as 5000.")
		}
		upd.MinimumPayout = &min
	}
	return nil
}
