// Command nethttp is the floor helloserver is compared with: a bare net/http
// server answering every GET with "Hello World!", /readyz too, with
// helloserver's timeouts. It listens on $PORT.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	srv := &http.Server{
		Addr: ":" + os.Getenv("PORT"),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("Hello World!"))
		}),
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
