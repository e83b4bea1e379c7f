package testenv

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Browser is a cookie-keeping HTTP client for the web pages: it posts
// forms as a browser does, and follows no redirect by itself, so a test
// sees each 303.
type Browser struct {
	e      *Env
	jar    http.CookieJar
	client *http.Client
}

// NewBrowser returns a browser with an empty cookie jar.
func (e *Env) NewBrowser(tb testing.TB) *Browser {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &Browser{e: e, jar: jar, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is an answer to a browser.
type Page struct {
	*http.Response
	Body string
}

// Location is where a redirect sends the browser, as a path.
func (p *Page) Location() string {
	u, err := url.Parse(p.Header.Get("Location"))
	if err != nil {
		return p.Header.Get("Location")
	}
	if u.RawQuery != "" {
		return u.Path + "?" + u.RawQuery
	}
	return u.Path
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// CSRF returns the CSRF token of the page's forms.
func (p *Page) CSRF(tb testing.TB) string {
	tb.Helper()
	m := csrfInput.FindStringSubmatch(p.Body)
	if m == nil {
		tb.Fatalf("%s %s: no csrf_token in the page:\n%s", p.Request.Method, p.Request.URL.Path, p.Body)
	}
	return html.UnescapeString(m[1])
}

// Get loads path (or a full URL).
func (b *Browser) Get(tb testing.TB, path string, headers ...string) *Page {
	tb.Helper()
	return b.send(tb, "GET", path, nil, headers...)
}

// Post posts form to path as application/x-www-form-urlencoded.
func (b *Browser) Post(tb testing.TB, path string, form url.Values, headers ...string) *Page {
	tb.Helper()
	return b.send(tb, "POST", path, form, headers...)
}

// Submit loads the page at path, adds its CSRF token to form and posts
// form back to path, as a person filling in that page's form does.
func (b *Browser) Submit(tb testing.TB, path string, form url.Values) *Page {
	tb.Helper()
	page := b.Get(tb, path).Must(tb, http.StatusOK)
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", page.CSRF(tb))
	return b.Post(tb, path, f)
}

// Cookie returns the value of the cookie name the browser would send to the server.
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.e.Server.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *Browser) send(tb testing.TB, method, path string, form url.Values, headers ...string) *Page {
	tb.Helper()
	target := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		target = b.e.Server.URL + path
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	req.Header.Set("User-Agent", BrowserUA)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &Page{Response: resp, Body: string(data)}
}

// Must fails the test unless the page has the wanted status.
func (p *Page) Must(tb testing.TB, want int) *Page {
	tb.Helper()
	if p.StatusCode != want {
		tb.Fatalf("%s %s: status %d, want %d (Location %q):\n%s", p.Request.Method, p.Request.URL.Path, p.StatusCode, want, p.Header.Get("Location"), p.Body)
	}
	return p
}
