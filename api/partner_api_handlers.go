package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// PartnerRewardList is GET /v1/partner/rewards: a page of rewards and the
// totals of all the partner's rewards per status and currency.
type PartnerRewardList struct {
	httpx.ListResponse[*attribution.Reward]
	Totals []attribution.RewardTotal `json:"totals"`
}

// PartnerAnalyticsResponse is GET /v1/partner/analytics.
type PartnerAnalyticsResponse struct {
	Start time.Time                 `json:"start"`
	End   time.Time                 `json:"end"`
	Days  []*attribution.PartnerDay `json:"data"`
	Total *attribution.PartnerDay   `json:"total"`
}

// partnerPortal holds the handlers of the partner API: every answer is
// scoped to the authenticated partner.
type partnerPortal struct {
	vendors   attribution.VendorService
	links     attribution.LinkService
	customers attribution.CustomerService
	rewards   attribution.RewardService
	portal    attribution.PartnerPortalService
	clock     attribution.Clock
	publicURL string
}

// withURL sets the link's referral URL on the public URL.
func (p *partnerPortal) withURL(l *attribution.Link) *attribution.Link {
	l.SetURL(p.publicURL)
	return l
}

func (p *partnerPortal) vendor(c echo.Context) (*attribution.Vendor, error) {
	return p.vendors.FindVendor(c.Request().Context(), PartnerOf(c).VendorID)
}

func (p *partnerPortal) listLinks(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixLink)
	if err != nil {
		return err
	}
	status, err := enumParam(c, "status", attribution.LinkStatuses...)
	if err != nil {
		return err
	}
	me := PartnerOf(c)
	list, more, err := p.links.ListLinks(c.Request().Context(), me.VendorID,
		attribution.LinkFilter{PartnerID: me.ID, Status: status, Page: page})
	if err != nil {
		return err
	}
	for _, l := range list {
		p.withURL(l)
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(l *attribution.Link) string { return l.ID }))
}

// createLink creates a link of the calling partner, only to a destination
// on the vendor's domain.
func (p *partnerPortal) createLink(c echo.Context) error {
	var req attribution.PartnerLinkCreate
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	me := PartnerOf(c)
	lc, err := req.LinkCreate(v, me)
	if err != nil {
		return err
	}
	l, err := p.links.CreateLink(c.Request().Context(), me.VendorID, ActorOf(c), lc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p.withURL(l))
}

func (p *partnerPortal) listRewards(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixReward)
	if err != nil {
		return err
	}
	status, err := enumParam(c, "status", attribution.RewardStatuses...)
	if err != nil {
		return err
	}
	me := PartnerOf(c)
	ctx := c.Request().Context()
	totals, err := p.portal.PartnerRewardTotals(ctx, me.VendorID, me.ID)
	if err != nil {
		return err
	}
	list, more, err := p.rewards.ListRewards(ctx, me.VendorID, attribution.RewardFilter{PartnerID: me.ID, Status: status, Page: page})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, PartnerRewardList{
		ListResponse: httpx.List(list, more, func(r *attribution.Reward) string { return r.ID }),
		Totals:       totals,
	})
}

// analytics answers the partner's figures per UTC day of the period
// (attribution.ParsePeriod in the vendor's time zone unless tz names
// another; by default the last 30 days).
func (p *partnerPortal) analytics(c echo.Context) error {
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	period, err := attribution.ParsePeriod(c.QueryParam("start"), c.QueryParam("end"), c.QueryParam("tz"),
		v.Location(), p.clock(), attribution.PartnerAnalyticsPeriod)
	if err != nil {
		return err
	}
	start, end := period.Start, period.End
	me := PartnerOf(c)
	days, err := p.portal.PartnerAnalytics(c.Request().Context(), me.VendorID, me.ID, start, end)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, PartnerAnalyticsResponse{Start: start, End: end, Days: days, Total: attribution.PartnerTotal(days)})
}

// listCustomers lists the partner's referred customers, emails masked.
func (p *partnerPortal) listCustomers(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixCustomer)
	if err != nil {
		return err
	}
	me := PartnerOf(c)
	list, more, err := p.customers.ListCustomers(c.Request().Context(), me.VendorID,
		attribution.CustomerFilter{PartnerID: me.ID, Page: page})
	if err != nil {
		return err
	}
	out := make([]*attribution.PartnerCustomer, len(list))
	for i, cust := range list {
		out[i] = attribution.PartnerViewOf(cust)
	}
	return c.JSON(http.StatusOK, httpx.List(out, more, func(pc *attribution.PartnerCustomer) string { return pc.ID }))
}
