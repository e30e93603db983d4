// Package health serves liveness and readiness. Readiness fails from the
// moment shutdown starts, so the endpoints controller stops sending new
// traffic while in-flight requests finish.
package health

import (
	"net/http"
	"sync/atomic"
)

var (
	textPlain = []string{"text/plain; charset=utf-8"}
	noStore   = []string{"no-store"}
	okBody    = []byte("ok\n")
	drainBody = []byte("draining\n")
)

// Live answers liveness probes: the process is up and serving HTTP.
func Live(w http.ResponseWriter, _ *http.Request) {
	write(w, http.StatusOK, okBody)
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
		write(w, http.StatusServiceUnavailable, drainBody)
		return
	}
	write(w, http.StatusOK, okBody)
}

func write(w http.ResponseWriter, code int, body []byte) {
	h := w.Header()
	h["Content-Type"] = textPlain
	h["Cache-Control"] = noStore
	w.WriteHeader(code)
	_, _ = w.Write(body) // a failed write means the client left; nothing to do
}
