package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/api/qr"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// linkHandlers serve /v1/links and the links' QR codes.
type linkHandlers struct {
	deps      handlerDeps
	publicURL string
}

// withURL sets the link's referral URL on the public URL.
func (s *linkHandlers) withURL(l *attribution.Link) *attribution.Link {
	l.SetURL(s.publicURL)
	return l
}

func (s *linkHandlers) createLink(c echo.Context) error {
	var req attribution.LinkCreate
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	l, err := s.deps.Links.CreateLink(c.Request().Context(), VendorOf(c).ID, ActorOf(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.withURL(l))
}

func (s *linkHandlers) listLinks(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixLink)
	if err != nil {
		return err
	}
	status, err := enumParam(c, "status", attribution.LinkStatuses...)
	if err != nil {
		return err
	}
	list, more, err := s.deps.Links.ListLinks(c.Request().Context(), VendorOf(c).ID,
		attribution.LinkFilter{PartnerID: c.QueryParam("partner_id"), Status: status, Page: page})
	if err != nil {
		return err
	}
	for _, l := range list {
		s.withURL(l)
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(l *attribution.Link) string { return l.ID }))
}

func (s *linkHandlers) getLink(c echo.Context) error {
	l, err := s.deps.Links.FindLink(c.Request().Context(), VendorOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.withURL(l))
}

func (s *linkHandlers) patchLink(c echo.Context) error {
	var upd attribution.LinkUpdate
	if err := httpx.DecodeJSON(c, &upd); err != nil {
		return err
	}
	l, err := s.deps.Links.UpdateLink(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"), upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.withURL(l))
}

// archiveLink is DELETE: links are archived, never deleted, so clicks and
// rewards keep their history.
func (s *linkHandlers) archiveLink(c echo.Context) error {
	archived := attribution.LinkArchived
	l, err := s.deps.Links.UpdateLink(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"), attribution.LinkUpdate{Status: &archived})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.withURL(l))
}

func (s *linkHandlers) linkQRSVG(c echo.Context) error {
	l, err := s.deps.Links.FindLink(c.Request().Context(), VendorOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	svg, err := qr.SVG(s.withURL(l).URL)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=300")
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}

func (s *linkHandlers) linkQRPNG(c echo.Context) error {
	size, err := intParam(c, "size", qr.MinPNGSize, qr.MaxPNGSize, 0) // 0: qr's default size
	if err != nil {
		return err
	}
	l, err := s.deps.Links.FindLink(c.Request().Context(), VendorOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	png, err := qr.PNG(s.withURL(l).URL, size)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=300")
	return c.Blob(http.StatusOK, "image/png", png)
}
