package runner

import "github.com/prometheus/client_golang/prometheus"

// latencyBuckets are the bounds, in seconds, of the exported latency histogram.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

type metrics struct {
	requests *prometheus.CounterVec
	late     *prometheus.CounterVec
	duration prometheus.Histogram
}

func newMetrics() metrics {
	m := metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgen_requests_total",
			Help: "Completed requests by status code class (1xx..5xx, other; error when there was no response) and result.",
		}, []string{"code_class", "result"}),
		late: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgen_late_total",
			Help: "Scheduled requests not sent: behind_schedule (pacer more than LATE_TOLERANCE behind) or in_flight_limit (MAX_IN_FLIGHT outstanding until LATE_TOLERANCE after the due time).",
		}, []string{"reason"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "loadgen_request_duration_seconds",
			Help:    "Request latency measured from the scheduled send time to the end of the response body.",
			Buckets: latencyBuckets,
		}),
	}
	// Every series exists from the start, at 0.
	for _, class := range classNames {
		result := resultNames[failedStatus]
		if class == "2xx" {
			result = resultNames[ok]
		}
		m.requests.WithLabelValues(class, result)
	}
	m.requests.WithLabelValues("error", resultNames[failedTransport])
	m.requests.WithLabelValues("error", resultNames[aborted])
	for _, reason := range lateReasons {
		m.late.WithLabelValues(reason)
	}
	return m
}

// Collectors returns the runner's metrics, to be registered.
func (r *Runner) Collectors() []prometheus.Collector {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	return []prometheus.Collector{
		r.metrics.requests, r.metrics.late, r.metrics.duration,
		gauge("loadgen_in_flight_requests", "Requests sent and not yet completed.",
			func() float64 { return float64(len(r.sem)) }),
		gauge("loadgen_target_requests_per_second", "Requested rate (REQUESTS_PER_SECOND; 0 in max mode).",
			func() float64 { return r.opts.RequestsPerSecond }),
		gauge("loadgen_achieved_requests_per_second", "Send rate over the last report interval.",
			func() float64 { r.mu.Lock(); defer r.mu.Unlock(); return r.achieved }),
		gauge("loadgen_max_in_flight", "Bound on outstanding requests (MAX_IN_FLIGHT).",
			func() float64 { return float64(r.opts.MaxInFlight) }),
	}
}
