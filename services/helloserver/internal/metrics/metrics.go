// Package metrics records Prometheus metrics for the HTTP server: requests by
// method, route pattern and status code, a latency histogram and the number
// of requests in flight.
package metrics

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/asm-ready/asm-ready/services/helloserver/internal/recorder"
)

// Unmatched is the route label of requests that matched no route (404s).
// Labels never carry the raw path: that would let clients create series.
const Unmatched = "unmatched"

// BuildInfo labels the build-info gauge.
type BuildInfo struct {
	Version, Commit, ServiceVersion string
}

// Metrics owns a registry of its own (not the global one), so every server
// and every test starts from zero.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge

	// series caches the counter and histogram of each (method, route, code)
	// seen: WithLabelValues hashes the labels and takes a lock on every call,
	// a map lookup under a read lock is cheaper. The key space is small and
	// bounded (standard methods, route patterns, status codes).
	mu     sync.RWMutex
	series map[seriesKey]series
}

type seriesKey struct {
	method, route string
	code          int
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// New registers the HTTP metrics, Go runtime and process collectors and a
// build-info gauge.
func New(b BuildInfo) *Metrics {
	m := &Metrics{
		reg:    prometheus.NewRegistry(),
		series: map[seriesKey]series{},
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
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "service_version": b.ServiceVersion},
	})
	build.Set(1)
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry the metrics live in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Middleware records every request. It must run inside a chi router (r.Use),
// where the matched route pattern is known once the handler returns.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		rec := recorder.Wrap(w) // the access log's, when it runs outside
		next.ServeHTTP(rec, r)
		elapsed := rec.Finish().Sub(rec.Start()).Seconds()

		route := Unmatched
		if rc := chi.RouteContext(r.Context()); rc != nil {
			if p := rc.RoutePattern(); p != "" {
				route = p
			}
		}
		s := m.seriesFor(seriesKey{Method(r.Method), route, rec.Status()})
		s.requests.Inc()
		s.duration.Observe(elapsed)
	})
}

func (m *Metrics) seriesFor(k seriesKey) series {
	m.mu.RLock()
	s, ok := m.series[k]
	m.mu.RUnlock()
	if ok {
		return s
	}
	s = series{
		requests: m.requests.WithLabelValues(k.method, k.route, Code(k.code)),
		duration: m.duration.WithLabelValues(k.method, k.route),
	}
	m.mu.Lock()
	m.series[k] = s // a racing writer stores the same children: harmless
	m.mu.Unlock()
	return s
}

// Method returns the method label: the standard methods as they are, anything
// else as OTHER, so clients cannot mint label values.
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// codes holds the label text of every valid status code, so labelling
// allocates nothing.
var codes = func() (c [600]string) {
	for i := 100; i < len(c); i++ {
		c[i] = strconv.Itoa(i)
	}
	return c
}()

// Code returns the code label for status.
func Code(status int) string {
	if status >= 100 && status < len(codes) {
		return codes[status]
	}
	return strconv.Itoa(status)
}
