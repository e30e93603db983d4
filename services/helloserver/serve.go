package main

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

// drain says how serve shuts down.
type drain struct {
	ready *health.Readiness
	// delay is how long to keep serving after readiness fails: the time
	// kube-proxy, the mesh and load balancers take to stop routing here.
	delay time.Duration
	// timeout bounds srv.Shutdown: in-flight requests get this long.
	timeout time.Duration
	log     *slog.Logger
}

// serve serves srv on ln until ctx is done, then drains the way Kubernetes
// needs: fail readiness, keep serving for the delay, then stop accepting and
// let in-flight requests finish. It returns nil after a clean drain, or the
// error that stopped serving or draining.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, d drain) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	start := time.Now()

	// The router also answers with Connection: close from now on, so
	// keep-alive clients move to another endpoint after their next request.
	// (srv.SetKeepAlivesEnabled(false) would instead close idle connections
	// at once, racing clients that are sending on them.)
	d.ready.SetDraining()
	d.log.Info("Shutdown started: readiness failing, still serving",
		"cause", context.Cause(ctx).Error(), "delay", d.delay.String())

	delay := time.NewTimer(d.delay)
	select {
	case err := <-served:
		delay.Stop()
		return fmt.Errorf("serve: %w", err)
	case <-delay.C:
	}

	d.log.Info("Shutting down: listener closed, waiting for in-flight requests", "timeout", d.timeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		d.log.Error("Shutdown timed out: closing the remaining connections", "error", err.Error())
		_ = srv.Close() // its error is the one already reported
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	d.log.Info("Shutdown complete", "elapsed", time.Since(start).String())
	return nil
}
