package snippet_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tally-dev/tally/snippet"
	"github.com/tally-dev/tally/snippet/internal/minify"
)

func newScript(t *testing.T) *snippet.Script {
	t.Helper()
	s, err := snippet.NewScript()
	if err != nil {
		t.Fatalf("NewScript: %v", err)
	}
	return s
}

func get(t *testing.T, s *snippet.Script, method string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, "/snippet.js", nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Result()
}

// gzipBody is the script as served to a browser that accepts gzip.
func gzipBody(t *testing.T, s *snippet.Script) []byte {
	t.Helper()
	res := get(t, s, http.MethodGet, map[string]string{"Accept-Encoding": "gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatal("not gzipped")
	}
	raw, _ := io.ReadAll(res.Body)
	return raw
}

func TestSize(t *testing.T) {
	s := newScript(t)
	gz := len(gzipBody(t, s))
	t.Logf("snippet.js: %d bytes minified, %d bytes gzipped", len(s.Bytes()), gz)
	if gz >= 2048 {
		t.Fatalf("gzipped snippet is %d bytes, budget is 2048", gz)
	}
	if len(s.Bytes()) == 0 || bytes.Contains(s.Bytes(), []byte("/*")) {
		t.Fatalf("minified output looks wrong: %q", s.Bytes())
	}
	// The contract strings must survive minification.
	for _, want := range []string{"tally_ref", "/v1/snippet/signup", "/v1/snippet/ping", "/v1/snippet/config?public_key=", "data-", "sendBeacon", "replaceState"} {
		if !bytes.Contains(s.Bytes(), []byte(want)) {
			t.Errorf("minified snippet lacks %q", want)
		}
	}
}

// The served script is the committed snippet.min.js; it must be what the
// generator makes of snippet.js today.
func TestMinifiedIsCurrent(t *testing.T) {
	src, err := os.ReadFile("snippet.js")
	if err != nil {
		t.Fatal(err)
	}
	want, err := minify.JS(src)
	if err != nil {
		t.Fatal(err)
	}
	if got := newScript(t).Bytes(); !bytes.Equal(got, want) {
		t.Fatalf("snippet.min.js is stale (%d bytes embedded, %d bytes from snippet.js): run go generate ./snippet", len(got), len(want))
	}
}

func TestETag(t *testing.T) {
	a, b := newScript(t), newScript(t)
	if a.ETag() != b.ETag() {
		t.Fatalf("ETag not stable: %s vs %s", a.ETag(), b.ETag())
	}
	if !regexp.MustCompile(`^"[0-9a-f]{16,64}"$`).MatchString(a.ETag()) {
		t.Fatalf("ETag %s is not a strong quoted hex tag", a.ETag())
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the script differs between two instances")
	}
}

func TestServePlain(t *testing.T) {
	s := newScript(t)
	res := get(t, s, http.MethodGet, nil)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	checks := map[string]string{
		"Content-Type":                "text/javascript; charset=utf-8",
		"ETag":                        s.ETag(),
		"Cache-Control":               "public, max-age=300, stale-while-revalidate=86400",
		"Vary":                        "Accept-Encoding",
		"X-Content-Type-Options":      "nosniff",
		"Access-Control-Allow-Origin": "*",
		"Content-Encoding":            "",
	}
	for k, want := range checks {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !bytes.Equal(body, s.Bytes()) {
		t.Fatal("body differs from Bytes()")
	}
}

func TestServeGzip(t *testing.T) {
	s := newScript(t)
	for _, ae := range []string{"gzip", "gzip, deflate, br, zstd", "br;q=1.0, gzip;q=0.8", "*"} {
		res := get(t, s, http.MethodGet, map[string]string{"Accept-Encoding": ae})
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Accept-Encoding %q: not gzipped", ae)
		}
		raw, _ := io.ReadAll(res.Body)
		if res.Header.Get("Content-Length") != itoa(len(raw)) {
			t.Fatalf("gzip body %d bytes, Content-Length %s", len(raw), res.Header.Get("Content-Length"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		js, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(js, s.Bytes()) {
			t.Fatal("gzip body does not decode to Bytes()")
		}
		if res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Fatalf("content type %q", res.Header.Get("Content-Type"))
		}
	}
	for _, ae := range []string{"identity", "gzip;q=0", "br", "*;q=0"} {
		res := get(t, s, http.MethodGet, map[string]string{"Accept-Encoding": ae})
		if res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("Accept-Encoding %q: got gzip", ae)
		}
	}
}

func TestNotModified(t *testing.T) {
	s := newScript(t)
	for _, inm := range []string{s.ETag(), "W/" + s.ETag(), `"nope", ` + s.ETag(), `"a","b" , W/` + s.ETag(), "*"} {
		res := get(t, s, http.MethodGet, map[string]string{"If-None-Match": inm, "Accept-Encoding": "gzip"})
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Fatalf("If-None-Match %q: status %d, %d body bytes", inm, res.StatusCode, len(body))
		}
		if res.Header.Get("ETag") != s.ETag() || res.Header.Get("Cache-Control") == "" {
			t.Fatalf("304 lacks ETag/Cache-Control: %v", res.Header)
		}
	}
	res := get(t, s, http.MethodGet, map[string]string{"If-None-Match": `"stale"`})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stale tag: status %d", res.StatusCode)
	}
	res = get(t, s, http.MethodHead, map[string]string{"If-None-Match": s.ETag()})
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("HEAD with matching tag: status %d", res.StatusCode)
	}
}

func TestHead(t *testing.T) {
	s := newScript(t)
	res := get(t, s, http.MethodHead, map[string]string{"Accept-Encoding": "gzip"})
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || len(body) != 0 {
		t.Fatalf("HEAD: status %d, %d body bytes", res.StatusCode, len(body))
	}
	if res.Header.Get("Content-Length") != itoa(len(gzipBody(t, s))) || res.Header.Get("ETag") != s.ETag() ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("HEAD headers: %v", res.Header)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	s := newScript(t)
	res := get(t, s, http.MethodPost, nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: status %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}

func TestServeOverHTTP(t *testing.T) {
	s := newScript(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	// net/http's transport asks for gzip and decodes it transparently.
	res, err := http.Get(srv.URL + "/snippet.js")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if !res.Uncompressed || !bytes.Equal(body, s.Bytes()) {
		t.Fatalf("uncompressed=%v, body equal=%v", res.Uncompressed, bytes.Equal(body, s.Bytes()))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
