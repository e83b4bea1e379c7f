package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

func (m *money) listAudit(c echo.Context) error {
	page, err := pageParams(c, attribution.PrefixAudit)
	if err != nil {
		return err
	}
	objType, err := enumParam(c, "object_type", attribution.AuditObjectTypes...)
	if err != nil {
		return err
	}
	list, more, err := m.audit.ListAudit(c.Request().Context(), VendorOf(c).ID, attribution.AuditFilter{
		ObjectType: objType, ObjectID: c.QueryParam("object_id"), Page: page,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List(list, more, func(e *attribution.AuditEntry) string { return e.ID }))
}
