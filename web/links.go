package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/api/qr"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// linksData is the link list.
type linksData struct {
	Links    []*attribution.Link
	Next     string            // the next page's URL; "" on the last
	Partners map[string]string // names by id
}

// partnerNames maps the vendor's partners' ids to their names.
func (p *pages) partnerNames(c echo.Context, vendorID string) (map[string]string, []*attribution.Partner, error) {
	list, _, err := p.Partners.ListPartners(c.Request().Context(), vendorID, attribution.PartnerFilter{Page: attribution.Page{Limit: attribution.MaxPageLimit}})
	if err != nil {
		return nil, nil, err
	}
	names := make(map[string]string, len(list))
	for _, pa := range list {
		names[pa.ID] = pa.Name
	}
	return names, list, nil
}

// links answers GET /dashboard/links.
func (p *pages) links(c echo.Context) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
	if err != nil {
		return err
	}
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Links.ListLinks(ctx, v.ID, attribution.LinkFilter{Page: page})
	if err != nil {
		return err
	}
	names, _, err := p.partnerNames(c, v.ID)
	if err != nil {
		return err
	}
	d := linksData{Links: list, Partners: names}
	for _, l := range list {
		l.SetURL(p.PublicURL)
	}
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	return p.render(c, http.StatusOK, "links", view{Title: "Links", Nav: "links", User: u, Vendor: v, Data: d})
}

// linkForm is the new-link form as typed, with the partners to choose from.
type linkForm struct {
	Partners                          []*attribution.Partner
	PartnerID, DestinationURL, Key    string
	UTMSource, UTMMedium, UTMCampaign string
}

// newLinkForm answers GET /dashboard/links/new (?partner_id= preselects).
func (p *pages) newLinkForm(c echo.Context) error {
	if err := mustChange(c); err != nil {
		return err
	}
	partnerID, err := formText(c, "partner_id")
	if err != nil {
		return err
	}
	return p.showLinkForm(c, http.StatusOK, linkForm{PartnerID: partnerID}, "")
}

func (p *pages) showLinkForm(c echo.Context, status int, f linkForm, msg string) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
	if err != nil {
		return err
	}
	if _, f.Partners, err = p.partnerNames(c, v.ID); err != nil {
		return err
	}
	return p.render(c, status, "link_new", view{Title: "New link", Nav: "links", User: u, Vendor: v, Error: msg, Data: f})
}

// createLink answers POST /dashboard/links/new.
func (p *pages) createLink(c echo.Context) error {
	u := userOf(c)
	var f linkForm
	for _, fv := range []struct {
		name string
		dst  *string
	}{{"partner_id", &f.PartnerID}, {"destination_url", &f.DestinationURL}, {"key", &f.Key},
		{"utm_source", &f.UTMSource}, {"utm_medium", &f.UTMMedium}, {"utm_campaign", &f.UTMCampaign}} {
		s, err := formText(c, fv.name)
		if err != nil {
			return err
		}
		*fv.dst = s
	}
	l, err := p.Links.CreateLink(c.Request().Context(), u.VendorID, u.Email, attribution.LinkCreate{
		PartnerID: f.PartnerID, DestinationURL: f.DestinationURL, Key: f.Key,
		UTM: attribution.UTM{Source: f.UTMSource, Medium: f.UTMMedium, Campaign: f.UTMCampaign}})
	switch attribution.ErrorCode(err) {
	case "":
		return c.Redirect(http.StatusSeeOther, "/dashboard/links/"+l.ID)
	case attribution.EINVALID, attribution.ECONFLICT, attribution.ENOTFOUND:
		return p.showLinkForm(c, httpx.Status(err), f, attribution.ErrorMessage(err))
	}
	return err
}

// linkData is one link's page: the link and its analytics.
type linkData struct {
	Link        *attribution.Link
	PartnerName string
	Analytics   *analyticsData
}

// link answers GET /dashboard/links/{id}?start=&end=: the link, its QR
// codes and its analytics for the period.
func (p *pages) link(c echo.Context) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
	if err != nil {
		return err
	}
	l, err := p.Links.FindLink(ctx, v.ID, c.Param("id"))
	if err != nil {
		return err
	}
	l.SetURL(p.PublicURL)
	q, form, err := p.readPeriod(c, v, attribution.GroupByDay, l.ID)
	if err != nil {
		return err
	}
	form.PartnerID = ""
	d := linkData{Link: l}
	if d.Analytics, err = p.analyticsWidgets(ctx, v.ID, q, form); err != nil {
		return err
	}
	if pa, err := p.Partners.FindPartner(ctx, v.ID, l.PartnerID); err == nil {
		d.PartnerName = pa.Name
	} else if attribution.ErrorCode(err) != attribution.ENOTFOUND {
		return err
	}
	return p.render(c, http.StatusOK, "link", view{Title: "Link " + l.Key, Nav: "links", User: u, Vendor: v, Data: d})
}

// changeDestination answers POST /dashboard/links/{id}/destination
// {destination_url}.
func (p *pages) changeDestination(c echo.Context) error {
	u := userOf(c)
	dest, err := formText(c, "destination_url")
	if err != nil {
		return err
	}
	l, err := p.Links.UpdateLink(c.Request().Context(), u.VendorID, u.Email, c.Param("id"), attribution.LinkUpdate{DestinationURL: &dest})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/dashboard/links/"+l.ID)
}

// archiveLinkForm answers GET /dashboard/links/{id}/archive: the
// confirmation step (a page, so it works without JavaScript).
func (p *pages) archiveLinkForm(c echo.Context) error {
	if err := mustChange(c); err != nil {
		return err
	}
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
	if err != nil {
		return err
	}
	l, err := p.Links.FindLink(ctx, v.ID, c.Param("id"))
	if err != nil {
		return err
	}
	l.SetURL(p.PublicURL)
	return p.render(c, http.StatusOK, "link_archive", view{Title: "Archive link " + l.Key, Nav: "links", User: u, Vendor: v, Data: l})
}

// archiveLink answers POST /dashboard/links/{id}/archive: the link stops
// redirecting (404 or the fallback URL); its clicks and credits stay.
func (p *pages) archiveLink(c echo.Context) error {
	u := userOf(c)
	archived := attribution.LinkArchived
	l, err := p.Links.UpdateLink(c.Request().Context(), u.VendorID, u.Email, c.Param("id"), attribution.LinkUpdate{Status: &archived})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/dashboard/links/"+l.ID)
}

// linkQRSVG answers GET /dashboard/links/{id}/qr.svg, a download.
func (p *pages) linkQRSVG(c echo.Context) error {
	return p.linkQR(c, "svg", "image/svg+xml", qr.SVG)
}

// linkQRPNG answers GET /dashboard/links/{id}/qr.png, a download.
func (p *pages) linkQRPNG(c echo.Context) error {
	return p.linkQR(c, "png", "image/png", func(s string) ([]byte, error) { return qr.PNG(s, 0) })
}

func (p *pages) linkQR(c echo.Context, ext, contentType string, encode func(string) ([]byte, error)) error {
	u := userOf(c)
	l, err := p.Links.FindLink(c.Request().Context(), u.VendorID, c.Param("id"))
	if err != nil {
		return err
	}
	return p.sendQR(c, l, ext, contentType, encode)
}

// sendQR answers the QR code of link l as a download: the dashboard's and
// the portal's.
func (p *pages) sendQR(c echo.Context, l *attribution.Link, ext, contentType string, encode func(string) ([]byte, error)) error {
	l.SetURL(p.PublicURL)
	img, err := encode(l.URL)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+l.Key+`-qr.`+ext+`"`)
	return c.Blob(http.StatusOK, contentType, img)
}
