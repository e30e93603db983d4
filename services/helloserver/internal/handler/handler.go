// Package handler wires helloserver's routes and middleware.
package handler

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/asm-ready/asm-ready/services/helloserver/internal/accesslog"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/health"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/metrics"
)

// HelloBody is what GET / answers, as the tutorial's server does.
const HelloBody = "Hello World!"

// ServedByHeader names the instance and version that answered, so a traffic
// split between versions can be seen from the client.
const ServedByHeader = "X-Served-By"

// Options are what the router needs.
type Options struct {
	PodName        string
	ServiceVersion string
	Version        string // build version
	Commit         string // build commit
	Readiness      *health.Readiness
	Metrics        *metrics.Metrics
	Logger         *slog.Logger
	AccessLog      accesslog.Options
}

// New returns the router: GET and HEAD on /, /healthz and /readyz, GET on
// /metrics and /version; 405 with Allow for another method, 404 elsewhere.
func New(o Options) http.Handler {
	servedBy := o.PodName + "/" + o.ServiceVersion
	r := chi.NewRouter()
	// First, so that 404 and 405 answers carry the headers too.
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(ServedByHeader, servedBy)
			if o.Readiness.Draining() {
				// Keep-alive clients close after this answer and reconnect
				// to an endpoint that is not going away.
				w.Header().Set("Connection", "close")
			}
			next.ServeHTTP(w, r)
		})
	})
	r.Use(accesslog.Middleware(o.Logger, o.AccessLog))
	r.Use(o.Metrics.Middleware)

	for _, method := range []string{http.MethodGet, http.MethodHead} {
		r.MethodFunc(method, "/", hello)
		r.MethodFunc(method, "/healthz", health.Live)
		r.Method(method, "/readyz", o.Readiness)
	}
	r.Method(http.MethodGet, "/metrics", o.Metrics.Handler())
	r.Get("/version", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"version": o.Version, "commit": o.Commit, "serviceVersion": o.ServiceVersion,
		})
	})
	return r
}

// hello answers as the tutorial's server does. For HEAD, net/http sends the
// headers (Content-Length included) and drops the body.
func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, HelloBody) // a failed write means the client left
}
