package api

import "github.com/labstack/echo/v4"

// mountPartnerAPI adds the partner portal API under /v1/partner (pt_ tokens).
func (s *Server) mountPartnerAPI(e *echo.Echo) {}
