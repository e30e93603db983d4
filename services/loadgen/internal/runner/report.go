package runner

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"time"

	"github.com/asm-ready/asm-ready/services/loadgen/internal/histogram"
)

// kind is what happened to a scheduled request.
type kind int

const (
	sent            kind = iota
	ok                   // 2xx
	failedStatus         // any other status
	failedTransport      // no response, or its body could not be read
	aborted              // cancelled when ShutdownTimeout ran out
	lateBehind           // skipped: the pacer was more than LateTolerance behind
	lateInFlight         // not sent: MaxInFlight outstanding until LateTolerance after its due time
	numKinds
)

type counts [numKinds]uint64

func (c *counts) completed() uint64 { return c[ok] + c[failedStatus] + c[failedTransport] + c[aborted] }

func (c *counts) late() uint64 { return c[lateBehind] + c[lateInFlight] }

var (
	resultNames = map[kind]string{ok: "ok", failedStatus: "failed_status", failedTransport: "failed_transport", aborted: "aborted"}
	lateReasons = map[kind]string{lateBehind: "behind_schedule", lateInFlight: "in_flight_limit"}
	classNames  = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}
)

// Summary is the outcome of a run.
type Summary struct {
	Completed, OK, FailedStatus, FailedTransport, Aborted uint64
	Sent, Late, LateBehind, LateInFlight                  uint64
	Elapsed                                               time.Duration // from the first due time until issuing stopped
	TargetRPS, AchievedRPS                                float64       // TargetRPS is 0 in max mode
	MaxMode                                               bool
	P50, P99, Max                                         time.Duration
}

func (r *Runner) add(k kind, n uint64) {
	if n == 0 {
		return
	}
	if reason, ok := lateReasons[k]; ok {
		r.metrics.late.WithLabelValues(reason).Add(float64(n))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total[k] += n
	r.interval[k] += n
}

func (r *Runner) record(status int, err error, latency time.Duration) {
	k, class, why := failedStatus, classNames[0], ""
	switch {
	case err != nil && r.reqCtx.Err() != nil:
		k, class = aborted, "error"
	case err != nil:
		k, class, why = failedTransport, "error", reason(err)
		r.opts.Logger.Debug("request failed", "error", err.Error())
	default:
		if c := status / 100; c >= 1 && c <= 5 {
			class = classNames[c]
		}
		if class == "2xx" {
			k = ok
		}
	}
	r.metrics.requests.WithLabelValues(class, resultNames[k]).Inc()
	r.metrics.duration.Observe(latency.Seconds())
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total[k]++
	r.interval[k]++
	r.totalLat.Record(latency)
	r.lat.Record(latency)
	if why != "" {
		r.errs[why]++
	}
}

// reason names a transport error briefly and without addresses, so the
// errors of an interval can be counted by kind.
func reason(err error) string {
	var ne net.Error
	var dns *net.DNSError
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &dns):
		return dns.Err // "no such host", ...
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	}
	// The innermost error: a system call's ("connection refused",
	// "connection reset by peer") or the library's own words.
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
		err = u
	}
	if msg := err.Error(); len(msg) > 80 {
		return msg[:80] + "..."
	}
	return err.Error()
}

// reportEvery logs an interval line every d until the returned func is called.
func (r *Runner) reportEvery(d time.Duration) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.report(false)
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// report logs the interval since the last report. The final, partial
// interval is not logged when nothing happened in it.
func (r *Runner) report(final bool) {
	r.mu.Lock()
	now := time.Now()
	d, lat, errs := r.interval, r.lat, r.errs
	r.interval, r.lat, r.errs = counts{}, histogram.Histogram{}, map[string]uint64{}
	if secs := now.Sub(r.lastReport).Seconds(); secs > 0 {
		r.achieved = float64(d[sent]) / secs
	}
	r.lastReport = now
	r.mu.Unlock()

	n := d.completed()
	if final && n == 0 && d[sent] == 0 && d.late() == 0 {
		return
	}
	attrs := []any{
		"ok", d[ok],
		"failed_status", d[failedStatus],
		"failed_transport", d[failedTransport],
		"late", d.late(),
		"sent", d[sent],
		"p50_ms", ms(lat.Quantile(0.50)),
		"p99_ms", ms(lat.Quantile(0.99)),
		"in_flight", len(r.sem),
	}
	if d[aborted] > 0 {
		attrs = append(attrs, "aborted", d[aborted])
	}
	if d[failedTransport] > 0 {
		why, count := mostFrequent(errs)
		attrs = append(attrs, "transport_error", why, "transport_error_count", count)
	}
	r.opts.Logger.Info(fmt.Sprintf("%d request(s) complete to %s", n, r.opts.URL.Redacted()), attrs...)
}

// mostFrequent returns the reason with the highest count (ties: the first
// by name, so the line is deterministic).
func mostFrequent(errs map[string]uint64) (string, uint64) {
	var why string
	var n uint64
	for k, v := range errs {
		if v > n || (v == n && k < why) {
			why, n = k, v
		}
	}
	return why, n
}

func (r *Runner) summarize(elapsed time.Duration) Summary {
	r.mu.Lock()
	c := r.total
	s := Summary{
		Completed: c.completed(), OK: c[ok], FailedStatus: c[failedStatus], FailedTransport: c[failedTransport],
		Aborted: c[aborted], Sent: c[sent], Late: c.late(), LateBehind: c[lateBehind], LateInFlight: c[lateInFlight],
		Elapsed: elapsed, MaxMode: r.opts.MaxMode, TargetRPS: r.opts.RequestsPerSecond,
		P50: r.totalLat.Quantile(0.50), P99: r.totalLat.Quantile(0.99), Max: r.totalLat.Quantile(1),
	}
	r.mu.Unlock()
	if elapsed > 0 {
		s.AchievedRPS = float64(s.Sent) / elapsed.Seconds()
	}
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
