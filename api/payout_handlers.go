package api

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// payoutHandlers serve /v1/payouts and the partner's payout settings and
// history.
type payoutHandlers struct {
	payouts attribution.PayoutService
	vendors attribution.VendorService
}

// PayoutCreateRequest is the body of POST /v1/payouts: only these
// partners when given, every partner with something due otherwise.
type PayoutCreateRequest struct {
	PartnerIDs []string `json:"partner_ids"`
}

// PayoutPaidRequest is the optional body of POST /v1/payouts/{id}/paid.
type PayoutPaidRequest struct {
	Reason string `json:"reason"`
}

// PayoutBatches is what POST /v1/payouts answers: one batch per currency.
type PayoutBatches struct {
	Data []*attribution.Payout `json:"data"`
}

func (h *payoutHandlers) due(c echo.Context) error {
	dues, err := h.payouts.DuePayouts(c.Request().Context(), VendorOf(c).ID)
	if err != nil {
		return err
	}
	for _, d := range dues {
		maskPayoutPartner(d.Partner)
	}
	return c.JSON(http.StatusOK, httpx.List(dues, false, func(*attribution.PayoutDue) string { return "" }))
}

func (h *payoutHandlers) create(c echo.Context) error {
	var req PayoutCreateRequest
	if err := httpx.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	batches, err := h.payouts.CreatePayouts(c.Request().Context(), VendorOf(c).ID, ActorOf(c), req.PartnerIDs)
	if err != nil {
		return err
	}
	for _, p := range batches {
		maskPayoutItems(p)
	}
	return c.JSON(http.StatusCreated, PayoutBatches{Data: batches})
}

func (h *payoutHandlers) list(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixPayout)
	if err != nil {
		return err
	}
	status, err := enumParam(c, "status", attribution.PayoutStatuses...)
	if err != nil {
		return err
	}
	list, more, err := h.payouts.ListPayouts(c.Request().Context(), VendorOf(c).ID, attribution.PayoutFilter{Status: status, Page: page})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(p *attribution.Payout) string { return p.ID }))
}

// get serves GET /v1/payouts/{id} and GET /v1/payouts/{id}.csv: Echo's
// router reads a path parameter up to the next "/", so both paths reach
// this one handler, told apart by the suffix.
func (h *payoutHandlers) get(c echo.Context) error {
	id, file := strings.CutSuffix(c.Param("id"), ".csv")
	ctx := c.Request().Context()
	p, err := h.payouts.FindPayout(ctx, VendorOf(c).ID, id)
	if err != nil {
		return err
	}
	if !file {
		maskPayoutItems(p)
		return c.JSON(http.StatusOK, p)
	}
	format, err := enumParam(c, "format", attribution.PayoutFileFormats...)
	if err != nil {
		return err
	}
	if format == "" {
		return invalid("format is required: %s.", strings.Join(attribution.PayoutFileFormats, " or "))
	}
	rows, err := attribution.PayoutFileRows(p, format, VendorOf(c).Name)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentDisposition, `attachment; filename="`+p.ID+"-"+format+`.csv"`)
	hd.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

func (h *payoutHandlers) markPaid(c echo.Context) error {
	var req PayoutPaidRequest
	if err := httpx.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	p, err := h.payouts.MarkPayoutPaid(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"), req.Reason)
	if err != nil {
		return err
	}
	maskPayoutItems(p)
	return c.JSON(http.StatusOK, p)
}

// maskPayoutItems hides the IBANs of a batch's partners in a JSON answer;
// the payout file carries them whole.
func maskPayoutItems(p *attribution.Payout) {
	for _, it := range p.Items {
		maskPayoutPartner(it.Partner)
	}
}

func maskPayoutPartner(pp *attribution.PayoutPartner) {
	if pp != nil {
		pp.PayoutMethod = pp.PayoutMethod.Masked()
	}
}

// PartnerMe is GET and PATCH /v1/partner/me: the partner, its program, and
// its own settings (the payout method in full: it is theirs).
type PartnerMe struct {
	*attribution.PartnerProfile
	PayoutMethod  *attribution.PayoutMethod `json:"payout_method"`
	Notifications attribution.Notifications `json:"notifications"`
}

func (h *payoutHandlers) partnerMe(c echo.Context, s *attribution.PartnerSettings) error {
	me := PartnerOf(c)
	v, err := h.vendors.FindVendor(c.Request().Context(), me.VendorID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, PartnerMe{
		PartnerProfile: attribution.ProfileOf(v, me), PayoutMethod: s.PayoutMethod, Notifications: s.Notifications.Full(),
	})
}

func (h *payoutHandlers) getPartnerMe(c echo.Context) error {
	me := PartnerOf(c)
	s, err := h.payouts.PartnerSettings(c.Request().Context(), me.VendorID, me.ID)
	if err != nil {
		return err
	}
	return h.partnerMe(c, s)
}

func (h *payoutHandlers) patchPartnerMe(c echo.Context) error {
	var upd attribution.PartnerSettingsUpdate
	if err := httpx.DecodeJSON(c, &upd); err != nil {
		return err
	}
	me := PartnerOf(c)
	s, err := h.payouts.UpdatePartnerSettings(c.Request().Context(), me.VendorID, me.ID, ActorOf(c), upd)
	if err != nil {
		return err
	}
	return h.partnerMe(c, s)
}

// partnerPayouts lists the calling partner's own payouts.
func (h *payoutHandlers) partnerPayouts(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixPayout)
	if err != nil {
		return err
	}
	me := PartnerOf(c)
	list, more, err := h.payouts.PartnerPayouts(c.Request().Context(), me.VendorID, me.ID, page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(p *attribution.PartnerPayout) string { return p.ID }))
}

// PartnerDetail is GET /v1/partners/{id}: the partner and its payout
// method, the IBAN masked.
type PartnerDetail struct {
	*attribution.Partner
	PayoutMethod *attribution.PayoutMethod `json:"payout_method"`
}
