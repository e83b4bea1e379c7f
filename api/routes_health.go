package api

import (
	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/snippet/check"
)

// mountHealth adds GET /v1/health/snippet and POST /v1/links/{id}/check.
func (s *Server) mountHealth(v1 *echo.Group) {
	h := &healthHandlers{
		s:       s,
		fetcher: check.New(check.Options{AllowPrivate: s.cfg.CheckAllowPrivate}),
		render:  remedyRenderer{publicURL: s.cfg.PublicURL},
	}
	v1.GET("/health/snippet", h.snippetHealth)
	v1.POST("/links/:id/check", h.checkLink)
}

// healthHandlers serve the snippet health report and the destination check.
type healthHandlers struct {
	s       *Server
	fetcher *check.Fetcher
	render  remedyRenderer
}
