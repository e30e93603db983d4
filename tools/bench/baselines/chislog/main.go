// Command chislog is the reference design issue 8 names beside its logging
// goal ("a plain chi + slog server measured 82%"): a chi router with one
// handler and the request-log middleware most Go services start with, one
// slog.JSONHandler line per request written straight to stdout. Measured in
// the same run as helloserver, it tells how far this machine and harness put
// that design from bare net/http, so helloserver's own ratio can be read
// against it rather than against a number taken elsewhere.
//
// With -log=false it is plain chi with no middleware at all: what the router
// helloserver is built on costs by itself, for the request-log-off goal.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// logRequests defaults to true: without a flag this is the issue's
// reference design, which the suite runs as is.
var logRequests = flag.Bool("log", true, "log one JSON line per request to stdout (false: plain chi, no middleware)")

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	var log *slog.Logger
	if *logRequests {
		log = slog.New(slog.NewJSONHandler(os.Stdout, nil))
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           newRouter(log),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "chislog:", err)
		os.Exit(1)
	}
}

// newRouter returns the router; with a nil logger it has no middleware.
func newRouter(log *slog.Logger) http.Handler {
	r := chi.NewRouter()
	if log != nil {
		r.Use(requestLog(log))
	}
	body := []byte("Hello World!")
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(body)
	})
	// /readyz lets the harness poll for startup as for the other servers.
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	return r
}

// requestLog logs what such a middleware usually logs: method, path,
// status, size, duration, client address and user agent.
func requestLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			log.Info("request",
				"method", r.Method,
				"path", r.URL.Path,
				"status", ww.Status(),
				"bytes", ww.BytesWritten(),
				"duration", time.Since(start),
				"remote", r.RemoteAddr,
				"userAgent", r.UserAgent(),
			)
		})
	}
}
