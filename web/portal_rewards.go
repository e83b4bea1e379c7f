package web

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// portalRewardsData is the partner's rewards and their totals per status
// and currency.
type portalRewardsData struct {
	Totals  []attribution.RewardTotal
	Rewards []*attribution.Reward
	Next    string // the next page's URL; "" on the last
	Status  string // the filter, "" for all
	Filters []string
}

// portalRewards answers GET /partner/rewards (?status=): as GET
// /v1/partner/rewards, the totals of all the partner's rewards and a page
// of them.
func (p *pages) portalRewards(c echo.Context) error {
	ctx, me := c.Request().Context(), partnerOf(c)
	v, err := p.portalVendor(c)
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	if status != "" && !slices.Contains(attribution.RewardStatuses, status) {
		return attribution.Errorf(attribution.EINVALID, "Choose a status from the list.")
	}
	totals, err := p.Portal.PartnerRewardTotals(ctx, v.ID, me.ID)
	if err != nil {
		return err
	}
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Rewards.ListRewards(ctx, v.ID, attribution.RewardFilter{PartnerID: me.ID, Status: status, Page: page})
	if err != nil {
		return err
	}
	d := portalRewardsData{Totals: totals, Rewards: list, Status: status, Filters: attribution.RewardStatuses}
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	return p.renderPortal(c, http.StatusOK, "portal_rewards", "Rewards", "rewards", v, d)
}
