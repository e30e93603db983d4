// Package health serves liveness and readiness. Readiness fails from the
// moment shutdown starts, so endpoints stop sending new traffic while
// in-flight requests finish.
package health

import (
	"io"
	"net/http"
	"sync/atomic"
)

// Live answers liveness probes: the process is up and serving HTTP.
func Live(w http.ResponseWriter, _ *http.Request) {
	write(w, http.StatusOK, "ok\n")
}

// Readiness is ready until SetDraining is called; it is safe for concurrent use.
type Readiness struct {
	draining atomic.Bool
}

// SetDraining makes readiness fail from now on.
func (r *Readiness) SetDraining() { r.draining.Store(true) }

// Draining reports whether SetDraining was called.
func (r *Readiness) Draining() bool { return r.draining.Load() }

// ServeHTTP answers readiness probes: 200 while serving, 503 once draining.
func (r *Readiness) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	if r.Draining() {
		write(w, http.StatusServiceUnavailable, "draining\n")
		return
	}
	write(w, http.StatusOK, "ok\n")
}

func write(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body) // a failed write means the client left
}
