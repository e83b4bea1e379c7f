package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/snippet"
	"github.com/tally-dev/tally/snippet/check"
)

// gapsData is /dashboard/gaps, the tracking-gaps checklist: snippet health
// with the embed code, the destination check of each link, the diagnosis
// of one customer, and the period's report (attribution.Gaps, as GET
// /v1/gaps answers it).
type gapsData struct {
	Start, End  string // the period's first and last day, as the form shows them
	Health      *attribution.SnippetHealth
	HealthSteps [][]remedyStep // by check
	EmbedCode   string
	Links       []*attribution.Link
	MoreLinks   bool
	Names       map[string]string
	// Checked is the link whose destination was just checked, and the report.
	Checked            *attribution.Link
	Report             *check.Report
	Gaps               *attribution.GapReport
	Signups, Purchases [][]remedyStep // remedy steps by cause
	Query              string         // the diagnosis field as typed
}

// gaps answers GET /dashboard/gaps?start=&end=.
func (p *pages) gaps(c echo.Context) error {
	return p.gapsPage(c, nil, nil)
}

func (p *pages) gapsPage(c echo.Context, checked *attribution.Link, rep *check.Report) error {
	ctx := c.Request().Context()
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	start, err := queryText(c, "start")
	if err != nil {
		return err
	}
	end, err := queryText(c, "end")
	if err != nil {
		return err
	}
	per, err := attribution.ParsePeriod(start, end, "", v.Location(), p.Clock(), attribution.GapPeriod)
	if err != nil {
		return err
	}
	d := gapsData{
		Start:     per.Start.In(per.Location).Format("2006-01-02"),
		End:       per.End.In(per.Location).Add(-time.Nanosecond).Format("2006-01-02"), // End is exclusive
		EmbedCode: snippet.EmbedCode(p.PublicURL, v.PublicKey), Checked: checked, Report: rep,
		Query: c.QueryParam("q"),
	}
	now := p.Clock()
	hd, err := p.Health.SnippetHealthData(ctx, v, now.Add(-attribution.DefaultHealthDays*24*time.Hour))
	if err != nil {
		return err
	}
	d.Health = attribution.EvaluateSnippetHealth(v, hd, now)
	for _, ch := range d.Health.Checks {
		d.HealthSteps = append(d.HealthSteps, p.peopleSteps(ch.Steps, v))
	}
	if d.Links, d.MoreLinks, err = p.Links.ListLinks(ctx, v.ID, attribution.LinkFilter{Status: attribution.LinkActive,
		Page: attribution.Page{Limit: attribution.MaxPageLimit}}); err != nil {
		return err
	}
	if _, d.Names, err = p.partnerList(ctx, v.ID); err != nil {
		return err
	}
	if d.Gaps, err = attribution.Gaps(ctx, p.Gaps, v, per); err != nil {
		return err
	}
	for _, g := range d.Gaps.UnattributedSignups {
		d.Signups = append(d.Signups, p.peopleSteps(g.Remedy.Steps, v))
	}
	for _, g := range d.Gaps.UnattributedPurchases {
		d.Purchases = append(d.Purchases, p.peopleSteps(g.Remedy.Steps, v))
	}
	return p.render(c, http.StatusOK, "gaps", view{Title: "Tracking gaps", Nav: "gaps", User: userOf(c), Vendor: v, Data: d})
}

// checkLink answers a link's "Check destination": the check POST
// /v1/links/{id}/check runs (check.Fetcher.CheckLink), its report shown on
// the page. It changes nothing, but fetches a page on the vendor's behalf,
// so it is a POST with the CSRF token.
func (p *pages) checkLink(c echo.Context) error {
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	l, err := p.Links.FindLink(c.Request().Context(), v.ID, c.Param("id"))
	if err != nil {
		return err
	}
	rep, err := p.LinkChecker.CheckLink(c.Request().Context(), l, v.PublicKey)
	if err != nil {
		return p.refused(c, err, p.gaps)
	}
	return p.gapsPage(c, l, rep)
}

// diagnoseData is the diagnosis of an email that only unmatched Stripe
// purchases carry (no customer page to show it on).
type diagnoseData struct {
	Diagnosis *attribution.Diagnosis
	Verdict   []remedyStep
}

// findCustomer answers the field "Email or customer id": the customer's
// page, with its diagnosis, or the diagnosis of an email that only
// unmatched purchases carry. Anything else than an email or a customer id
// is looked up as an external id.
func (p *pages) findCustomer(c echo.Context) error {
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	q, err := queryText(c, "q")
	if err != nil {
		return err
	}
	var dq attribution.DiagnosisQuery
	switch {
	case strings.Contains(q, "@"):
		dq.Email = q
	case strings.HasPrefix(q, attribution.PrefixCustomer):
		dq.CustomerID = q
	default:
		dq.ExternalID = q
	}
	facts, err := p.Diagnosis.DiagnosisFacts(c.Request().Context(), v, dq)
	if err != nil {
		return p.refused(c, err, p.gaps)
	}
	if facts.Customer != nil {
		return done(c, "/dashboard/customers/"+url.PathEscape(facts.Customer.ID))
	}
	dg := facts.Diagnose()
	d := diagnoseData{Diagnosis: dg, Verdict: p.peopleSteps(dg.Verdict.Remedy.Steps, v)}
	return p.render(c, http.StatusOK, "diagnose", view{Title: "Diagnosis of " + facts.Email, Nav: "gaps", User: userOf(c), Vendor: v, Data: d})
}
