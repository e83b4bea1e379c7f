package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

var stylesheet = regexp.MustCompile(`href="(/static/app\.css\?v=[0-9a-f]+)"`)

// TestStaticCompressed: a browser that accepts gzip gets the static files
// gzipped, the same bytes once inflated; one that does not gets them as
// they are. Both may cache a versioned file for a year.
func TestStaticCompressed(t *testing.T) {
	e := testenv.New(t)
	m := stylesheet.FindSubmatch(e.Must(t, http.StatusOK, e.Do(t, "GET", "/login", "", nil)).Body)
	if m == nil {
		t.Fatal("the sign-in page links no versioned stylesheet")
	}
	path := string(m[1])

	plain := e.Must(t, http.StatusOK, e.Do(t, "GET", path, "", nil, "Accept-Encoding", "identity"))
	if enc := plain.Header.Get("Content-Encoding"); enc != "" {
		t.Fatalf("identity asked, Content-Encoding %q", enc)
	}
	zipped := e.Must(t, http.StatusOK, e.Do(t, "GET", path, "", nil, "Accept-Encoding", "gzip, deflate, br"))
	if enc := zipped.Header.Get("Content-Encoding"); enc != "gzip" {
		t.Fatalf("gzip accepted, Content-Encoding %q", enc)
	}
	if !strings.Contains(zipped.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary %q: a shared cache could hand gzip to a browser that did not ask", zipped.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.Body))
	if err != nil {
		t.Fatal(err)
	}
	inflated, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(inflated, plain.Body) || len(plain.Body) == 0 {
		t.Fatalf("inflated %d bytes, plain %d: not the same file", len(inflated), len(plain.Body))
	}
	if len(zipped.Body)*2 > len(plain.Body) {
		t.Errorf("gzipped %d bytes of %d", len(zipped.Body), len(plain.Body))
	}
	for _, r := range []*testenv.Response{plain, zipped} {
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
			t.Errorf("Cache-Control %q, Content-Type %q", cc, r.Header.Get("Content-Type"))
		}
	}
}
