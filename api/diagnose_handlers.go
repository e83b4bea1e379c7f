package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// DiagnosisAnswer is the answer of GET /v1/diagnose: the domain's
// diagnosis with its remedies rendered as requests.
type DiagnosisAnswer struct {
	*attribution.Diagnosis
	Verdict  VerdictAnswer   `json:"verdict"`
	Findings []FindingAnswer `json:"findings"`
}

// VerdictAnswer is a verdict with its remedy rendered.
type VerdictAnswer struct {
	attribution.Verdict
	Remedy RemedyAnswer `json:"remedy"`
}

// FindingAnswer is a finding with its remedy rendered.
type FindingAnswer struct {
	attribution.Finding
	Remedy RemedyAnswer `json:"remedy"`
}

// diagnosis holds the handlers of GET /v1/diagnose and DELETE
// /v1/customers/{id} (erase_handlers.go).
type diagnosis struct {
	diagnosis attribution.DiagnosisService
	erasure   attribution.ErasureService
	render    remedyRenderer
}

// diagnose answers GET /v1/diagnose?email=|external_id=|customer_id=: the
// customer's timeline, the verdict naming the cause of a tracking gap, and
// secondary findings.
func (d *diagnosis) diagnose(c echo.Context) error {
	q := attribution.DiagnosisQuery{
		Email:      c.QueryParam("email"),
		ExternalID: c.QueryParam("external_id"),
		CustomerID: c.QueryParam("customer_id"),
	}
	// DiagnosisFacts validates q and refuses malformed customer ids.
	facts, err := d.diagnosis.DiagnosisFacts(c.Request().Context(), VendorOf(c), q)
	if err != nil {
		return err
	}
	dg := facts.Diagnose()
	out := DiagnosisAnswer{Diagnosis: dg, Findings: []FindingAnswer{},
		Verdict: VerdictAnswer{Verdict: dg.Verdict, Remedy: d.render.remedy(dg.Verdict.Remedy)}}
	for _, f := range dg.Findings {
		out.Findings = append(out.Findings, FindingAnswer{Finding: f, Remedy: d.render.remedy(f.Remedy)})
	}
	return c.JSON(http.StatusOK, out)
}
