package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/asm-ready/asm-ready/services/loadgen/internal/admin"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/check"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/config"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/logging"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/runner"
)

// startFormat is the tutorial's `Starting loadgen: 2019-05-20 10:44:12.448415`.
const startFormat = "2006-01-02 15:04:05.000000"

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, environ map[string]string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return runCheck(ctx, environ, stdout, stderr)
		case "version", "-version", "--version":
			fmt.Fprintf(stdout, "loadgen %s (commit %s)\n", version, commit)
			return 0
		default:
			fmt.Fprintf(stderr, "unknown command %q: run loadgen with no arguments, or as `loadgen check` or `loadgen version`\n", args[0])
			return 2
		}
	}
	cfg, err := config.Load(environ)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return config.ExitCode(err)
	}
	log := logging.New(stdout, cfg.Format, cfg.Level)
	return runLoad(ctx, cfg, log, stderr)
}

func userAgent() string { return "asm-ready-loadgen/" + version }

func runLoad(ctx context.Context, cfg config.Config, log *slog.Logger, stderr io.Writer) int {
	state := &admin.State{}
	r, err := runner.New(runner.Options{
		URL:             cfg.URL,
		Rate:            cfg.RequestsPerSecond,
		Max:             cfg.MaxMode,
		Duration:        cfg.Duration,
		MaxInFlight:     cfg.MaxInFlight,
		RequestTimeout:  cfg.RequestTimeout,
		LateTolerance:   cfg.LateTolerance,
		ReportInterval:  cfg.ReportInterval,
		ShutdownTimeout: cfg.ShutdownTimeout,
		UserAgent:       userAgent(),
		Fast:            useFast(cfg),
		Logger:          log,
		OnDraining:      state.SetDraining,
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), r.Collector())

	addr := net.JoinHostPort("", strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "cannot listen on PORT %d: %v (choose a free port with PORT)\n", cfg.Port, err)
		return 1
	}
	srv := admin.NewServer(addr, admin.Handler(state, reg))
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin server failed", "error", err.Error())
		}
	}()

	log.Info("Starting loadgen: "+time.Now().UTC().Format(startFormat),
		"version", version, "commit", commit,
		"server_addr", cfg.URL.Redacted(), "target_rps", cfg.RequestsPerSecond, "max_mode", cfg.MaxMode,
		"max_in_flight", cfg.MaxInFlight, "duration", cfg.Duration.String(), "client", clientName(cfg),
		"admin_addr", ln.Addr().String())

	sum := r.Run(ctx)

	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = srv.Shutdown(sctx)
	cancel()
	if msg := thresholds(cfg, sum); msg != "" {
		log.Error(msg)
		fmt.Fprintln(stderr, msg)
		return 1
	}
	return 0
}

// useFast decides CLIENT=auto: the fast client for plain http:// unless a
// proxy is configured for the URL (only net/http speaks to proxies).
func useFast(cfg config.Config) bool {
	switch cfg.Client {
	case "fast":
		return true
	case "std":
		return false
	}
	if cfg.URL.Scheme != "http" {
		return false
	}
	proxy, err := http.ProxyFromEnvironment(&http.Request{URL: cfg.URL})
	return err == nil && proxy == nil
}

func clientName(cfg config.Config) string {
	if useFast(cfg) {
		return "fast"
	}
	return "std"
}

// thresholds returns a one-line violation of the opt-in failure thresholds,
// or "" when none is violated (or none is set).
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
		fmt.Fprintln(stderr, err)
		return config.ExitCode(err)
	}
	res, err := check.Run(ctx, check.Options{
		URL:        cfg.URL,
		ExpectBody: cfg.ExpectBody,
		Timeout:    cfg.CheckTimeout,
		UserAgent:  userAgent(),
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "check ok: GET %s returned 200 with body %q (attempt %d, %s)\n",
		cfg.URL.Redacted(), cfg.ExpectBody, res.Attempts, res.Elapsed.Round(time.Millisecond))
	return 0
}
