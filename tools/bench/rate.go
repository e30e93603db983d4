package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// counter answers every request and records when each arrived, so the rate
// is judged where users see it: at the server.
type counter struct {
	start time.Time
	mu    sync.Mutex
	at    []time.Duration // since start
}

func (c *counter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	t := time.Since(c.start)
	c.mu.Lock()
	c.at = append(c.at, t)
	c.mu.Unlock()
	_, _ = io.WriteString(w, "Hello World!")
}

// accuracy is how a run of rate requests a second for dur arrived.
type accuracy struct {
	counted, target int     // arrivals in the run's span; rate × dur
	windows         int     // whole 1-second windows in the span
	worst           float64 // largest |count/rate - 1| of those windows
}

func (a accuracy) overall() float64 { return float64(a.counted)/float64(a.target) - 1 }

// judge counts arrivals (in order) against rate over dur. The span and its
// 1-second windows start half a request interval before the first arrival:
// a request a little early or late then still falls in the window it was due
// in (at 10 rps, windows starting at the first arrival would let 1 ms of
// jitter move a request across every boundary).
func judge(at []time.Duration, rate float64, dur time.Duration) accuracy {
	a := accuracy{target: int(math.Round(rate * dur.Seconds())), windows: int(dur / time.Second), worst: 1}
	if len(at) == 0 {
		return a
	}
	from := at[0] - time.Duration(float64(time.Second)/rate/2)
	counts := make([]int, a.windows)
	for _, t := range at {
		if t-from >= dur {
			break
		}
		a.counted++
		if k := int((t - from) / time.Second); k < a.windows {
			counts[k]++
		}
	}
	a.worst = 0
	for _, n := range counts {
		a.worst = max(a.worst, math.Abs(float64(n)/rate-1))
	}
	return a
}

// rateRun is one client's run at a rate: where its requests arrived, and
// its CPU and peak memory while it ran (loadgen's only).
type rateRun struct {
	accuracy
	millicores float64
	peak       int64
}

// runRate runs loadgen, or else fortio in its paced mode, at rate against
// a fresh counting server: for 20 s below 100 rps, so the windows hold more
// than a handful of requests, else 10 s. fortio gets a connection per 500
// rps, 2 ms a request, far more than a loopback answer takes; each sends one
// warm-up request before the run, and those arrivals are left out.
func (b *bench) runRate(rate float64, loadgen bool) (rateRun, error) {
	dur := 10 * time.Second
	if rate < 100 {
		dur = 20 * time.Second
	}
	c := &counter{start: time.Now()}
	srv := httptest.NewServer(c)
	defer srv.Close()
	var r rateRun
	warmups := max(1, int(rate/500))
	if loadgen {
		warmups = 0
		admin, err := freePort()
		if err != nil {
			return rateRun{}, err
		}
		env := []string{"SERVER_ADDR=" + srv.URL + "/", "REQUESTS_PER_SECOND=" + fmtRate(rate), "DURATION=" + dur.String(), "PORT=" + admin}
		p, err := b.start(dur+30*time.Second, env, b.path("loadgen"))
		if err != nil {
			return rateRun{}, err
		}
		var serr error
		r.millicores, r.peak, serr = sample(p)
		if err := errors.Join(p.wait(), serr); err != nil {
			return rateRun{}, err
		}
	} else if _, err := b.fortio(srv.URL+"/", rate, warmups, dur); err != nil {
		return rateRun{}, err
	}
	srv.Close() // waits for the requests in flight
	slices.Sort(c.at)
	// fortio fails unless every warm-up request was answered: c.at holds them.
	r.accuracy = judge(c.at[warmups:], rate, dur)
	return r, nil
}

func (b *bench) rateRows(chart chartLoadgen) ([]row, error) {
	rates := []float64{10, 1000, 10000}
	if !slices.Contains(rates, chart.RequestsPerSecond) {
		rates = append([]float64{chart.RequestsPerSecond}, rates...)
	}
	var rows []row
	runs := map[float64]rateRun{}
	for _, rate := range rates {
		l, err := b.runRate(rate, true)
		if err != nil {
			return nil, err
		}
		f, err := b.runRate(rate, false)
		if err != nil {
			return nil, err
		}
		runs[rate] = l
		at := fmt.Sprintf("loadgen at %s rps", fmtRate(rate))
		rows = append(rows,
			row{at + ": requests in its span / target (fortio beside)",
				fmt.Sprintf("%d / %d = %.4f (fortio %.4f)", l.counted, l.target, 1+l.overall(), 1+f.overall()),
				"within 0.1%", judged(math.Abs(l.overall()) <= 0.001)},
			row{fmt.Sprintf("%s: worst of %d 1-second windows (fortio beside)", at, l.windows),
				fmt.Sprintf("%.2f%% off (fortio %.2f%%)", 100*l.worst, 100*f.worst), "within 1%", judged(l.worst <= 0.01)})
	}
	for _, u := range []struct {
		rate      float64
		which     string
		resources corev1.ResourceList
	}{{chart.RequestsPerSecond, "request", chart.Resources.Requests}, {1000, "limit", chart.Resources.Limits}} {
		l, cpu, mem := runs[u.rate], u.resources.Cpu(), u.resources.Memory()
		rows = append(rows,
			row{fmt.Sprintf("loadgen CPU at %s rps", fmtRate(u.rate)), fmt.Sprintf("%.0f millicores", l.millicores),
				fmt.Sprintf("<= the chart's %s, %s", u.which, cpu), judged(l.millicores <= float64(cpu.MilliValue()))},
			row{fmt.Sprintf("loadgen peak RSS at %s rps", fmtRate(u.rate)), fmt.Sprintf("%.1f MiB", float64(l.peak)/(1<<20)),
				fmt.Sprintf("<= the chart's %s, %s", u.which, mem), judged(l.peak <= mem.Value())})
	}
	return rows, nil
}

func fmtRate(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) }

// chartLoadgen is what the chart sets for loadgen that the benchmark
// measures against: its rate, and its CPU and memory requests and limits
// (one not set reads as 0, and its row as not met).
type chartLoadgen struct {
	RequestsPerSecond float64                     `json:"requestsPerSecond"`
	Resources         corev1.ResourceRequirements `json:"resources"`
}

func readChart(path string) (chartLoadgen, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return chartLoadgen{}, err
	}
	var values struct {
		Loadgen chartLoadgen `json:"loadgen"`
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		return chartLoadgen{}, fmt.Errorf("%s: %w", path, err)
	}
	l := values.Loadgen
	if l.RequestsPerSecond <= 0 {
		return l, fmt.Errorf("%s: loadgen.requestsPerSecond is %v: set the chart's rate, a number > 0", path, l.RequestsPerSecond)
	}
	return l, nil
}
