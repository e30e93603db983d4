package record

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// even returns n arrivals exactly 1/rate apart, starting at offset.
func even(n int, rate float64, offset time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = offset + time.Duration(float64(i)*float64(time.Second)/rate)
	}
	return out
}

func TestAnalyze(t *testing.T) {
	jittered := even(10, 1, 3*time.Second)
	for i := range jittered {
		// ±40 ms: enough to cross a window edge aligned on the first arrival.
		if i%2 == 0 {
			jittered[i] -= 40 * time.Millisecond
		} else {
			jittered[i] += 40 * time.Millisecond
		}
	}
	burst := even(100, 100, 0)
	burst = append(burst, even(50, 1e6, 500*time.Millisecond)...) // 50 extra inside second 0

	tests := []struct {
		name          string
		in            []time.Duration
		rate          float64
		d             time.Duration
		wantCount     int
		wantAchieved  float64
		wantWindows   []int
		wantWorst     float64
		wantWorstAt   int
		wantGapP50    time.Duration
		wantGapMax    time.Duration
		wantGapMinMax bool
	}{
		{
			name: "perfect 10 rps", in: even(100, 10, time.Second), rate: 10, d: 10 * time.Second,
			wantCount: 100, wantAchieved: 1, wantWindows: []int{10, 10, 10, 10, 10, 10, 10, 10, 10, 10},
			wantWorst: 0, wantWorstAt: 0, wantGapP50: 100 * time.Millisecond, wantGapMax: 100 * time.Millisecond,
		},
		{
			name: "1 rps with jitter stays one per window", in: jittered, rate: 1, d: 10 * time.Second,
			wantCount: 10, wantAchieved: 1, wantWindows: []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
			// 9 gaps: five of 1.08 s, four of 0.92 s.
			wantWorst: 0, wantWorstAt: 0, wantGapP50: 1080 * time.Millisecond, wantGapMax: 1080 * time.Millisecond,
		},
		{
			name: "one extra request shows overall", in: even(11, 1, 0), rate: 1, d: 10 * time.Second,
			wantCount: 11, wantAchieved: 1.1, wantWindows: []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
			wantWorst: 0, wantWorstAt: 0, wantGapP50: time.Second, wantGapMax: time.Second,
		},
		{
			name: "burst in one window is the worst", in: burst, rate: 100, d: 2 * time.Second,
			wantCount: 150, wantAchieved: 0.75, wantWindows: []int{150, 0},
			wantWorst: 1, wantWorstAt: 1, wantGapP50: 10 * time.Millisecond, wantGapMax: 10 * time.Millisecond,
		},
		{
			name: "short run: missing second", in: even(5, 1, 0), rate: 1, d: 10 * time.Second,
			wantCount: 5, wantAchieved: 0.5, wantWindows: []int{1, 1, 1, 1, 1, 0, 0, 0, 0, 0},
			wantWorst: 1, wantWorstAt: 5, wantGapP50: time.Second, wantGapMax: time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Analyze(tt.in, tt.rate, tt.d)
			if a.Count != tt.wantCount {
				t.Errorf("Count = %d, want %d", a.Count, tt.wantCount)
			}
			if math.Abs(a.Achieved-tt.wantAchieved) > 1e-9 {
				t.Errorf("Achieved = %v, want %v", a.Achieved, tt.wantAchieved)
			}
			if !equalInts(a.Windows, tt.wantWindows) {
				t.Errorf("Windows = %v, want %v", a.Windows, tt.wantWindows)
			}
			if math.Abs(a.WorstWindow-tt.wantWorst) > 1e-9 || a.WorstWindowAt != tt.wantWorstAt {
				t.Errorf("worst window = %v at %d, want %v at %d", a.WorstWindow, a.WorstWindowAt, tt.wantWorst, tt.wantWorstAt)
			}
			if !near(a.Gaps.P50, tt.wantGapP50) || !near(a.Gaps.Max, tt.wantGapMax) {
				t.Errorf("gaps p50 %v max %v, want %v and %v", a.Gaps.P50, a.Gaps.Max, tt.wantGapP50, tt.wantGapMax)
			}
			if a.Gaps.Ideal != time.Duration(float64(time.Second)/tt.rate) {
				t.Errorf("Ideal = %v", a.Gaps.Ideal)
			}
		})
	}
}

func TestAnalyzeGapPercentiles(t *testing.T) {
	// 1,001 arrivals: 999 gaps of 1 ms and one of 100 ms.
	in := even(1000, 1000, 0)
	in = append(in, in[len(in)-1]+100*time.Millisecond)
	a := Analyze(in, 1000, time.Second)
	if a.Gaps.P50 != time.Millisecond || a.Gaps.P99 != time.Millisecond || a.Gaps.Max != 100*time.Millisecond {
		t.Errorf("gaps = %+v", a.Gaps)
	}
	// p99.9 of 1,000 gaps is the 999th smallest: still 1 ms; the max is not.
	if a.Gaps.P999 != time.Millisecond || a.Gaps.Min != time.Millisecond {
		t.Errorf("p99.9 = %v, min = %v, want 1ms", a.Gaps.P999, a.Gaps.Min)
	}
}

func TestAnalyzeEmpty(t *testing.T) {
	a := Analyze(nil, 100, 10*time.Second)
	if a.Count != 0 || a.Achieved != 0 || a.Windows != nil || a.WorstWindowAt != -1 {
		t.Errorf("empty analysis = %+v", a)
	}
}

func TestRecorderServes(t *testing.T) {
	rec := New(3, 0)
	srv := httptest.NewServer(rec)
	defer srv.Close()
	for range 5 {
		resp, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	// The readiness probe is not an arrival.
	if resp, err := http.Get(srv.URL + ReadyPath); err != nil || resp.StatusCode != 200 {
		t.Fatalf("ready: %v", err)
	} else {
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL + ReportPath + "?rate=5&duration=1s")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a Analysis
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	if a.Count != 5 || a.Dropped != 2 || a.MaxInFlight != 1 {
		t.Errorf("report count %d dropped %d max in flight %d, want 5, 2, 1", a.Count, a.Dropped, a.MaxInFlight)
	}
	resp2, err := http.Get(srv.URL + ReportPath + "?rate=5&duration=1s&skip=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	var b Analysis
	if err := json.NewDecoder(resp2.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	if b.Count != 4 { // 2 stored after skipping 1, plus 2 over capacity
		t.Errorf("skip=1: count %d, want 4", b.Count)
	}
}

func TestRecorderReportRejectsBadQuery(t *testing.T) {
	rec := New(1, 0)
	for _, q := range []string{"rate=x&duration=1s", "rate=0&duration=1s", "rate=1&duration=soon", "rate=1&duration=-1s", "rate=1", "rate=1&duration=1s&skip=-1", "rate=1&duration=1s&skip=x"} {
		w := httptest.NewRecorder()
		rec.ServeHTTP(w, httptest.NewRequest(http.MethodGet, ReportPath+"?"+q, nil))
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid") {
			t.Errorf("%s: status %d body %q, want 400 naming the field", q, w.Code, w.Body.String())
		}
	}
}

func TestRecorderDelayCountsInFlight(t *testing.T) {
	// The delay is far longer than the test: requests end when their
	// context is cancelled, after all three were seen in the handler.
	rec := New(10, time.Minute)
	srv := httptest.NewServer(rec)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{}, 3)
	for range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/", nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for rec.inFlight.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("in flight = %d after 5s, want 3", rec.inFlight.Load())
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	for range 3 {
		<-done
	}
	if _, _, m := rec.Snapshot(); m != 3 {
		t.Errorf("max in flight = %d, want 3", m)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func near(a, b time.Duration) bool {
	d := a - b
	return d > -time.Microsecond && d < time.Microsecond
}
