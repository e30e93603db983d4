package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMiddlewareCounts(t *testing.T) {
	m := New("1.0.0", "abc", "v1")
	var inFlight float64
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") })
	r.Get("/items/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
	r.Get("/busy", func(w http.ResponseWriter, _ *http.Request) {
		inFlight = testutil.ToFloat64(m.inFlight)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	for _, req := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/"}, {"GET", "/items/1"}, {"GET", "/items/2"},
		{"GET", "/nope"}, {"POST", "/"}, {"BREW", "/"}, {"GET", "/busy"},
	} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, nil))
	}

	// promhttp's method labels: lower case, anything unknown as "unknown",
	// so clients cannot mint label values.
	tests := []struct {
		method, route, code string
		want                float64
	}{
		{"get", "/", "200", 2},
		{"get", "/items/{id}", "202", 2}, // the pattern, never the raw path
		{"get", Unmatched, "404", 1},
		{"post", Unmatched, "405", 1}, // chi resolves no pattern for a method miss
		{"unknown", Unmatched, "405", 1},
		{"get", "/busy", "503", 1},
	}
	for _, tt := range tests {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(tt.method, tt.route, tt.code)); got != tt.want {
			t.Errorf("requests{%s,%s,%s} = %v, want %v", tt.method, tt.route, tt.code, got, tt.want)
		}
	}
	if got := testutil.CollectAndCount(m.requests); got != len(tests) {
		t.Errorf("request series = %d, want %d", got, len(tests))
	}
	if got := testutil.CollectAndCount(m.duration); got != len(tests) {
		t.Errorf("duration series = %d, want %d (one per method and route)", got, len(tests))
	}
	if inFlight != 1 {
		t.Errorf("in-flight during a request = %v, want 1", inFlight)
	}
	if got := testutil.ToFloat64(m.inFlight); got != 0 {
		t.Errorf("in-flight after = %v, want 0", got)
	}
}

func TestHandlerExposesBuildInfo(t *testing.T) {
	m := New("1.0.0", "abc", "v2")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`helloserver_build_info{commit="abc",service_version="v2",version="1.0.0"} 1`,
		"go_goroutines", "process_cpu_seconds_total", "http_requests_in_flight 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
