package recorder

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestStatusAndSize(t *testing.T) {
	tests := []struct {
		name       string
		h          func(w http.ResponseWriter)
		wantStatus int
		wantSize   int64
	}{
		{"nothing written", func(http.ResponseWriter) {}, 200, 0},
		{"body only", func(w http.ResponseWriter) { _, _ = io.WriteString(w, "hello") }, 200, 5},
		{"explicit 404", func(w http.ResponseWriter) { w.WriteHeader(404); _, _ = io.WriteString(w, "no") }, 404, 2},
		{"interim 103 then 201", func(w http.ResponseWriter) { w.WriteHeader(103); w.WriteHeader(201) }, 201, 0},
		{"second WriteHeader ignored", func(w http.ResponseWriter) { w.WriteHeader(500); w.WriteHeader(200) }, 500, 0},
		{"two writes add up", func(w http.ResponseWriter) { _, _ = io.WriteString(w, "ab"); _, _ = io.WriteString(w, "cde") }, 200, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			r := Wrap(rr)
			tt.h(r)
			if r.Status() != tt.wantStatus || r.Size() != tt.wantSize {
				t.Errorf("status/size = %d/%d, want %d/%d", r.Status(), r.Size(), tt.wantStatus, tt.wantSize)
			}
			if rr.Body.Len() != int(tt.wantSize) {
				t.Errorf("underlying body = %d bytes, want %d", rr.Body.Len(), tt.wantSize)
			}
		})
	}
}

func TestWrapReusesRecorder(t *testing.T) {
	outer := Wrap(httptest.NewRecorder())
	if inner := Wrap(outer); inner != outer {
		t.Error("Wrap of a *Recorder made a new one")
	}
	if Wrap(httptest.NewRecorder()) == outer {
		t.Error("Wrap of a plain writer returned an existing Recorder")
	}
}

func TestUnwrap(t *testing.T) {
	rr := httptest.NewRecorder()
	if got := Wrap(rr).Unwrap(); got != rr {
		t.Errorf("Unwrap = %v, want the wrapped writer", got)
	}
}

// TestTiming: Start is set by the first Wrap, and every Finish after the
// first returns the same instant, so nested middlewares agree on latency.
func TestTiming(t *testing.T) {
	before := time.Now()
	outer := Wrap(httptest.NewRecorder())
	inner := Wrap(outer)
	if inner.Start() != outer.Start() || outer.Start().Before(before) {
		t.Fatalf("start %v, outer start %v, test began %v", inner.Start(), outer.Start(), before)
	}
	first := inner.Finish()
	if first.Before(inner.Start()) {
		t.Errorf("finish %v before start %v", first, inner.Start())
	}
	for !time.Now().After(first) {
		// the clock moves on: a second Finish that re-read it would differ
	}
	if again := outer.Finish(); !again.Equal(first) {
		t.Errorf("second Finish = %v, want the first, %v", again, first)
	}
}
