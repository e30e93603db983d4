// Package record is the recording server of the load-generator benchmarks:
// it timestamps every request's arrival and turns the arrivals into what
// the report needs (count, per-second windows, inter-arrival gaps, the
// highest concurrency seen). It measures clients from the server's side, so
// every client is judged by the same clock.
package record

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asm-ready/asm-ready/tools/bench/internal/stats"
)

// Paths the harness uses; every other path is recorded.
const (
	ReadyPath  = "/__ready"
	ReportPath = "/__report"
)

// Body is what the recording server answers, the same as helloserver's.
var Body = []byte("Hello World!")

// Recorder is an http.Handler that records arrival times.
type Recorder struct {
	start time.Time
	delay time.Duration // per request, to play a slow server

	mu       sync.Mutex
	arrivals []time.Duration // offsets from start; capped at cap(arrivals)
	dropped  int             // arrivals past the cap (counted, not stored)

	inFlight, maxInFlight atomic.Int64
}

// New returns a Recorder that stores up to capacity arrivals and holds each
// request for delay before answering.
func New(capacity int, delay time.Duration) *Recorder {
	return &Recorder{start: time.Now(), delay: delay, arrivals: make([]time.Duration, 0, capacity)}
}

// ServeHTTP records the arrival, waits delay (or until the client gives up),
// and answers "Hello World!".
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case ReadyPath:
		_, _ = w.Write([]byte("ok"))
		return
	case ReportPath:
		rec.serveReport(w, r)
		return
	}
	rec.mu.Lock()
	at := time.Since(rec.start)
	if len(rec.arrivals) < cap(rec.arrivals) {
		rec.arrivals = append(rec.arrivals, at)
	} else {
		rec.dropped++
	}
	rec.mu.Unlock()

	n := rec.inFlight.Add(1)
	defer rec.inFlight.Add(-1)
	for {
		m := rec.maxInFlight.Load()
		if n <= m || rec.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if rec.delay > 0 {
		t := time.NewTimer(rec.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(Body)
}

// Snapshot returns a copy of the arrivals so far, how many were past the
// cap, and the highest number of requests in the handler at once.
func (rec *Recorder) Snapshot() (arrivals []time.Duration, dropped int, maxInFlight int64) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.arrivals), rec.dropped, rec.maxInFlight.Load()
}

func (rec *Recorder) serveReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rate, err := strconv.ParseFloat(q.Get("rate"), 64)
	if err != nil || !(rate > 0) || math.IsInf(rate, 0) {
		http.Error(w, fmt.Sprintf("invalid rate %q: must be a number > 0 (requests per second)", q.Get("rate")), http.StatusBadRequest)
		return
	}
	d, err := time.ParseDuration(q.Get("duration"))
	if err != nil || d <= 0 {
		http.Error(w, fmt.Sprintf("invalid duration %q: must be a Go duration > 0, e.g. 10s", q.Get("duration")), http.StatusBadRequest)
		return
	}
	// skip=N leaves out the first N arrivals: fortio sends one warm-up
	// request per connection before its schedule starts.
	skip := 0
	if v := q.Get("skip"); v != "" {
		if skip, err = strconv.Atoi(v); err != nil || skip < 0 {
			http.Error(w, fmt.Sprintf("invalid skip %q: must be an integer >= 0 (arrivals to leave out)", v), http.StatusBadRequest)
			return
		}
	}
	arr, dropped, maxIn := rec.Snapshot()
	slices.Sort(arr)
	arr = arr[min(skip, len(arr)):]
	a := Analyze(arr, rate, d)
	a.Count += dropped
	a.Dropped = dropped
	a.MaxInFlight = maxIn
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(a)
}

// Gaps are inter-arrival gap percentiles; Ideal is 1/rate.
type Gaps struct {
	Ideal, Min, P1, P50, P99, P999, Max time.Duration
}

// Analysis is what a run looked like from the server.
type Analysis struct {
	Rate     float64       // target, requests per second
	Duration time.Duration // target
	Count    int           // arrivals, all of them
	Dropped  int           // arrivals not stored (over capacity): counted only
	// Achieved is Count / (Rate × Duration): did the client deliver the
	// requests it was asked for in the time it was given.
	Achieved float64
	// Windows are arrival counts in consecutive 1-second windows. The first
	// starts half an interval (1/2Rate) before the first arrival, so at low
	// rates each arrival sits mid-window and jitter cannot move it across a
	// boundary; there are floor(Duration/1s) of them.
	Windows []int
	// WorstWindow is the largest |count/Rate - 1| over Windows, and
	// WorstWindowAt its index (-1 when there is no window).
	WorstWindow   float64
	WorstWindowAt int
	Gaps          Gaps
	MaxInFlight   int64 // set by the server, not by Analyze
	Span          time.Duration
}

// Analyze computes the Analysis of arrivals (offsets from any fixed origin,
// in any order) for a run asked to send rate requests per second for d.
func Analyze(arrivals []time.Duration, rate float64, d time.Duration) Analysis {
	a := Analysis{Rate: rate, Duration: d, Count: len(arrivals), WorstWindowAt: -1}
	if rate > 0 && d > 0 {
		a.Achieved = float64(len(arrivals)) / (rate * d.Seconds())
	}
	if len(arrivals) == 0 || !(rate > 0) {
		return a
	}
	s := slices.Clone(arrivals)
	slices.Sort(s)
	a.Span = s[len(s)-1] - s[0]

	origin := s[0] - time.Duration(float64(time.Second)/(2*rate))
	n := int(d / time.Second)
	a.Windows = make([]int, n)
	for _, t := range s {
		if k := int((t - origin) / time.Second); k < n {
			a.Windows[k]++
		}
	}
	for k, c := range a.Windows {
		if dev := math.Abs(float64(c)/rate - 1); a.WorstWindowAt < 0 || dev > a.WorstWindow {
			a.WorstWindow, a.WorstWindowAt = dev, k
		}
	}

	a.Gaps.Ideal = time.Duration(float64(time.Second) / rate)
	if len(s) > 1 {
		gaps := make([]time.Duration, len(s)-1)
		for i := 1; i < len(s); i++ {
			gaps[i-1] = s[i] - s[i-1]
		}
		slices.Sort(gaps)
		a.Gaps.Min = gaps[0]
		a.Gaps.P1 = stats.Percentile(gaps, 1)
		a.Gaps.P50 = stats.Percentile(gaps, 50)
		a.Gaps.P99 = stats.Percentile(gaps, 99)
		a.Gaps.P999 = stats.Percentile(gaps, 99.9)
		a.Gaps.Max = gaps[len(gaps)-1]
	}
	return a
}
