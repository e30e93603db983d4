// Command loadgen sends HTTP GET requests to SERVER_ADDR at
// REQUESTS_PER_SECOND on an open-model schedule and logs what happened;
// `loadgen check` is the chart's `helm test` probe. `loadgen --help` lists
// its settings, all environment variables.
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
		stop() // the first signal drains; a second one ends the process at once
	}()
	environ := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		environ[k] = v
	}
	os.Exit(run(ctx, os.Args[1:], environ, os.Stdout, os.Stderr))
}
