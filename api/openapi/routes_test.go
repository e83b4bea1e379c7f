package openapi_test

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/internal/testenv"
)

// undocumented are the routes the document leaves out: the referral
// redirect and the snippet script answer a browser, not a program (HTML
// redirects and JavaScript, no JSON).
var undocumented = map[string]bool{
	"GET /r/{key}":     true,
	"HEAD /r/{key}":    true,
	"GET /snippet.js":  true,
	"HEAD /snippet.js": true,
	"GET /metrics":     true, // Prometheus text, for operators (README "Metrics and alerts")
}

var echoParam = regexp.MustCompile(`:([a-z_]+)`)

// serverRoutes lists the routes registered on the running server as
// "METHOD /path/{param}", without Echo's not-found catch-alls.
func serverRoutes(t *testing.T, e *testenv.Env) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range e.App.Server.Echo.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		seen[r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// webPage reports whether a path is one of the web interface's HTML pages
// (or their static files), which the JSON API's document does not describe.
func webPage(path string) bool {
	for _, p := range []string{"/v1/", "/admin/", "/webhooks/", "/healthz", "/readyz", "/r/", "/snippet.js"} {
		if strings.HasPrefix(path, p) {
			return false
		}
	}
	return true
}

// TestEveryRouteIsDocumented fails on a route the document does not
// describe, and on an operation the server does not serve.
func TestEveryRouteIsDocumented(t *testing.T) {
	doc := loadDocument(t)
	e := testenv.New(t)
	served := map[string]bool{}
	for _, r := range serverRoutes(t, e) {
		served[r] = true
		method, path, _ := strings.Cut(r, " ")
		if undocumented[r] || webPage(path) {
			continue
		}
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s is served but not in openapi.json", r)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !served[method+" "+path] {
				t.Errorf("%s %s is in openapi.json but not served", method, path)
			}
		}
	}
	for r := range undocumented {
		if !served[r] {
			t.Errorf("%s is listed as undocumented but not served", r)
		}
	}
	// The document itself is served, publicly.
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/openapi.json", "", nil))
}
