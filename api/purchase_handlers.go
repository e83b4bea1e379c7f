package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// money holds the handlers of purchases, rewards, manual overrides, the
// audit log and the exports (purchase_, reward_, override_, audit_ and
// export_handlers.go).
type money struct {
	purchases attribution.PurchaseService
	customers attribution.CustomerService
	partners  attribution.PartnerService // promotion codes
	rewards   attribution.RewardService
	audit     attribution.AuditService
	exports   attribution.ExportService
	clock     attribution.Clock
}

func (m *money) listPurchases(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixPurchase)
	if err != nil {
		return err
	}
	status, err := enumParam(c, "status", attribution.PurchaseSucceeded, attribution.PurchasePartiallyRefunded,
		attribution.PurchaseRefunded, attribution.PurchaseExcluded, "attributed", "unattributed")
	if err != nil {
		return err
	}
	list, more, err := m.purchases.ListPurchases(c.Request().Context(), VendorOf(c).ID, attribution.PurchaseFilter{
		CustomerID: c.QueryParam("customer_id"), PartnerID: c.QueryParam("partner_id"), Status: status, Page: page,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(p *attribution.Purchase) string { return p.ID }))
}

func (m *money) getPurchase(c echo.Context) error {
	d, err := m.purchases.FindPurchase(c.Request().Context(), VendorOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// createPurchase records a purchase by hand (an override: reason required).
func (m *money) createPurchase(c echo.Context) error {
	var req attribution.ManualPurchase
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	d, err := m.purchases.RecordManualPurchase(c.Request().Context(), VendorOf(c), ActorOf(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, d)
}

func (m *money) addPromotionCode(c echo.Context) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	pc, err := m.partners.AddPromotionCode(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"), req.Code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, pc)
}

func (m *money) listPromotionCodes(c echo.Context) error {
	list, err := m.partners.ListPromotionCodes(c.Request().Context(), VendorOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, false, func(p *attribution.PromotionCode) string { return p.ID }))
}

// excludePurchase takes a purchase out of sales: it earns nothing and
// leaves every sales figure (resold or transferred goods, fraud, tests).
func (m *money) excludePurchase(c echo.Context) error {
	var req attribution.Exclusion
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	d, err := m.purchases.ExcludePurchase(c.Request().Context(), VendorOf(c), ActorOf(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// includePurchase undoes an exclusion.
func (m *money) includePurchase(c echo.Context) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	d, err := m.purchases.IncludePurchase(c.Request().Context(), VendorOf(c), ActorOf(c), c.Param("id"), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}
