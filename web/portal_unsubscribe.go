package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

type unsubscribeData struct {
	Info  *attribution.UnsubscribeInfo
	Label string
}

// unsubscribeForm answers GET /partner/unsubscribe/{token} and
// /unsubscribe/{token}: what the link turns off, and a button to do it.
// Opening it changes nothing (mail scanners fetch links).
func (p *pages) unsubscribeForm(c echo.Context) error {
	info, err := p.Unsubscribes.Unsubscription(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "portal_unsubscribe", view{Title: "Unsubscribe",
		Data: unsubscribeData{Info: info, Label: attribution.MailKindLabel(info.Kind)}})
}

// unsubscribe answers POST to the same paths, from the page's button or a
// mail client's one-click unsubscribe: that kind of email is turned off.
func (p *pages) unsubscribe(c echo.Context) error {
	info, err := p.Unsubscribes.Unsubscribe(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "portal_unsubscribe", view{Title: "Unsubscribed",
		Data: unsubscribeData{Info: info, Label: attribution.MailKindLabel(info.Kind)}})
}
