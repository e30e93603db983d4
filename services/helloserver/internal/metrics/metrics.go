// Package metrics records Prometheus metrics for the HTTP server with
// client_golang's promhttp instrumentation: requests by method, route pattern
// and status code, a latency histogram and the requests in flight.
package metrics

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Unmatched is the route label of requests that matched no route (404, 405).
// Labels never carry the raw path: that would let clients create series.
const Unmatched = "unmatched"

// Metrics owns a registry of its own (not the global one), so every server
// and every test starts from zero.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// New registers the HTTP metrics, the Go runtime and process collectors and
// a gauge whose labels name the build.
func New(version, commit, serviceVersion string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests served, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds",
			Help: "Time to serve an HTTP request, by method and route pattern.",
			// A hello-world answers in microseconds; the upper buckets catch
			// trouble (GC pauses, CPU throttling) rather than normal work.
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "helloserver_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "commit": commit, "service_version": serviceVersion},
	})
	build.Set(1)
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Middleware records every request. It must run inside a chi router (r.Use):
// the route label is read once the handler has returned, when chi knows the
// matched pattern.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	route := promhttp.WithLabelFromRequest("route", Route)
	return promhttp.InstrumentHandlerInFlight(m.inFlight,
		promhttp.InstrumentHandlerDuration(m.duration,
			promhttp.InstrumentHandlerCounter(m.requests, next, route), route))
}

// Route returns the chi route pattern that served r, or Unmatched.
func Route(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
		return rc.RoutePattern()
	}
	return Unmatched
}
