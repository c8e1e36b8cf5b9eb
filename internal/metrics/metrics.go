// Package metrics holds authd's Prometheus metrics: HTTP requests by route,
// latency, API key verification outcomes, core rate-limit rejections and
// the database pool. They live in a registry of their own (not the global
// one) and are served on the admin listener, away from public traffic.
// docs/deployment.md lists every series.
package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Unmatched is the route label of requests that matched no endpoint:
// unknown paths, and requests that the rate limiter rejected before
// routing on a path that is not an endpoint. Raw paths never become labels,
// so a client cannot grow the number of series.
const Unmatched = "unmatched"

// Metrics is the registry and the collectors that authd updates.
type Metrics struct {
	Registry *prometheus.Registry

	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	rateLimited *prometheus.CounterVec
	verify      *prometheus.CounterVec

	mu       sync.RWMutex
	basePath string
	routes   map[string]bool // full paths of the endpoints below the base path
}

// New returns the metrics with the Go runtime, process and build-info
// collectors already registered.
func New(version string) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authd_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "authd_http_request_duration_seconds",
			Help:    "Time from the request's arrival to the end of its handler, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "authd_http_requests_in_flight",
			Help: "HTTP requests being handled now.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authd_rate_limit_rejections_total",
			Help: "Requests that the core rate limiter rejected with 429, by route pattern.",
		}, []string{"route"}),
		verify: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authd_api_key_verifications_total",
			Help: "API key verifications (POST /api-key/verify and x-api-key requests), by outcome code; VALID is a success.",
		}, []string{"code"}),
		routes: map[string]bool{},
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "authd_build_info",
		Help:        "Always 1; the labels carry the authd version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	m.Registry.MustRegister(
		m.requests, m.duration, m.inFlight, m.rateLimited, m.verify, buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Register adds collectors that other packages own (the mail outbox, the
// database pool).
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.Registry.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// SetRoutes records which paths below basePath are endpoints, so that
// requests rejected before routing (rate-limit rejections) still get their
// route label. paths are relative to basePath, as auth.Router lists them.
func (m *Metrics) SetRoutes(basePath string, paths []string) {
	routes := make(map[string]bool, len(paths))
	for _, p := range paths {
		routes[basePath+p] = true
	}
	m.mu.Lock()
	m.basePath, m.routes = basePath, routes
	m.mu.Unlock()
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// APIKeyVerified counts one API key verification outcome. The API Key
// plugin calls it with "VALID" or the error code.
func (m *Metrics) APIKeyVerified(code string) {
	m.verify.WithLabelValues(code).Inc()
}

// InitAPIKeyVerifications creates the VALID series at zero, so that rates
// and ratios work before the first verification. The app calls it when
// the API Key plugin reports outcomes.
func (m *Metrics) InitAPIKeyVerifications() {
	m.verify.WithLabelValues("VALID")
}

// RateLimitRejected counts one 429 of the core rate limiter. path is
// relative to the base path, as the limiter receives it.
func (m *Metrics) RateLimitRejected(path string) {
	m.mu.RLock()
	full := m.basePath + path
	known := m.routes[full]
	m.mu.RUnlock()
	if !known {
		full = Unmatched
	}
	m.rateLimited.WithLabelValues(full).Inc()
}

// Middleware measures every request. It must run inside the root chi
// router (Use), so that the route pattern is known once the handler
// returns.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := m.route(r)
		method := methodLabel(r.Method)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}

// route returns the chi pattern that served r. Below the base path, a
// request that never reached the endpoint router (rate limited) or found
// no endpoint keeps the mount pattern ".../*". Such a request is labelled
// with its path when that path is an endpoint, and Unmatched otherwise.
func (m *Metrics) route(r *http.Request) string {
	pattern := ""
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		pattern = rctx.RoutePattern()
	}
	if pattern != "" && !strings.HasSuffix(pattern, "*") {
		return pattern
	}
	path := strings.TrimRight(r.URL.Path, "/")
	m.mu.RLock()
	known := m.routes[path]
	m.mu.RUnlock()
	if known {
		return path
	}
	return Unmatched
}

// methodLabel bounds the method label to the methods authd serves.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodOptions, http.MethodHead:
		return method
	}
	return "OTHER"
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
