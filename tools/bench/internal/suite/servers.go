package suite

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/asm-ready/asm-ready/tools/bench/internal/launch"
	"github.com/asm-ready/asm-ready/tools/bench/internal/parse"
	"github.com/asm-ready/asm-ready/tools/bench/internal/stats"
)

// Server keys, in report order.
const (
	keyHelloOn  = "hello-log-on"
	keyHelloOff = "hello-log-off"
	keyNetHTTP  = "nethttp"
	keyNetWork  = "nethttp-work"
	keyChi      = "chi"
	keyChiSlog  = "chi-slog"
	keyNginx    = "nginx"
	keyPython   = "python"
)

type serverSpec struct {
	key, name string
	ready     string // path that answers 200 when up
	argv      func(port int) []string
	env       func(port int) []string
	note      string
}

func (s *Suite) serverSpecs() []serverSpec {
	hello := func(level string) func(int) []string {
		return func(port int) []string {
			// SHUTDOWN_DELAY=0s: the harness kills servers; no drain to wait out.
			return []string{"PORT=" + strconv.Itoa(port), "LOG_LEVEL=" + level, "LOG_FORMAT=json", "SHUTDOWN_DELAY=0s"}
		}
	}
	none := func(int) []string { return nil }
	return []serverSpec{
		{keyHelloOn, "helloserver, request log on", "/readyz",
			func(int) []string { return []string{s.bin["helloserver"]} }, hello("info"),
			"LOG_LEVEL=info (default): one JSON line per request with headers, stdout to a file on the temp dir"},
		{keyHelloOff, "helloserver, request log off", "/readyz",
			func(int) []string { return []string{s.bin["helloserver"]} }, hello("warn"),
			"LOG_LEVEL=warn: the access log is skipped (its level is info)"},
		{keyNetHTTP, "bare net/http", "/readyz",
			func(p int) []string { return []string{s.bin["nethttp"], "-addr", addr(p)} }, none,
			"tools/bench/baselines/nethttp: ServeMux + one handler, no logging"},
		{keyNetWork, fmt.Sprintf("bare net/http + %v CPU / request", calibrationWork), "/readyz",
			func(p int) []string {
				return []string{s.bin["nethttp"], "-addr", addr(p), "-work", calibrationWork.String()}
			}, none,
			"calibration: the same server burning a fixed CPU time per request, to show what that costs in req/s here"},
		{keyChi, "plain chi, no middleware", "/readyz",
			func(p int) []string { return []string{s.bin["chislog"], "-addr", addr(p), "-log=false"} }, none,
			"tools/bench/baselines/chislog -log=false: the chi router helloserver is built on, one handler and nothing else: the floor of that stack"},
		{keyChiSlog, "plain chi + slog (the issue's reference)", "/readyz",
			func(p int) []string { return []string{s.bin["chislog"], "-addr", addr(p)} }, none,
			"tools/bench/baselines/chislog: the design issue 8 measured at 82%: chi, and a middleware writing one slog.JSONHandler line per request straight to stdout (a file on the temp dir)"},
		{keyNginx, "nginx, 1 worker", "/",
			func(p int) []string {
				return []string{s.bin["nginx"], "-c", s.nginxConf(p), "-p", s.tmp, "-e", filepath.Join(s.tmp, "nginx-error.log")}
			}, none,
			"Debian nginx, worker_processes 1, access_log off, `return 200 \"Hello World!\"`"},
		{keyPython, "Python http.server (tutorial)", "/",
			func(p int) []string { return []string{s.bin["python3"], s.bin["pyserver"], strconv.Itoa(p)} }, none,
			"tools/bench/baselines/pyhttp/server.py: HTTPServer + BaseHTTPRequestHandler, HTTP/1.0, logs each request with headers"},
	}
}

// calibrationWork is the calibration server's CPU cost per request, the
// order of helloserver's own in the in-process benchmarks (1.3-1.5 µs for
// router, metrics and recorder, 2.9 µs more for the request log line).
const calibrationWork = 2 * time.Microsecond

// serverSpec is the spec with key, which serverSpecs always has.
func (s *Suite) serverSpec(key string) serverSpec {
	i := slices.IndexFunc(s.serverSpecs(), func(sp serverSpec) bool { return sp.key == key })
	return s.serverSpecs()[i]
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func (s *Suite) nginxConf(port int) string {
	conf := fmt.Sprintf(`worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %[1]s/nginx-body;
    proxy_temp_path %[1]s/nginx-proxy;
    fastcgi_temp_path %[1]s/nginx-fastcgi;
    uwsgi_temp_path %[1]s/nginx-uwsgi;
    scgi_temp_path %[1]s/nginx-scgi;
    server {
        listen 127.0.0.1:%[2]d;
        default_type text/plain;
        location / { return 200 "Hello World!"; }
    }
}
`, s.tmp, port)
	path := filepath.Join(s.tmp, "nginx.conf")
	_ = os.WriteFile(path, []byte(conf), 0o644)
	return path
}

// startServer starts spec on the server CPU and waits until it answers.
func (s *Suite) startServer(sp serverSpec) (*launch.Server, int, string, error) {
	port, err := launch.FreePort()
	if err != nil {
		return nil, 0, "", err
	}
	logPath := filepath.Join(s.tmp, sp.key+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, "", err
	}
	defer f.Close() // the child has its own copy
	srv, err := s.l.StartServer("server: "+sp.name, s.cfg.ServerCPU, sp.argv(port), sp.env(port), f)
	if err != nil {
		return nil, 0, "", err
	}
	if _, err := srv.WaitReady("http://"+addr(port)+sp.ready, 15*time.Second); err != nil {
		srv.Stop()
		b, _ := os.ReadFile(logPath)
		return nil, 0, "", fmt.Errorf("%s: %v; its output: %s", sp.name, err, tail(b, 400))
	}
	return srv, port, logPath, nil
}

func tail(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// serverRound is one wrk measurement of one server.
type serverRound struct {
	wrk         parse.Wrk
	rssKB       int64
	logPerReq   float64 // bytes of server output per request
	serverCPUms float64 // server CPU milliseconds per 1,000 requests
	waitedPct   float64 // server run-queue wait, % of the measured time
}

func (s *Suite) wrkArgs(port int, d time.Duration) []string {
	return []string{s.bin["wrk"], "-t1", "-c" + strconv.Itoa(s.plan.wrkConns), "-d" + secs(d), "--timeout", "5s", "--latency", "http://" + addr(port) + "/"}
}

// secs formats whole seconds as wrk wants them ("5s"; wrk has no ms).
func secs(d time.Duration) string {
	return strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second))) + "s"
}

func (s *Suite) servers() error {
	specs := s.serverSpecs()
	s.res.serverRounds = map[string][]serverRound{}
	for round := range s.plan.rounds {
		// Rotate the order each round so no server always runs first (or
		// right after the noisiest one).
		order := slices.Clone(specs)
		order = append(order[round%len(order):], order[:round%len(order)]...)
		for _, sp := range order {
			r, err := s.wrkRound(sp)
			if err != nil {
				return err
			}
			s.res.serverRounds[sp.key] = append(s.res.serverRounds[sp.key], r)
			s.logf("   round %d %-32s %9.0f req/s  p50 %-8v p99 %-8v RSS %5.1f MB", round+1, sp.name, r.wrk.RPS,
				r.wrk.P50, r.wrk.P99, mb(r.rssKB))
		}
	}
	return nil
}

func (s *Suite) wrkRound(sp serverSpec) (serverRound, error) {
	srv, port, logPath, err := s.startServer(sp)
	if err != nil {
		return serverRound{}, err
	}
	defer srv.Stop()
	defer os.Remove(logPath)
	timeout := s.plan.measure + 20*time.Second
	if s.plan.warmup > 0 {
		warm := s.l.Run(launch.RunOptions{Label: "wrk warm-up", CPU: s.cfg.ClientCPU, Argv: s.wrkArgs(port, s.plan.warmup), Timeout: timeout})
		if warm.Err != nil {
			return serverRound{}, fmt.Errorf("%s warm-up: %v", sp.name, warm.Err)
		}
	}
	before, _ := os.Stat(logPath)
	cpu0, wait0 := srv.CPU(), srv.Waited()
	res := s.l.Run(launch.RunOptions{Label: "wrk", CPU: s.cfg.ClientCPU, Argv: s.wrkArgs(port, s.plan.measure), Timeout: timeout})
	if res.Err != nil {
		return serverRound{}, fmt.Errorf("%s: %v", sp.name, res.Err)
	}
	w, err := parse.ParseWrk(res.Output)
	if err != nil {
		return serverRound{}, fmt.Errorf("%s: %v", sp.name, err)
	}
	r := serverRound{wrk: w, rssKB: srv.PeakRSSKB(), waitedPct: (srv.Waited() - wait0).Seconds() / s.plan.measure.Seconds() * 100}
	if w.Requests > 0 {
		r.serverCPUms = (srv.CPU() - cpu0).Seconds() * 1000 / float64(w.Requests) * 1000
		if after, err := os.Stat(logPath); err == nil && before != nil {
			r.logPerReq = float64(after.Size()-before.Size()) / float64(w.Requests)
		}
	}
	return r, nil
}

// serverSummary is a server's rounds reduced to medians and ranges.
type serverSummary struct {
	rps, p50, p99, rss, logPerReq, cpuPer1k, waited stats.Spread
	errors                                          int64
}

func summarizeServer(rounds []serverRound) serverSummary {
	var rps, p50, p99, rss, lg, cpu, wt []float64
	var sum serverSummary
	for _, r := range rounds {
		rps = append(rps, r.wrk.RPS)
		p50 = append(p50, r.wrk.P50.Seconds()*1000)
		p99 = append(p99, r.wrk.P99.Seconds()*1000)
		rss = append(rss, mb(r.rssKB))
		lg = append(lg, r.logPerReq)
		cpu = append(cpu, r.serverCPUms)
		wt = append(wt, r.waitedPct)
		sum.errors += r.wrk.Non2xx + r.wrk.SocketErrors - r.wrk.ReadErrors
	}
	sum.rps, sum.p50, sum.p99 = stats.Summarize(rps), stats.Summarize(p50), stats.Summarize(p99)
	sum.rss, sum.logPerReq, sum.cpuPer1k = stats.Summarize(rss), stats.Summarize(lg), stats.Summarize(cpu)
	sum.waited = stats.Summarize(wt)
	return sum
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

// openLoopResult is one open-loop run.
type openLoopResult struct {
	name           string
	sent           int
	non200         int
	p50, p99, p999 time.Duration
	achieved       float64
}

func (s *Suite) openLoop() error {
	specs := s.serverSpecs()
	for _, sp := range specs {
		if sp.key != keyHelloOn && sp.key != keyHelloOff && sp.key != keyNetHTTP {
			continue
		}
		srv, port, logPath, err := s.startServer(sp)
		if err != nil {
			return err
		}
		r, err := s.vegetaOpenLoop(sp.name, port)
		srv.Stop()
		os.Remove(logPath)
		if err != nil {
			return err
		}
		s.res.openLoop = append(s.res.openLoop, r)
		s.logf("   %-32s sent %d (%.3f of target)  p50 %v  p99 %v  p99.9 %v  non-200 %d", r.name, r.sent, r.achieved, r.p50, r.p99, r.p999, r.non200)
	}
	return nil
}

// openLoopWorkers bounds vegeta's concurrency in the open-loop test, as
// loadgen's MAX_IN_FLIGHT does: unbounded, a stall on this shared machine
// makes vegeta open thousands of connections and measure its own collapse.
const openLoopWorkers = 256

func (s *Suite) vegetaOpenLoop(name string, port int) (openLoopResult, error) {
	out := filepath.Join(s.tmp, "openloop.bin")
	defer os.Remove(out)
	rate := s.plan.openLoopRate
	res := s.l.Run(launch.RunOptions{
		Label: "open loop: vegeta attack", CPU: s.cfg.ClientCPU,
		Argv: []string{s.bin["vegeta"], "attack", "-rate", fmt.Sprintf("%g/1s", rate), "-duration", s.plan.openLoop.String(), "-timeout", "5s",
			"-max-workers", strconv.Itoa(openLoopWorkers), "-output", out},
		Stdin:   "GET http://" + addr(port) + "/\n",
		Timeout: s.plan.openLoop + 20*time.Second,
	})
	if res.Err != nil {
		return openLoopResult{}, fmt.Errorf("%s: %v", name, res.Err)
	}
	csv, err := s.capture(s.bin["vegeta"], "encode", "-to", "csv", out)
	if err != nil {
		return openLoopResult{}, err
	}
	lat, non200, err := parse.VegetaLatencies(csv)
	if err != nil {
		return openLoopResult{}, err
	}
	slices.Sort(lat)
	return openLoopResult{
		name: name, sent: len(lat), non200: non200,
		achieved: float64(len(lat)) / (rate * s.plan.openLoop.Seconds()),
		p50:      stats.Percentile(lat, 50), p99: stats.Percentile(lat, 99), p999: stats.Percentile(lat, 99.9),
	}, nil
}
