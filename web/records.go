package web

import (
	"context"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/snippet/check"
)

// Helpers of the record pages (customers, purchases, rewards, audit,
// settings, gaps).

// LinkChecker runs the destination check of a link (check.Fetcher).
type LinkChecker interface {
	CheckLink(ctx context.Context, l *attribution.Link, publicKey string) (*check.Report, error)
}

// recordFuncs are template functions of the record pages, added to funcs
// here so that this file owns them.
var recordFuncs = template.FuncMap{
	"at":       localTime,
	"partner":  func(names map[string]string, id string) string { return partnerLabel(names, id) },
	"join":     strings.Join,
	"contains": slices.Contains[[]string],
	"deref":    func(n *int) int { return *n },
}

func init() { maps.Copy(funcs, recordFuncs) }

// localTime writes an instant (time.Time or *time.Time) in the vendor's
// time zone, with the zone's abbreviation: 30 Nov 2026, 14:05 CET.
func localTime(t any, v *attribution.Vendor) string {
	var tt time.Time
	switch x := t.(type) {
	case time.Time:
		tt = x
	case *time.Time:
		if x == nil {
			return ""
		}
		tt = *x
	default:
		return ""
	}
	if tt.IsZero() {
		return ""
	}
	loc := time.UTC
	if v != nil {
		loc = v.Location()
	}
	return tt.In(loc).Format("2 Jan 2006, 15:04 MST")
}

func partnerLabel(names map[string]string, id string) string {
	if id == "" {
		return ""
	}
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

// vendor loads the signed-in user's vendor.
func (p *pages) vendor(c echo.Context) (*attribution.Vendor, error) {
	return p.Vendors.FindVendor(c.Request().Context(), userOf(c).VendorID)
}

// queryText reads a query parameter (a list's filter) as formText reads a
// field. Filters come from the query only, so a form posted to the same
// path never changes the list shown beside its error.
func queryText(c echo.Context, name string) (string, error) {
	v := strings.TrimSpace(c.QueryParam(name))
	if len(v) > maxFieldLen || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return "", attribution.Errorf(attribution.EINVALID, "A filter holds text that cannot be used.")
	}
	return v, nil
}

// ctxFormError holds the error of a refused form, shown above the page
// that is rendered again.
const ctxFormError = "web.form_error"

// refused answers a form the domain refused (bad input, a conflict, an
// object that is gone) with the page the form was on, its message above
// it and the error's status, nothing changed. Other errors go on to the
// error page.
func (p *pages) refused(c echo.Context, err error, page echo.HandlerFunc) error {
	switch attribution.ErrorCode(err) {
	case attribution.EINVALID, attribution.ECONFLICT, attribution.ENOTFOUND:
		c.Set(ctxFormError, err)
		return page(c)
	}
	return err
}

// done sends the browser back to path after a change (Post/Redirect/Get).
func done(c echo.Context, path string) error {
	return c.Redirect(http.StatusSeeOther, path)
}

// backTo is the page a form returns to: its "back" field when it names a
// dashboard page, else fallback.
func backTo(c echo.Context, fallback string) string {
	b := c.FormValue("back")
	if u, err := url.Parse(b); err == nil && u.Host == "" && u.Scheme == "" && strings.HasPrefix(u.Path, "/dashboard/") {
		return u.RequestURI()
	}
	return fallback
}

// maxPartnersListed bounds the partners read to name them and fill the
// partner selects.
const maxPartnersListed = 1000

// partnerList returns the vendor's partners, newest first, and their names
// by id.
func (p *pages) partnerList(ctx context.Context, vendorID string) ([]*attribution.Partner, map[string]string, error) {
	var all []*attribution.Partner
	page := attribution.Page{Limit: attribution.MaxPageLimit}
	for len(all) < maxPartnersListed {
		list, more, err := p.Partners.ListPartners(ctx, vendorID, attribution.PartnerFilter{Page: page})
		if err != nil {
			return nil, nil, err
		}
		all = append(all, list...)
		if !more || len(list) == 0 {
			break
		}
		page.Cursor = list[len(list)-1].ID
	}
	names := make(map[string]string, len(all))
	for _, pa := range all {
		names[pa.ID] = pa.Name
	}
	return all, names, nil
}

// pageOf reads the list cursor of the query.
func pageOf(c echo.Context) (attribution.Page, error) {
	cursor, err := queryText(c, "cursor")
	if err != nil {
		return attribution.Page{}, err
	}
	return attribution.Page{Cursor: cursor, Limit: attribution.DefaultPageLimit}, nil
}

// nextPage is the link to the page after the last item shown, keeping
// the query's filters; "" when no more follow.
func nextPage(c echo.Context, more bool, lastID string) string {
	if !more || lastID == "" {
		return ""
	}
	q := c.Request().URL.Query()
	q.Set("cursor", lastID)
	return c.Request().URL.Path + "?" + q.Encode()
}
