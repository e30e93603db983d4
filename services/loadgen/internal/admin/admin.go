// Package admin serves loadgen's own endpoints: liveness, readiness and
// Prometheus metrics. It gives the loadgensvc Service something real to
// select, and lets Kubernetes see when loadgen is draining.
package admin

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// State is the readiness flag: ready until SetDraining is called.
type State struct{ draining atomic.Bool }

// SetDraining makes /readyz answer 503 from now on.
func (s *State) SetDraining() { s.draining.Store(true) }

// Draining reports whether SetDraining was called.
func (s *State) Draining() bool { return s.draining.Load() }

// Handler returns the admin router.
func Handler(state *State, gatherer prometheus.Gatherer) http.Handler {
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if state.Draining() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("draining\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{Timeout: 5 * time.Second}))
	return r
}

// NewServer wraps h in an http.Server with every timeout set.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}
