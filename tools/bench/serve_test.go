package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// fortio, run through its library, sends what it is asked to: a warm-up
// request per connection, then qps × dur requests; the doc shows the
// command line that does the same.
func TestFortio(t *testing.T) {
	c := &counter{start: time.Now()}
	srv := httptest.NewServer(c)
	defer srv.Close()
	b := newTestBench(t)
	res, err := b.fortio(srv.URL+"/", 20, 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if len(c.at) != 22 || res.RetCodes[http.StatusOK] != 20 {
		t.Errorf("%d arrivals, %d 200s counted by fortio; want 22 (2 warm-ups) and 20", len(c.at), res.RetCodes[http.StatusOK])
	}
	if want := "fortio load -uniform -qps 20 -c 2 -t 1s http://127.0.0.1:$PORT/"; len(b.commands) != 1 || b.commands[0] != want {
		t.Errorf("commands %q, want [%q]", b.commands, want)
	}
}
