package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// programHandlers serve the partner program's decisions and invites:
// POST /v1/partners/{id}/approve, /reject and /invite.
type programHandlers struct {
	partners attribution.PartnerService
	program  attribution.ProgramService
}

// PartnerDecisionRequest is the optional body of approve and reject.
type PartnerDecisionRequest struct {
	// Reason is optional; kept in the audit log, and told to a rejected
	// applicant.
	Reason string `json:"reason"`
}

// decide answers approve and reject: the same domain call as the
// dashboard's buttons.
func (h *programHandlers) decide(decision string) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req PartnerDecisionRequest
		if err := httpx.DecodeOptionalJSON(c, &req); err != nil {
			return err
		}
		p, err := h.partners.DecideApplication(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"), decision, req.Reason)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, p)
	}
}

// invite emails a new invite link to an invited partner and answers it,
// for a vendor who delivers it another way.
func (h *programHandlers) invite(c echo.Context) error {
	if err := httpx.DecodeOptionalJSON(c, &struct{}{}); err != nil {
		return err
	}
	inv, err := h.program.InvitePartner(c.Request().Context(), VendorOf(c).ID, ActorOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inv)
}
