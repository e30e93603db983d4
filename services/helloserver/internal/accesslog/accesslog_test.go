package accesslog

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asm-ready/asm-ready/services/helloserver/internal/logging"
)

const secretValue = "s3cr3t-t0ken-value"

func serve(t testing.TB, l *slog.Logger, o Options, status int, req *http.Request) {
	t.Helper()
	h := Middleware(l, o)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "Hello World!")
	}))
	h.ServeHTTP(httptest.NewRecorder(), req)
}

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if s == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", s, err)
		}
		out = append(out, m)
	}
	return out
}

func TestJSONLine(t *testing.T) {
	var buf bytes.Buffer
	req := httptest.NewRequest(http.MethodGet, "/?token=abc", nil)
	req.RemoteAddr = "10.1.2.3:4567"
	req.Header.Set("User-Agent", "test-agent/1")
	req.Header.Add("Accept", "text/plain")
	req.Header.Add("Accept", "*/*")
	serve(t, logging.New(&buf, logging.FormatJSON, slog.LevelInfo), Options{Headers: true}, http.StatusOK, req)

	ls := lines(t, &buf)
	if len(ls) != 1 {
		t.Fatalf("got %d lines, want 1: %s", len(ls), buf.String())
	}
	l := ls[0]
	if l["severity"] != "INFO" || l["message"] != Message {
		t.Errorf("severity/message = %v/%v", l["severity"], l["message"])
	}
	hr, _ := l["httpRequest"].(map[string]any)
	want := map[string]any{
		"requestMethod": "GET", "requestUrl": "/", "status": float64(200), "responseSize": "12",
		"remoteIp": "10.1.2.3", "userAgent": "test-agent/1", "protocol": "HTTP/1.1",
	}
	for k, v := range want {
		if hr[k] != v {
			t.Errorf("httpRequest.%s = %#v, want %#v", k, hr[k], v)
		}
	}
	if lat, _ := hr["latency"].(string); !strings.HasSuffix(lat, "s") || strings.HasPrefix(lat, "-") {
		t.Errorf("httpRequest.latency = %q, want seconds like 0.000123s", lat)
	}
	if strings.Contains(buf.String(), "token=abc") {
		t.Errorf("query string was logged: %s", buf.String())
	}
	hd, _ := l["headers"].(map[string]any)
	if hd["User-Agent"] != "test-agent/1" || hd["Accept"] != "text/plain, */*" || hd["Host"] != "example.com" {
		t.Errorf("headers = %v", hd)
	}
}

func TestRedaction(t *testing.T) {
	for _, name := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
		for _, format := range []string{logging.FormatJSON, logging.FormatText} {
			t.Run(name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.Header.Set(name, "Bearer "+secretValue)
				req.Header.Set("X-Other", "visible")
				serve(t, logging.New(&buf, format, slog.LevelInfo), Options{Headers: true}, http.StatusOK, req)
				out := buf.String()
				if strings.Contains(out, secretValue) {
					t.Fatalf("secret logged: %s", out)
				}
				if !strings.Contains(out, Redacted) || !strings.Contains(out, "visible") {
					t.Errorf("want %s redacted and X-Other shown: %s", name, out)
				}
			})
		}
	}
}

func TestRedactionNonCanonicalKey(t *testing.T) {
	// A header map filled by hand (not by net/http's parser) may keep odd case.
	var buf bytes.Buffer
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header["authorization"] = []string{secretValue}
	req.Header["COOKIE"] = []string{secretValue}
	serve(t, logging.New(&buf, logging.FormatJSON, slog.LevelInfo), Options{Headers: true}, http.StatusOK, req)
	if strings.Contains(buf.String(), secretValue) {
		t.Fatalf("secret logged: %s", buf.String())
	}
}

func TestHeadersOff(t *testing.T) {
	var buf bytes.Buffer
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Visible", "yes")
	serve(t, logging.New(&buf, logging.FormatJSON, slog.LevelInfo), Options{Headers: false}, http.StatusOK, req)
	ls := lines(t, &buf)
	if len(ls) != 1 {
		t.Fatalf("got %d lines, want 1", len(ls))
	}
	if _, ok := ls[0]["headers"]; ok || strings.Contains(buf.String(), "X-Visible") {
		t.Errorf("headers logged with Headers off: %s", buf.String())
	}
	if _, ok := ls[0]["httpRequest"]; !ok {
		t.Errorf("httpRequest missing: %s", buf.String())
	}
}

func TestWhatIsLogged(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		opts     Options
		level    slog.Level
		status   int
		wantLine bool
		wantSev  string
	}{
		{"hello", "/", Options{}, slog.LevelInfo, 200, true, "INFO"},
		{"not found", "/nope", Options{}, slog.LevelInfo, 404, true, "INFO"},
		{"server error", "/", Options{}, slog.LevelInfo, 503, true, "ERROR"},
		{"healthz hidden", "/healthz", Options{}, slog.LevelInfo, 200, false, ""},
		{"readyz hidden", "/readyz", Options{}, slog.LevelInfo, 200, false, ""},
		{"metrics hidden", "/metrics", Options{}, slog.LevelInfo, 200, false, ""},
		{"healthz with probes", "/healthz", Options{Probes: true}, slog.LevelInfo, 200, true, "INFO"},
		{"metrics with probes", "/metrics", Options{Probes: true}, slog.LevelInfo, 200, true, "INFO"},
		{"level warn hides requests", "/", Options{}, slog.LevelWarn, 200, false, ""},
		{"level warn keeps server errors", "/", Options{}, slog.LevelWarn, 500, true, "ERROR"},
		{"level error hides 404", "/x", Options{}, slog.LevelError, 404, false, ""},
		{"debug level shows requests", "/", Options{}, slog.LevelDebug, 200, true, "INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			serve(t, logging.New(&buf, logging.FormatJSON, tt.level), tt.opts, tt.status, httptest.NewRequest(http.MethodGet, tt.path, nil))
			ls := lines(t, &buf)
			if !tt.wantLine {
				if len(ls) != 0 {
					t.Errorf("logged %s, want nothing", buf.String())
				}
				return
			}
			if len(ls) != 1 {
				t.Fatalf("got %d lines, want 1: %s", len(ls), buf.String())
			}
			hr, _ := ls[0]["httpRequest"].(map[string]any)
			if ls[0]["severity"] != tt.wantSev || hr["status"] != float64(tt.status) || hr["requestUrl"] != tt.path {
				t.Errorf("line = %v", ls[0])
			}
		})
	}
}

func TestStatusAndSize(t *testing.T) {
	tests := []struct {
		name       string
		h          http.HandlerFunc
		wantStatus float64
		wantSize   string
	}{
		{"no write", func(http.ResponseWriter, *http.Request) {}, 200, "0"},
		{"implicit 200", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "abc") }, 200, "3"},
		{"interim then 204", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusNoContent)
		}, 204, "0"},
		{"two writes", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			_, _ = io.WriteString(w, "ab")
			_, _ = io.WriteString(w, "cde")
		}, 418, "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			Middleware(logging.New(&buf, logging.FormatJSON, slog.LevelInfo), Options{})(tt.h).
				ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
			ls := lines(t, &buf)
			if len(ls) != 1 {
				t.Fatalf("got %d lines", len(ls))
			}
			hr, _ := ls[0]["httpRequest"].(map[string]any)
			if hr["status"] != tt.wantStatus || hr["responseSize"] != tt.wantSize {
				t.Errorf("status, size = %v, %v; want %v, %v", hr["status"], hr["responseSize"], tt.wantStatus, tt.wantSize)
			}
		})
	}
}

func TestResponseControllerReachesWriter(t *testing.T) {
	// Unwrap must expose the real writer, or Flush through the middleware fails.
	var flushErr error
	h := Middleware(slog.New(slog.DiscardHandler), Options{})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		flushErr = http.NewResponseController(w).Flush()
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if flushErr != nil || !rec.Flushed {
		t.Errorf("Flush through middleware: err %v, flushed %v", flushErr, rec.Flushed)
	}
}

func TestLatency(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{1234 * time.Microsecond, "0.001234s"},
		{0, "0s"},
		{1500 * time.Millisecond, "1.500s"},
		{2 * time.Millisecond, "0.002s"},
		{time.Nanosecond, "0.000000001s"},
		{12345 * time.Nanosecond, "0.000012345s"},
		{90*time.Second + 50*time.Microsecond, "90.000050s"},
		{-1500 * time.Millisecond, "-1.500s"},
		{3 * time.Second, "3s"},
	}
	for _, tt := range tests {
		if got := Latency(tt.d); got != tt.want {
			t.Errorf("Latency(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// BenchmarkLoggingMiddleware measures the access log on a typical request
// (JSON, headers on) against the same handler with no middleware, so the
// cost of logging itself reads off the difference.
func BenchmarkLoggingMiddleware(b *testing.B) {
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "Hello World!")
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "10.1.2.3:4567"
	req.Header.Set("User-Agent", "loadgen/0.1.0")
	req.Header.Set("Accept", "*/*")
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+secretValue)
	req.Header.Set("X-Request-Id", "3f2a8c1e-0d6b-4b8e-9c1a-2f7e5d4c3b2a")
	w := discardWriter{h: http.Header{}}

	cases := []struct {
		name string
		h    http.Handler
	}{
		{"bare", hello},
		{"json-headers", Middleware(logging.New(io.Discard, logging.FormatJSON, slog.LevelInfo), Options{Headers: true})(hello)},
		{"json-noheaders", Middleware(logging.New(io.Discard, logging.FormatJSON, slog.LevelInfo), Options{})(hello)},
		{"text-headers", Middleware(logging.New(io.Discard, logging.FormatText, slog.LevelInfo), Options{Headers: true})(hello)},
		{"level-warn-no-line", Middleware(logging.New(io.Discard, logging.FormatJSON, slog.LevelWarn), Options{Headers: true})(hello)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			reportCPU(b, func() { c.h.ServeHTTP(w, req) })
		})
	}
}

// discardWriter is a ResponseWriter that costs nothing, so the benchmark
// measures the middleware rather than httptest.ResponseRecorder.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
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

// nopHandler is comparable, so a test can see whether the middleware wrapped it.
type nopHandler struct{}

func (*nopHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}

func TestMiddlewareLeftOutWhenErrorIsOff(t *testing.T) {
	tests := []struct {
		level       slog.Level
		wantWrapped bool
	}{
		{slog.LevelInfo, true},
		{slog.LevelWarn, true}, // 5xx lines still log at ERROR
		{slog.LevelError, true},
		{slog.LevelError + 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			next := &nopHandler{}
			h := Middleware(logging.New(io.Discard, logging.FormatJSON, tt.level), Options{})(next)
			if wrapped := h != http.Handler(next); wrapped != tt.wantWrapped {
				t.Errorf("wrapped = %v, want %v", wrapped, tt.wantWrapped)
			}
		})
	}
}
