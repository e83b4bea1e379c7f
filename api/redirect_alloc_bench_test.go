package api_test

import (
	"net/http"
	"testing"

	"github.com/tally-dev/tally/api"
)

// reusedWriter is a ResponseWriter kept across iterations, so the benchmark
// measures the handler and not httptest's recorder.
type reusedWriter struct {
	h    http.Header
	code int
}

func (w *reusedWriter) Header() http.Header         { return w.h }
func (w *reusedWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *reusedWriter) WriteHeader(code int)        { w.code = code }

func (w *reusedWriter) reset() {
	clear(w.h)
	w.code = 0
}

// BenchmarkRedirectHandler measures GET /r/{key} through the real router
// (every middleware) with clicks kept nowhere and one ResponseWriter reused:
// the redirect's own CPU and allocations.
func BenchmarkRedirectHandler(b *testing.B) {
	a, keys := benchApp(b)
	deps := a.Server.Deps()
	deps.Clicks = discardClicks{}
	h := api.New(a.Server.Config(), deps)
	reqs := make([]*http.Request, 0, len(keys))
	for i, k := range keys {
		req, err := http.NewRequest(http.MethodGet, "/r/"+k+"?utm_medium=email", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.RemoteAddr = "198.51.100.7:41234"
		req.Header.Set("User-Agent", benchAgents[i%len(benchAgents)])
		req.Header.Set("Referer", "https://news.example.org/story")
		reqs = append(reqs, req)
	}
	w := &reusedWriter{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, reqs[i%len(reqs)])
		if w.code != http.StatusFound {
			b.Fatalf("status %d", w.code)
		}
		i++
	}
}
