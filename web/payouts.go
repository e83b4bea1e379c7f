package web

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// payoutsData is /dashboard/payouts: what is due now per partner and
// currency, the button "Create payouts", and the batches made so far.
type payoutsData struct {
	Due      []*attribution.PayoutDue
	Minimums []string // the vendor's minimum payout in each currency due
	Status   string
	Statuses []string
	Payouts  []*attribution.Payout
	Next     string
}

// payouts answers GET /dashboard/payouts?status= (GET /v1/payouts/due and
// GET /v1/payouts).
func (p *pages) payouts(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	d := payoutsData{Statuses: attribution.PayoutStatuses}
	if d.Status, err = queryText(c, "status"); err != nil {
		return err
	}
	if d.Status != "" && !slices.Contains(attribution.PayoutStatuses, d.Status) {
		return attribution.Errorf(attribution.EINVALID, "Status must be one of %s.", strings.Join(attribution.PayoutStatuses, ", "))
	}
	if d.Due, err = p.Payouts.DuePayouts(ctx, v.ID); err != nil {
		return err
	}
	for _, due := range d.Due {
		if due.Partner != nil {
			due.Partner.PayoutMethod = due.Partner.PayoutMethod.Masked()
		}
		if m := attribution.FormatMoney(v.MinimumPayout, due.Currency); !slices.Contains(d.Minimums, m) {
			d.Minimums = append(d.Minimums, m)
		}
	}
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Payouts.ListPayouts(ctx, v.ID, attribution.PayoutFilter{Status: d.Status, Page: page})
	if err != nil {
		return err
	}
	d.Payouts = list
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	return p.render(c, http.StatusOK, "payouts", view{Title: "Payouts", Nav: "payouts", User: userOf(c), Vendor: v, Data: d})
}

// createPayouts answers "Create payouts": the batches of everything due,
// or of the partners named by partner_id (POST /v1/payouts). One batch
// leads to its page; several (one per currency) to the list.
func (p *pages) createPayouts(c echo.Context) error {
	u := userOf(c)
	if _, err := c.FormParams(); err != nil {
		return attribution.Errorf(attribution.EINVALID, "The form could not be read.")
	}
	ids := c.Request().Form["partner_id"]
	for _, id := range ids {
		if len(id) > maxFieldLen {
			return attribution.Errorf(attribution.EINVALID, "A field holds text that cannot be stored.")
		}
	}
	batches, err := p.Payouts.CreatePayouts(c.Request().Context(), u.VendorID, u.Email, ids)
	if err != nil {
		return p.refused(c, err, p.payouts)
	}
	switch len(batches) {
	case 0:
		return p.refused(c, attribution.Errorf(attribution.ECONFLICT, "Nothing is due now: no payout was created."), p.payouts)
	case 1:
		return done(c, "/dashboard/payouts/"+batches[0].ID)
	}
	return done(c, "/dashboard/payouts")
}

// payoutData is /dashboard/payouts/{id}: a batch, its items with their
// partners (IBAN masked), its files and "Mark paid".
type payoutData struct {
	Payout  *attribution.Payout
	Formats []string
}

// payout answers GET /dashboard/payouts/{id} (GET /v1/payouts/{id}).
func (p *pages) payout(c echo.Context) error {
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	po, err := p.Payouts.FindPayout(c.Request().Context(), v.ID, c.Param("id"))
	if err != nil {
		return err
	}
	for _, it := range po.Items {
		if it.Partner != nil {
			it.Partner.PayoutMethod = it.Partner.PayoutMethod.Masked()
		}
	}
	d := payoutData{Payout: po, Formats: attribution.PayoutFileFormats}
	return p.render(c, http.StatusOK, "payout", view{Title: "Payout " + po.ID, Nav: "payouts", User: userOf(c), Vendor: v, Data: d})
}

// payoutFile answers the downloads "PayPal CSV" and "Wise CSV":
// GET /dashboard/payouts/{id}/{paypal|wise}.csv, the file of
// GET /v1/payouts/{id}.csv?format=, IBANs whole.
func (p *pages) payoutFile(c echo.Context) error {
	format, ok := strings.CutSuffix(c.Param("file"), ".csv")
	if !ok || !slices.Contains(attribution.PayoutFileFormats, format) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	po, err := p.Payouts.FindPayout(c.Request().Context(), v.ID, c.Param("id"))
	if err != nil {
		return err
	}
	rows, err := attribution.PayoutFileRows(po, format, v.Name)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+po.ID+"-"+format+`.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// markPayoutPaid answers "Mark paid" with its optional reason
// (POST /v1/payouts/{id}/paid): the batch's rewards are paid and each
// partner is emailed.
func (p *pages) markPayoutPaid(c echo.Context) error {
	u := userOf(c)
	reason, err := formText(c, "reason")
	if err != nil {
		return err
	}
	id := c.Param("id")
	if _, err := p.Payouts.MarkPayoutPaid(c.Request().Context(), u.VendorID, u.Email, id, reason); err != nil {
		return p.refused(c, err, p.payout)
	}
	return done(c, "/dashboard/payouts/"+id)
}
