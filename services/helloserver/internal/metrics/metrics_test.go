package metrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func router(m *Metrics, inFlight *float64) http.Handler {
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") })
	r.Get("/items/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
	r.Get("/busy", func(w http.ResponseWriter, _ *http.Request) {
		*inFlight = testutil.ToFloat64(m.inFlight)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	return r
}

func TestMiddlewareCounts(t *testing.T) {
	m := New(BuildInfo{Version: "1.0.0", Commit: "abc", ServiceVersion: "v1"})
	var inFlight float64
	h := router(m, &inFlight)
	reqs := []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/"}, {"GET", "/items/1"}, {"GET", "/items/2"},
		{"GET", "/nope"}, {"POST", "/"}, {"BREW", "/"}, {"GET", "/busy"},
	}
	for _, r := range reqs {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(r.method, r.path, nil))
	}
	tests := []struct {
		method, route, code string
		want                float64
	}{
		{"GET", "/", "200", 2},
		{"GET", "/items/{id}", "202", 2}, // the pattern, never the raw path
		{"GET", Unmatched, "404", 1},
		{"POST", Unmatched, "405", 1}, // chi resolves no pattern for a method miss
		{"GET", "/busy", "503", 1},
	}
	for _, tt := range tests {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(tt.method, tt.route, tt.code)); got != tt.want {
			t.Errorf("requests{%s,%s,%s} = %v, want %v", tt.method, tt.route, tt.code, got, tt.want)
		}
	}
	// Unknown methods are folded into OTHER; the path matched no method, so 405.
	if got := sumCounter(t, m, `method="OTHER"`); got != 1 {
		t.Errorf("requests{method=OTHER} = %v, want 1", got)
	}
	if got := sumCounter(t, m, `code="405"`); got != 2 {
		t.Errorf("requests{code=405} = %v, want 2 (POST and BREW)", got)
	}
	if inFlight != 1 {
		t.Errorf("in-flight during a request = %v, want 1", inFlight)
	}
	if got := testutil.ToFloat64(m.inFlight); got != 0 {
		t.Errorf("in-flight after = %v, want 0", got)
	}
	if got := testutil.CollectAndCount(m.duration); got < 4 {
		t.Errorf("duration series = %d, want >= 4", got)
	}
}

// sumCounter adds the http_requests_total samples whose label set contains sel.
func sumCounter(t *testing.T, m *Metrics, sel string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var sum float64
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "http_requests_total{") && strings.Contains(line, sel) {
			var v float64
			f := strings.Fields(line)
			if _, err := fmt.Sscan(f[len(f)-1], &v); err != nil {
				t.Fatalf("parse %q: %v", line, err)
			}
			sum += v
		}
	}
	return sum
}

func TestHandlerExposesBuildInfo(t *testing.T) {
	m := New(BuildInfo{Version: "1.0.0", Commit: "abc", ServiceVersion: "v2"})
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

func TestMethod(t *testing.T) {
	tests := map[string]string{"GET": "GET", "HEAD": "HEAD", "DELETE": "DELETE", "get": "OTHER", "BREW": "OTHER", "": "OTHER"}
	for in, want := range tests {
		if got := Method(in); got != want {
			t.Errorf("Method(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCode(t *testing.T) {
	tests := map[int]string{200: "200", 404: "404", 599: "599", 100: "100", 600: "600", 99: "99"}
	for in, want := range tests {
		if got := Code(in); got != want {
			t.Errorf("Code(%d) = %q, want %q", in, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = Code(200) }); n != 0 {
		t.Errorf("Code(200) allocates %v times", n)
	}
}

// TestMiddlewareConcurrent: the cached series are shared by all requests;
// under -race, concurrent first uses and hits must count every request once.
func TestMiddlewareConcurrent(t *testing.T) {
	const workers, each = 4, 200
	m := New(BuildInfo{})
	var inFlight float64
	h := router(m, &inFlight)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				path := "/"
				if (w+i)%2 == 1 {
					path = "/items/" + strconv.Itoa(i)
				}
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
			}
		})
	}
	wg.Wait()
	root := testutil.ToFloat64(m.requests.WithLabelValues("GET", "/", "200"))
	items := testutil.ToFloat64(m.requests.WithLabelValues("GET", "/items/{id}", "202"))
	if root != workers*each/2 || items != workers*each/2 {
		t.Errorf("requests / = %v, /items/{id} = %v, want %d each", root, items, workers*each/2)
	}
	if got := histogramCount(t, m, "/"); got != workers*each/2 {
		t.Errorf("duration count for / = %d, want %d", got, workers*each/2)
	}
}

func histogramCount(t *testing.T, m *Metrics, route string) uint64 {
	t.Helper()
	var d dto.Metric
	if err := m.duration.WithLabelValues("GET", route).(prometheus.Histogram).Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetHistogram().GetSampleCount()
}
