// Command helloserver answers "Hello World!" over HTTP, with health,
// readiness, metrics and a drain on SIGTERM that fits a Kubernetes grace
// period.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
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

	"github.com/asm-ready/asm-ready/services/helloserver/config"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/accesslog"
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

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // cannot listen, or the drain failed
	exitUsage  = 2 // bad argument or configuration
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() {
		<-ctx.Done()
		stop() // the next signal ends the process at once
	}()
	os.Exit(run(ctx, os.Args[1:], env.ToMap(os.Environ()), os.Stdout, os.Stderr))
}

// run is the whole program but the process: it returns the exit code, and
// serves until ctx is done.
func run(ctx context.Context, args []string, environ map[string]string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("helloserver", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and usage are printed below, with the program's name
	showVersion := fs.Bool("version", false, "print the version and exit")
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "helloserver: %v\n", err)
		usage(stderr)
		return exitUsage
	case *showVersion:
		fmt.Fprintf(stdout, "helloserver %s (commit %s)\n", version, commit)
		return exitOK
	}

	cfg, err := config.Load(environ)
	if err != nil {
		fmt.Fprintf(stderr, "helloserver: %v\n", err)
		return exitUsage
	}
	cfg.ServiceVersion = cmp.Or(cfg.ServiceVersion, version)
	if cfg.PodName == "" {
		cfg.PodName, _ = os.Hostname() // on error X-Served-By still names the version
	}
	logger := logging.New(stdout, cfg.LogFormat, cfg.LogLevel)

	// All interfaces: the mesh sidecar reaches the app on the pod IP.
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			err = op.Err // "bind: address already in use", without the address again
		}
		fmt.Fprintf(stderr, "helloserver: cannot listen on :%d: %v (choose a free port with PORT)\n", cfg.Port, err)
		return exitFailed
	}

	ready := &health.Readiness{}
	srv := &http.Server{
		Handler: handler.New(handler.Options{
			PodName:        cfg.PodName,
			ServiceVersion: cfg.ServiceVersion,
			Version:        version,
			Commit:         commit,
			Readiness:      ready,
			Metrics:        metrics.New(version, commit, cfg.ServiceVersion),
			Logger:         logger,
			AccessLog:      accesslog.Options{Format: cfg.LogFormat, Headers: cfg.LogHeaders, Probes: cfg.LogProbes},
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
	err = serve(ctx, srv, ln, drain{ready: ready, delay: cfg.ShutdownDelay, timeout: cfg.ShutdownTimeout, log: logger})
	if err != nil {
		logger.Error("Server stopped", "error", err.Error())
		return exitFailed
	}
	return exitOK
}

// usage prints what --help shows; the variables come from config.Vars, the
// table the configuration errors are made from.
func usage(w io.Writer) {
	fmt.Fprint(w, `helloserver answers GET / with "Hello World!" over HTTP, with health,
readiness and metrics endpoints, and drains gracefully on SIGTERM.

Usage: helloserver [--version]

Flags:
  --version   print the version and exit
  -h, --help  print this help and exit

Environment variables (NAME=default, what is allowed):
`)
	for _, v := range config.Vars {
		fmt.Fprintf(w, "  %s=%s  (%s)\n        %s\n", v.Name, v.Default, v.Allowed, v.Help)
	}
}
