package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// notificationChoice is one optional email and whether the partner wants it.
type notificationChoice struct {
	Kind, Label string
	Wanted      bool
}

type portalNotificationsData struct {
	Choices        []notificationChoice
	Saved          bool
	Sessions       []*attribution.PartnerSession // the browsers signed in (portal_sessions.go)
	CurrentSession string                        // this browser's session id
}

// portalNotifications answers GET /partner/notifications: a checkbox per
// optional email (attribution.NotificationKinds), and the browsers signed
// in to the portal as the partner, each of which it can sign out.
func (p *pages) portalNotifications(c echo.Context) error {
	me := partnerOf(c)
	v, err := p.portalVendor(c)
	if err != nil {
		return err
	}
	s, err := p.Payouts.PartnerSettings(c.Request().Context(), v.ID, me.ID)
	if err != nil {
		return err
	}
	d := portalNotificationsData{Saved: c.QueryParam("saved") == "1"}
	d.CurrentSession, _ = c.Get(ctxPartnerSess).(string)
	if d.Sessions, err = p.PartnerAccounts.ListPartnerSessions(c.Request().Context(), v.ID, me.ID); err != nil {
		return err
	}
	for _, kind := range attribution.NotificationKinds {
		d.Choices = append(d.Choices, notificationChoice{Kind: kind, Label: attribution.MailKindLabel(kind), Wanted: s.Notifications.Wants(kind)})
	}
	return p.renderPortal(c, http.StatusOK, "portal_notifications", "Notifications", "notifications", v, d)
}

// portalSaveNotifications answers POST /partner/notifications: each kind
// checked is wanted, each unchecked is not (as PATCH /v1/partner/me).
func (p *pages) portalSaveNotifications(c echo.Context) error {
	upd := attribution.PartnerSettingsUpdate{Notifications: map[string]bool{}}
	for _, kind := range attribution.NotificationKinds {
		upd.Notifications[kind] = c.FormValue(kind) == "on"
	}
	me := partnerOf(c)
	if _, err := p.Payouts.UpdatePartnerSettings(c.Request().Context(), me.VendorID, me.ID, "partner:"+me.ID, upd); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/partner/notifications?saved=1")
}
