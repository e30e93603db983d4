package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/asm-ready/asm-ready/tools/bench/internal/launch"
	"github.com/asm-ready/asm-ready/tools/bench/internal/parse"
	"github.com/asm-ready/asm-ready/tools/bench/internal/record"
)

// Client names, in report order.
const (
	cLoadgen = "loadgen"
	cFortio  = "fortio"
	cVegeta  = "vegeta"
	cWrk     = "wrk"
)

var (
	rateClients = []string{cLoadgen, cFortio, cVegeta}
	maxClients  = []string{cWrk, cFortio, cVegeta, cLoadgen}
)

// clientOpts shape one paced client run.
type clientOpts struct {
	rate        float64 // 0: as fast as possible (fortio, vegeta, wrk only)
	dur         time.Duration
	conns       int // fortio -c, vegeta -max-workers (max mode), wrk -c; 0: the client's default
	maxInFlight int // loadgen MAX_IN_FLIGHT; 0: its default
	sample      time.Duration
}

// clientRun is what one client did, from its own report and the server's.
type clientRun struct {
	client    string
	rate      float64
	dur       time.Duration
	server    record.Analysis // zero when not run against the recorder
	completed int64           // as the client reports it
	ok        int64
	p50, p99  time.Duration
	late      int64 // loadgen's late count; -1: the client does not report one
	inFlight  int64 // highest in-flight the client reported; -1: unknown
	cpu       time.Duration
	waited    time.Duration // run-queue wait: runnable, but another process had the CPU
	// serverWaited is the recording server's run-queue wait during the run
	// (against the recorder only).
	serverWaited time.Duration
	maxRSSKB     int64
	rssTrace     []int64
	wall         time.Duration
	note         string
	round        int // with -repeat: which run of this rate and client (from 1); 0 otherwise
	// killedAfter is set when a comparison client did not finish in time
	// and was killed: its own report is lost; against the recording server
	// (rate and slow-server sections) what the server saw is kept, in max
	// mode nothing is.
	killedAfter time.Duration
}

// fortioConns picks fortio's connection count for a rate: each connection
// is a closed loop, so a high rate needs several; 1 up to 100 rps keeps the
// lowest rates exact.
func fortioConns(rate float64) int {
	switch {
	case rate <= 100:
		return 1
	case rate <= 1000:
		return 2
	default:
		return min(32, int(rate/500))
	}
}

// label names the run in tables: the client, its round with -repeat, and
// whether it had to be killed.
func (r clientRun) label() string {
	l := r.client
	if r.round > 0 {
		l = fmt.Sprintf("%s #%d", l, r.round)
	}
	if r.killedAfter > 0 {
		l += fmt.Sprintf(" (killed after %v, did not finish)", r.killedAfter)
	}
	return l
}

// runClient runs one client against url and parses its own report.
func (s *Suite) runClient(client, url string, o clientOpts) (clientRun, error) {
	run := clientRun{client: client, rate: o.rate, dur: o.dur, late: -1, inFlight: -1}
	timeout := o.dur + 25*time.Second
	var res launch.Result
	switch client {
	case cLoadgen:
		admin, err := launch.FreePort()
		if err != nil {
			return run, err
		}
		rps, maxInFlight := strconv.FormatFloat(o.rate, 'f', -1, 64), o.maxInFlight
		if o.rate <= 0 {
			// Max mode: MAX_IN_FLIGHT closed-loop workers, one per connection.
			rps = "max"
			if maxInFlight == 0 {
				maxInFlight = o.conns
			}
		}
		env := []string{"SERVER_ADDR=" + url, "REQUESTS_PER_SECOND=" + rps,
			"DURATION=" + o.dur.String(), "PORT=" + strconv.Itoa(admin), "LOG_FORMAT=json"}
		if maxInFlight > 0 {
			env = append(env, "MAX_IN_FLIGHT="+strconv.Itoa(maxInFlight))
		}
		res = s.l.Run(launch.RunOptions{Label: "loadgen", CPU: s.cfg.ClientCPU, Argv: []string{s.bin["loadgen"]}, Env: env, Timeout: timeout, Sample: o.sample})
		if res.Err != nil {
			return run, res.Err
		}
		lg, err := parse.ParseLoadgen(res.Output)
		if err != nil {
			return run, err
		}
		run.completed, run.ok = int64(lg.Completed), int64(lg.OK)
		run.p50, run.p99 = lg.P50(), lg.P99()
		run.late, run.inFlight = int64(lg.Late), lg.MaxInFlightSeen
	case cFortio:
		out := filepath.Join(s.tmp, "fortio.json")
		defer os.Remove(out)
		qps := "0"
		if o.rate > 0 {
			qps = strconv.FormatFloat(o.rate, 'f', -1, 64)
		}
		c := o.conns
		if c == 0 {
			c = fortioConns(o.rate)
		}
		argv := []string{s.bin["fortio"], "load", "-qps", qps, "-t", o.dur.String(), "-c", strconv.Itoa(c),
			"-uniform", "-p", "50,99,99.9", "-timeout", "5s", "-loglevel", "Warning", "-json", out, url}
		res = s.l.Run(launch.RunOptions{Label: "fortio load", CPU: s.cfg.ClientCPU, Argv: argv, Timeout: timeout, Sample: o.sample})
		if killed(client, res.Err) {
			run.killedAfter = timeout
			break
		}
		if res.Err != nil {
			return run, res.Err
		}
		b, err := os.ReadFile(out)
		if err != nil {
			return run, fmt.Errorf("fortio wrote no -json result: %s", tail(res.Output, 300))
		}
		f, err := parse.ParseFortio(b)
		if err != nil {
			return run, err
		}
		run.completed, run.ok, run.p50, run.p99 = f.Count, f.OK, f.P50, f.P99
		run.note = fmt.Sprintf("-c %d", c)
	case cVegeta:
		out := filepath.Join(s.tmp, "vegeta.bin")
		defer os.Remove(out)
		rate := "0"
		if o.rate > 0 {
			rate = strconv.FormatFloat(o.rate, 'f', -1, 64) + "/1s"
		}
		argv := []string{s.bin["vegeta"], "attack", "-rate", rate, "-duration", o.dur.String(), "-timeout", "5s", "-output", out}
		if o.conns > 0 {
			argv = append(argv, "-max-workers", strconv.Itoa(o.conns))
		}
		res = s.l.Run(launch.RunOptions{Label: "vegeta attack", CPU: s.cfg.ClientCPU, Argv: argv,
			Stdin: "GET " + url + "\n", Timeout: timeout, Sample: o.sample})
		if killed(client, res.Err) {
			run.killedAfter = timeout
			break
		}
		if res.Err != nil {
			return run, res.Err
		}
		b, err := s.capture(s.bin["vegeta"], "report", "-type=json", out)
		if err != nil {
			return run, err
		}
		v, err := parse.ParseVegeta(b)
		if err != nil {
			return run, err
		}
		run.completed, run.ok, run.p50, run.p99 = v.Requests, v.StatusCodes["200"], v.P50, v.P99
	case cWrk:
		res = s.l.Run(launch.RunOptions{Label: "wrk", CPU: s.cfg.ClientCPU,
			Argv:    []string{s.bin["wrk"], "-t1", "-c" + strconv.Itoa(o.conns), "-d" + secs(o.dur), "--timeout", "5s", "--latency", url},
			Timeout: timeout})
		if res.Err != nil {
			return run, res.Err
		}
		w, err := parse.ParseWrk(res.Output)
		if err != nil {
			return run, err
		}
		run.completed, run.ok, run.p50, run.p99 = w.Requests, w.Requests-w.Non2xx, w.P50, w.P99
	default:
		return run, fmt.Errorf("unknown client %q", client)
	}
	run.cpu, run.maxRSSKB, run.rssTrace, run.wall, run.waited = res.Usage.CPU, res.Usage.MaxRSS, res.RSSTrace, res.Wall, res.Waited
	return run, nil
}

// killed reports whether err is a comparison client (fortio, vegeta) that
// was killed for overrunning its time: that is how it fared, a result to
// report beside the others (unbounded vegeta collapses at high rates), not
// a broken measurement. loadgen overrunning is a failure of the product.
func killed(client string, err error) bool {
	return client != cLoadgen && errors.Is(err, context.DeadlineExceeded)
}

// capture runs a helper (vegeta report/encode) on both CPUs, after the
// measurement, and returns its output.
func (s *Suite) capture(name string, args ...string) ([]byte, error) {
	res := s.l.Run(launch.RunOptions{Label: "helper: " + filepath.Base(name) + " " + args[0], CPU: s.cfg.ServerCPU + "," + s.cfg.ClientCPU,
		Argv: append([]string{name}, args...), Timeout: 60 * time.Second})
	return res.Output, res.Err
}

// startRecorder starts the recording server (delay 0: answer at once).
func (s *Suite) startRecorder(delay time.Duration) (*launch.Server, int, error) {
	port, err := launch.FreePort()
	if err != nil {
		return nil, 0, err
	}
	argv := []string{s.bin["recorder"], "-addr", addr(port)}
	label := "recording server"
	if delay > 0 {
		argv = append(argv, "-delay", delay.String())
		label = "slow recording server"
	}
	srv, err := s.l.StartServer(label, s.cfg.ServerCPU, argv, nil, io.Discard)
	if err != nil {
		return nil, 0, err
	}
	if _, err := srv.WaitReady("http://"+addr(port)+record.ReadyPath, 10*time.Second); err != nil {
		srv.Stop()
		return nil, 0, err
	}
	return srv, port, nil
}

func fetchReport(port int, rate float64, d time.Duration, skip int) (record.Analysis, error) {
	var a record.Analysis
	u := fmt.Sprintf("http://%s%s?rate=%g&duration=%s&skip=%d", addr(port), record.ReportPath, rate, d, skip)
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return a, fmt.Errorf("recorder report: %s: %s", resp.Status, b)
	}
	return a, json.NewDecoder(resp.Body).Decode(&a)
}

// againstRecorder runs client at o against a fresh recording server.
func (s *Suite) againstRecorder(client string, delay time.Duration, o clientOpts) (clientRun, error) {
	srv, port, err := s.startRecorder(delay)
	if err != nil {
		return clientRun{}, err
	}
	defer srv.Stop()
	wait0 := srv.Waited()
	run, err := s.runClient(client, "http://"+addr(port)+"/", o)
	if err != nil {
		return run, fmt.Errorf("%s at %g rps: %v", client, o.rate, err)
	}
	// The recorder's own run-queue wait: a stalled server delays arrivals
	// as much as a stalled client, and the two must be told apart.
	run.serverWaited = srv.Waited() - wait0
	skip := 0
	if client == cFortio {
		// One warm-up request per connection precedes fortio's schedule.
		skip = o.conns
		if skip == 0 {
			skip = fortioConns(o.rate)
		}
	}
	run.server, err = fetchReport(port, o.rate, o.dur, skip)
	return run, err
}

func (s *Suite) accuracy() error {
	repeat := max(1, s.cfg.Select.Repeat)
	for _, rate := range s.plan.rates {
		// Rounds outermost within a rate: the clients take turns, so a noisy
		// spell on the machine does not land on one client's runs only.
		for round := range repeat {
			for _, c := range s.clients(SecRate) {
				run, err := s.againstRecorder(c, 0, clientOpts{rate: rate, dur: s.plan.rateDur})
				if err != nil {
					return err
				}
				if repeat > 1 {
					run.round = round + 1
				}
				s.res.accuracy = append(s.res.accuracy, run)
				a := run.server
				s.logf("   %-8s %6g rps: achieved %.5f  worst window %.4f (s%d)  gap p50 %v p99 %v  p99 %v  RSS %.1f MB  CPU %v  "+
					"run-queue wait client %v server %v  late %d  server in-flight max %d  windows %v",
					c, rate, a.Achieved, a.WorstWindow, a.WorstWindowAt, a.Gaps.P50, a.Gaps.P99, run.p99, mb(run.maxRSSKB),
					run.cpu.Round(time.Millisecond), run.waited.Round(time.Millisecond), run.serverWaited.Round(time.Millisecond),
					run.late, a.MaxInFlight, a.Windows)
			}
		}
	}
	return nil
}

func (s *Suite) maxThroughput() error {
	sp := s.serverSpec(keyNetHTTP) // bare net/http: the fastest Go server we have
	run := func(client string, o clientOpts) (clientRun, error) {
		srv, port, logPath, err := s.startServer(sp)
		if err != nil {
			return clientRun{}, err
		}
		defer os.Remove(logPath)
		defer srv.Stop()
		return s.runClient(client, "http://"+addr(port)+"/", o)
	}
	conns := s.plan.maxConnections
	for _, c := range s.clients(SecMax) { // loadgen: REQUESTS_PER_SECOND=max, MAX_IN_FLIGHT=conns
		r, err := run(c, clientOpts{dur: s.plan.maxDur, conns: conns})
		if err != nil {
			return fmt.Errorf("%s max: %v", c, err)
		}
		r.note = fmt.Sprintf("max mode, %d connections", conns)
		s.res.maxRuns = append(s.res.maxRuns, r)
		s.logf("   %-8s %8.0f req/s  %8.0f req per CPU-s", c, float64(r.ok)/s.plan.maxDur.Seconds(), perCPU(r))
	}
	return nil
}

func perCPU(r clientRun) float64 {
	if r.cpu <= 0 {
		return 0
	}
	return float64(r.ok) / r.cpu.Seconds()
}

func (s *Suite) slowServer() error {
	for _, c := range s.clients(SecSlow) {
		o := clientOpts{rate: s.plan.slowRate, dur: s.plan.slowDur, sample: 100 * time.Millisecond}
		if c == cFortio {
			// fortio's connections are closed loops: give it loadgen's default bound.
			o.conns = s.plan.fortioSlowConnections
		}
		run, err := s.againstRecorder(c, s.plan.slowDelay, o)
		if err != nil {
			return err
		}
		s.res.slow = append(s.res.slow, run)
		s.logf("   %-8s arrivals %.3f of target, server in-flight max %d, late %d, RSS peak %.1f MB, exit after %v",
			c, run.server.Achieved, run.server.MaxInFlight, run.late, mb(run.maxRSSKB), run.wall.Round(100*time.Millisecond))
	}
	return nil
}
