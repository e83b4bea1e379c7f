package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// templates holds one parsed set per page: the layout and that page.
type templates struct {
	byPage map[string]*template.Template
}

// view is what every page template receives.
type view struct {
	Title  string
	Nav    string // the navigation item of this page, "" outside the dashboard
	User   *attribution.User
	Vendor *attribution.Vendor
	CSRF   string
	Error  string // a message shown above the form
	Data   any    // the page's own data

	Portal *portalView // on portal pages: the signed-in partner, for the navigation
}

func mustParseTemplates() *templates {
	t := &templates{byPage: map[string]*template.Template{}}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		page := strings.TrimSuffix(path.Base(name), ".html")
		if page == "layout" {
			continue
		}
		// templates/partials/ holds the templates every page may use.
		t.byPage[page] = template.Must(template.New("layout.html").Funcs(funcs).
			ParseFS(files, "templates/layout.html", "templates/partials/*.html", name))
	}
	return t
}

// render writes page with status inside the layout. The page is rendered
// into a buffer first, so a template error never sends half a page.
func (p *pages) render(c echo.Context, status int, page string, v view) error {
	t, ok := p.tmpl.byPage[page]
	if !ok {
		return fmt.Errorf("web: no template %q", page)
	}
	if v.CSRF == "" {
		v.CSRF = p.csrfToken(c)
	}
	if err, ok := c.Get(ctxFormError).(error); ok && v.Error == "" { // a refused form's page (refused)
		v.Error, status = attribution.ErrorMessage(err), httpx.Status(err)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// errorPages renders the errors of page handlers as pages (the API's error
// handler would answer JSON); internal errors are logged, never shown.
func (p *pages) errorPages(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		status, msg := httpx.Status(err), attribution.ErrorMessage(err)
		if he, ok := err.(*echo.HTTPError); ok {
			status, msg = he.Code, http.StatusText(he.Code)+"."
		}
		if status >= 500 {
			p.Logger.Error("page failed", "method", c.Request().Method, "route", c.Path(), "err", err)
			msg = "Something went wrong on our side. Try again in a moment."
		}
		v := view{Title: http.StatusText(status), Error: msg}
		if u, ok := c.Get(ctxUser).(*attribution.User); ok {
			v.User = u
		}
		return p.render(c, status, "error", v)
	}
}
