package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/asm-ready/asm-ready/services/loadgen/internal/h1client"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/pacer"
)

// syncBuffer is a log sink safe for the reporter and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// bothClients runs a test with net/http and with the fast client.
func bothClients(t *testing.T, f func(t *testing.T, fast bool)) {
	t.Run("std", func(t *testing.T) { f(t, false) })
	t.Run("fast", func(t *testing.T) { f(t, true) })
}

func opts(t *testing.T, rawURL string, rate float64, d time.Duration, log *syncBuffer) Options {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		URL: u, Rate: rate, Duration: d, MaxInFlight: 64,
		// A stall on a busy machine must not skip slots in tests that
		// count them; lateness has its own tests (here and in pacer).
		RequestTimeout: 30 * time.Second, LateTolerance: time.Hour,
		ReportInterval: 100 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
		UserAgent: "test",
	}
	if log != nil {
		o.Logger = slog.New(slog.NewJSONHandler(log, nil))
	}
	return o
}

func mustRun(t *testing.T, o Options, ctx context.Context) (*Runner, Summary) {
	t.Helper()
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // bound every test
	defer cancel()
	return r, r.Run(ctx)
}

// TestOutcomesCountedSeparately: the server answers 200, 503 and "drop the
// connection" in turn; loadgen's counts must match the server's own tally
// exactly. Every response carries Connection: close so a dropped
// connection is always a fresh one, which no client retries; nothing here
// depends on timing.
func TestOutcomesCountedSeparately(t *testing.T) { bothClients(t, testOutcomesCountedSeparately) }

func testOutcomesCountedSeparately(t *testing.T, fast bool) {
	var n, ok, bad, dropped atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		switch n.Add(1) % 3 {
		case 0:
			ok.Add(1)
			fmt.Fprint(w, "Hello World!")
		case 1:
			bad.Add(1)
			http.Error(w, "nope", http.StatusServiceUnavailable)
		case 2:
			dropped.Add(1)
			c, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			c.Close()
		}
	}))
	defer srv.Close()
	o := opts(t, srv.URL, 300, 300*time.Millisecond, nil)
	o.Fast = fast
	o.RequestTimeout = 30 * time.Second // only the drop may fail a request
	r, s := mustRun(t, o, context.Background())
	if s.Sent+s.Late != 90 {
		t.Fatalf("sent %d + late %d != 90 scheduled", s.Sent, s.Late)
	}
	if s.Completed != s.Sent || s.Aborted != 0 {
		t.Fatalf("completed %d of %d sent, aborted %d", s.Completed, s.Sent, s.Aborted)
	}
	if int64(s.OK) != ok.Load() || int64(s.FailedStatus) != bad.Load() || int64(s.FailedTransport) != dropped.Load() {
		t.Errorf("loadgen ok/status/transport = %d/%d/%d, server saw %d/%d/%d",
			s.OK, s.FailedStatus, s.FailedTransport, ok.Load(), bad.Load(), dropped.Load())
	}
	if s.OK == 0 || s.FailedStatus == 0 || s.FailedTransport == 0 {
		t.Errorf("every outcome should occur: %+v", s)
	}
	if r.C.CodeClass[2].Load() != s.OK || r.C.CodeClass[5].Load() != s.FailedStatus {
		t.Errorf("code classes 2xx=%d 5xx=%d", r.C.CodeClass[2].Load(), r.C.CodeClass[5].Load())
	}
}

func TestConnectionRefusedIsTransportFailure(t *testing.T) {
	bothClients(t, testConnectionRefusedIsTransportFailure)
}

func testConnectionRefusedIsTransportFailure(t *testing.T, fast bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	o := opts(t, "http://"+addr+"/", 100, 200*time.Millisecond, nil)
	o.Fast = fast
	_, s := mustRun(t, o, context.Background())
	if s.Sent == 0 || s.FailedTransport != s.Sent || s.OK != 0 || s.FailedStatus != 0 {
		t.Errorf("want all %d transport failures: %+v", s.Sent, s)
	}
}

// TestMaxInFlightBound: a server slower than the rate allows, holding each
// request (100ms) far longer than LATE_TOLERANCE (10ms); the concurrency the
// server sees never exceeds MAX_IN_FLIGHT and the slots that found the
// bound reached for longer than the tolerance are counted late, not queued.
func TestMaxInFlightBound(t *testing.T) { bothClients(t, testMaxInFlightBound) }

func testMaxInFlightBound(t *testing.T, fast bool) {
	const limit = 4
	var cur, peak, served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := cur.Add(1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		time.Sleep(100 * time.Millisecond) // the slowness under test
		cur.Add(-1)
		served.Add(1)
	}))
	defer srv.Close()
	o := opts(t, srv.URL, 200, 500*time.Millisecond, nil)
	o.Fast = fast
	o.MaxInFlight = limit
	o.LateTolerance = 10 * time.Millisecond
	r, s := mustRun(t, o, context.Background())
	if p := peak.Load(); p > limit {
		t.Errorf("server saw %d concurrent requests, bound is %d", p, limit)
	}
	if peak.Load() < 2 {
		t.Errorf("peak concurrency %d: the bound was never exercised", peak.Load())
	}
	if s.LateInFlight == 0 {
		t.Errorf("no late requests counted against a server 20x too slow: %+v", s)
	}
	if s.Sent+s.Late != 100 || int64(s.OK) != served.Load() {
		t.Errorf("sent %d late %d ok %d served %d", s.Sent, s.Late, s.OK, served.Load())
	}
	if r.workers > limit {
		t.Errorf("%d workers started, bound %d", r.workers, limit)
	}
}

// TestBriefStallNotLate: the server holds the first MAX_IN_FLIGHT requests
// until the pacer is waiting for a free slot (the bound is reached and the
// next slot is due), then releases them. The stall is far shorter than
// LATE_TOLERANCE, so nothing is late and every slot is sent; the bound
// still holds. Dropping at the bound (the old policy) fails this test.
func TestBriefStallNotLate(t *testing.T) { bothClients(t, testBriefStallNotLate) }

func testBriefStallNotLate(t *testing.T, fast bool) {
	const limit = 4
	release := make(chan struct{})
	var cur, peak, n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := cur.Add(1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		if n.Add(1) <= limit {
			<-release
		}
		cur.Add(-1)
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	o := opts(t, srv.URL, 200, 250*time.Millisecond, nil)
	o.Fast = fast
	o.MaxInFlight = limit
	o.LateTolerance = 10 * time.Second // the stall must stay shorter than this
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(release)
		deadline := time.Now().Add(10 * time.Second)
		for !r.waiting.Load() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // polling, bounded by deadline
		}
		if !r.waiting.Load() {
			t.Error("the pacer never waited for a free in-flight slot")
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := r.Run(ctx)
	if s.Late != 0 || s.Sent != 50 || s.OK != 50 {
		t.Errorf("brief stall: want 50 sent and ok, 0 late: %+v", s)
	}
	if p := peak.Load(); p > limit {
		t.Errorf("server saw %d concurrent requests, bound is %d", p, limit)
	}
}

// TestMaxMode: REQUESTS_PER_SECOND=max keeps exactly MAX_IN_FLIGHT
// requests outstanding (a server that blocks the first MAX_IN_FLIGHT
// proves it sends no more than that and at least that), then runs back to
// back until DURATION; the summary says max_mode with target_rps 0.
func TestMaxMode(t *testing.T) { bothClients(t, testMaxMode) }

func testMaxMode(t *testing.T, fast bool) {
	const limit = 3
	release := make(chan struct{})
	var cur, peak, n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := cur.Add(1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		if n.Add(1) <= limit {
			<-release
		}
		cur.Add(-1)
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	go func() {
		defer close(release)
		deadline := time.Now().Add(10 * time.Second)
		for n.Load() < limit && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // polling, bounded by deadline
		}
	}()
	var buf syncBuffer
	o := opts(t, srv.URL, 0, 300*time.Millisecond, &buf)
	o.Fast = fast
	o.Max = true
	o.MaxInFlight = limit
	r, s := mustRun(t, o, context.Background())
	if p := peak.Load(); p != limit {
		t.Errorf("server saw at most %d concurrent requests, want exactly MAX_IN_FLIGHT=%d", p, limit)
	}
	if s.OK <= limit || s.OK != s.Sent || s.Completed != s.Sent || int64(s.OK) != n.Load() || s.Late != 0 {
		t.Errorf("max mode: sent %d ok %d completed %d late %d, server saw %d", s.Sent, s.OK, s.Completed, s.Late, n.Load())
	}
	if !s.MaxMode || s.TargetRPS != 0 || s.Elapsed < 300*time.Millisecond {
		t.Errorf("summary %+v", s)
	}
	if r.C.InFlight.Load() != 0 || r.workers != limit {
		t.Errorf("in flight %d, workers %d", r.C.InFlight.Load(), r.workers)
	}
	lines := buf.lines(t)
	last := lines[len(lines)-1]
	if last["max_mode"] != true || last["target_rps"].(float64) != 0 || last["sent"].(float64) != float64(s.Sent) {
		t.Errorf("summary line %v", last)
	}
}

// TestMaxModeStopsOnCancel: with DURATION 0, max mode runs until ctx.
func TestMaxModeStopsOnCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	o := opts(t, srv.URL, 0, 0, nil)
	o.Max = true
	o.MaxInFlight = 2
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for r.C.OK.Load() < 100 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // polling, bounded by deadline
		}
		cancel()
	}()
	done := make(chan Summary)
	go func() { done <- r.Run(ctx) }()
	select {
	case s := <-done:
		if s.OK < 100 || s.Completed != s.Sent || s.Aborted != 0 {
			t.Errorf("summary %+v", s)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("max mode did not stop after cancel")
	}
}

// TestDrainOnCancel: cancelling stops issuing; requests already sent
// complete with their real result inside SHUTDOWN_TIMEOUT.
func TestDrainOnCancel(t *testing.T) { bothClients(t, testDrainOnCancel) }

func testDrainOnCancel(t *testing.T, fast bool) {
	arrived := make(chan struct{}, 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		time.Sleep(300 * time.Millisecond)
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	var drainingCalls atomic.Int32
	o := opts(t, srv.URL, 50, 0, nil)
	o.Fast = fast
	o.OnDraining = func() { drainingCalls.Add(1) }
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	r, s := mustRun(t, o, ctx)
	if s.Sent == 0 || s.OK != s.Sent || s.Aborted != 0 || s.FailedTransport != 0 {
		t.Errorf("in-flight requests did not drain cleanly: %+v", s)
	}
	if r.C.InFlight.Load() != 0 {
		t.Errorf("in flight after Run: %d", r.C.InFlight.Load())
	}
	if drainingCalls.Load() != 1 {
		t.Errorf("OnDraining called %d times", drainingCalls.Load())
	}
}

// TestDrainTimeoutAborts: a server that never answers; SHUTDOWN_TIMEOUT
// cuts the drain short and the cut requests are counted as aborted.
func TestDrainTimeoutAborts(t *testing.T) { bothClients(t, testDrainTimeoutAborts) }

func testDrainTimeoutAborts(t *testing.T, fast bool) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	o := opts(t, srv.URL, 50, 0, nil)
	o.Fast = fast
	o.RequestTimeout = 10 * time.Second
	o.ShutdownTimeout = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	_, s := mustRun(t, o, ctx)
	if s.Aborted == 0 || s.Aborted != s.Sent || s.FailedTransport != 0 {
		t.Errorf("want every sent request aborted: %+v", s)
	}
}

// TestLogLines: interval lines and the summary carry the documented
// fields, and the intervals add up to the summary.
func TestLogLines(t *testing.T) { bothClients(t, testLogLines) }

func testLogLines(t *testing.T, fast bool) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "test" {
			http.Error(w, "bad UA", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	var buf syncBuffer
	o := opts(t, srv.URL+"/", 100, 350*time.Millisecond, &buf)
	o.Fast = fast
	_, s := mustRun(t, o, context.Background())
	lines := buf.lines(t)
	if len(lines) < 3 {
		t.Fatalf("want >= 2 interval lines and a summary, got %d", len(lines))
	}
	var sumOK, sumN float64
	for _, l := range lines[:len(lines)-1] {
		for _, k := range []string{"ok", "failed_status", "failed_transport", "late", "sent", "p50_ms", "p99_ms", "in_flight"} {
			if _, found := l[k]; !found {
				t.Errorf("interval line lacks %q: %v", k, l)
			}
		}
		var n int
		if _, err := fmt.Sscanf(l["msg"].(string), "%d request(s) complete to "+srv.URL+"/", &n); err != nil {
			t.Errorf("interval message %q: %v", l["msg"], err)
		}
		sumN += float64(n)
		sumOK += l["ok"].(float64)
	}
	last := lines[len(lines)-1]
	want := fmt.Sprintf("Summary: %d request(s) complete to %s/", s.Completed, srv.URL)
	if last["msg"] != want {
		t.Errorf("summary message %q, want %q", last["msg"], want)
	}
	if s.OK != 35 || last["ok"].(float64) != 35 || last["completed"].(float64) != 35 || last["sent"].(float64) != 35 {
		t.Errorf("summary fields %v (summary %+v)", last, s)
	}
	if last["target_rps"].(float64) != 100 || last["late"].(float64) != 0 {
		t.Errorf("summary fields %v", last)
	}
	// The schedule lasts 350ms; a starved machine can only stretch it.
	if a, e := last["achieved_rps"].(float64), last["elapsed_s"].(float64); e < 0.35 || a > 100.01 || math.Abs(a-35/e) > 0.2 { // elapsed_s is rounded to ms
		t.Errorf("achieved_rps %v over elapsed_s %v for a 35-request 350ms schedule", a, e)
	}
	if sumOK != 35 || sumN != 35 {
		t.Errorf("intervals add up to ok=%v n=%v, want 35", sumOK, sumN)
	}
}

// TestRealClockRate is the one wall-clock check: 200 rps for 2 s against a
// loopback server, which counts and timestamps arrivals. The exact schedule
// is proven with the fake clock (package pacer); this proves the real clock
// drives it: all 400 requests arrive (no loss), spread over about 2 s
// rather than bunched (at least 1.8 s from first to last), and the run
// lasts the full DURATION. A busy machine can only stretch the spread, so
// there is no upper bound; generous in-flight, timeout and tolerance limits
// keep starvation from turning into skipped or failed requests.
func TestRealClockRate(t *testing.T) {
	var mu sync.Mutex
	var first, last time.Time
	var count int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		mu.Lock()
		if count == 0 {
			first = now
		}
		last = now
		count++
		mu.Unlock()
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	o := opts(t, srv.URL, 200, 2*time.Second, nil)
	o.MaxInFlight = 1000
	o.RequestTimeout = 30 * time.Second
	_, s := mustRun(t, o, context.Background())
	mu.Lock()
	defer mu.Unlock()
	if count < 380 || count > 400 || int(s.OK) != count {
		t.Errorf("server received %d requests, loadgen counted %d ok; want 400 within 5%% (summary %+v)", count, s.OK, s)
	}
	if span := last.Sub(first); span < 1800*time.Millisecond {
		t.Errorf("arrivals spread over %v, want about 2s: requests were bunched", span)
	}
	if s.Elapsed < 2*time.Second {
		t.Errorf("run ended after %v, before its 2s DURATION", s.Elapsed)
	}
}

func TestCollector(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	r, s := mustRun(t, opts(t, srv.URL, 100, 100*time.Millisecond, nil), context.Background())
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r.Collector())
	exp := `
# HELP loadgen_target_requests_per_second Requested rate (REQUESTS_PER_SECOND; 0 in max mode).
# TYPE loadgen_target_requests_per_second gauge
loadgen_target_requests_per_second 100
# HELP loadgen_late_total Scheduled requests not sent: behind_schedule (pacer more than LATE_TOLERANCE behind) or in_flight_limit (MAX_IN_FLIGHT outstanding until LATE_TOLERANCE after the due time).
# TYPE loadgen_late_total counter
loadgen_late_total{reason="behind_schedule"} 0
loadgen_late_total{reason="in_flight_limit"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "loadgen_target_requests_per_second", "loadgen_late_total"); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "loadgen_request_duration_seconds":
			if got := mf.GetMetric()[0].GetHistogram().GetSampleCount(); got != s.Completed {
				t.Errorf("histogram count %d, want %d", got, s.Completed)
			}
		case "loadgen_requests_total":
			for _, m := range mf.GetMetric() {
				if m.GetLabel()[0].GetValue() == "2xx" && uint64(m.GetCounter().GetValue()) != s.OK {
					t.Errorf("2xx counter %v, want %d", m.GetCounter().GetValue(), s.OK)
				}
			}
		}
	}
}

// BenchmarkRunner measures the request path against an in-process
// loopback server (so server CPU is included; compare runs, not absolutes).
//   - request: one request through a worker's path (client.Do, drain,
//     classify, record), from parallel goroutines: ns and allocs per request.
//   - paced: the whole runner at a fixed 5,000 rps for b.N requests, with
//     achieved rate and late count reported.
//   - max: max mode (64 closed-loop workers) for b.N × 20µs: ns/req, req/s.
func BenchmarkRunner(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("Hello World!"))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	newRunner := func(rate float64, d time.Duration) *Runner {
		r, err := New(Options{URL: u, Rate: rate, Duration: d, MaxInFlight: 64, RequestTimeout: 5 * time.Second,
			LateTolerance: 100 * time.Millisecond, ReportInterval: time.Hour, ShutdownTimeout: 5 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		r.reqCtx = context.Background()
		return r
	}
	for _, fast := range []bool{false, true} {
		name := map[bool]string{false: "request-std", true: "request-fast"}[fast]
		b.Run(name, func(b *testing.B) {
			r := newRunner(1, 0)
			if fast {
				r.h1, _ = h1client.New(u, "")
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := &workerState{buf: make([]byte, 512)}
				if fast {
					w.conn = r.h1.NewConn()
					defer w.conn.Close()
				}
				for pb.Next() {
					r.C.InFlight.Add(1)
					r.do(pacer.Slot{Due: time.Now()}, w)
				}
			})
			if r.C.OK.Load() == 0 || r.C.FailedTransport.Load() != 0 {
				b.Fatalf("ok %d transport %d", r.C.OK.Load(), r.C.FailedTransport.Load())
			}
		})
	}
	for _, fast := range []bool{false, true} {
		name := map[bool]string{false: "paced-std", true: "paced-fast"}[fast]
		b.Run(name, func(b *testing.B) {
			const rate = 5000
			r := newRunner(rate, time.Duration(b.N)*time.Second/rate)
			if fast {
				r.h1, _ = h1client.New(u, "")
			}
			b.ReportAllocs()
			b.ResetTimer()
			s := r.Run(context.Background())
			b.StopTimer()
			if s.Sent+s.Late != uint64(b.N) {
				b.Fatalf("scheduled %d, want %d", s.Sent+s.Late, b.N)
			}
			b.ReportMetric(s.AchievedRPS, "req/s")
			b.ReportMetric(float64(s.Late), "late")
			b.ReportMetric(float64(s.LateInFlight), "late-in-flight")
		})
	}
	for _, fast := range []bool{false, true} {
		name := map[bool]string{false: "max-std", true: "max-fast"}[fast]
		b.Run(name, func(b *testing.B) {
			// Max mode is bounded by time, not count: b.N × 20µs (at least
			// 100ms), then ns/req and req/s are what it managed (64 workers).
			r := newRunner(0, max(time.Duration(b.N)*20*time.Microsecond, 100*time.Millisecond))
			r.opts.Max = true
			if fast {
				r.h1, _ = h1client.New(u, "")
			}
			b.ReportAllocs()
			b.ResetTimer()
			s := r.Run(context.Background())
			b.StopTimer()
			if s.OK == 0 || s.OK != s.Sent {
				b.Fatalf("ok %d sent %d", s.OK, s.Sent)
			}
			b.ReportMetric(float64(s.Elapsed.Nanoseconds())/float64(s.Sent), "ns/req")
			b.ReportMetric(s.AchievedRPS, "req/s")
		})
	}
}
