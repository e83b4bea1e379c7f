package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// auditData is /dashboard/audit: the log and its filters.
type auditData struct {
	ObjectType, ObjectID, Actor, Action string
	Filtered                            bool
	ObjectTypes                         []string
	Entries                             []auditRow
	Next                                string
}

// auditRow is an entry with its before and after indented for reading.
// Entries hold secrets only as "set" or "unset" (Vendor.Settings), so
// nothing here can show one.
type auditRow struct {
	*attribution.AuditEntry
	BeforeText, AfterText string
}

// auditObjectTypes are the object types the page filters by.
var auditObjectTypes = append(slices.Clone(attribution.AuditObjectTypes), attribution.ObjectUser, attribution.ObjectSession)

// audit answers GET /dashboard/audit?object_type=&object_id=&actor=&action=.
func (p *pages) audit(c echo.Context) error {
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	d := auditData{ObjectTypes: auditObjectTypes}
	for name, dst := range map[string]*string{"object_type": &d.ObjectType, "object_id": &d.ObjectID, "actor": &d.Actor, "action": &d.Action} {
		if *dst, err = queryText(c, name); err != nil {
			return err
		}
	}
	if d.ObjectType != "" && !slices.Contains(auditObjectTypes, d.ObjectType) {
		return attribution.Errorf(attribution.EINVALID, "Unknown object type %q.", d.ObjectType)
	}
	d.Filtered = d.ObjectType != "" || d.ObjectID != "" || d.Actor != "" || d.Action != ""
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Audit.ListAudit(c.Request().Context(), v.ID, attribution.AuditFilter{
		ObjectType: d.ObjectType, ObjectID: d.ObjectID, Actor: d.Actor, Action: d.Action, Page: page})
	if err != nil {
		return err
	}
	for _, e := range list {
		d.Entries = append(d.Entries, auditRow{AuditEntry: e, BeforeText: indentJSON(e.Before), AfterText: indentJSON(e.After)})
	}
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	return p.render(c, http.StatusOK, "audit", view{Title: "Audit log", Nav: "audit", User: userOf(c), Vendor: v, Data: d})
}

// indentJSON writes a document for reading; "" for none.
func indentJSON(r attribution.RawJSON) string {
	if r == "" || r == "null" {
		return ""
	}
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(r), "", "  ") != nil {
		return string(r)
	}
	return buf.String()
}
