package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// portalRevokeSession answers POST /partner/sessions/{id}/revoke: it signs
// one of the partner's browsers out (a lost phone, a shared computer).
// Signing this browser out ends here too.
func (p *pages) portalRevokeSession(c echo.Context) error {
	me := partnerOf(c)
	if err := p.PartnerAccounts.RevokePartnerSession(c.Request().Context(), me.VendorID, me.ID, c.Param("id")); err != nil {
		return err
	}
	if current, _ := c.Get(ctxPartnerSess).(string); current == c.Param("id") {
		p.endPartnerSession(c)
		return c.Redirect(http.StatusSeeOther, "/partner/login")
	}
	return c.Redirect(http.StatusSeeOther, "/partner/notifications#sessions")
}
