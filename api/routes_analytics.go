package api

import "github.com/labstack/echo/v4"

// mountAnalytics adds GET /v1/analytics.
func (s *Server) mountAnalytics(v1 *echo.Group) {
	h := &analyticsHandlers{s: s, svc: s.deps.Analytics}
	v1.GET("/analytics", h.getAnalytics)
}
