// Package drain runs an http.Server until its context ends, then shuts it
// down the way Kubernetes needs: fail readiness first, keep serving while
// the endpoint is removed everywhere, then stop accepting and let in-flight
// requests finish.
package drain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/asm-ready/asm-ready/services/helloserver/internal/health"
)

// Options tune the drain.
type Options struct {
	Readiness *health.Readiness
	// Delay is how long to keep serving after readiness fails: the time
	// kube-proxy, the mesh and load balancers take to stop routing here.
	Delay time.Duration
	// Timeout bounds srv.Shutdown: in-flight requests get this long.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Serve serves srv on ln until ctx is done, then drains. It returns nil after
// a clean drain, or the error that stopped serving or draining.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, o Options) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	start := time.Now()

	// Readiness fails; the router also answers with Connection: close from
	// now on, so keep-alive clients move to another endpoint after their
	// next request. (srv.SetKeepAlivesEnabled(false) would instead close
	// idle connections at once, racing clients that are sending on them.)
	o.Readiness.SetDraining()
	o.Logger.Info("Shutdown started: readiness failing, still serving",
		"cause", context.Cause(ctx).Error(), "delay", o.Delay.String())

	delay := time.NewTimer(o.Delay)
	select {
	case err := <-served:
		delay.Stop()
		return fmt.Errorf("serve: %w", err)
	case <-delay.C:
	}

	o.Logger.Info("Shutting down: listener closed, waiting for in-flight requests",
		"timeout", o.Timeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		o.Logger.Error("Shutdown timed out: closing the remaining connections", "error", err.Error())
		_ = srv.Close() // the error is the one we already report
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	o.Logger.Info("Shutdown complete", "elapsed", time.Since(start).String())
	return nil
}
