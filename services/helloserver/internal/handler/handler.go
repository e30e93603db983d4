// Package handler wires helloserver's routes and middleware.
package handler

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

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

// Header values are built once and assigned to every response's header map
// without a copy. The slices are clipped (len == cap), so an Add by a later
// handler appends to a fresh array and never writes into the shared one.
var (
	textPlain = []string{"text/plain; charset=utf-8"}
	appJSON   = []string{"application/json"}
	helloLen  = []string{strconv.Itoa(len(HelloBody))}
	connClose = []string{"close"}
	helloBody = []byte(HelloBody)
)

// New returns the router.
func New(o Options) http.Handler {
	servedBy := slices.Clip([]string{o.PodName + "/" + o.ServiceVersion})
	versionBody, _ := json.Marshal(struct { // marshalling three strings cannot fail
		Version        string `json:"version"`
		Commit         string `json:"commit"`
		ServiceVersion string `json:"serviceVersion"`
	}{o.Version, o.Commit, o.ServiceVersion})
	versionBody = append(versionBody, '\n')
	versionLen := []string{strconv.Itoa(len(versionBody))}

	r := chi.NewRouter()
	// First, so that 404 and 405 answers carry the headers too.
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h[ServedByHeader] = servedBy
			if o.Readiness.Draining() {
				// Keep-alive clients close after this answer and reconnect
				// to an endpoint that is not going away.
				h["Connection"] = connClose
			}
			next.ServeHTTP(w, r)
		})
	})
	r.Use(accesslog.Middleware(o.Logger, o.AccessLog))
	r.Use(o.Metrics.Middleware)

	r.Get("/", hello)
	r.Head("/", hello)
	r.Get("/healthz", health.Live)
	r.Head("/healthz", health.Live)
	r.Method(http.MethodGet, "/readyz", o.Readiness)
	r.Method(http.MethodHead, "/readyz", o.Readiness)
	r.Method(http.MethodGet, "/metrics", o.Metrics.Handler())
	r.Get("/version", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h["Content-Type"] = appJSON
		h["Content-Length"] = versionLen
		_, _ = w.Write(versionBody)
	})
	return r
}

func hello(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = textPlain
	h["Content-Length"] = helloLen
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(helloBody) // a failed write means the client left
}
