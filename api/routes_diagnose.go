package api

import (
	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// diagnosis holds the handlers of GET /v1/diagnose and DELETE /v1/customers/{id}.
type diagnosis struct {
	diagnosis attribution.DiagnosisService
	erasure   attribution.ErasureService
	render    remedyRenderer
}

// mountDiagnose adds GET /v1/diagnose and DELETE /v1/customers/{id}.
func (s *Server) mountDiagnose(v1 *echo.Group) {
	d := &diagnosis{diagnosis: s.deps.Diagnosis, erasure: s.deps.Erasure, render: remedyRenderer{publicURL: s.cfg.PublicURL}}
	v1.GET("/diagnose", d.diagnose)
	v1.DELETE("/customers/:id", d.eraseCustomer)
}
