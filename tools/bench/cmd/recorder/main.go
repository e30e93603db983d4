// Command recorder is the benchmark's recording server: it timestamps every
// request (see internal/record) and, with -delay, plays a slow server.
// GET /__report?rate=R&duration=D returns the analysis as JSON.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/asm-ready/asm-ready/tools/bench/internal/record"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	delay := flag.Duration("delay", 0, "hold every request this long before answering")
	capacity := flag.Int("cap", 4_000_000, "arrivals stored (more are counted only)")
	flag.Parse()
	if *delay < 0 || *delay > time.Minute {
		fmt.Fprintf(os.Stderr, "recorder: invalid -delay %v: must be from 0 to 1m\n", *delay)
		os.Exit(2)
	}
	if *capacity < 1 || *capacity > 100_000_000 {
		fmt.Fprintf(os.Stderr, "recorder: invalid -cap %d: must be from 1 to 100000000\n", *capacity)
		os.Exit(2)
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           record.New(*capacity, *delay),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      *delay + 10*time.Second,
		IdleTimeout:       60 * time.Second,
	}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "recorder:", err)
		os.Exit(1)
	}
}
