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

// redirectOnly returns the real router with clicks kept nowhere, and one
// request per link (with a user agent, a referrer and a UTM parameter).
func redirectOnly(tb testing.TB) (http.Handler, []*http.Request) {
	a, keys := benchApp(tb)
	deps := a.Server.Deps()
	deps.Clicks = discardClicks{}
	h := api.New(a.Server.Config(), deps)
	reqs := make([]*http.Request, 0, len(keys))
	for i, k := range keys {
		req, err := http.NewRequest(http.MethodGet, "/r/"+k+"?utm_medium=email", nil)
		if err != nil {
			tb.Fatal(err)
		}
		req.RemoteAddr = "198.51.100.7:41234"
		req.Header.Set("User-Agent", benchAgents[i%len(benchAgents)])
		req.Header.Set("Referer", "https://news.example.org/story")
		reqs = append(reqs, req)
	}
	return h, reqs
}

// BenchmarkRedirectHandler measures GET /r/{key} through the real router
// (every middleware) with clicks kept nowhere and one ResponseWriter reused:
// the redirect's own CPU and allocations.
func BenchmarkRedirectHandler(b *testing.B) {
	h, reqs := redirectOnly(b)
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

// maxRedirectAllocs is the redirect's allocation budget (issue 15): the
// handler through every middleware, the click handed to a sink.
const maxRedirectAllocs = 30

func TestRedirect_AllocationBudget(t *testing.T) {
	h, reqs := redirectOnly(t)
	w := &reusedWriter{h: http.Header{}}
	i := 0
	allocs := testing.AllocsPerRun(2000, func() {
		w.reset()
		h.ServeHTTP(w, reqs[i%len(reqs)])
		if w.code != http.StatusFound {
			t.Fatalf("status %d", w.code)
		}
		i++
	})
	t.Logf("%.1f allocations per redirect", allocs)
	if allocs > maxRedirectAllocs {
		t.Errorf("a redirect allocates %.1f times, budget %d", allocs, maxRedirectAllocs)
	}
}
