package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asm-ready/asm-ready/services/helloserver/internal/health"
)

type fixture struct {
	base    string
	ready   *health.Readiness
	logs    *bytes.Buffer // read only once serve returned
	entered chan struct{} // closed when /slow starts
	release chan struct{} // close to let /slow finish
	cancel  context.CancelCauseFunc
	stopped chan struct{} // closed when serve returned; then err is set
	err     error
	client  *http.Client
}

// start runs serve over a test mux with a slow handler: the product has no
// slow endpoint, and the drain does not care which handler is in flight.
func start(t *testing.T, delay, timeout time.Duration) *fixture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		base:    "http://" + ln.Addr().String(),
		ready:   &health.Readiness{},
		logs:    &bytes.Buffer{},
		entered: make(chan struct{}),
		release: make(chan struct{}),
		stopped: make(chan struct{}),
		client:  &http.Client{Timeout: 10 * time.Second},
	}
	var once sync.Once
	mux := http.NewServeMux()
	mux.Handle("/readyz", f.ready)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, _ *http.Request) {
		once.Do(func() { close(f.entered) })
		<-f.release
		_, _ = io.WriteString(w, "done")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancelCause(t.Context())
	f.cancel = cancel
	logger := slog.New(slog.NewTextHandler(f.logs, nil))
	go func() {
		f.err = serve(ctx, srv, ln, drain{ready: f.ready, delay: delay, timeout: timeout, log: logger})
		close(f.stopped)
	}()
	t.Cleanup(func() {
		select {
		case <-f.release:
		default:
			close(f.release)
		}
		cancel(nil)
		select {
		case <-f.stopped:
		case <-time.After(10 * time.Second):
			t.Error("serve did not return")
		}
	})
	return f
}

type result struct {
	code int
	body string
	err  error
}

func (f *fixture) get(path string) result {
	resp, err := f.client.Get(f.base + path)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{code: resp.StatusCode, body: string(b), err: err}
}

// slowRequest sends GET /slow and returns once its handler runs; the result
// arrives on the channel once f.release is closed.
func (f *fixture) slowRequest(t *testing.T) <-chan result {
	t.Helper()
	slow := make(chan result, 1)
	go func() { slow <- f.get("/slow") }()
	select {
	case <-f.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("slow request never reached the handler")
	}
	return slow
}

func TestInFlightRequestCompletes(t *testing.T) {
	f := start(t, 300*time.Millisecond, 5*time.Second)
	slow := f.slowRequest(t)

	f.cancel(errors.New("test: SIGTERM"))
	// Readiness fails at once, and the server still answers (this very probe).
	waitFor(t, "readyz 503", 5*time.Second, func() bool { return f.get("/readyz").code == http.StatusServiceUnavailable })

	waitFor(t, "the listener to close", 5*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(f.base, "http://"), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case <-f.stopped:
		t.Fatalf("serve returned (%v) while a request was in flight", f.err)
	default:
	}

	close(f.release)
	if r := <-slow; r.err != nil || r.code != http.StatusOK || r.body != "done" {
		t.Errorf("in-flight request: %+v, want 200 done", r)
	}
	select {
	case <-f.stopped:
		if f.err != nil {
			t.Errorf("serve = %v, want nil after a clean drain", f.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the in-flight request finished")
	}
	logs := f.logs.String()
	for _, phase := range []string{"Shutdown started", "test: SIGTERM", "Shutting down", "Shutdown complete"} {
		if !strings.Contains(logs, phase) {
			t.Errorf("logs lack %q:\n%s", phase, logs)
		}
	}
}

func TestShutdownTimeout(t *testing.T) {
	f := start(t, 0, 100*time.Millisecond)
	slow := f.slowRequest(t)
	f.cancel(errors.New("test: SIGTERM"))
	select {
	case <-f.stopped:
		if !errors.Is(f.err, context.DeadlineExceeded) {
			t.Errorf("serve = %v, want a shutdown deadline error", f.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not give up after its timeout")
	}
	if r := <-slow; r.err == nil {
		t.Errorf("request cut by the timeout got %+v, want a transport error", r)
	}
	if !strings.Contains(f.logs.String(), "Shutdown timed out") {
		t.Errorf("logs lack the timeout:\n%s", f.logs.String())
	}
}

func TestServeError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // serve must report, not hang, when it cannot accept
	err = serve(t.Context(), &http.Server{ReadHeaderTimeout: time.Second}, ln,
		drain{ready: &health.Readiness{}, timeout: time.Second, log: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.HasPrefix(err.Error(), "serve: ") {
		t.Errorf("serve on a closed listener = %v, want a serve error", err)
	}
}
