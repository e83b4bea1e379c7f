package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// portalCustomersData is the partner's referred customers, emails masked.
type portalCustomersData struct {
	Customers []*attribution.PartnerCustomer
	Next      string // the next page's URL; "" on the last
}

// portalCustomers answers GET /partner/customers: the newest customers the
// partner referred, as GET /v1/partner/customers shows them
// (attribution.PartnerViewOf masks each email).
func (p *pages) portalCustomers(c echo.Context) error {
	v, err := p.portalVendor(c)
	if err != nil {
		return err
	}
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Customers.ListCustomers(c.Request().Context(), v.ID,
		attribution.CustomerFilter{PartnerID: partnerOf(c).ID, Page: page})
	if err != nil {
		return err
	}
	var d portalCustomersData
	for _, cust := range list {
		d.Customers = append(d.Customers, attribution.PartnerViewOf(cust))
	}
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	return p.renderPortal(c, http.StatusOK, "portal_customers", "Customers", "customers", v, d)
}
