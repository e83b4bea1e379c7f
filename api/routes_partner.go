package api

import "github.com/labstack/echo/v4"

// partnerPortal holds the handlers of the partner API: every answer is
// scoped to the authenticated partner.
type partnerPortal struct {
	s     *Server
	store Store
}

// mountPartnerAPI adds the partner portal API under /v1/partner (pt_ tokens).
func (s *Server) mountPartnerAPI(e *echo.Echo) {
	p := &partnerPortal{s: s, store: s.deps.Store}
	g := e.Group("/v1/partner", s.partnerAuth)
	g.GET("/me", p.me)
	g.GET("/links", p.listLinks)
	g.POST("/links", p.createLink)
	g.GET("/rewards", p.listRewards)
	g.GET("/analytics", p.analytics)
	g.GET("/customers", p.listCustomers)
}
