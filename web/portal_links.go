package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/api/qr"
	"github.com/tally-dev/tally/attribution"
)

// portalLinksData is the partner's links and the new-link form as typed.
type portalLinksData struct {
	Links  []*attribution.Link
	Domain string
	// NewURL is the link just created, with its variant when one was given.
	NewURL string
	Form   portalLinkForm
}

type portalLinkForm struct {
	DestinationURL, Key, Variant      string
	UTMSource, UTMMedium, UTMCampaign string
}

// portalLinks answers GET /partner/links: the partner's links (archived
// ones too: their old clicks stay theirs) and the form of a new one.
func (p *pages) portalLinks(c echo.Context) error {
	v, err := p.portalVendor(c)
	if err != nil {
		return err
	}
	links, err := p.partnerLinks(c, v.ID, partnerOf(c).ID, "")
	if err != nil {
		return err
	}
	d := portalLinksData{Links: links, Domain: v.Domain}
	if c.Request().Method == http.MethodPost { // a refused form, shown again as typed
		d.Form = readPortalLinkForm(c)
	}
	if created := c.QueryParam("created"); created != "" {
		for _, l := range links {
			if l.ID == created {
				d.NewURL, _ = attribution.VariantURL(l.URL, c.QueryParam("v"))
			}
		}
	}
	return p.renderPortal(c, http.StatusOK, "portal_links", "Links", "links", v, d)
}

func readPortalLinkForm(c echo.Context) portalLinkForm {
	return portalLinkForm{DestinationURL: c.FormValue("destination_url"), Key: c.FormValue("key"), Variant: c.FormValue("variant"),
		UTMSource: c.FormValue("utm_source"), UTMMedium: c.FormValue("utm_medium"), UTMCampaign: c.FormValue("utm_campaign")}
}

// portalCreateLink answers POST /partner/links: a link of the signed-in
// partner to the vendor's domain (the rule of POST /v1/partner/links).
func (p *pages) portalCreateLink(c echo.Context) error {
	for _, name := range [...]string{"destination_url", "key", "variant", "utm_source", "utm_medium", "utm_campaign"} {
		if _, err := formText(c, name); err != nil {
			return err
		}
	}
	f := readPortalLinkForm(c)
	v, err := p.portalVendor(c)
	if err != nil {
		return err
	}
	me := partnerOf(c)
	if _, err := attribution.VariantURL("", f.Variant); err != nil { // refused before anything is created
		return p.refused(c, err, p.portalLinks)
	}
	req := attribution.PartnerLinkCreate{DestinationURL: f.DestinationURL, Key: f.Key,
		UTM: attribution.UTM{Source: f.UTMSource, Medium: f.UTMMedium, Campaign: f.UTMCampaign}}
	lc, err := req.LinkCreate(v, me)
	if err != nil {
		return p.refused(c, err, p.portalLinks)
	}
	l, err := p.Links.CreateLink(c.Request().Context(), v.ID, "partner:"+me.ID, lc)
	if err != nil {
		return p.refused(c, err, p.portalLinks)
	}
	q := url.Values{"created": {l.ID}}
	if f.Variant != "" {
		q.Set("v", f.Variant)
	}
	return c.Redirect(http.StatusSeeOther, "/partner/links?"+q.Encode())
}

// portalLinkQRSVG answers GET /partner/links/{id}/qr.svg, a download.
func (p *pages) portalLinkQRSVG(c echo.Context) error {
	return p.portalLinkQR(c, "svg", "image/svg+xml", qr.SVG)
}

// portalLinkQRPNG answers GET /partner/links/{id}/qr.png, a download.
func (p *pages) portalLinkQRPNG(c echo.Context) error {
	return p.portalLinkQR(c, "png", "image/png", func(s string) ([]byte, error) { return qr.PNG(s, 0) })
}

// portalLinkQR encodes one of the partner's own links: another partner's
// link is not found (attribution.OwnLink).
func (p *pages) portalLinkQR(c echo.Context, ext, contentType string, encode func(string) ([]byte, error)) error {
	me := partnerOf(c)
	l, err := p.Links.FindLink(c.Request().Context(), me.VendorID, c.Param("id"))
	if err != nil {
		return err
	}
	if err := attribution.OwnLink(l, me.ID); err != nil {
		return err
	}
	return p.sendQR(c, l, ext, contentType, encode)
}
