package health

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestReadiness(t *testing.T) {
	tests := []struct {
		name     string
		draining bool
		wantCode int
		wantBody string
	}{
		{"serving", false, http.StatusOK, "ok\n"},
		{"draining", true, http.StatusServiceUnavailable, "draining\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Readiness
			if tt.draining {
				r.SetDraining()
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody || r.Draining() != tt.draining {
				t.Errorf("got %d %q draining=%v, want %d %q", rec.Code, rec.Body.String(), r.Draining(), tt.wantCode, tt.wantBody)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestLive(t *testing.T) {
	rec := httptest.NewRecorder()
	Live(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Errorf("got %d %q", rec.Code, rec.Body.String())
	}
}

func TestReadinessConcurrent(t *testing.T) {
	// Probes read while the signal handler writes: -race checks the flag.
	var r Readiness
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/readyz", nil))
			}
		})
	}
	r.SetDraining()
	wg.Wait()
	if !r.Draining() {
		t.Fatal("not draining after SetDraining")
	}
}
