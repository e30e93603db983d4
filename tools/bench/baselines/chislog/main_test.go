package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
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
