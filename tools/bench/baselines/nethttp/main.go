// Command nethttp is the benchmark's floor for Go: a bare net/http server
// answering GET / with "Hello World!" and nothing else (no router, no logging,
// no metrics), so helloserver's overhead can be stated as a ratio to it.
//
// With -work it first burns that much CPU per request: a calibration server
// that shows what a known, fixed cost per request does to req/s on the
// machine, since under wrk on a shared VM it costs more than itself (the
// client sleeps more, and each response then pays for waking it).
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	work := flag.Duration("work", 0, "CPU to burn per request before answering (calibration)")
	flag.Parse()

	body := []byte("Hello World!")
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		if *work > 0 {
			burn(*work)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(body)
	})
	// /readyz lets the harness poll for startup the same way as for helloserver.
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	srv := &http.Server{
		Addr:              *addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}

// burn busy-waits for d of wall time, which is d of CPU while the server
// has its core (it is pinned to one, and waits for it 1-2% of the time in
// make bench). Reading the clock is the work: the loop cannot be optimised
// away, and it ends on time however fast the CPU is.
func burn(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}
