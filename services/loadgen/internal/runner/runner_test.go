package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/asm-ready/asm-ready/services/loadgen/config"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/logging"
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

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

func opts(t *testing.T, rawURL string, rate float64, d time.Duration, log io.Writer) Options {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Config: config.Config{
		URL: u, RequestsPerSecond: rate, Duration: d, MaxInFlight: 64,
		// A stall on a busy machine must not skip slots in tests that
		// count them; lateness has its own tests (here and in pacer).
		RequestTimeout: 30 * time.Second, LateTolerance: time.Hour,
		ReportInterval: 100 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
	}, UserAgent: "test"}
	if log != nil {
		o.Logger = logging.New(log, "json", slog.LevelInfo)
	}
	return o
}

func run(t *testing.T, r *Runner, ctx context.Context) Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // bound every test
	defer cancel()
	return r.Run(ctx)
}

// peakCounter tracks the concurrency a test server sees.
type peakCounter struct{ cur, peak atomic.Int64 }

func (p *peakCounter) enter() {
	c := p.cur.Add(1)
	for {
		old := p.peak.Load()
		if c <= old || p.peak.CompareAndSwap(old, c) {
			return
		}
	}
}

func (p *peakCounter) leave() { p.cur.Add(-1) }

// TestOutcomesCountedSeparately: the server answers 200, 503 and "drop the
// connection" in turn; loadgen's counts must match the server's own tally
// exactly. Every response carries Connection: close, so a dropped
// connection is always a fresh one, which net/http does not retry.
func TestOutcomesCountedSeparately(t *testing.T) {
	var n, good, bad, dropped atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		switch n.Add(1) % 3 {
		case 0:
			good.Add(1)
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
	var log syncBuffer
	r := New(opts(t, srv.URL, 300, 300*time.Millisecond, &log))
	s := run(t, r, context.Background())
	if s.Sent+s.Late != 90 || s.Completed != s.Sent || s.Aborted != 0 {
		t.Fatalf("sent %d + late %d != 90 scheduled, or completed %d, aborted %d", s.Sent, s.Late, s.Completed, s.Aborted)
	}
	if int64(s.OK) != good.Load() || int64(s.FailedStatus) != bad.Load() || int64(s.FailedTransport) != dropped.Load() {
		t.Errorf("loadgen ok/status/transport = %d/%d/%d, server saw %d/%d/%d",
			s.OK, s.FailedStatus, s.FailedTransport, good.Load(), bad.Load(), dropped.Load())
	}
	if s.OK == 0 || s.FailedStatus == 0 || s.FailedTransport == 0 {
		t.Errorf("every outcome should occur: %+v", s)
	}
	if got := testutil.ToFloat64(r.metrics.requests.WithLabelValues("5xx", "failed_status")); got != float64(s.FailedStatus) {
		t.Errorf("5xx counter %v, want %d", got, s.FailedStatus)
	}
	// A server closing the connection without a response reads as EOF.
	lines := log.lines(t)
	for _, l := range lines[:len(lines)-1] {
		if l["failed_transport"].(float64) > 0 && (l["transport_error"] != "EOF" || l["transport_error_count"] != l["failed_transport"]) {
			t.Errorf("interval line %v: want transport_error EOF with the interval's count", l)
		}
	}
}

// TestConnectionRefused: every request fails to connect; the interval lines
// say so at info level, with the reason and its count.
func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	var log syncBuffer
	s := run(t, New(opts(t, "http://"+addr+"/", 100, 200*time.Millisecond, &log)), context.Background())
	if s.Sent == 0 || s.FailedTransport != s.Sent || s.OK != 0 || s.FailedStatus != 0 {
		t.Errorf("want all %d transport failures: %+v", s.Sent, s)
	}
	var named float64
	lines := log.lines(t)
	for _, l := range lines[:len(lines)-1] {
		if l["transport_error"] != "connection refused" || l["transport_error_count"] != l["failed_transport"] {
			t.Errorf("interval line %v: want transport_error \"connection refused\" with its count", l)
		}
		named += l["transport_error_count"].(float64)
	}
	if named != float64(s.FailedTransport) {
		t.Errorf("interval lines name %v transport errors, summary has %d", named, s.FailedTransport)
	}
}

func TestReason(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Get", URL: "http://10.0.0.1:8080/", Err: err} }
	op := func(err error) error {
		return wrap(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)})
	}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{op(syscall.ECONNREFUSED), "connection refused"},
		{op(syscall.ECONNRESET), "connection reset by peer"},
		{wrap(context.DeadlineExceeded), "timeout"},
		{wrap(os.ErrDeadlineExceeded), "timeout"},
		{wrap(io.EOF), "EOF"},
		{wrap(io.ErrUnexpectedEOF), "EOF"},
		{wrap(&net.DNSError{Err: "no such host", Name: "hellosvc", IsNotFound: true}), "no such host"},
		{wrap(errors.New("http: server gave HTTP response to HTTPS client")), "http: server gave HTTP response to HTTPS client"},
		{wrap(errors.New(strings.Repeat("x", 100))), strings.Repeat("x", 80) + "..."},
	} {
		if got := reason(tt.err); got != tt.want {
			t.Errorf("reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestMostFrequent(t *testing.T) {
	for _, tt := range []struct {
		errs map[string]uint64
		why  string
		n    uint64
	}{
		{map[string]uint64{"EOF": 2, "timeout": 5, "connection refused": 1}, "timeout", 5},
		{map[string]uint64{"timeout": 3, "EOF": 3, "e": 3, "d": 3, "c": 3, "b": 1}, "EOF", 3}, // a tie goes to the first name
		{map[string]uint64{}, "", 0},
	} {
		for range 20 { // map order varies from one range to the next
			if why, n := mostFrequent(tt.errs); why != tt.why || n != tt.n {
				t.Fatalf("mostFrequent(%v) = %q %d, want %q %d", tt.errs, why, n, tt.why, tt.n)
			}
		}
	}
}

// TestMaxInFlightBound: a server slower than the rate allows, holding each
// request (100ms) far longer than LATE_TOLERANCE (10ms): the concurrency
// the server sees never exceeds MAX_IN_FLIGHT, and the requests that found
// the bound reached for longer than the tolerance are late, not queued.
func TestMaxInFlightBound(t *testing.T) {
	const limit = 4
	var pc peakCounter
	var served atomic.Int64
	srv, conns := countingServer(func(w http.ResponseWriter, r *http.Request) {
		pc.enter()
		defer pc.leave()
		time.Sleep(100 * time.Millisecond) // the slowness under test
		served.Add(1)
	})
	defer srv.Close()
	o := opts(t, srv.URL, 200, 500*time.Millisecond, nil)
	o.MaxInFlight = limit
	o.LateTolerance = 10 * time.Millisecond
	s := run(t, New(o), context.Background())
	if p := pc.peak.Load(); p > limit || p < 2 {
		t.Errorf("server saw %d concurrent requests; want 2 to %d", p, limit)
	}
	if s.LateInFlight == 0 {
		t.Errorf("no late requests counted against a server 20x too slow: %+v", s)
	}
	if s.Sent+s.Late != 100 || int64(s.OK) != served.Load() {
		t.Errorf("sent %d late %d ok %d served %d", s.Sent, s.Late, s.OK, served.Load())
	}
	if n := conns.Load(); n > limit {
		t.Errorf("%d connections opened, bound is %d", n, limit)
	}
}

// countingServer serves h and counts the connections accepted.
func countingServer(h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	return srv, &conns
}

// TestConnectionsBound: two requests in flight at most, each answered at
// once, the next one due as soon as a slot frees: net/http must wait for
// one of the two connections to come back rather than dial a third.
func TestConnectionsBound(t *testing.T) {
	srv, conns := countingServer(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Hello World!")
	})
	defer srv.Close()
	o := opts(t, srv.URL, 2000, 500*time.Millisecond, nil)
	o.MaxInFlight = 2
	s := run(t, New(o), context.Background())
	if s.OK != 1000 || conns.Load() > 2 {
		t.Errorf("%d requests ok over %d connections; want 1000 over at most 2", s.OK, conns.Load())
	}
}

// TestConnectionsReused: at a steady rate each response body is read to
// its end, so later requests reuse the connections already open.
func TestConnectionsReused(t *testing.T) {
	srv, conns := countingServer(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Hello World!")
	})
	defer srv.Close()
	s := run(t, New(opts(t, srv.URL, 100, 500*time.Millisecond, nil)), context.Background())
	if s.OK != 50 || conns.Load() > 10 {
		t.Errorf("%d requests ok over %d connections; want 50 over a few reused ones", s.OK, conns.Load())
	}
}

// TestBriefStallNotLate: the server holds the first MAX_IN_FLIGHT requests
// until a due request waits for a free slot, then answers them. The stall
// is far shorter than LATE_TOLERANCE, so nothing is late and every request
// is sent, with the bound kept.
func TestBriefStallNotLate(t *testing.T) {
	const limit = 4
	release := make(chan struct{})
	var pc peakCounter
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pc.enter()
		defer pc.leave()
		if n.Add(1) <= limit {
			<-release
		}
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	o := opts(t, srv.URL, 200, 250*time.Millisecond, nil)
	o.MaxInFlight = limit
	o.LateTolerance = 10 * time.Second
	r := New(o)
	var once sync.Once
	r.onWait = func() { once.Do(func() { close(release) }) }
	s := run(t, r, context.Background())
	if s.Late != 0 || s.Sent != 50 || s.OK != 50 {
		t.Errorf("brief stall: want 50 sent and ok, 0 late: %+v", s)
	}
	if p := pc.peak.Load(); p > limit {
		t.Errorf("server saw %d concurrent requests, bound is %d", p, limit)
	}
}

// TestMaxMode: REQUESTS_PER_SECOND=max keeps exactly MAX_IN_FLIGHT
// requests outstanding (the server holds the first MAX_IN_FLIGHT until all
// have arrived, which proves at least that many, and counts the peak), then
// runs back to back until DURATION.
func TestMaxMode(t *testing.T) {
	const limit = 3
	release := make(chan struct{})
	var pc peakCounter
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pc.enter()
		defer pc.leave()
		switch i := n.Add(1); {
		case i < limit:
			<-release
		case i == limit:
			close(release)
		}
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	var log syncBuffer
	o := opts(t, srv.URL, 0, 300*time.Millisecond, &log)
	o.MaxMode = true
	o.MaxInFlight = limit
	s := run(t, New(o), context.Background())
	if p := pc.peak.Load(); p != limit {
		t.Errorf("server saw at most %d concurrent requests, want exactly MAX_IN_FLIGHT=%d", p, limit)
	}
	if s.OK <= limit || s.OK != s.Sent || s.Completed != s.Sent || int64(s.OK) != n.Load() || s.Late != 0 {
		t.Errorf("max mode: sent %d ok %d completed %d late %d, server saw %d", s.Sent, s.OK, s.Completed, s.Late, n.Load())
	}
	if !s.MaxMode || s.TargetRPS != 0 || s.Elapsed < 300*time.Millisecond {
		t.Errorf("summary %+v", s)
	}
	lines := log.lines(t)
	last := lines[len(lines)-1]
	if last["max_mode"] != true || last["target_rps"].(float64) != 0 || last["sent"].(float64) != float64(s.Sent) {
		t.Errorf("summary line %v", last)
	}
}

// TestMaxModeStopsOnCancel: with DURATION 0, max mode runs until ctx.
func TestMaxModeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 100 {
			cancel()
		}
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	o := opts(t, srv.URL, 0, 0, nil)
	o.MaxMode = true
	o.MaxInFlight = 2
	s := run(t, New(o), ctx)
	if s.OK < 100 || s.Completed != s.Sent || s.Aborted != 0 || int64(s.OK) != n.Load() {
		t.Errorf("summary %+v, server saw %d", s, n.Load())
	}
}

// TestDrainOnCancel: cancelling stops issuing; requests already sent
// complete with their real result inside SHUTDOWN_TIMEOUT.
func TestDrainOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		time.Sleep(300 * time.Millisecond) // a slow answer, in flight at the cancel
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	var drainingCalls atomic.Int32
	o := opts(t, srv.URL, 50, 0, nil)
	o.OnDraining = func() { drainingCalls.Add(1) }
	r := New(o)
	s := run(t, r, ctx)
	if s.Sent == 0 || s.OK != s.Sent || s.Aborted != 0 || s.FailedTransport != 0 {
		t.Errorf("in-flight requests did not drain cleanly: %+v", s)
	}
	if len(r.sem) != 0 || drainingCalls.Load() != 1 {
		t.Errorf("in flight after Run: %d; OnDraining called %d times", len(r.sem), drainingCalls.Load())
	}
}

// TestDrainTimeoutAborts: a server that never answers; SHUTDOWN_TIMEOUT
// cuts the drain short and the cut requests are counted as aborted.
func TestDrainTimeoutAborts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	o := opts(t, srv.URL, 50, 0, nil)
	o.RequestTimeout = 10 * time.Second
	o.ShutdownTimeout = 50 * time.Millisecond
	s := run(t, New(o), ctx)
	if s.Aborted == 0 || s.Aborted != s.Sent || s.FailedTransport != 0 {
		t.Errorf("want every sent request aborted: %+v", s)
	}
}

// TestRequestTimeout: a server slower than REQUEST_TIMEOUT: each request
// is a transport failure named "timeout", not an abort.
func TestRequestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // the client gives up first
	}))
	defer srv.Close()
	var log syncBuffer
	o := opts(t, srv.URL, 20, 100*time.Millisecond, &log)
	o.RequestTimeout = 50 * time.Millisecond
	s := run(t, New(o), context.Background())
	if s.FailedTransport != 2 || s.Aborted != 0 || s.OK != 0 {
		t.Errorf("want 2 timeouts: %+v", s)
	}
	if !strings.Contains(log.String(), `"transport_error":"timeout"`) {
		t.Errorf("no interval line names the timeout:\n%s", log.String())
	}
}

// TestLogLines: the interval lines and the summary carry the documented
// fields in both formats, and the intervals add up to the summary.
func TestLogLines(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "test" {
			http.Error(w, "bad UA", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	var log syncBuffer
	s := run(t, New(opts(t, srv.URL+"/", 100, 350*time.Millisecond, &log)), context.Background())
	lines := log.lines(t)
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
		if _, found := l["transport_error"]; found {
			t.Errorf("interval line without transport failures names one: %v", l)
		}
		var n int
		if _, err := fmt.Sscanf(l["message"].(string), "%d request(s) complete to "+srv.URL+"/", &n); err != nil || l["severity"] != "INFO" {
			t.Errorf("interval line %v: %v", l, err)
		}
		sumN += float64(n)
		sumOK += l["ok"].(float64)
	}
	last := lines[len(lines)-1]
	if want := fmt.Sprintf("Summary: %d request(s) complete to %s/", s.Completed, srv.URL); last["message"] != want {
		t.Errorf("summary message %q, want %q", last["message"], want)
	}
	if s.OK != 35 || last["ok"].(float64) != 35 || last["completed"].(float64) != 35 || last["sent"].(float64) != 35 ||
		last["target_rps"].(float64) != 100 || last["late"].(float64) != 0 {
		t.Errorf("summary fields %v (summary %+v)", last, s)
	}
	// The schedule lasts 350ms; a starved machine can only stretch it.
	if a, e := last["achieved_rps"].(float64), last["elapsed_s"].(float64); e < 0.35 || a > 100.01 || math.Abs(a-35/e) > 0.2 {
		t.Errorf("achieved_rps %v over elapsed_s %v for a 35-request 350ms schedule", a, e)
	}
	if sumOK != 35 || sumN != 35 {
		t.Errorf("intervals add up to ok=%v n=%v, want 35", sumOK, sumN)
	}

	var text syncBuffer
	o := opts(t, srv.URL+"/", 100, 50*time.Millisecond, nil)
	o.Logger = logging.New(&text, "text", slog.LevelInfo)
	run(t, New(o), context.Background())
	for _, want := range []string{
		`level=INFO msg="5 request(s) complete to ` + srv.URL + `/" ok=5 failed_status=0 failed_transport=0 late=0 sent=5 p50_ms=`,
		`level=INFO msg="Summary: 5 request(s) complete to ` + srv.URL + `/" completed=5 ok=5 `,
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text log lacks %q:\n%s", want, text.String())
		}
	}
}

// TestRealClockRate is the one wall-clock check: 200 rps for 2 s against a
// loopback server that timestamps arrivals. The exact schedule is proven
// with the fake clock (package pacer); this proves the real clock drives
// it: all 400 requests arrive, spread over about 2 s rather than bunched,
// and the run lasts the full DURATION. A busy machine can only stretch the
// spread, so there is no upper bound.
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
	s := run(t, New(o), context.Background())
	mu.Lock()
	defer mu.Unlock()
	if count != 400 || int(s.OK) != count {
		t.Errorf("server received %d requests, loadgen counted %d ok; want 400 (summary %+v)", count, s.OK, s)
	}
	if span := last.Sub(first); span < 1900*time.Millisecond {
		t.Errorf("arrivals spread over %v, want about 2s: requests were bunched", span)
	}
	if s.Elapsed < 2*time.Second {
		t.Errorf("run ended after %v, before its 2s DURATION", s.Elapsed)
	}
}

func TestCollectors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	r := New(opts(t, srv.URL, 100, 100*time.Millisecond, nil))
	s := run(t, r, context.Background())
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r.Collectors()...)
	exp := fmt.Sprintf(`
# HELP loadgen_target_requests_per_second Requested rate (REQUESTS_PER_SECOND; 0 in max mode).
# TYPE loadgen_target_requests_per_second gauge
loadgen_target_requests_per_second 100
# HELP loadgen_late_total Scheduled requests not sent: behind_schedule (pacer more than LATE_TOLERANCE behind) or in_flight_limit (MAX_IN_FLIGHT outstanding until LATE_TOLERANCE after the due time).
# TYPE loadgen_late_total counter
loadgen_late_total{reason="behind_schedule"} 0
loadgen_late_total{reason="in_flight_limit"} 0
# HELP loadgen_in_flight_requests Requests sent and not yet completed.
# TYPE loadgen_in_flight_requests gauge
loadgen_in_flight_requests 0
# HELP loadgen_requests_total Completed requests by status code class (1xx..5xx, other; error when there was no response) and result.
# TYPE loadgen_requests_total counter
loadgen_requests_total{code_class="1xx",result="failed_status"} 0
loadgen_requests_total{code_class="2xx",result="ok"} %d
loadgen_requests_total{code_class="3xx",result="failed_status"} 0
loadgen_requests_total{code_class="4xx",result="failed_status"} 0
loadgen_requests_total{code_class="5xx",result="failed_status"} 0
loadgen_requests_total{code_class="error",result="aborted"} 0
loadgen_requests_total{code_class="error",result="failed_transport"} 0
loadgen_requests_total{code_class="other",result="failed_status"} 0
`, s.OK)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "loadgen_target_requests_per_second",
		"loadgen_late_total", "loadgen_in_flight_requests", "loadgen_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(r.metrics.duration); n != 1 || s.OK != 10 {
		t.Errorf("duration histogram series %d, ok %d", n, s.OK)
	}
}

// BenchmarkPaced runs the whole runner at 5,000 rps for b.N requests
// against an in-process server (whose CPU is included): compare runs.
func BenchmarkPaced(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("Hello World!"))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	const rate = 5000
	r := New(Options{Config: config.Config{URL: u, RequestsPerSecond: rate, Duration: time.Duration(b.N) * time.Second / rate, MaxInFlight: 256,
		RequestTimeout: 5 * time.Second, LateTolerance: 100 * time.Millisecond, ReportInterval: time.Hour, ShutdownTimeout: 5 * time.Second}})
	b.ReportAllocs()
	b.ResetTimer()
	s := r.Run(context.Background())
	b.StopTimer()
	if s.Sent+s.Late != uint64(b.N) {
		b.Fatalf("scheduled %d, want %d", s.Sent+s.Late, b.N)
	}
	b.ReportMetric(float64(s.Late), "late")
}

// TestWarmUp: before the schedule starts, the connections for its first
// 20 ms are open (500 rps: 10), and requests then use them; without the
// warm-up, 20 requests 2 ms apart would need one or two connections.
func TestWarmUp(t *testing.T) {
	var requests atomic.Int64
	srv, conns := countingServer(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		fmt.Fprint(w, "Hello World!")
	})
	defer srv.Close()
	s := run(t, New(opts(t, srv.URL, 500, 40*time.Millisecond, nil)), context.Background())
	if s.OK != 20 || requests.Load() != 20 || conns.Load() < 10 || conns.Load() > 64 {
		t.Errorf("%d ok, server saw %d requests on %d connections; want 20 on at least the 10 warmed", s.OK, requests.Load(), conns.Load())
	}
}

func TestWarmDialerAddr(t *testing.T) {
	for _, tt := range []struct{ url, addr string }{
		{"http://127.0.0.1/", "127.0.0.1:80"},
		{"https://localhost/x", "localhost:443"},
		{"http://[::1]:8080/", "[::1]:8080"},
	} {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if d := newWarmDialer(u, 1); d.addr != tt.addr {
			t.Errorf("%s: warm-up dials %q, the Transport %q", tt.url, d.addr, tt.addr)
		}
	}
}
