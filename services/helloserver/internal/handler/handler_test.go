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
	"testing"

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
		Metrics:        metrics.New("0.1.0", "0123456789ab", "v2"),
		Logger:         logging.New(logOut, logging.FormatJSON, slog.LevelInfo),
		AccessLog:      accesslog.Options{Format: logging.FormatJSON, Headers: true},
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
		{"GET", "/version", 200, `{"commit":"0123456789ab","serviceVersion":"v2","version":"0.1.0"}` + "\n", false, "application/json", nil},
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
		`http_requests_total{code="200",method="get",route="/"} 3`,
		`http_requests_total{code="200",method="head",route="/"} 1`,
		`http_requests_total{code="404",method="get",route="unmatched"} 1`,
		`http_requests_total{code="405",method="post",route="unmatched"} 1`,
		`http_request_duration_seconds_count{method="get",route="/"} 3`,
		`http_request_duration_seconds_bucket{method="get",route="/",le="+Inf"} 3`,
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
