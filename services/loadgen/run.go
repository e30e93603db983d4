package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/asm-ready/asm-ready/services/loadgen/config"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/admin"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/check"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/logging"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/runner"
)

// startFormat is the tutorial's `Starting loadgen: 2019-05-20 10:44:12.448415`.
const startFormat = "2006-01-02 15:04:05.000000"

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, environ map[string]string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and usage are printed below, in loadgen's words
	showVersion := fs.Bool("version", false, "print the version and exit")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return 0
	case err != nil:
		return usageError(stderr, err.Error())
	case *showVersion:
		fmt.Fprintf(stdout, "loadgen %s (commit %s)\n", version, commit)
		return 0
	}
	rest := fs.Args()
	checkMode := len(rest) > 0 && rest[0] == "check"
	if checkMode {
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return usageError(stderr, fmt.Sprintf("unexpected argument %q", rest[0]))
	}
	if checkMode {
		return runCheck(ctx, environ, stdout, stderr)
	}
	return runLoad(ctx, environ, stdout, stderr)
}

// usage prints what --help shows; the variables come from config.Vars, the
// table the configuration errors are made from.
func usage(w io.Writer) {
	var checkVars []string
	for _, v := range config.Vars {
		if v.Check {
			checkVars = append(checkVars, v.Name)
		}
	}
	fmt.Fprintf(w, `loadgen sends GET requests to SERVER_ADDR at REQUESTS_PER_SECOND on a fixed
schedule and logs what happened; loadgen check is the chart's helm test probe.

Usage: loadgen [--version] [check]

  check       GET SERVER_ADDR until it answers 200 with EXPECT_BODY, then exit

Flags:
  --version   print the version and exit
  -h, --help  print this help and exit

Environment variables (NAME=default, what is allowed; check reads only %s):
`, strings.Join(checkVars, ", "))
	for _, v := range config.Vars {
		def := "=" + v.Default
		if v.Required {
			def = ", required"
		}
		fmt.Fprintf(w, "  %s%s  (%s)\n        %s\n", v.Name, def, v.Allowed, v.Help)
	}
}

func usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "loadgen: %s\n", msg)
	usage(stderr)
	return 2
}

// configError prints a configuration error; a missing required variable
// exits 1 as the tutorial's loadgen did, a bad value exits 2.
func configError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "loadgen: %v\n", err)
	if _, missing := errors.AsType[*config.MissingError](err); missing {
		return 1
	}
	return 2
}

func userAgent() string { return "asm-ready-loadgen/" + version }

func runLoad(ctx context.Context, environ map[string]string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(environ)
	if err != nil {
		return configError(stderr, err)
	}
	log := logging.New(stdout, cfg.LogFormat, cfg.LogLevel)
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		if op, ok := errors.AsType[*net.OpError](err); ok {
			err = op.Err // "bind: address already in use", without the address again
		}
		fmt.Fprintf(stderr, "loadgen: cannot listen on :%d: %v (choose a free port with PORT)\n", cfg.Port, err)
		return 1
	}

	var draining atomic.Bool
	r := runner.New(runner.Options{
		Config:     cfg,
		UserAgent:  userAgent(),
		Logger:     log,
		OnDraining: func() { draining.Store(true) },
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(r.Collectors()...)
	srv := admin.NewServer(admin.Handler(&draining, reg))
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin server failed", "error", err.Error())
		}
	}()

	log.Info("Starting loadgen: "+time.Now().UTC().Format(startFormat),
		"version", version, "commit", commit,
		"server_addr", cfg.URL.Redacted(), "target_rps", cfg.RequestsPerSecond, "max_mode", cfg.MaxMode,
		"max_in_flight", cfg.MaxInFlight, "duration", cfg.Duration.String(), "admin_addr", ln.Addr().String())

	sum := r.Run(ctx)

	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = srv.Shutdown(sctx)
	cancel()
	if msg := thresholds(cfg, sum); msg != "" {
		log.Error(msg)
		fmt.Fprintf(stderr, "loadgen: %s\n", msg)
		return 1
	}
	return 0
}

// thresholds returns a one-line violation of the opt-in failure
// thresholds, or "" when none is violated (or none is set).
func thresholds(cfg config.Config, s runner.Summary) string {
	if cfg.MaxFailureRatio != nil {
		failed := s.FailedStatus + s.FailedTransport + s.Aborted
		ratio := 0.0
		if s.Completed > 0 {
			ratio = float64(failed) / float64(s.Completed)
		}
		if ratio > *cfg.MaxFailureRatio {
			return fmt.Sprintf("threshold violated: failure ratio %.4f (%d of %d requests failed) exceeds MAX_FAILURE_RATIO=%g",
				ratio, failed, s.Completed, *cfg.MaxFailureRatio)
		}
	}
	if s.OK < cfg.MinSuccess {
		return fmt.Sprintf("threshold violated: %d successful requests, fewer than MIN_SUCCESS=%d", s.OK, cfg.MinSuccess)
	}
	return ""
}

func runCheck(ctx context.Context, environ map[string]string, stdout, stderr io.Writer) int {
	cfg, err := config.LoadCheck(environ)
	if err != nil {
		return configError(stderr, err)
	}
	start := time.Now()
	attempts, err := check.Run(ctx, check.Options{CheckConfig: cfg, UserAgent: userAgent()})
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "check ok: GET %s returned 200 with body %q (attempt %d, %s)\n",
		cfg.URL.Redacted(), cfg.ExpectBody, attempts, time.Since(start).Round(time.Millisecond))
	return 0
}
