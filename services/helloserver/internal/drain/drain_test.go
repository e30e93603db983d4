package drain

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

// syncBuffer is a bytes.Buffer safe for the server's and the test's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond) // poll interval, not synchronisation
	}
}

type fixture struct {
	base    string
	ready   *health.Readiness
	logs    *syncBuffer
	entered chan struct{} // closed when /slow starts
	release chan struct{} // close to let /slow finish
	cancel  context.CancelCauseFunc
	stopped chan struct{} // closed when Serve returned; then err is set
	err     error
	client  *http.Client
}

// start serves a test mux (the product has no slow endpoint; the drain logic
// does not care which handler is in flight) under Serve.
func start(t *testing.T, delay, timeout time.Duration) *fixture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		base:    "http://" + ln.Addr().String(),
		ready:   &health.Readiness{},
		logs:    &syncBuffer{},
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
		f.err = Serve(ctx, srv, ln, Options{Readiness: f.ready, Delay: delay, Timeout: timeout, Logger: logger})
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
			t.Error("Serve did not return")
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

func TestInFlightRequestCompletes(t *testing.T) {
	f := start(t, 300*time.Millisecond, 5*time.Second)
	slow := make(chan result, 1)
	go func() { slow <- f.get("/slow") }()
	select {
	case <-f.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("slow request never reached the handler")
	}

	f.cancel(errors.New("test: SIGTERM"))
	// Readiness fails at once, and the server still answers (this very probe).
	waitFor(t, "readyz 503", 5*time.Second, func() bool { return f.get("/readyz").code == http.StatusServiceUnavailable })

	waitFor(t, "the shutdown phase", 5*time.Second, func() bool { return strings.Contains(f.logs.String(), "Shutting down") })
	waitFor(t, "the listener to close", 5*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(f.base, "http://"), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case <-f.stopped:
		t.Fatalf("Serve returned (%v) while a request was in flight", f.err)
	default:
	}

	close(f.release)
	if r := <-slow; r.err != nil || r.code != http.StatusOK || r.body != "done" {
		t.Errorf("in-flight request: %+v, want 200 done", r)
	}
	select {
	case <-f.stopped:
		if f.err != nil {
			t.Errorf("Serve = %v, want nil after a clean drain", f.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the in-flight request finished")
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
	slow := make(chan result, 1)
	go func() { slow <- f.get("/slow") }()
	select {
	case <-f.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("slow request never reached the handler")
	}
	f.cancel(errors.New("test: SIGTERM"))
	select {
	case <-f.stopped:
		if !errors.Is(f.err, context.DeadlineExceeded) {
			t.Errorf("Serve = %v, want a shutdown deadline error", f.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not give up after its timeout")
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
	ln.Close() // Serve must report, not hang, when it cannot accept
	err = Serve(t.Context(), &http.Server{ReadHeaderTimeout: time.Second}, ln,
		Options{Readiness: &health.Readiness{}, Timeout: time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.HasPrefix(err.Error(), "serve: ") {
		t.Errorf("Serve on a closed listener = %v, want a serve error", err)
	}
}
