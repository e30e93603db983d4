package runner

import (
	"fmt"
	"math"
	"time"

	"github.com/asm-ready/asm-ready/services/loadgen/internal/histogram"
)

// reporter logs one line per interval from differences of the cumulative
// counters and histogram, so the hot path never resets anything.
type reporter struct {
	r        *Runner
	last     time.Time
	prev     totals
	prevHist histogram.Snapshot
	cur      histogram.Snapshot
	delta    histogram.Snapshot
}

type totals struct{ ok, status, transport, aborted, sent, late uint64 }

func newReporter(r *Runner, start time.Time) *reporter {
	return &reporter{r: r, last: start}
}

func (p *reporter) loop(stop <-chan struct{}) {
	t := time.NewTicker(p.r.opts.ReportInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.report(false)
		case <-stop:
			return
		}
	}
}

// report logs the interval since the last call. final skips an empty last
// interval (nothing completed, sent or late): the lines still add up.
func (p *reporter) report(final bool) {
	c := &p.r.C
	now := p.r.clock.Now()
	// Read latency before counters: every request counted below has
	// recorded its latency already (the histogram may hold a few more).
	p.r.Latency.Snapshot(&p.cur)
	t := totals{c.OK.Load(), c.FailedStatus.Load(), c.FailedTransport.Load(), c.Aborted.Load(), c.Sent.Load(), c.Late()}
	d := totals{t.ok - p.prev.ok, t.status - p.prev.status, t.transport - p.prev.transport,
		t.aborted - p.prev.aborted, t.sent - p.prev.sent, t.late - p.prev.late}
	p.delta.Sub(&p.cur, &p.prevHist)
	p.prevHist, p.prev = p.cur, t

	if secs := now.Sub(p.last).Seconds(); secs > 0 {
		p.r.achieve.Store(math.Float64bits(float64(d.sent) / secs))
	}
	p.last = now
	n := d.ok + d.status + d.transport + d.aborted
	if final && n == 0 && d.sent == 0 && d.late == 0 {
		return
	}
	attrs := []any{
		"ok", d.ok,
		"failed_status", d.status,
		"failed_transport", d.transport,
		"late", d.late,
		"sent", d.sent,
		"p50_ms", ms(p.delta.Quantile(0.50)),
		"p99_ms", ms(p.delta.Quantile(0.99)),
		"in_flight", c.InFlight.Load(),
	}
	if d.aborted > 0 {
		attrs = append(attrs, "aborted", d.aborted)
	}
	p.r.opts.Logger.Info(fmt.Sprintf("%d request(s) complete to %s", n, p.r.opts.URL.Redacted()), attrs...)
}
