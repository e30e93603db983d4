// Command helloserver answers "Hello World!" over HTTP, with health, readiness,
// metrics and a drain on SIGTERM that fits a Kubernetes grace period.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/caarlos0/env/v11"

	"github.com/asm-ready/asm-ready/services/helloserver/internal/accesslog"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/config"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/drain"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/handler"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/health"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/logging"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/metrics"
)

// Set at build time: -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

// logFlushInterval is how late a buffered log line may be; a variable so a
// test can stretch it and prove the exit path flushes.
var logFlushInterval = logging.FlushInterval

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitConfig = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C ends the process at once
	}()
	os.Exit(run(ctx, env.ToMap(os.Environ()), nil, os.Stdout, os.Stderr))
}

// run is the whole program but the process: tests call it with their own
// environment, a loopback listener (nil: listen on ":"+PORT) and writers.
// It returns the exit code.
func run(ctx context.Context, environ map[string]string, ln net.Listener, stdout, stderr io.Writer) int {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	cfg, err := config.Parse(environ, config.Defaults{ServiceVersion: version, PodName: host})
	if err != nil {
		fmt.Fprintf(stderr, "helloserver: %v\n", err)
		return exitConfig
	}
	// Log lines are batched (see logging.Buffer); the deferred Close flushes
	// them on every return path, after the drain, so none is lost at exit.
	logBuf := logging.NewBuffer(stdout, logging.BufferSize, logFlushInterval)
	defer func() { _ = logBuf.Close() }()
	logger := logging.New(logBuf, cfg.LogFormat, cfg.Level)

	if ln == nil {
		// All interfaces: the mesh sidecar reaches the app on the pod IP.
		ln, err = net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
		if err != nil {
			fmt.Fprintf(stderr, "helloserver: %v\n", err)
			return exitFailed
		}
	}

	ready := &health.Readiness{}
	srv := &http.Server{
		Handler: handler.New(handler.Options{
			PodName:        cfg.PodName,
			ServiceVersion: cfg.ServiceVersion,
			Version:        version,
			Commit:         commit,
			Readiness:      ready,
			Metrics:        metrics.New(metrics.BuildInfo{Version: version, Commit: commit, ServiceVersion: cfg.ServiceVersion}),
			Logger:         logger,
			AccessLog:      accesslog.Options{Headers: cfg.LogHeaders, Probes: cfg.LogProbes},
		}),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	logger.Info("Starting server...", "addr", ln.Addr().String(), "version", version, "commit", commit,
		"serviceVersion", cfg.ServiceVersion, "pod", cfg.PodName)
	err = drain.Serve(ctx, srv, ln, drain.Options{
		Readiness: ready, Delay: cfg.ShutdownDelay, Timeout: cfg.ShutdownTimeout, Logger: logger,
	})
	if err != nil {
		logger.Error("Server stopped", "error", err.Error())
		return exitFailed
	}
	return exitOK
}
