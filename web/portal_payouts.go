package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// portalPayoutsData is the partner's payout history and payout method form.
type portalPayoutsData struct {
	Payouts []*attribution.PartnerPayout
	Next    string // the next page's URL; "" on the last
	Method  payoutMethodForm
	Saved   bool
}

// payoutMethodForm is the payout method as the form shows it.
type payoutMethodForm struct {
	Type, PayPalEmail, Name, IBAN, BIC, Currency string
}

// portalPayouts answers GET /partner/payouts: the payouts made to the
// partner and their payout method (GET /v1/partner/payouts and /me).
func (p *pages) portalPayouts(c echo.Context) error {
	ctx, me := c.Request().Context(), partnerOf(c)
	v, err := p.portalVendor(c)
	if err != nil {
		return err
	}
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Payouts.PartnerPayouts(ctx, v.ID, me.ID, page)
	if err != nil {
		return err
	}
	d := portalPayoutsData{Payouts: list, Saved: c.QueryParam("saved") == "1"}
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	if c.Request().Method == http.MethodPost { // a refused form, shown again as typed
		d.Method = readPayoutMethodForm(c)
	} else {
		s, err := p.Payouts.PartnerSettings(ctx, v.ID, me.ID)
		if err != nil {
			return err
		}
		if m := s.PayoutMethod; m != nil {
			d.Method = payoutMethodForm{Type: m.Type, Name: m.Name, IBAN: m.IBAN, BIC: m.BIC, Currency: m.Currency}
			if m.Type == attribution.PayoutPayPal {
				d.Method.PayPalEmail = m.Email
			}
		}
	}
	return p.renderPortal(c, http.StatusOK, "portal_payouts", "Payouts", "payouts", v, d)
}

func readPayoutMethodForm(c echo.Context) payoutMethodForm {
	return payoutMethodForm{Type: c.FormValue("type"), PayPalEmail: c.FormValue("paypal_email"), Name: c.FormValue("name"),
		IBAN: c.FormValue("iban"), BIC: c.FormValue("bic"), Currency: c.FormValue("currency")}
}

// portalSavePayoutMethod answers POST /partner/payouts/method: the fields
// of the chosen type become the payout method, validated by the domain as
// PATCH /v1/partner/me validates it; "none" removes it.
func (p *pages) portalSavePayoutMethod(c echo.Context) error {
	for _, name := range [...]string{"type", "paypal_email", "name", "iban", "bic", "currency"} {
		if _, err := formText(c, name); err != nil {
			return err
		}
	}
	f := readPayoutMethodForm(c)
	upd := attribution.PartnerSettingsUpdate{PayoutMethod: attribution.PayoutMethodUpdate{Set: true}}
	switch f.Type {
	case "none":
	case attribution.PayoutPayPal:
		upd.PayoutMethod.Method = &attribution.PayoutMethod{Type: f.Type, Email: f.PayPalEmail}
	default: // the domain names the types when this one is none of them
		upd.PayoutMethod.Method = &attribution.PayoutMethod{Type: f.Type, Name: f.Name, IBAN: f.IBAN, BIC: f.BIC, Currency: f.Currency}
	}
	me := partnerOf(c)
	if _, err := p.Payouts.UpdatePartnerSettings(c.Request().Context(), me.VendorID, me.ID, "partner:"+me.ID, upd); err != nil {
		return p.refused(c, err, p.portalPayouts)
	}
	return c.Redirect(http.StatusSeeOther, "/partner/payouts?saved=1")
}
