// Package runner drives HTTP requests at the pacer's schedule, bounded by
// MAX_IN_FLIGHT, and reports what happened.
//
// Hot path: the pacer goroutine hands each slot to an idle worker over an
// unbuffered channel, or starts a new worker while fewer than MaxInFlight
// exist; workers record results in atomic counters and a lock-free
// histogram. Nothing on the hot path takes a lock or grows without bound.
// A warm pool of workers, with their connections open (fast client), is
// started before the schedule (see warmUp).
//
// Late: a scheduled slot that is not sent. Either the pacer was more than
// LateTolerance behind it (see package pacer: skipped, no burst), or
// MaxInFlight requests stayed outstanding from its due time until
// LateTolerance after it (the pacer waits for a free slot that long, one
// slot at a time, never queueing). Late slots are counted, never retried.
//
// Max mode (Options.Max): no schedule; MaxInFlight workers send back to
// back (closed model) until Duration or ctx, for throughput measurement.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asm-ready/asm-ready/services/loadgen/internal/h1client"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/histogram"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/pacer"
)

// Options configure a Runner.
type Options struct {
	URL  *url.URL
	Rate float64 // requests per second; ignored when Max
	// Max runs MaxInFlight closed-loop workers back to back instead of
	// pacing: throughput measurement, not a schedule.
	Max             bool
	Duration        time.Duration // 0 = until ctx is done
	MaxInFlight     int
	RequestTimeout  time.Duration
	LateTolerance   time.Duration
	ReportInterval  time.Duration
	ShutdownTimeout time.Duration // drain limit once issuing stops
	UserAgent       string
	// Fast selects package h1client (http:// only) instead of net/http.
	Fast   bool
	Logger *slog.Logger
	Client *http.Client // nil: NewClient(MaxInFlight)
	Clock  pacer.Clock  // nil: the real clock
	// OnDraining is called once, when the runner stops issuing requests.
	OnDraining func()
}

// Counters are cumulative totals since start. All fields are updated
// atomically and may be read at any time.
type Counters struct {
	Sent            atomic.Uint64
	OK              atomic.Uint64 // 2xx
	FailedStatus    atomic.Uint64 // any other status
	FailedTransport atomic.Uint64 // connection errors, timeouts, body read errors
	Aborted         atomic.Uint64 // cancelled when SHUTDOWN_TIMEOUT ran out
	LateBehind      atomic.Uint64 // skipped: pacer more than LateTolerance behind
	LateInFlight    atomic.Uint64 // dropped: MaxInFlight outstanding until due+LateTolerance
	CodeClass       [6]atomic.Uint64
	InFlight        atomic.Int64
}

// Completed is the number of requests that got a response or an error.
func (c *Counters) Completed() uint64 {
	return c.OK.Load() + c.FailedStatus.Load() + c.FailedTransport.Load() + c.Aborted.Load()
}

// Late is the number of slots that were not sent.
func (c *Counters) Late() uint64 { return c.LateBehind.Load() + c.LateInFlight.Load() }

// Summary is the outcome of a run.
type Summary struct {
	Completed, OK, FailedStatus, FailedTransport, Aborted uint64
	Sent, Late, LateBehind, LateInFlight                  uint64
	Elapsed                                               time.Duration // issuing time
	TargetRPS, AchievedRPS                                float64       // TargetRPS 0 in max mode
	MaxMode                                               bool
	P50, P99, Max                                         time.Duration
}

// Runner runs one load test.
type Runner struct {
	opts    Options
	client  *http.Client
	clock   pacer.Clock
	tmpl    *http.Request
	C       Counters
	Latency histogram.Histogram

	h1      *h1client.Client // when Options.Fast
	connsMu sync.Mutex
	conns   []*h1client.Conn // every worker's, to interrupt at drain timeout

	work    chan pacer.Slot
	workers int // owned by the dispatching goroutine
	wg      sync.WaitGroup
	reqCtx  context.Context
	achieve atomic.Uint64 // float64 bits: sent/s over the last interval

	// Waiting for a free in-flight slot (pacer goroutine) and being told
	// of one (workers): waiting is set before InFlight is re-checked and a
	// worker checks it after decrementing InFlight, so no wake-up is lost.
	waiting  atomic.Bool
	freed    chan struct{} // capacity 1: a pending wake-up
	waitTmr  *time.Timer   // owned by the pacer goroutine
	stopping atomic.Bool   // max mode: stop issuing
}

// NewClient returns an HTTP client whose connection pool matches the
// in-flight bound, so every outstanding request can keep its connection
// alive and no more connections than that are ever opened.
func NewClient(maxInFlight int) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           d.DialContext,
			MaxIdleConns:          maxInFlight,
			MaxIdleConnsPerHost:   maxInFlight,
			MaxConnsPerHost:       maxInFlight,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 0, // the per-request context bounds it
			ForceAttemptHTTP2:     true,
		},
		// Redirects are results to count, not to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// New returns a Runner; it does not start anything.
func New(o Options) (*Runner, error) {
	if o.Client == nil {
		o.Client = NewClient(o.MaxInFlight)
	}
	if o.Clock == nil {
		o.Clock = pacer.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	req, err := http.NewRequest(http.MethodGet, o.URL.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("request for %s: %w", o.URL.Redacted(), err)
	}
	if o.UserAgent != "" {
		req.Header.Set("User-Agent", o.UserAgent)
	}
	r := &Runner{opts: o, client: o.Client, clock: o.Clock, tmpl: req, work: make(chan pacer.Slot), freed: make(chan struct{}, 1)}
	if o.Fast {
		if r.h1, err = h1client.New(o.URL, o.UserAgent); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// AchievedRPS is the send rate over the last report interval.
func (r *Runner) AchievedRPS() float64 { return math.Float64frombits(r.achieve.Load()) }

// Options returns the options the runner was built with.
func (r *Runner) Options() Options { return r.opts }

// Run issues requests until ctx is done or Duration has elapsed, drains,
// logs the final interval and the summary, and returns the summary.
func (r *Runner) Run(ctx context.Context) Summary {
	reqCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	r.reqCtx = reqCtx

	var start time.Time
	var p *pacer.Pacer
	if r.opts.Max {
		start = r.clock.Now()
	} else {
		r.warmUp(ctx, warmWorkers(r.opts.Rate, r.opts.MaxInFlight))
		p = pacer.New(r.clock, r.opts.Rate, r.opts.Duration, r.opts.LateTolerance)
		start = p.Start()
	}
	rep := newReporter(r, start)
	repDone := make(chan struct{})
	repStop := make(chan struct{})
	go func() { defer close(repDone); rep.loop(repStop) }()

	if r.opts.Max {
		r.issueMax(ctx)
	} else {
		r.issue(ctx, p)
	}
	stopped := r.clock.Now()
	if r.opts.OnDraining != nil {
		r.opts.OnDraining()
	}
	close(r.work)
	r.drain(abort)
	close(repStop)
	<-repDone
	rep.report(true) // the last, partial interval
	return r.summarize(rep, stopped.Sub(start))
}

// warmWindow sizes the pool of workers started before the schedule: the
// slots of 20 ms. 2 ms would cover the first second (the runtime's 1 ms
// timer resolution plus a round trip); 20 ms also covers a stall mid-run,
// which a shared machine has every few seconds: the catch-up burst then
// goes out on open connections instead of dialing new ones while later
// slots wait. More workers start on demand, up to MaxInFlight.
const warmWindow = 20 * time.Millisecond

// maxWarmUp bounds the wait for the warm pool's connections: a server that
// does not answer a dial must not hold the schedule back for long.
const maxWarmUp = time.Second

// warmWorkers is the size of the warm pool for a paced rate: rate ×
// warmWindow, at least 1, at most maxInFlight.
func warmWorkers(rate float64, maxInFlight int) int {
	n := math.Ceil(rate * warmWindow.Seconds())
	if !(n >= 1) { // also NaN
		n = 1
	}
	return int(min(n, float64(maxInFlight)))
}

// warmUp starts n idle workers and, with the fast client, dials their
// connections, and returns when they are ready (or after maxWarmUp, or when
// ctx is done). The schedule starts after it. Without it, every slot due
// before the first response started a worker that dialed its own
// connection: at 20,000 rps the first request reached the server 15-30 ms
// after the schedule started, and the server saw every later second
// shifted by that much (issue 8). A dial that fails here is not a request:
// the worker dials again on its first request, which counts as usual.
func (r *Runner) warmUp(ctx context.Context, n int) {
	ctx, cancel := context.WithTimeout(ctx, maxWarmUp)
	defer cancel()
	deadline := time.Now().Add(min(maxWarmUp, r.opts.RequestTimeout))
	var ready sync.WaitGroup
	ready.Add(n)
	r.workers += n
	r.wg.Add(n)
	for range n {
		go r.warmWorker(ctx, deadline, &ready)
	}
	ready.Wait()
}

func (r *Runner) issue(ctx context.Context, p *pacer.Pacer) {
	limit := int64(r.opts.MaxInFlight)
	for {
		s, err := p.Next(ctx)
		if s.Skipped > 0 {
			r.C.LateBehind.Add(s.Skipped)
		}
		if err != nil {
			return
		}
		// Only this goroutine increments InFlight, so once it is below the
		// limit it stays below until the Add below.
		if r.C.InFlight.Load() >= limit {
			if ok, err := r.waitFree(ctx, limit, s.Due.Add(r.opts.LateTolerance)); err != nil {
				return
			} else if !ok {
				r.C.LateInFlight.Add(1)
				continue
			}
		}
		r.C.InFlight.Add(1)
		r.C.Sent.Add(1)
		select {
		case r.work <- s: // an idle worker took it
		default:
			if r.workers < r.opts.MaxInFlight {
				r.workers++
				r.wg.Add(1)
				go r.worker(s)
			} else {
				// All workers exist and at most limit-1 are busy, so one
				// is about to receive: this blocks only briefly.
				r.work <- s
			}
		}
	}
}

// waitFree waits until fewer than limit requests are in flight (true), or
// until deadline (false), or ctx is done (its error). The pacer's schedule
// is absolute, so time spent here is caught up afterwards within
// LateTolerance and never shifts later slots. Only the pacer goroutine
// calls it; the wait is on the real clock, as requests complete in real time.
func (r *Runner) waitFree(ctx context.Context, limit int64, deadline time.Time) (bool, error) {
	d := deadline.Sub(r.clock.Now())
	if d <= 0 {
		return false, nil
	}
	r.waiting.Store(true)
	defer r.waiting.Store(false)
	if r.waitTmr == nil {
		r.waitTmr = time.NewTimer(d)
	} else {
		r.waitTmr.Reset(d) // Go >= 1.23: no stale tick after Stop
	}
	defer r.waitTmr.Stop()
	for {
		if r.C.InFlight.Load() < limit {
			return true, nil
		}
		select {
		case <-r.freed:
		case <-r.waitTmr.C:
			return r.C.InFlight.Load() < limit, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// release ends one request's in-flight accounting and wakes a waiting pacer.
func (r *Runner) release() {
	r.C.InFlight.Add(-1)
	if r.waiting.Load() {
		select {
		case r.freed <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// issueMax runs MaxInFlight closed-loop workers until Duration or ctx.
func (r *Runner) issueMax(ctx context.Context) {
	if r.opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.opts.Duration)
		defer cancel()
	}
	r.workers = r.opts.MaxInFlight
	r.wg.Add(r.opts.MaxInFlight)
	for range r.opts.MaxInFlight {
		go r.maxWorker()
	}
	<-ctx.Done()
	r.stopping.Store(true)
}

func (r *Runner) maxWorker() {
	defer r.wg.Done()
	w := r.newWorkerState()
	if w.conn != nil {
		defer w.conn.Close()
	}
	for !r.stopping.Load() {
		r.C.InFlight.Add(1)
		r.C.Sent.Add(1)
		// Closed model: the request is due when the previous one ended.
		r.do(pacer.Slot{Due: r.clock.Now()}, w)
	}
}

// drain waits for outstanding requests up to ShutdownTimeout, then cancels
// the rest and waits for them to return.
func (r *Runner) drain(abort context.CancelFunc) {
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	t := time.NewTimer(r.opts.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		r.opts.Logger.Warn("shutdown timeout reached, aborting requests in flight",
			"in_flight", r.C.InFlight.Load(), "shutdown_timeout", r.opts.ShutdownTimeout.String())
		abort()
		r.connsMu.Lock()
		for _, c := range r.conns {
			c.Interrupt()
		}
		r.connsMu.Unlock()
		<-done
	}
}

// workerState is what a worker reuses across requests.
type workerState struct {
	buf  []byte         // drain buffer (net/http path)
	conn *h1client.Conn // its own connection (fast path)
}

func (r *Runner) newWorkerState() *workerState {
	w := &workerState{}
	if r.h1 != nil {
		w.conn = r.h1.NewConn()
		r.connsMu.Lock()
		r.conns = append(r.conns, w.conn)
		r.connsMu.Unlock()
	} else {
		w.buf = make([]byte, 512)
	}
	return w
}

// worker is started for slot s when no worker was idle.
func (r *Runner) worker(s pacer.Slot) {
	defer r.wg.Done()
	w := r.newWorkerState()
	if w.conn != nil {
		defer w.conn.Close()
	}
	r.do(s, w)
	r.serve(w)
}

// warmWorker connects before the schedule starts, then waits for slots.
func (r *Runner) warmWorker(ctx context.Context, deadline time.Time, ready *sync.WaitGroup) {
	defer r.wg.Done()
	w := r.newWorkerState()
	if w.conn != nil {
		defer w.conn.Close()
		if err := w.conn.Connect(ctx, deadline); err != nil {
			r.opts.Logger.Debug("warm-up connection failed; dialing again on the first request", "error", err.Error())
		}
	}
	ready.Done()
	r.serve(w)
}

func (r *Runner) serve(w *workerState) {
	for s := range r.work {
		r.do(s, w)
	}
}

// maxDrain bounds how much of a response body is read for connection
// reuse; a bigger body costs a new connection rather than unbounded reads.
const maxDrain = 64 << 10

func (r *Runner) do(s pacer.Slot, w *workerState) {
	var status int
	var err error
	if w.conn != nil {
		status, err = w.conn.Get(time.Now().Add(r.opts.RequestTimeout))
	} else {
		ctx, cancel := context.WithTimeout(r.reqCtx, r.opts.RequestTimeout)
		var resp *http.Response
		resp, err = r.client.Do(r.tmpl.WithContext(ctx))
		if err == nil {
			status = resp.StatusCode
			err = drainBody(resp.Body, w.buf)
		}
		cancel()
	}
	// Latency from the intended send time: a slow server delays nothing
	// else's measurement (no coordinated omission).
	r.Latency.Record(r.clock.Now().Sub(s.Due))
	switch {
	case err != nil && r.reqCtx.Err() != nil:
		r.C.Aborted.Add(1)
	case err != nil:
		r.C.FailedTransport.Add(1)
		r.opts.Logger.Debug("request failed", "error", err.Error())
	default:
		c := status / 100
		if c < 1 || c > 5 {
			c = 0
		}
		r.C.CodeClass[c].Add(1)
		if c == 2 {
			r.C.OK.Add(1)
		} else {
			r.C.FailedStatus.Add(1)
		}
	}
	r.release()
}

func drainBody(body io.ReadCloser, buf []byte) error {
	var n int
	var err error
	for read := 0; read < maxDrain; read += n {
		n, err = body.Read(buf)
		if err != nil {
			break
		}
	}
	body.Close()
	if errors.Is(err, io.EOF) || err == nil {
		return nil
	}
	return err
}

func (r *Runner) summarize(rep *reporter, elapsed time.Duration) Summary {
	s := Summary{
		OK:              r.C.OK.Load(),
		FailedStatus:    r.C.FailedStatus.Load(),
		FailedTransport: r.C.FailedTransport.Load(),
		Aborted:         r.C.Aborted.Load(),
		Sent:            r.C.Sent.Load(),
		LateBehind:      r.C.LateBehind.Load(),
		LateInFlight:    r.C.LateInFlight.Load(),
		Elapsed:         elapsed,
		TargetRPS:       r.opts.Rate,
		MaxMode:         r.opts.Max,
	}
	if s.MaxMode {
		s.TargetRPS = 0
	}
	s.Completed = s.OK + s.FailedStatus + s.FailedTransport + s.Aborted
	s.Late = s.LateBehind + s.LateInFlight
	if elapsed > 0 {
		s.AchievedRPS = float64(s.Sent) / elapsed.Seconds()
	}
	var all histogram.Snapshot
	r.Latency.Snapshot(&all)
	s.P50, s.P99, s.Max = all.Quantile(0.50), all.Quantile(0.99), all.Quantile(1)

	r.opts.Logger.Info(fmt.Sprintf("Summary: %d request(s) complete to %s", s.Completed, r.opts.URL.Redacted()),
		"completed", s.Completed,
		"ok", s.OK,
		"failed_status", s.FailedStatus,
		"failed_transport", s.FailedTransport,
		"aborted", s.Aborted,
		"sent", s.Sent,
		"late", s.Late,
		"late_behind_schedule", s.LateBehind,
		"late_in_flight_limit", s.LateInFlight,
		"elapsed_s", round3(s.Elapsed.Seconds()),
		"target_rps", s.TargetRPS,
		"max_mode", s.MaxMode,
		"achieved_rps", round3(s.AchievedRPS),
		"p50_ms", ms(s.P50),
		"p99_ms", ms(s.P99),
		"max_ms", ms(s.Max),
	)
	return s
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
