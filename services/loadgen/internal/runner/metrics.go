package runner

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/asm-ready/asm-ready/services/loadgen/internal/histogram"
)

// latencyBounds are the Prometheus histogram buckets, in seconds, derived at
// scrape time from the internal histogram.
var latencyBounds = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// collector exports the runner's atomic counters at scrape time, so metrics
// add nothing to the per-request cost.
type collector struct {
	r                                 *Runner
	requests, latency, inFlight, late *prometheus.Desc
	target, achieved, maxInFlight     *prometheus.Desc
	bounds                            []time.Duration
}

// Collector returns a prometheus.Collector for r's metrics.
func (r *Runner) Collector() prometheus.Collector {
	c := &collector{
		r: r,
		requests: prometheus.NewDesc("loadgen_requests_total",
			"Completed requests by status code class (1xx..5xx, error for transport failures, aborted at drain timeout) and result.",
			[]string{"code_class", "result"}, nil),
		latency: prometheus.NewDesc("loadgen_request_duration_seconds",
			"Request latency measured from the scheduled send time to the end of the response body.", nil, nil),
		inFlight: prometheus.NewDesc("loadgen_in_flight_requests",
			"Requests sent and not yet completed.", nil, nil),
		late: prometheus.NewDesc("loadgen_late_total",
			"Scheduled requests not sent: behind_schedule (pacer more than LATE_TOLERANCE behind) or in_flight_limit (MAX_IN_FLIGHT outstanding until LATE_TOLERANCE after the due time).",
			[]string{"reason"}, nil),
		target: prometheus.NewDesc("loadgen_target_requests_per_second",
			"Requested rate (REQUESTS_PER_SECOND; 0 in max mode).", nil, nil),
		achieved: prometheus.NewDesc("loadgen_achieved_requests_per_second",
			"Send rate over the last report interval.", nil, nil),
		maxInFlight: prometheus.NewDesc("loadgen_max_in_flight",
			"Bound on outstanding requests (MAX_IN_FLIGHT).", nil, nil),
	}
	for _, b := range latencyBounds {
		c.bounds = append(c.bounds, time.Duration(b*float64(time.Second)))
	}
	return c
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.requests, c.latency, c.inFlight, c.late, c.target, c.achieved, c.maxInFlight} {
		ch <- d
	}
}

var classNames = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	k := &c.r.C
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	for i, name := range classNames {
		result := "failed_status"
		if i == 2 {
			result = "ok"
		}
		counter(c.requests, k.CodeClass[i].Load(), name, result)
	}
	counter(c.requests, k.FailedTransport.Load(), "error", "failed_transport")
	counter(c.requests, k.Aborted.Load(), "error", "aborted")
	counter(c.late, k.LateBehind.Load(), "behind_schedule")
	counter(c.late, k.LateInFlight.Load(), "in_flight_limit")
	gauge(c.inFlight, float64(k.InFlight.Load()))
	gauge(c.target, c.r.opts.Rate)
	gauge(c.achieved, c.r.AchievedRPS())
	gauge(c.maxInFlight, float64(c.r.opts.MaxInFlight))

	var s histogram.Snapshot
	c.r.Latency.Snapshot(&s)
	cum := s.CumulativeAt(c.bounds)
	buckets := make(map[float64]uint64, len(latencyBounds))
	for i, b := range latencyBounds {
		buckets[b] = cum[i]
	}
	// The sum is estimated from bucket midpoints: exact sums would need a
	// second atomic add per request for a number nobody alerts on.
	ch <- prometheus.MustNewConstHistogram(c.latency, s.Total(), s.ApproxSum().Seconds(), buckets)
}
