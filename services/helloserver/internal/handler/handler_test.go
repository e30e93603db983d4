package handler

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/asm-ready/asm-ready/services/helloserver/internal/accesslog"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/health"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/logging"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/metrics"
)

func newTestHandler(logOut io.Writer) (http.Handler, *health.Readiness) {
	ready := &health.Readiness{}
	return New(Options{
		PodName:        "helloserver-7d9f-abcde",
		ServiceVersion: "v2",
		Version:        "0.1.0",
		Commit:         "0123456789ab",
		Readiness:      ready,
		Metrics:        metrics.New(metrics.BuildInfo{Version: "0.1.0", Commit: "0123456789ab", ServiceVersion: "v2"}),
		Logger:         logging.New(logOut, logging.FormatJSON, slog.LevelInfo),
		AccessLog:      accesslog.Options{Headers: true},
	}), ready
}

func TestRoutes(t *testing.T) {
	tests := []struct {
		method, path string
		wantCode     int
		wantBody     string // exact, unless wantPrefix
		wantPrefix   bool
		wantType     string
		wantAllow    []string
	}{
		{"GET", "/", 200, "Hello World!", false, "text/plain; charset=utf-8", nil},
		{"HEAD", "/", 200, "", false, "text/plain; charset=utf-8", nil},
		{"POST", "/", 405, "", false, "", []string{"GET", "HEAD"}},
		{"PUT", "/", 405, "", false, "", []string{"GET", "HEAD"}},
		{"DELETE", "/", 405, "", false, "", []string{"GET", "HEAD"}},
		{"GET", "/nope", 404, "404 page not found\n", false, "text/plain; charset=utf-8", nil},
		{"GET", "/index.html", 404, "404 page not found\n", false, "text/plain; charset=utf-8", nil},
		{"GET", "/healthz", 200, "ok\n", false, "text/plain; charset=utf-8", nil},
		{"HEAD", "/healthz", 200, "", false, "text/plain; charset=utf-8", nil},
		{"GET", "/readyz", 200, "ok\n", false, "text/plain; charset=utf-8", nil},
		{"POST", "/healthz", 405, "", false, "", []string{"GET", "HEAD"}},
		{"GET", "/version", 200, `{"version":"0.1.0","commit":"0123456789ab","serviceVersion":"v2"}` + "\n", false, "application/json", nil},
		{"GET", "/metrics", 200, "# HELP", true, "text/plain; version=0.0.4; charset=utf-8; escaping=underscores", nil},
	}
	h, _ := newTestHandler(io.Discard)
	// A real server, so HEAD and Content-Length behave as clients see them.
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if tt.wantPrefix && !strings.HasPrefix(string(body), tt.wantBody) || !tt.wantPrefix && string(body) != tt.wantBody {
				t.Errorf("body = %q, want %q (prefix: %v)", body, tt.wantBody, tt.wantPrefix)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			// chi adds one Allow header per method, in no fixed order.
			if got := slices.Sorted(slices.Values(resp.Header.Values("Allow"))); !slices.Equal(got, tt.wantAllow) {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if got := resp.Header.Values(ServedByHeader); !slices.Equal(got, []string{"helloserver-7d9f-abcde/v2"}) {
				t.Errorf("%s = %q, want exactly one helloserver-7d9f-abcde/v2", ServedByHeader, got)
			}
			if tt.path == "/" && tt.wantCode == 200 && resp.ContentLength != int64(len(HelloBody)) {
				t.Errorf("Content-Length = %d, want %d (HEAD too)", resp.ContentLength, len(HelloBody))
			}
		})
	}
}

func TestReadyzDraining(t *testing.T) {
	h, ready := newTestHandler(io.Discard)
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get(); code != 200 || body != "ok\n" {
		t.Fatalf("before drain: %d %q", code, body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if c := rec.Header().Get("Connection"); c != "" {
		t.Errorf("Connection = %q before the drain, want keep-alive (unset)", c)
	}
	ready.SetDraining()
	if code, body := get(); code != 503 || body != "draining\n" {
		t.Errorf("draining: %d %q, want 503 draining", code, body)
	}
	// Liveness and the app itself keep working while draining, and ask
	// keep-alive clients to reconnect elsewhere.
	for _, p := range []string{"/healthz", "/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 200 || rec.Header().Get("Connection") != "close" {
			t.Errorf("GET %s while draining = %d, Connection %q; want 200, close", p, rec.Code, rec.Header().Get("Connection"))
		}
	}
}

func TestMetricsAfterRequests(t *testing.T) {
	h, _ := newTestHandler(io.Discard)
	for _, r := range []struct{ m, p string }{{"GET", "/"}, {"GET", "/"}, {"GET", "/"}, {"HEAD", "/"}, {"GET", "/x"}, {"POST", "/"}} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(r.m, r.p, nil))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`http_requests_total{code="200",method="GET",route="/"} 3`,
		`http_requests_total{code="200",method="HEAD",route="/"} 1`,
		`http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`http_requests_total{code="405",method="POST",route="unmatched"} 1`,
		`http_request_duration_seconds_count{method="GET",route="/"} 3`,
		`http_request_duration_seconds_bucket{method="GET",route="/",le="+Inf"} 3`,
		"http_requests_in_flight 1", // the /metrics request itself
		`helloserver_build_info{commit="0123456789ab",service_version="v2",version="0.1.0"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestAccessLogThroughRouter(t *testing.T) {
	var buf bytes.Buffer
	h, _ := newTestHandler(&buf)
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", "session=topsecret")
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil))
	out := strings.TrimSpace(buf.String())
	if n := strings.Count(out, "\n") + 1; n != 1 {
		t.Fatalf("want exactly one access log line (probes and metrics hidden), got %d:\n%s", n, out)
	}
	var line struct {
		Message     string            `json:"message"`
		HTTPRequest map[string]any    `json:"httpRequest"`
		Headers     map[string]string `json:"headers"`
	}
	if err := json.Unmarshal([]byte(out), &line); err != nil {
		t.Fatal(err)
	}
	if line.Message != accesslog.Message || line.HTTPRequest["status"] != float64(200) || line.Headers["Cookie"] != accesslog.Redacted {
		t.Errorf("line = %+v", line)
	}
	if strings.Contains(out, "topsecret") {
		t.Errorf("cookie value logged: %s", out)
	}
}

// BenchmarkHandler is one GET / through the whole router (X-Served-By,
// access log as JSON with headers, metrics), logging to io.Discard: the
// per-request cost of everything but the socket and the log write.
func BenchmarkHandler(b *testing.B) {
	h, _ := newTestHandler(io.Discard)
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.1.2.3:4567"
	req.Header.Set("User-Agent", "loadgen/0.1.0")
	req.Header.Set("Accept", "*/*")
	req.Header.Set("Accept-Encoding", "gzip")
	reportCPU(b, func() { h.ServeHTTP(discardWriter{h: http.Header{}}, req) })
}

// BenchmarkHandlerLogOff is BenchmarkHandler with LOG_LEVEL=warn: no line
// for a 200, so this is the router, headers, metrics and the access log's
// watch for 5xx answers.
func BenchmarkHandlerLogOff(b *testing.B) {
	h := New(Options{
		PodName:        "helloserver-7d9f-abcde",
		ServiceVersion: "v2",
		Readiness:      &health.Readiness{},
		Metrics:        metrics.New(metrics.BuildInfo{Version: "0.1.0", Commit: "0123456789ab", ServiceVersion: "v2"}),
		Logger:         logging.New(io.Discard, logging.FormatJSON, slog.LevelWarn),
		AccessLog:      accesslog.Options{Headers: true},
	})
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.1.2.3:4567"
	req.Header.Set("User-Agent", "loadgen/0.1.0")
	reportCPU(b, func() { h.ServeHTTP(discardWriter{h: http.Header{}}, req) })
}

// BenchmarkFloor is what the benchmarks above are compared with: the same
// GET / answered by a bare net/http ServeMux, and by a chi router with no
// middleware (the floor of this stack: chi's per-request context costs two
// allocations). The gap between RouterOnly and HandlerLogOff is helloserver's
// own middleware: X-Served-By, metrics and the access log's 5xx watch.
func BenchmarkFloor(b *testing.B) {
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.1.2.3:4567"
	req.Header.Set("User-Agent", "loadgen/0.1.0")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", hello)
	r := chi.NewRouter()
	r.Get("/", hello)
	for _, h := range []struct {
		name string
		h    http.Handler
	}{{"ServeMux", mux}, {"RouterOnly", r}} {
		b.Run(h.name, func(b *testing.B) {
			reportCPU(b, func() { h.h.ServeHTTP(discardWriter{h: http.Header{}}, req) })
		})
	}
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// cpuTime is this process's user+system CPU time. The benchmarks report it
// per op too ("cpu-ns/op"): on a shared, busy machine wall time per op
// includes waiting for a core, CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU runs f's b.Loop and reports CPU time per op.
func reportCPU(b *testing.B, f func()) {
	b.ReportAllocs()
	start, n := cpuTime(), 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
}
