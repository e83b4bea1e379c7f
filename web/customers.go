package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// customersData is /dashboard/customers: the list and its filters.
type customersData struct {
	Email, Status, Reason, PartnerID string
	Filtered                         bool
	Customers                        []*attribution.Customer
	Partners                         []*attribution.Partner
	Names                            map[string]string
	Reasons                          []string
	Next                             string
}

// customerReasons are the stored reasons a customer list filters by.
var customerReasons = []string{attribution.ReasonNoToken, attribution.ReasonExpired, attribution.ReasonInvalidToken,
	attribution.ReasonOtherVendor, attribution.ReasonPartnerDisabled, attribution.ReasonLinkArchived, attribution.ReasonSelfReferral}

// customers answers GET /dashboard/customers?email=&status=&reason=&partner_id=.
func (p *pages) customers(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	d := customersData{Reasons: customerReasons}
	for name, dst := range map[string]*string{"email": &d.Email, "status": &d.Status, "reason": &d.Reason, "partner_id": &d.PartnerID} {
		if *dst, err = queryText(c, name); err != nil {
			return err
		}
	}
	if d.Status != "" && d.Status != "attributed" && d.Status != "unattributed" {
		return attribution.Errorf(attribution.EINVALID, "Status must be attributed or unattributed.")
	}
	d.Filtered = d.Email != "" || d.Status != "" || d.Reason != "" || d.PartnerID != ""
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Customers.ListCustomers(ctx, v.ID, attribution.CustomerFilter{
		Email: d.Email, Status: d.Status, Reason: d.Reason, PartnerID: d.PartnerID, Page: page})
	if err != nil {
		return err
	}
	d.Customers = list
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	if d.Partners, d.Names, err = p.partnerList(ctx, v.ID); err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "customers", view{Title: "Customers", Nav: "customers", User: userOf(c), Vendor: v, Data: d})
}

// customerData is /dashboard/customers/{id}: the customer, its timeline,
// the diagnosis and the credit form.
type customerData struct {
	Customer  *attribution.Customer
	Diagnosis *attribution.Diagnosis
	Verdict   []remedyStep
	Findings  [][]remedyStep
	Partners  []*attribution.Partner
	Names     map[string]string
	// The credit form as typed, after a refusal.
	PartnerID, Reason string
}

// customer answers GET /dashboard/customers/{id}: the diagnosis is the
// one GET /v1/diagnose answers (DiagnosisFacts, Diagnose), rendered for
// people.
func (p *pages) customer(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	cust, err := p.Customers.FindCustomer(ctx, v.ID, c.Param("id"))
	if err != nil {
		return err
	}
	facts, err := p.Diagnosis.DiagnosisFacts(ctx, v, attribution.DiagnosisQuery{CustomerID: cust.ID})
	if err != nil {
		return err
	}
	dg := facts.Diagnose()
	d := customerData{Customer: cust, Diagnosis: dg, Verdict: p.peopleSteps(dg.Verdict.Remedy.Steps, v),
		PartnerID: c.FormValue("partner_id"), Reason: c.FormValue("reason")}
	for _, f := range dg.Findings {
		d.Findings = append(d.Findings, p.peopleSteps(f.Remedy.Steps, v))
	}
	if d.Partners, d.Names, err = p.partnerList(ctx, v.ID); err != nil {
		return err
	}
	for id, pa := range facts.Partners { // beyond the partners listed
		if _, ok := d.Names[id]; !ok && pa != nil {
			d.Names[id] = pa.Name
		}
	}
	title := cust.Email
	if title == "" {
		title = cust.ID
	}
	return p.render(c, http.StatusOK, "customer", view{Title: title, Nav: "customers", User: userOf(c), Vendor: v, Data: d})
}

// creditCustomer answers the form "Credit partner": the manual
// reassignment the API's POST /v1/customers/{id}/attribution makes,
// audited with the user's email.
func (p *pages) creditCustomer(c echo.Context) error {
	u := userOf(c)
	r := attribution.Reassignment{MoveRewards: c.FormValue("move_rewards") == "on"}
	var err error
	if r.PartnerID, err = formText(c, "partner_id"); err != nil {
		return err
	}
	if r.Reason, err = formText(c, "reason"); err != nil {
		return err
	}
	id := c.Param("id")
	if _, err := p.Customers.ReassignCustomer(c.Request().Context(), u.VendorID, u.Email, id, r); err != nil {
		return p.refused(c, err, p.customer)
	}
	return done(c, "/dashboard/customers/"+url.PathEscape(id))
}
