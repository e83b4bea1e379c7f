package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// rewardsData is /dashboard/rewards: the list, its status filter, each
// row's actions, the bulk actions and the form "New reward".
type rewardsData struct {
	Status     string
	Rewards    []*attribution.Reward
	Partners   []*attribution.Partner
	Names      map[string]string
	Statuses   []string
	Next       string
	Here       string // this list, where its forms return
	Actionable bool   // a row has an action: the bulk form is shown
	// The form "New reward" as typed, after a refusal.
	PartnerID, Amount, Currency string
}

// rewards answers GET /dashboard/rewards?status=.
func (p *pages) rewards(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	d := rewardsData{Statuses: attribution.RewardStatuses, Here: c.Request().URL.RequestURI(),
		PartnerID: c.FormValue("partner_id"), Amount: c.FormValue("amount"), Currency: c.FormValue("currency")}
	if c.Request().Method != http.MethodGet {
		d.Here = backTo(c, "/dashboard/rewards")
	}
	if d.Currency == "" {
		d.Currency = "usd"
	}
	if d.Status, err = queryText(c, "status"); err != nil {
		return err
	}
	if d.Status != "" && !slices.Contains(attribution.RewardStatuses, d.Status) {
		return attribution.Errorf(attribution.EINVALID, "Status must be one of %s.", strings.Join(attribution.RewardStatuses, ", "))
	}
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Rewards.ListRewards(ctx, v.ID, attribution.RewardFilter{Status: d.Status, Page: page})
	if err != nil {
		return err
	}
	d.Rewards = list
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	for _, r := range list {
		if r.Status == attribution.RewardPending || r.Status == attribution.RewardApproved {
			d.Actionable = true
		}
	}
	if d.Partners, d.Names, err = p.partnerList(ctx, v.ID); err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "rewards", view{Title: "Rewards", Nav: "rewards", User: userOf(c), Vendor: v, Data: d})
}

// rewardActions are the row actions by path segment.
var rewardActions = []string{attribution.RewardActionApprove, attribution.RewardActionDecline, attribution.RewardActionPay}

// rewardAction answers a row's "Approve", "Decline" or "Mark paid" with
// its own reason (required to decline): POST /v1/rewards/{id}/{action}.
func (p *pages) rewardAction(c echo.Context) error {
	u, action := userOf(c), c.Param("action")
	if !slices.Contains(rewardActions, action) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	reason, err := formText(c, "reason")
	if err != nil {
		return err
	}
	if _, err := p.Rewards.ChangeReward(c.Request().Context(), u.VendorID, u.Email, c.Param("id"), action, reason); err != nil {
		return p.refused(c, err, p.rewards)
	}
	return done(c, backTo(c, "/dashboard/rewards"))
}

// bulkRewards applies one action, with one reason, to the checked
// rewards. The reason is checked first, so a decline without one changes
// nothing; then each reward changes in its own transaction, and the
// refused ones are named.
func (p *pages) bulkRewards(c echo.Context) error {
	u := userOf(c)
	action := c.FormValue("action")
	if !slices.Contains(rewardActions, action) {
		return attribution.Errorf(attribution.EINVALID, "Choose Approve selected, Decline selected or Mark selected paid.")
	}
	reason, err := formText(c, "reason")
	if err != nil {
		return err
	}
	if err := attribution.ValidateActionReason(action, &reason); err != nil {
		return p.refused(c, err, p.rewards)
	}
	ids := c.Request().Form["reward_id"]
	if len(ids) == 0 {
		return p.refused(c, attribution.Errorf(attribution.EINVALID, "Select at least one reward."), p.rewards)
	}
	if len(ids) > attribution.MaxPageLimit {
		return attribution.Errorf(attribution.EINVALID, "Select at most %d rewards at once.", attribution.MaxPageLimit)
	}
	var refusals []string
	for _, id := range ids {
		_, err := p.Rewards.ChangeReward(c.Request().Context(), u.VendorID, u.Email, id, action, reason)
		switch attribution.ErrorCode(err) {
		case "":
		case attribution.EINVALID, attribution.ECONFLICT, attribution.ENOTFOUND:
			refusals = append(refusals, fmt.Sprintf("%s: %s", id, attribution.ErrorMessage(err)))
		default:
			return err
		}
	}
	if len(refusals) > 0 {
		return p.refused(c, attribution.Errorf(attribution.ECONFLICT, "%d of %d rewards changed. Refused: %s",
			len(ids)-len(refusals), len(ids), strings.Join(refusals, " ")), p.rewards)
	}
	return done(c, backTo(c, "/dashboard/rewards"))
}

// newReward answers the form "New reward": an approved reward by hand for
// any partner (POST /v1/rewards).
func (p *pages) newReward(c echo.Context) error {
	u := userOf(c)
	var m attribution.ManualReward
	var amount, currency string
	var err error
	for name, dst := range map[string]*string{"partner_id": &m.PartnerID, "amount": &amount, "currency": &currency, "reason": &m.Reason} {
		if *dst, err = formText(c, name); err != nil {
			return err
		}
	}
	m.Currency = strings.ToLower(strings.TrimSpace(currency))
	if m.Amount, err = attribution.ParseAmount(amount, m.Currency); err != nil {
		return p.refused(c, err, p.rewards)
	}
	if _, err := p.Rewards.CreateManualReward(c.Request().Context(), u.VendorID, u.Email, m); err != nil {
		return p.refused(c, err, p.rewards)
	}
	return done(c, "/dashboard/rewards")
}

// rewardsCSV is the reward export (GET /v1/rewards.csv) for a signed-in
// user: ?status=&start=&end=.
func (p *pages) rewardsCSV(c echo.Context) error {
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	f, err := p.exportFilter(c, v)
	if err != nil {
		return err
	}
	if f.Status = c.QueryParam("status"); f.Status != "" && !slices.Contains(attribution.RewardStatuses, f.Status) {
		return attribution.Errorf(attribution.EINVALID, "Status must be one of %s.", strings.Join(attribution.RewardStatuses, ", "))
	}
	out := httpx.NewCSVStream(c, "rewards.csv", attribution.RewardCSVHeader)
	err = p.Exports.ExportRewards(c.Request().Context(), v.ID, f, func(r *attribution.RewardExportRow) error {
		return out.Write(r.CSVRecord())
	})
	return out.Finish(err)
}
