package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// partnerHandlers serve /v1/partners.
type partnerHandlers struct {
	deps handlerDeps
}

// PartnerCreationResponse shows the partner's portal token, once.
type PartnerCreationResponse struct {
	*attribution.Partner
	Token string `json:"token"`
}

func (s *partnerHandlers) createPartner(c echo.Context) error {
	var req attribution.PartnerCreate
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	np, err := s.deps.Partners.CreatePartner(c.Request().Context(), VendorOf(c).ID, ActorOf(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, PartnerCreationResponse{Partner: np.Partner, Token: np.Token})
}

func (s *partnerHandlers) listPartners(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixPartner)
	if err != nil {
		return err
	}
	status, err := enumParam(c, "status", attribution.PartnerStatuses...)
	if err != nil {
		return err
	}
	list, more, err := s.deps.Partners.ListPartners(c.Request().Context(), VendorOf(c).ID,
		attribution.PartnerFilter{Email: c.QueryParam("email"), Status: status, Page: page})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(p *attribution.Partner) string { return p.ID }))
}

func (s *partnerHandlers) getPartner(c echo.Context) error {
	p, err := s.deps.Partners.FindPartner(c.Request().Context(), VendorOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	settings, err := s.deps.Payouts.PartnerSettings(c.Request().Context(), VendorOf(c).ID, p.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, PartnerDetail{Partner: p, PayoutMethod: settings.PayoutMethod.Masked()})
}

func (s *partnerHandlers) patchPartner(c echo.Context) error {
	var upd attribution.PartnerUpdate
	if err := httpx.DecodeJSON(c, &upd); err != nil {
		return err
	}
	p, err := s.deps.Partners.UpdatePartner(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"), upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
