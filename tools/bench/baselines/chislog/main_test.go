package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
)

func TestHelloAndOneLogLine(t *testing.T) {
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/", http.StatusOK, "Hello World!"},
		{"/readyz", http.StatusOK, "ok"},
		{"/nope", http.StatusNotFound, "404 page not found\n"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			var out bytes.Buffer
			h := newRouter(slog.New(slog.NewJSONHandler(&out, nil)))
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			req.Header.Set("User-Agent", "wrk")
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Fatalf("GET %s = %d %q, want %d %q", tt.path, rec.Code, rec.Body, tt.status, tt.body)
			}
			var line map[string]any
			if err := json.Unmarshal(out.Bytes(), &line); err != nil {
				t.Fatalf("log is not one JSON line: %v: %q", err, out.String())
			}
			if line["msg"] != "request" || line["path"] != tt.path || line["status"] != float64(tt.status) ||
				line["bytes"] != float64(len(tt.body)) || line["userAgent"] != "wrk" || line["method"] != "GET" {
				t.Errorf("log line %v", line)
			}
		})
	}
}

// TestPlainChi: with no logger (-log=false) the router answers the same and
// has no middleware at all.
func TestPlainChi(t *testing.T) {
	h := newRouter(nil)
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/", http.StatusOK, "Hello World!"},
		{"/nope", http.StatusNotFound, "404 page not found\n"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if rec.Code != tt.status || rec.Body.String() != tt.body {
			t.Errorf("GET %s = %d %q, want %d %q", tt.path, rec.Code, rec.Body, tt.status, tt.body)
		}
	}
	if mw := h.(*chi.Mux).Middlewares(); len(mw) != 0 {
		t.Errorf("plain chi has %d middlewares, want none", len(mw))
	}
	if mw := newRouter(slog.New(slog.DiscardHandler)).(*chi.Mux).Middlewares(); len(mw) != 1 {
		t.Errorf("logging router has %d middlewares, want the request log only", len(mw))
	}
}

// TestLogsByDefault: the suite runs the reference design without flags, so
// the request log must be on unless -log=false says otherwise.
func TestLogsByDefault(t *testing.T) {
	if f := flag.Lookup("log"); f == nil || f.DefValue != "true" {
		t.Errorf("-log flag = %+v, want default true", f)
	}
}
