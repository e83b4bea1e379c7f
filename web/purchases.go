package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// purchasesData is /dashboard/purchases: the list, its filters, and the
// forms "Record purchase" and "Exclude".
type purchasesData struct {
	Status, Reason, PartnerID string
	Filtered                  bool
	Purchases                 []*attribution.Purchase
	Names                     map[string]string
	Statuses                  []string
	ExclusionReasons          []string
	Next                      string
	Here                      string // this list, where its forms return
	// The form "Record purchase" as typed, after a refusal.
	Customer, Amount, Currency, Note string
}

// purchaseStatuses are the list's status filters: the purchase statuses,
// then attributed or not.
var purchaseStatuses = []string{attribution.PurchaseSucceeded, attribution.PurchasePartiallyRefunded,
	attribution.PurchaseRefunded, attribution.PurchaseExcluded, "attributed", "unattributed"}

// purchases answers GET /dashboard/purchases?status=&reason=&partner_id=.
func (p *pages) purchases(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	d := purchasesData{Statuses: purchaseStatuses, ExclusionReasons: attribution.ExclusionReasons, Here: c.Request().URL.RequestURI(),
		Customer: c.FormValue("customer"), Amount: c.FormValue("amount"), Currency: c.FormValue("currency"), Note: c.FormValue("note")}
	if c.Request().Method != http.MethodGet {
		d.Here = "/dashboard/purchases"
	}
	if d.Currency == "" {
		d.Currency = "usd"
	}
	for name, dst := range map[string]*string{"status": &d.Status, "reason": &d.Reason, "partner_id": &d.PartnerID} {
		if *dst, err = queryText(c, name); err != nil {
			return err
		}
	}
	if d.Status != "" && !slices.Contains(purchaseStatuses, d.Status) {
		return attribution.Errorf(attribution.EINVALID, "Status must be one of %s.", strings.Join(purchaseStatuses, ", "))
	}
	d.Filtered = d.Status != "" || d.Reason != "" || d.PartnerID != ""
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Purchases.ListPurchases(ctx, v.ID, attribution.PurchaseFilter{
		Status: d.Status, Reason: d.Reason, PartnerID: d.PartnerID, Page: page})
	if err != nil {
		return err
	}
	d.Purchases = list
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	if _, d.Names, err = p.partnerList(ctx, v.ID); err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "purchases", view{Title: "Purchases", Nav: "purchases", User: userOf(c), Vendor: v, Data: d})
}

// recordPurchase answers the form "Record purchase": a purchase by hand,
// as POST /v1/purchases records it, for a customer named by id or email.
func (p *pages) recordPurchase(c echo.Context) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	var who, amount, currency string
	m := attribution.ManualPurchase{}
	for name, dst := range map[string]*string{"customer": &who, "amount": &amount, "currency": &currency, "reason": &m.Reason} {
		if *dst, err = formText(c, name); err != nil {
			return err
		}
	}
	m.Currency = strings.ToLower(strings.TrimSpace(currency))
	if m.CustomerID, err = p.customerID(c, v.ID, who); err != nil {
		return p.refused(c, err, p.purchases)
	}
	if m.Amount, err = attribution.ParseAmount(amount, m.Currency); err != nil {
		return p.refused(c, err, p.purchases)
	}
	if _, err := p.Purchases.RecordManualPurchase(ctx, v, u.Email, m); err != nil {
		return p.refused(c, err, p.purchases)
	}
	return done(c, "/dashboard/purchases")
}

// customerID finds the customer a form names by id (cus_…) or email.
// ENOTFOUND.
func (p *pages) customerID(c echo.Context, vendorID, who string) (string, error) {
	who = strings.TrimSpace(who)
	if who == "" {
		return "", attribution.Errorf(attribution.EINVALID, "Give the customer's email or id.")
	}
	if !strings.Contains(who, "@") {
		cust, err := p.Customers.FindCustomer(c.Request().Context(), vendorID, who)
		if err != nil {
			return "", err
		}
		return cust.ID, nil
	}
	list, _, err := p.Customers.ListCustomers(c.Request().Context(), vendorID, attribution.CustomerFilter{Email: who, Page: attribution.Page{Limit: 1}})
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", attribution.Errorf(attribution.ENOTFOUND, "No customer has the email %s.", attribution.NormalizeEmail(who))
	}
	return list[0].ID, nil
}

// excludePurchase answers "Exclude": the purchase leaves every sales
// figure and earns nothing (POST /v1/purchases/{id}/exclude).
func (p *pages) excludePurchase(c echo.Context) error {
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	var e attribution.Exclusion
	if e.Reason, err = formText(c, "reason"); err != nil {
		return err
	}
	if e.Note, err = formText(c, "note"); err != nil {
		return err
	}
	if _, err := p.Purchases.ExcludePurchase(c.Request().Context(), v, userOf(c).Email, c.Param("id"), e); err != nil {
		return p.refused(c, err, p.purchases)
	}
	return done(c, backTo(c, "/dashboard/purchases"))
}

// includePurchase answers "Include": it undoes the exclusion
// (POST /v1/purchases/{id}/include).
func (p *pages) includePurchase(c echo.Context) error {
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	reason, err := formText(c, "reason")
	if err != nil {
		return err
	}
	if _, err := p.Purchases.IncludePurchase(c.Request().Context(), v, userOf(c).Email, c.Param("id"), reason); err != nil {
		return p.refused(c, err, p.purchases)
	}
	return done(c, backTo(c, "/dashboard/purchases"))
}

// purchasesCSV is the purchase export (GET /v1/purchases.csv) for a
// signed-in user: ?start=&end= in the vendor's time zone, open ends.
func (p *pages) purchasesCSV(c echo.Context) error {
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	f, err := p.exportFilter(c, v)
	if err != nil {
		return err
	}
	out := httpx.NewCSVStream(c, "purchases.csv", attribution.PurchaseCSVHeader)
	err = p.Exports.ExportPurchases(c.Request().Context(), v.ID, f, func(r *attribution.PurchaseExportRow) error {
		return out.Write(r.CSVRecord())
	})
	return out.Finish(err)
}

// exportFilter reads an export's period and partner, as the API's exports do.
func (p *pages) exportFilter(c echo.Context, v *attribution.Vendor) (attribution.ExportFilter, error) {
	q := c.QueryParams()
	per, err := attribution.ParsePeriod(q.Get("start"), q.Get("end"), "", v.Location(), p.Clock(), attribution.ExportPeriod)
	if err != nil {
		return attribution.ExportFilter{}, err
	}
	return attribution.ExportFilter{Start: per.Start, End: per.End, PartnerID: q.Get("partner_id")}, nil
}
