// Package runner sends GET requests to one URL on the pacer's schedule (or,
// in max mode, back to back), with at most MaxInFlight outstanding, and
// logs what happened every ReportInterval and once at the end.
//
// Late: a scheduled request that is not sent. Either the pacer was more
// than LateTolerance behind it (package pacer skips it, no burst), or
// MaxInFlight requests stayed outstanding from its due time until
// LateTolerance after it. Late requests are counted, never queued.
package runner

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/asm-ready/asm-ready/services/loadgen/config"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/histogram"
	"github.com/asm-ready/asm-ready/services/loadgen/internal/pacer"
)

// Options configure a Runner: the load the configuration describes, and
// what the program around it adds.
type Options struct {
	config.Config
	UserAgent  string
	Logger     *slog.Logger
	OnDraining func() // called once, when issuing stops
}

// connectTimeout bounds the TCP connect and the TLS handshake.
const connectTimeout = 5 * time.Second

// maxDrain bounds how much of a response body is read so that its
// connection can be reused; a bigger body costs a new connection instead.
const maxDrain = 64 << 10

// Runner runs one load test.
type Runner struct {
	opts    Options
	client  *http.Client
	sem     chan struct{} // one token per request in flight
	wg      sync.WaitGroup
	reqCtx  context.Context // cancelled when the drain runs out of time
	metrics metrics
	onWait  func() // tests: a due request waits for a free token
	dialer  *warmDialer

	mu         sync.Mutex // guards the fields below
	total      counts
	interval   counts
	totalLat   histogram.Histogram
	lat        histogram.Histogram // of the interval
	errs       map[string]uint64   // transport errors of the interval, by reason
	lastReport time.Time           // start of the interval
	achieved   float64             // sent per second over the last interval
}

// New returns a Runner; it starts nothing.
func New(o Options) *Runner {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	dialer := newWarmDialer(o.URL, o.MaxInFlight)
	r := &Runner{
		opts:   o,
		dialer: dialer,
		client: &http.Client{
			// At most MaxInFlight connections, all kept open between
			// requests: a steady rate reuses them instead of dialing.
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				DialContext:         dialer.DialContext,
				TLSHandshakeTimeout: connectTimeout,
				MaxConnsPerHost:     o.MaxInFlight,
				MaxIdleConns:        o.MaxInFlight,
				MaxIdleConnsPerHost: o.MaxInFlight,
				IdleConnTimeout:     90 * time.Second,
				ForceAttemptHTTP2:   true,
			},
			Timeout: o.RequestTimeout, // connect to the end of the body
			// Redirects are results to count, not to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		sem:  make(chan struct{}, o.MaxInFlight),
		errs: map[string]uint64{},
	}
	r.metrics = newMetrics()
	return r
}

// Run sends requests until ctx is done or Duration has passed, drains,
// logs the last interval and the summary, and returns the summary.
func (r *Runner) Run(ctx context.Context) Summary {
	// Requests outlive ctx: a stop signal ends issuing, not what is in flight.
	reqCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	r.reqCtx = reqCtx

	var p *pacer.Pacer
	start := time.Now()
	if !r.opts.MaxMode {
		r.dialer.warm(ctx, r.opts.RequestsPerSecond)
		p = pacer.New(pacer.RealClock{}, r.opts.RequestsPerSecond, r.opts.Duration, r.opts.LateTolerance)
		start = p.Start()
	}
	r.lastReport = start
	stopReports := r.reportEvery(r.opts.ReportInterval)

	if r.opts.MaxMode {
		r.issueMax(ctx)
	} else {
		r.issue(ctx, p)
	}
	elapsed := time.Since(start)
	if r.opts.OnDraining != nil {
		r.opts.OnDraining()
	}
	r.drain(abort)
	stopReports()
	r.report(true)
	return r.summarize(elapsed)
}

func (r *Runner) issue(ctx context.Context, p *pacer.Pacer) {
	for {
		s, err := p.Next(ctx)
		r.add(lateBehind, s.Skipped)
		if err != nil {
			return
		}
		if !r.acquire(ctx, s.Due.Add(r.opts.LateTolerance)) {
			if ctx.Err() != nil {
				return
			}
			r.add(lateInFlight, 1)
			continue
		}
		r.wg.Go(func() { r.send(s.Due) })
	}
}

// acquire takes an in-flight token, waiting until deadline at most. The
// schedule is absolute, so time spent waiting here is caught up afterwards
// (within LateTolerance) and never shifts later requests.
func (r *Runner) acquire(ctx context.Context, deadline time.Time) bool {
	select {
	case r.sem <- struct{}{}:
		return true
	default:
	}
	if r.onWait != nil {
		r.onWait()
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case r.sem <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// issueMax runs MaxInFlight closed-loop workers until Duration or ctx.
func (r *Runner) issueMax(ctx context.Context) {
	if r.opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.opts.Duration)
		defer cancel()
	}
	for range r.opts.MaxInFlight {
		r.wg.Go(func() {
			for ctx.Err() == nil {
				r.sem <- struct{}{} // never blocks: one token per worker
				// Closed model: a request is due when the previous one ended.
				r.send(time.Now())
			}
		})
	}
	<-ctx.Done()
}

// drain waits for requests in flight up to ShutdownTimeout, then cancels
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
			"in_flight", len(r.sem), "shutdown_timeout", r.opts.ShutdownTimeout.String())
		abort()
		<-done
	}
}

// send performs one request holding a token, records it and returns the token.
func (r *Runner) send(due time.Time) {
	r.add(sent, 1)
	status, err := r.get()
	// Latency from the intended send time: a slow server cannot hide the
	// requests it delayed (no coordinated omission).
	r.record(status, err, time.Since(due))
	<-r.sem
}

func (r *Runner) get() (int, error) {
	req, err := http.NewRequestWithContext(r.reqCtx, http.MethodGet, r.opts.URL.String(), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", r.opts.UserAgent)
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Reading the body to its end returns the connection for reuse.
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	return resp.StatusCode, err
}
