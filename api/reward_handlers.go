package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// RewardActionRequest is the body of POST /v1/rewards/{id}/approve|decline|pay.
// The reason is required to decline; approve and pay take an empty body.
type RewardActionRequest struct {
	Reason string `json:"reason"`
}

func (m *money) listRewards(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixReward)
	if err != nil {
		return err
	}
	status, err := enumParam(c, "status", attribution.RewardStatuses...)
	if err != nil {
		return err
	}
	kind, err := enumParam(c, "kind", attribution.RewardKindPurchase, attribution.RewardKindManual, attribution.RewardKindAdjustment)
	if err != nil {
		return err
	}
	list, more, err := m.rewards.ListRewards(c.Request().Context(), VendorOf(c).ID, attribution.RewardFilter{
		PartnerID: c.QueryParam("partner_id"), CustomerID: c.QueryParam("customer_id"),
		PurchaseID: c.QueryParam("purchase_id"), Status: status, Kind: kind, Page: page,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(r *attribution.Reward) string { return r.ID }))
}

func (m *money) getReward(c echo.Context) error {
	r, err := m.rewards.FindReward(c.Request().Context(), VendorOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// createReward creates a manual reward for any partner (reason required).
func (m *money) createReward(c echo.Context) error {
	var req attribution.ManualReward
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	r, err := m.rewards.CreateManualReward(c.Request().Context(), VendorOf(c).ID, ActorOf(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

func (m *money) rewardAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req RewardActionRequest // the reason is optional to approve or pay: the body may be left out
		if err := httpx.DecodeOptionalJSON(c, &req); err != nil {
			return err
		}
		r, err := m.rewards.ChangeReward(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"), action, req.Reason)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, r)
	}
}
