// Command loadgen sends HTTP GET requests to SERVER_ADDR at
// REQUESTS_PER_SECOND on an open-model schedule (or, with
// REQUESTS_PER_SECOND=max, back to back from MAX_IN_FLIGHT workers) and
// reports what happened.
// `loadgen check` is a one-shot probe for the chart's `helm test` pod.
// Configuration is environment-only; see the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() {
		<-ctx.Done()
		stop() // the first signal drains; a second one kills at once
	}()
	os.Exit(run(ctx, os.Args[1:], environ(), os.Stdout, os.Stderr))
}

func environ() map[string]string {
	m := make(map[string]string)
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
