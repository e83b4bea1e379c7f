package snippet

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// snippet.min.js is snippet.js minified at build time, not at every start
// (esbuild stays out of the binary); a test fails when it is stale.
//
//go:generate go run ./internal/gensnippet snippet.js snippet.min.js
//go:embed snippet.min.js
var minified []byte

// Script is the minified vendor-side snippet (GET /snippet.js), prepared once.
type Script struct {
	js    []byte
	gz    []byte
	etag  string
	jsLen string
	gzLen string
}

// Cache policy: browsers and CDNs keep it briefly and revalidate with the ETag,
// so a new release reaches every vendor's pages within minutes.
const cacheControl = "public, max-age=300, stale-while-revalidate=86400"

// NewScript takes the embedded minified snippet, computes its strong ETag and
// pre-compresses it.
func NewScript() (*Script, error) {
	js := minified
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(js); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}

	sum := sha256.Sum256(js)
	return &Script{
		js:    js,
		gz:    buf.Bytes(),
		etag:  `"` + hex.EncodeToString(sum[:12]) + `"`,
		jsLen: strconv.Itoa(len(js)),
		gzLen: strconv.Itoa(buf.Len()),
	}, nil
}

// Bytes returns the minified JavaScript. Callers must not modify it.
func (s *Script) Bytes() []byte { return s.js }

// ETag is the strong entity tag of the minified script, quoted.
func (s *Script) ETag() string { return s.etag }

// ServeHTTP serves the script for GET and HEAD with caching and compression headers.
func (s *Script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("ETag", s.etag)
	h.Set("Cache-Control", cacheControl)
	h.Add("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")

	if etagMatch(r.Header.Values("If-None-Match"), s.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}

	h.Set("Content-Type", "text/javascript; charset=utf-8")
	body, n := s.js, s.jsLen
	if acceptsGzip(r.Header.Values("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body, n = s.gz, s.gzLen
	}
	h.Set("Content-Length", n)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// etagMatch implements If-None-Match's weak comparison: a list of tags, each
// possibly W/-prefixed, or "*".
func etagMatch(headers []string, etag string) bool {
	for _, v := range headers {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding allows gzip (explicitly or via
// "*"), honouring q=0.
func acceptsGzip(headers []string) bool {
	star := false
	for _, v := range headers {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "gzip" && name != "x-gzip" && name != "*" {
				continue
			}
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			if name == "*" {
				star = q > 0
				continue
			}
			return q > 0
		}
	}
	return star
}
