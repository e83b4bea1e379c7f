package metrics

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics count requests by route template, method and status class,
// with a latency histogram per route and method. Each route's series are
// resolved once and kept in a copy-on-write table, so a request costs one
// map lookup on strings it already has (the route template and a constant
// method), no label hashing and no allocation.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	mu     sync.Mutex // serializes additions to routes
	routes atomic.Pointer[map[routeKey]*routeSeries]
}

type routeKey struct{ method, route string }

// routeSeries are one route's resolved series: a counter per status class
// (1xx to 5xx) and the latency histogram.
type routeSeries struct {
	byClass  [5]prometheus.Counter
	duration prometheus.Observer
}

// statusClasses are the values of the status_class label.
var statusClasses = [5]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// unmatched is the route of a request no route matched.
const unmatched = "unmatched"

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	h := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests by route template, method and status class.",
		}, []string{"route", "method", "status_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help: "HTTP request latency by route template and method.", Buckets: latencyBuckets,
		}, []string{"route", "method"}),
	}
	h.routes.Store(&map[routeKey]*routeSeries{})
	reg.MustRegister(h.requests, h.duration)
	return h
}

// HTTPRequest records one answered request. route is the matched route's
// template (Echo's c.Path(), never the raw URL); empty means no route
// matched. A method outside HTTP's own counts as "OTHER".
func (m *Metrics) HTTPRequest(method, route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	s := m.http.series(knownMethod(method), route)
	class := status/100 - 1
	if class < 0 || class > 4 {
		class = 4 // not a valid status: the server's fault
	}
	s.byClass[class].Inc()
	s.duration.Observe(took.Seconds())
}

func (h *httpMetrics) series(method, route string) *routeSeries {
	k := routeKey{method, route}
	if s, ok := (*h.routes.Load())[k]; ok {
		return s
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.routes.Load()
	if s, ok := old[k]; ok {
		return s
	}
	label := route
	if label == "" {
		label = unmatched
	}
	s := &routeSeries{duration: h.duration.WithLabelValues(label, method)}
	for i, class := range statusClasses {
		s.byClass[i] = h.requests.WithLabelValues(label, method, class)
	}
	next := make(map[routeKey]*routeSeries, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = s
	h.routes.Store(&next)
	return s
}

// knownMethod bounds the method label: a client may send any token.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
