package api

import (
	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// partnerPortal holds the handlers of the partner API: every answer is
// scoped to the authenticated partner.
type partnerPortal struct {
	s         *Server
	vendors   attribution.VendorService
	links     attribution.LinkService
	customers attribution.CustomerService
	rewards   attribution.RewardService
	portal    attribution.PartnerPortalService
}

// mountPartnerAPI adds the partner portal API under /v1/partner (pt_ tokens).
func (s *Server) mountPartnerAPI(e *echo.Echo) {
	p := &partnerPortal{
		s: s, vendors: s.deps.Vendors, links: s.deps.Links, customers: s.deps.Customers,
		rewards: s.deps.Rewards, portal: s.deps.Portal,
	}
	g := e.Group("/v1/partner", s.partnerAuth)
	g.GET("/me", p.me)
	g.GET("/links", p.listLinks)
	g.POST("/links", p.createLink)
	g.GET("/rewards", p.listRewards)
	g.GET("/analytics", p.analytics)
	g.GET("/customers", p.listCustomers)
}
