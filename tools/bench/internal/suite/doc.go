package suite

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/asm-ready/asm-ready/tools/bench/internal/report"
	"github.com/asm-ready/asm-ready/tools/bench/internal/stats"
)

type machine struct {
	nproc                                 int
	cpu, kernel, loadavg, goVersion, date string
	loadavgEnd                            string
	wrk, nginx, python, fortio, vegeta    string
}

type results struct {
	machine      machine
	serverRounds map[string][]serverRound
	openLoop     []openLoopResult
	accuracy     []clientRun
	maxRuns      []clientRun
	slow         []clientRun
	startup      []startupResult
	micro        []microResult
	inProcess    *inProcessCost // helloserver's, from the micro-benchmarks
	failures     []string
	total        time.Duration
}

type goal struct {
	name, target, measured string
	status                 string // met, MISSED, not measured
}

func judged(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

const notMeasured = "not measured"

// goals judges issue 8's goals from the results.
func (s *Suite) goals() []goal {
	r := &s.res
	var gs []goal
	sum := map[string]serverSummary{}
	for k, v := range r.serverRounds {
		sum[k] = summarizeServer(v)
	}
	ratio := func(a, b string) (float64, bool) {
		x, okx := sum[a]
		y, oky := sum[b]
		if !okx || !oky {
			return 0, false
		}
		return stats.Ratio(x.rps.Median, y.rps.Median), true
	}
	add := func(name, target string, v float64, have bool, format string, ok func(float64) bool) {
		g := goal{name: name, target: target, status: notMeasured, measured: "-"}
		if have && !math.IsNaN(v) {
			g.measured = fmt.Sprintf(format, v)
			g.status = judged(ok(v))
		}
		gs = append(gs, g)
	}
	// The CPU ratio (net/http's server CPU per request over helloserver's)
	// is shown beside the req/s ratio: it hardly depends on how much of its
	// CPU the server got, which on a shared machine moves req/s a lot.
	byCPU := func(a string) string { return cpuNote(sum[a], sum[keyNetHTTP]) }
	v, have := ratio(keyHelloOn, keyNetHTTP)
	add("helloserver req/s with request logging ON, vs bare net/http", ">= 0.90", v, have, "%.3f"+byCPU(keyHelloOn), func(x float64) bool { return x >= 0.90 })
	v, have = ratio(keyHelloOff, keyNetHTTP)
	add("helloserver req/s with request logging OFF, vs bare net/http", ">= 0.97", v, have, "%.3f"+byCPU(keyHelloOff), func(x float64) bool { return x >= 0.97 })
	v, have = ratio(keyHelloOn, keyPython)
	add("helloserver (logging ON) req/s vs the tutorial's Python http.server", ">= 8x", v, have, "%.1fx", func(x float64) bool { return x >= 8 })
	var rss float64
	haveRSS := false
	for _, k := range []string{keyHelloOn, keyHelloOff} {
		for _, rd := range r.serverRounds[k] {
			rss, haveRSS = math.Max(rss, mb(rd.rssKB)), true
		}
	}
	add("helloserver peak RSS (VmHWM) under wrk, worst round", "< 20 MB", rss, haveRSS, "%.1f MB", func(x float64) bool { return x < 20 })

	// loadgen accuracy over every measured rate.
	var worstAll, worstWin float64
	var atAll, atWin float64
	haveAcc := false
	for _, run := range r.accuracy {
		if run.client != cLoadgen {
			continue
		}
		haveAcc = true
		if d := math.Abs(run.server.Achieved - 1); d >= worstAll {
			worstAll, atAll = d, run.rate
		}
		if run.server.WorstWindow >= worstWin {
			worstWin, atWin = run.server.WorstWindow, run.rate
		}
	}
	rates := rateList(s.plan.rates)
	g := goal{name: "loadgen achieved rate, overall, at " + rates + " rps", target: "within 0.1%", status: notMeasured, measured: "-"}
	if haveAcc {
		g.measured = fmt.Sprintf("worst %.3f%% off (at %g rps)", worstAll*100, atAll)
		g.status = judged(worstAll <= 0.001)
	}
	gs = append(gs, g)
	g = goal{name: "loadgen achieved rate in every 1-second window, at " + rates + " rps", target: "within 1%", status: notMeasured, measured: "-"}
	if haveAcc {
		g.measured = fmt.Sprintf("worst %.2f%% off (at %g rps)", worstWin*100, atWin)
		g.status = judged(worstWin <= 0.01)
	}
	gs = append(gs, g)

	lg, lgOK := bestLoadgen(r.maxRuns)
	var fortio clientRun
	haveFortio := false
	for _, m := range r.maxRuns {
		if m.client == cFortio {
			fortio, haveFortio = m, true
		}
	}
	g = goal{name: "loadgen requests per client CPU-second vs fortio (max mode)", target: ">= 1.00", status: notMeasured, measured: "-"}
	if lgOK && haveFortio && perCPU(fortio) > 0 {
		x := perCPU(lg) / perCPU(fortio)
		g.measured = fmt.Sprintf("%.2f (%.0f vs %.0f req/CPU-s; loadgen %s)%s", x, perCPU(lg), perCPU(fortio), lg.note, s.pacedCPU())
		g.status = judged(x >= 1)
	}
	gs = append(gs, g)

	g = goal{name: fmt.Sprintf("loadgen peak RSS at %g rps", s.plan.loadgenRSSGoalRate), target: "<= 32 MB", status: notMeasured, measured: "-"}
	for _, run := range r.accuracy {
		if run.client == cLoadgen && run.rate == s.plan.loadgenRSSGoalRate {
			g.measured = fmt.Sprintf("%.1f MB", mb(run.maxRSSKB))
			g.status = judged(mb(run.maxRSSKB) <= 32)
		}
	}
	gs = append(gs, g)

	g = goal{name: fmt.Sprintf("loadgen vs a %v server at %g rps: in flight bounded, late reported", s.plan.slowDelay, s.plan.slowRate),
		target: "server-side in-flight <= MAX_IN_FLIGHT (256); late > 0", status: notMeasured, measured: "-"}
	for _, run := range r.slow {
		if run.client == cLoadgen {
			g.measured = fmt.Sprintf("in flight max %d, late %d, RSS peak %.1f MB", run.server.MaxInFlight, run.late, mb(run.maxRSSKB))
			g.status = judged(run.server.MaxInFlight <= 256 && run.late > 0)
		}
	}
	gs = append(gs, g)
	return gs
}

// pacedCPU compares loadgen's and fortio's client CPU per request at the
// same paced rate (the highest accuracy rate both ran), where neither runs
// flat out.
func (s *Suite) pacedCPU() string {
	type pair struct{ loadgen, fortio float64 }
	per := map[float64]*pair{}
	for _, r := range s.res.accuracy {
		if r.server.Count == 0 || r.cpu <= 0 || r.killedAfter > 0 || (r.client != cLoadgen && r.client != cFortio) {
			continue
		}
		p := per[r.rate]
		if p == nil {
			p = &pair{}
			per[r.rate] = p
		}
		v := float64(r.server.Count) / r.cpu.Seconds()
		if r.client == cLoadgen {
			p.loadgen = v
		} else {
			p.fortio = v
		}
	}
	var rate float64
	for r, p := range per {
		if p.loadgen > 0 && p.fortio > 0 && r > rate {
			rate = r
		}
	}
	if rate == 0 {
		return ""
	}
	p := per[rate]
	return fmt.Sprintf("; paced at %g rps both: %.0f vs %.0f req/CPU-s = %.2f", rate, p.loadgen, p.fortio, p.loadgen/p.fortio)
}

// bestLoadgen is loadgen's ladder run with the most requests per CPU-second
// among those that delivered >= 99% of their rate (or, if none did, among all).
func bestLoadgen(runs []clientRun) (clientRun, bool) {
	var best clientRun
	found, foundKept := false, false
	for _, r := range runs {
		if r.client != cLoadgen {
			continue
		}
		kept := r.rate > 0 && float64(r.ok) >= 0.99*r.rate*r.dur.Seconds()
		switch {
		case kept && (!foundKept || perCPU(r) > perCPU(best)):
			best, found, foundKept = r, true, true
		case !foundKept && (!found || perCPU(r) > perCPU(best)):
			best, found = r, true
		}
	}
	return best, found
}

func rateList(rates []float64) string {
	var parts []string
	for _, r := range rates {
		parts = append(parts, fmt.Sprintf("%g", r))
	}
	return strings.Join(parts, ", ")
}

func spread(sp stats.Spread, format string) string {
	if sp.N == 0 {
		return "-"
	}
	if sp.N == 1 {
		return fmt.Sprintf(format, sp.Median)
	}
	return fmt.Sprintf(format+" ("+format+"-"+format+")", sp.Median, sp.Min, sp.Max)
}

func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func pct(x float64) string { return fmt.Sprintf("%.3f%%", x*100) }

func (s *Suite) goalTable() report.Table {
	t := report.Table{Header: []string{"goal (issue 8)", "target", "measured", "result"}}
	for _, g := range s.goals() {
		t.Add(g.name, g.target, g.measured, g.status)
	}
	return t
}

// referencePara reads helloserver against the design issue 8 names beside
// its logging goal ("a plain chi + slog server measured 82%"), measured in
// the same run: the goal was set relative to that design's ratio elsewhere,
// and on this machine the ratios move from run to run, so the comparison in
// one run says more than either ratio alone. Empty unless all three ran.
func (s *Suite) referencePara() string {
	sums, ok := s.summaries(keyChiSlog, keyNetHTTP, keyHelloOn)
	if !ok {
		return ""
	}
	ref, base, hello := sums[0], sums[1], sums[2]
	return fmt.Sprintf("The issue's reference design, a plain chi + slog server, measured 0.82 of bare net/http where the issue was written; "+
		"in this run it scored %s. helloserver with its request log on, whose line carries the Cloud Logging "+
		"httpRequest fields and the request headers and which also keeps Prometheus metrics, scored %s of the reference.",
		against(ref, base), against(hello, ref))
}

// routerPara reads helloserver's request-log-off ratio against plain chi in
// the same run: chi is the router this project standardises on, so plain
// chi's cost is one every helloserver request pays, and its ratio to bare
// net/http is what helloserver's ratio is read below. Empty unless all
// three ran.
func (s *Suite) routerPara() string {
	sums, ok := s.summaries(keyChi, keyNetHTTP, keyHelloOff)
	if !ok {
		return ""
	}
	chi, base, off := sums[0], sums[1], sums[2]
	return fmt.Sprintf("Against bare net/http in this run, plain chi with no middleware, the router helloserver is built on, scored %s: "+
		"what the router alone costs, before helloserver adds anything. Against plain chi, helloserver with its request log off, which adds "+
		"metrics, the response recorder and its headers, scored %s.", against(chi, base), against(off, chi))
}

// summaries summarises the section-1 rounds of the servers with keys, in
// order; ok is false unless every one of them ran.
func (s *Suite) summaries(keys ...string) (sums []serverSummary, ok bool) {
	for _, k := range keys {
		rounds := s.res.serverRounds[k]
		if len(rounds) == 0 {
			return nil, false
		}
		sums = append(sums, summarizeServer(rounds))
	}
	return sums, true
}

// against is x's req/s ratio to base, with the ratio by server CPU per
// request beside it when both CPU figures were measured.
func against(x, base serverSummary) string {
	return fmt.Sprintf("%.3f", stats.Ratio(x.rps.Median, base.rps.Median)) + cpuNote(x, base)
}

// cpuNote is " (by server CPU per request: R)", R being base's server CPU
// per request over x's (like a req/s ratio, above 1 when x is the cheaper),
// or "" when either was not measured.
func cpuNote(x, base serverSummary) string {
	if base.cpuPer1k.Median <= 0 || x.cpuPer1k.Median <= 0 {
		return ""
	}
	return fmt.Sprintf(" (by server CPU per request: %.3f)", base.cpuPer1k.Median/x.cpuPer1k.Median)
}

func (s *Suite) serverTable() report.Table {
	t := report.Table{Header: []string{"server", "req/s median (min-max)", "vs net/http", "p50 ms", "p99 ms", "peak RSS MB", "server CPU ms / 1k req", "log bytes / req", "server run-queue wait %"}}
	base := summarizeServer(s.res.serverRounds[keyNetHTTP])
	for _, sp := range s.serverSpecs() {
		rounds := s.res.serverRounds[sp.key]
		if len(rounds) == 0 {
			continue
		}
		sum := summarizeServer(rounds)
		t.Add(sp.name, spread(sum.rps, "%.0f"), fmt.Sprintf("%.3f", stats.Ratio(sum.rps.Median, base.rps.Median)),
			spread(sum.p50, "%.2f"), spread(sum.p99, "%.2f"), spread(sum.rss, "%.1f"), spread(sum.cpuPer1k, "%.1f"),
			fmt.Sprintf("%.0f", sum.logPerReq.Median), spread(sum.waited, "%.0f"))
	}
	return t
}

func (s *Suite) openLoopTable() report.Table {
	t := report.Table{Header: []string{"server", "sent", "of target", "non-200", "p50", "p99", "p99.9"}}
	for _, r := range s.res.openLoop {
		t.Add(r.name, fmt.Sprint(r.sent), fmt.Sprintf("%.4f", r.achieved), fmt.Sprint(r.non200), dur(r.p50), dur(r.p99), dur(r.p999))
	}
	return t
}

func (s *Suite) accuracyTable() report.Table {
	t := report.Table{Header: []string{"rate", "client", "arrivals / target", "worst 1-s window", "gap p1 / p50 / p99 / max (ideal)", "client p99", "peak RSS MB", "CPU ms / 1k req", "run-queue wait s, client / server"}}
	for _, r := range s.res.accuracy {
		a := r.server
		cpu := "-"
		if a.Count > 0 {
			cpu = fmt.Sprintf("%.1f", r.cpu.Seconds()*1000/float64(a.Count)*1000)
		}
		t.Add(fmt.Sprintf("%g", r.rate), r.label(), fmt.Sprintf("%d / %.0f = %.4f", a.Count, r.rate*r.dur.Seconds(), a.Achieved),
			fmt.Sprintf("%s (s%d)", pct(a.WorstWindow), a.WorstWindowAt),
			fmt.Sprintf("%s / %s / %s / %s (%s)", dur(a.Gaps.P1), dur(a.Gaps.P50), dur(a.Gaps.P99), dur(a.Gaps.Max), dur(a.Gaps.Ideal)),
			dur(r.p99), fmt.Sprintf("%.1f", mb(r.maxRSSKB)), cpu, fmt.Sprintf("%.2f / %.2f", r.waited.Seconds(), r.serverWaited.Seconds()))
	}
	return t
}

func (s *Suite) maxTable() report.Table {
	t := report.Table{Header: []string{"client", "how", "requests OK", "req/s", "client CPU s", "req per client CPU-s", "peak RSS MB", "client run-queue wait s"}}
	for _, r := range s.res.maxRuns {
		t.Add(r.label(), r.note, fmt.Sprint(r.ok), fmt.Sprintf("%.0f", float64(r.ok)/s.plan.maxDur.Seconds()),
			fmt.Sprintf("%.2f", r.cpu.Seconds()), fmt.Sprintf("%.0f", perCPU(r)), fmt.Sprintf("%.1f", mb(r.maxRSSKB)), fmt.Sprintf("%.2f", r.waited.Seconds()))
	}
	return t
}

func (s *Suite) slowTable() report.Table {
	t := report.Table{Header: []string{"client", "arrivals / target", "server in-flight max", "late reported", "completed (client)", "client p99", "RSS MB first / last / peak", "exit after"}}
	for _, r := range s.res.slow {
		late := "not reported"
		if r.late >= 0 {
			late = fmt.Sprint(r.late)
		}
		t.Add(r.label()+" "+r.note, fmt.Sprintf("%d / %.0f = %.3f", r.server.Count, r.rate*r.dur.Seconds(), r.server.Achieved),
			fmt.Sprint(r.server.MaxInFlight), late, fmt.Sprint(r.completed), dur(r.p99), rssTrace(r), dur(r.wall))
	}
	return t
}

// rssTrace shows VmRSS after the first sample, at the last, and the peak.
func rssTrace(r clientRun) string {
	if len(r.rssTrace) == 0 {
		return fmt.Sprintf("- / - / %.1f", mb(r.maxRSSKB))
	}
	first := r.rssTrace[min(len(r.rssTrace)-1, 9)] // after ~1 s at 100 ms samples
	return fmt.Sprintf("%.1f / %.1f / %.1f", mb(first), mb(r.rssTrace[len(r.rssTrace)-1]), mb(slices.Max(append(r.rssTrace, r.maxRSSKB))))
}

func (s *Suite) startupTable() report.Table {
	t := report.Table{Header: []string{"binary", "exec to /readyz 200, ms median (min-max)", "runs", "size MiB (CGO_ENABLED=0 -trimpath -s -w)"}}
	for _, r := range s.res.startup {
		t.Add(r.name, spread(r.ready, "%.1f"), fmt.Sprint(r.ready.N), fmt.Sprintf("%.2f", float64(r.sizeBytes)/(1<<20)))
	}
	return t
}

func (s *Suite) mode() string {
	m := "full"
	if s.cfg.Quick {
		m = "QUICK=1 (short runs, fewer rates: a smoke test, not the reference numbers)"
	}
	if s.cfg.Select.Partial() {
		m += ", partial: " + s.cfg.Select.String() + " (what was left out is shown as not measured)"
	}
	return m
}

// terminal is what `make bench` prints at the end.
func (s *Suite) terminal() string {
	var b strings.Builder
	sec := func(title string, t report.Table) {
		if len(t.Rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n%s", title, t.Text())
	}
	sec("1. fixed-connection throughput (wrk)", s.serverTable())
	sec("2. open loop", s.openLoopTable())
	sec("3. rate accuracy", s.accuracyTable())
	sec("4. max throughput per client CPU-second", s.maxTable())
	sec("5. slow server", s.slowTable())
	sec("6. startup and size", s.startupTable())
	sec("GOALS", s.goalTable())
	for _, f := range s.res.failures {
		fmt.Fprintf(&b, "FAILED: %s\n", f)
	}
	return b.String()
}

// document is docs/benchmarks.md.
func (s *Suite) document() string {
	p, m := s.plan, s.res.machine
	var d report.Doc
	d.Heading(1, "Benchmarks")
	d.Para("Generated by `make bench` (tools/bench) on %s, mode: %s, in %s. Do not edit by hand: run `make bench` again.",
		m.date, s.mode(), s.res.total.Round(time.Second))
	d.Para("*Run-queue wait* columns are the time a process was runnable but another process held its CPU " +
		"(/proc/<pid>/task/*/schedstat, summed over threads): where they are large, other work on the machine, not the program, set the number.")
	d.Para("This machine is small, shared and noisy, so absolute numbers move from run to run; every comparison is a ratio "+
		"against a baseline measured in the same run, with the median of %d rounds and the range (min-max) beside it. "+
		"Every server runs on CPU %s and every client on CPU %s (taskset), over loopback only.", p.rounds, s.cfg.ServerCPU, s.cfg.ClientCPU)
	if len(s.res.failures) > 0 {
		d.Heading(2, "Failed measurements")
		d.Bullets(s.res.failures...)
	}
	d.Heading(2, "Goals")
	d.Table(s.goalTable())

	d.Heading(2, "Machine and tools")
	mt := report.Table{Header: []string{"what", "value"}}
	mt.Add("CPUs (nproc)", fmt.Sprint(m.nproc))
	mt.Add("CPU model", m.cpu)
	mt.Add("kernel", m.kernel)
	mt.Add("load average (1, 5, 15 min) at start / end", m.loadavg+" / "+m.loadavgEnd)
	mt.Add("Go", m.goVersion)
	mt.Add("wrk", m.wrk)
	mt.Add("nginx", m.nginx)
	mt.Add("Python", m.python)
	mt.Add("fortio", m.fortio+" (pinned "+FortioVersion+")")
	mt.Add("vegeta", m.vegeta+" (pinned "+VegetaVersion+")")
	mt.Add("services", "helloserver and loadgen built from this tree, as the Dockerfiles do: CGO_ENABLED=0 -trimpath -ldflags \"-s -w\"")
	d.Table(mt)

	d.Heading(2, "1. helloserver under a fixed-connection load")
	warm := "no warm-up"
	if p.warmup > 0 {
		warm = secs(p.warmup) + " warm-up"
	}
	d.Para("wrk, 1 thread, %d connections, %s then %s measured, %d rounds with the server order rotated each round; "+
		"a fresh server process per round. RSS is the server's VmHWM (peak resident set, nginx master + worker) at the end of the round. "+
		"Server CPU is utime+stime from /proc/<pid>/stat over the measured part.", p.wrkConns, warm, secs(p.measure), p.rounds)
	var notes []string
	for _, sp := range s.serverSpecs() {
		notes = append(notes, "**"+sp.name+"**: "+sp.note)
	}
	d.Bullets(notes...)
	d.Table(s.serverTable())
	d.Para("The Python server speaks HTTP/1.0 and closes every connection, so wrk reconnects for each request (its \"read\" socket errors are those closes, not failures).")
	d.Para("The calibration row is the bare server burning a fixed %v of CPU per request: a server that does strictly more "+
		"work than bare net/http, measured in the same run. How far its ratio lands from 1.000, in either direction, is the "+
		"noise to read the other ratios against; in interleaved pairs on this machine the %v showed as about twice that in "+
		"server CPU per request under wrk (the client sleeps more, and each response pays in its write system call for waking it).",
		calibrationWork, calibrationWork)
	for _, para := range []string{s.routerPara(), s.referencePara()} {
		if para != "" {
			d.Para("%s", para)
		}
	}
	if c := s.res.inProcess; c != nil {
		d.Para("%s", c.para())
	}

	d.Heading(2, "2. helloserver at an open-loop 1,000 rps")
	d.Para("vegeta attack -rate %g/1s -max-workers %d for %s (open loop: requests are sent on schedule whether or not earlier ones have returned, "+
		"up to %d outstanding, like loadgen's MAX_IN_FLIGHT); percentiles are exact, computed from every request's latency (`vegeta encode -to csv`). "+
		"Non-200 counts vegeta's errors too (timeouts after 5 s).", p.openLoopRate, openLoopWorkers, p.openLoop, openLoopWorkers)
	d.Table(s.openLoopTable())

	d.Heading(2, "3. Rate accuracy: loadgen beside fortio and vegeta")
	d.Para("Each client is asked for R requests per second for %s against a fresh recording server (tools/bench/cmd/recorder) "+
		"that timestamps every arrival. *arrivals / target* counts everything that arrived (fortio's one warm-up request per connection is "+
		"left out; loadgen sends none: it opens its first connections before its schedule starts). Windows are consecutive 1-second windows starting half an interval before the first arrival; the worst is the largest "+
		"|count/R - 1| and sN is its index. Gaps are the times between consecutive arrivals. *Client p99* is the client's own figure: loadgen "+
		"measures from each request's scheduled send time, fortio and vegeta from the actual send. RSS is the client's peak (getrusage maxrss); "+
		"CPU is the client's user+system time per 1,000 arrivals. fortio runs with `-uniform` and -c 1 up to 100 rps, 2 at 1,000 and R/500 (at most 32) above; "+
		"vegeta and loadgen with their defaults.", p.rateDur)
	d.Table(s.accuracyTable())

	d.Heading(2, "4. Maximum throughput per client CPU-second")
	d.Para("Against the bare net/http server for %s. fortio (`-qps 0`), vegeta (`-rate 0 -max-workers %d`), wrk and loadgen "+
		"(`REQUESTS_PER_SECOND=max`, `MAX_IN_FLIGHT=%d`) run flat out with %d connections. "+
		"Requests per CPU-second = successful requests / client user+system CPU time.",
		p.maxDur, p.maxConnections, p.maxConnections, p.maxConnections)
	d.Table(s.maxTable())

	d.Heading(2, "5. A server that takes 200 ms per request")
	d.Para("The recording server with -delay %s; each client asked for %g rps for %s, which needs %g requests in flight to keep up. "+
		"loadgen runs with its defaults (MAX_IN_FLIGHT=256), fortio with -c %d (closed loops), vegeta unbounded (its default). "+
		"The server counts requests in its handler at once (*in-flight max*); the client's VmRSS is sampled every 100 ms (first = after ~1 s).",
		p.slowDelay, p.slowRate, p.slowDur, p.slowRate*p.slowDelay.Seconds(), p.fortioSlowConnections)
	d.Table(s.slowTable())

	d.Heading(2, "6. Startup and binary size")
	d.Para("Time from exec (through taskset) to the first 200 from /readyz, polled every millisecond; median of %d starts.", p.startups)
	d.Table(s.startupTable())

	d.Heading(2, "Go micro-benchmarks")
	d.Para("`go test -run '^$' -bench . -benchmem -count %d -benchtime %s ./...` in each module, summarised by benchstat. "+
		"The raw output stays in the cache directory; when a previous run's output is there, the table compares the two (previous vs this).",
		p.microCount, p.microTime)
	for _, mr := range s.res.micro {
		title := mr.module
		if mr.compared {
			title += " (previous run vs this run)"
		}
		d.Heading(3, title)
		d.Code("", mr.benchstat)
	}

	d.Heading(2, "Commands")
	d.Para("One example of each command line the run used, from the repository root; ports change per run, $TMP is the run's temporary directory and $CACHE the cache directory (%s by default).", "`${ASM_READY_CACHE:-$HOME/.cache/asm-ready}`")
	var cmds []string
	for _, c := range s.l.Commands {
		cmds = append(cmds, "# "+c.Label+"\n"+c.Line)
	}
	// Paths that differ per machine and run, as variables.
	paths := strings.NewReplacer(s.tmp, "$TMP", s.cfg.Cache, "$CACHE", s.cfg.Repo+"/", "", s.cfg.Repo, ".")
	d.Code("sh", paths.Replace(strings.Join(cmds, "\n")))
	return d.String()
}
