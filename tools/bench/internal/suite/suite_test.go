package suite

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asm-ready/asm-ready/tools/bench/internal/launch"
	"github.com/asm-ready/asm-ready/tools/bench/internal/parse"
	"github.com/asm-ready/asm-ready/tools/bench/internal/record"
	"github.com/asm-ready/asm-ready/tools/bench/internal/stats"
)

// TestPinnedVersions keeps the report's version constants and go.mod's
// tool requirements in step.
func TestPinnedVersions(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fortio.org/fortio " + FortioVersion, "github.com/tsenart/vegeta/v12 " + VegetaVersion} {
		if !strings.Contains(string(b), want) {
			t.Errorf("go.mod does not require %q", want)
		}
	}
	for _, tool := range []string{"fortio.org/fortio", "github.com/tsenart/vegeta/v12", "golang.org/x/perf/cmd/benchstat"} {
		if !strings.Contains(string(b), "\t"+tool+"\n") {
			t.Errorf("go.mod has no tool directive for %s", tool)
		}
	}
}

func round(rps float64, rssKB int64) serverRound {
	// Server CPU per request is inversely proportional to req/s here.
	return serverRound{wrk: parse.Wrk{RPS: rps, P50: time.Millisecond, P99: 5 * time.Millisecond}, rssKB: rssKB, serverCPUms: 1e6 / rps}
}

func accuracyRun(client string, rate, achieved, worst float64, rssKB int64) clientRun {
	// CPU: 1 s per run for loadgen, 0.5 s for fortio.
	cpu := time.Second
	if client == cFortio {
		cpu /= 2
	}
	return clientRun{client: client, rate: rate, dur: 10 * time.Second, maxRSSKB: rssKB, cpu: cpu,
		waited: 250 * time.Millisecond, serverWaited: 1500 * time.Millisecond,
		server: record.Analysis{Achieved: achieved, WorstWindow: worst, Count: int(rate * 10 * achieved)}}
}

// synthetic is a suite with results chosen so each goal's outcome is known.
func synthetic(helloOn, loadgenAchieved, loadgenRSSKB int64) *Suite {
	s := &Suite{plan: planFor(false), l: &launch.Launcher{}, cfg: Config{ServerCPU: "0", ClientCPU: "1"}}
	s.res.serverRounds = map[string][]serverRound{
		keyHelloOn:  {round(float64(helloOn), 14000), round(float64(helloOn), 15000), round(float64(helloOn), 14500)},
		keyHelloOff: {round(9800, 14000), round(9900, 14000), round(9700, 14000)},
		keyNetHTTP:  {round(10000, 11000), round(9000, 11000), round(11000, 11000)},
		keyPython:   {round(500, 18000), round(400, 18000), round(450, 18000)},
	}
	for _, r := range []float64{1, 10, 100, 1000, 5000, 10000, 20000} {
		s.res.accuracy = append(s.res.accuracy,
			accuracyRun(cLoadgen, r, float64(loadgenAchieved)/1e6, 0.005, loadgenRSSKB),
			accuracyRun(cFortio, r, 1, 0.02, 20000))
	}
	s.res.maxRuns = []clientRun{
		{client: cFortio, ok: 30000, cpu: time.Second},
		{client: cLoadgen, rate: 20000, dur: 2 * time.Second, ok: 40000, cpu: time.Second, note: "paced at 20000 rps"},
		{client: cLoadgen, rate: 30000, dur: 2 * time.Second, ok: 30000, cpu: 500 * time.Millisecond, note: "paced at 30000 rps"}, // did not keep up
	}
	s.res.slow = []clientRun{{client: cLoadgen, late: 100, server: record.Analysis{MaxInFlight: 256}}}
	return s
}

func statuses(s *Suite) map[string]string {
	out := map[string]string{}
	for _, g := range s.goals() {
		out[g.name] = g.status + " " + g.measured
	}
	return out
}

func TestGoals(t *testing.T) {
	good := statuses(synthetic(9500, 1_000_000, 20*1024))
	for name, st := range good {
		if !strings.HasPrefix(st, "met ") {
			t.Errorf("good results: %q = %q, want met", name, st)
		}
	}
	if len(good) != 9 {
		t.Errorf("%d goals, want 9", len(good))
	}
	// The loadgen ratio uses the 20,000 rps run (kept up), not the 30,000 one.
	if st := good["loadgen requests per client CPU-second vs fortio (max mode)"]; !strings.Contains(st, "1.33 (40000 vs 30000") ||
		!strings.Contains(st, "paced at 20000 rps both: 200000 vs 400000 req/CPU-s = 0.50") {
		t.Errorf("loadgen vs fortio = %q, want the run that kept up", st)
	}

	bad := statuses(synthetic(8000, 998_000, 40*1024))
	for _, name := range []string{
		"helloserver req/s with request logging ON, vs bare net/http",
		"loadgen achieved rate, overall, at 1, 10, 100, 1000, 5000, 10000, 20000 rps",
		"loadgen peak RSS at 10000 rps",
	} {
		if !strings.HasPrefix(bad[name], "MISSED ") {
			t.Errorf("bad results: %q = %q, want MISSED", name, bad[name])
		}
	}
	if st := bad["helloserver req/s with request logging ON, vs bare net/http"]; !strings.Contains(st, "0.800 (by server CPU per request: 0.800)") {
		t.Errorf("ratio = %q, want 0.800 (medians 8000 / 10000), CPU ratio the same", st)
	}

	empty := &Suite{plan: planFor(true), l: &launch.Launcher{}}
	for _, g := range empty.goals() {
		if g.status != notMeasured {
			t.Errorf("no results: %q = %q, want %q", g.name, g.status, notMeasured)
		}
	}
}

func TestDocument(t *testing.T) {
	s := synthetic(9500, 1_000_000, 20*1024)
	if s.referencePara() != "" {
		t.Errorf("reference paragraph without the reference server: %q", s.referencePara())
	}
	if s.routerPara() != "" {
		t.Errorf("router paragraph without plain chi: %q", s.routerPara())
	}
	s.res.serverRounds[keyChiSlog] = []serverRound{round(8000, 12000), round(7000, 12000), round(9000, 12000)}
	s.res.serverRounds[keyChi] = []serverRound{round(9100, 11500), round(9900, 11500), round(9500, 11500)}
	s.res.failures = []string{"5 slow server: boom"}
	doc := s.document()
	assertContains(t, doc,
		"| plain chi + slog (the issue's reference) | 8000 (7000-9000) | 0.800 |",
		// 8000 / 10000 of net/http; helloserver 9500 / 8000 of the reference.
		"in this run it scored 0.800 (by server CPU per request: 0.800)",
		"scored 1.188 (by server CPU per request: 1.188) of the reference",
		"| plain chi, no middleware | 9500 (9100-9900) | 0.950 |",
		// chi 9500 / net/http 10000; helloserver log off 9800 / chi 9500.
		"plain chi with no middleware, the router helloserver is built on, scored 0.950 (by server CPU per request: 0.950)",
		"helloserver with its request log off, which adds metrics, the response recorder and its headers, scored 1.032 (by server CPU per request: 1.032)",
		"# Benchmarks\n",
		"## Failed measurements\n\n- 5 slow server: boom\n",
		"| helloserver req/s with request logging ON, vs bare net/http | >= 0.90 | 0.950 (by server CPU per request: 0.950) | met |",
		"| bare net/http | 10000 (9000-11000) | 1.000 |",
		"## 3. Rate accuracy",
		// Client and recorder run-queue waits side by side.
		"| run-queue wait s, client / server |",
		"| 0.25 / 1.50 |",
	)
	if term := s.terminal(); !strings.Contains(term, "GOALS\n") || !strings.Contains(term, "FAILED: 5 slow server: boom") {
		t.Errorf("terminal output lacks the goals or the failure:\n%s", term)
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{spread(stats.Spread{}, "%.1f"), "-"},
		{spread(stats.Spread{Median: 2, Min: 2, Max: 2, N: 1}, "%.1f"), "2.0"},
		{spread(stats.Spread{Median: 2, Min: 1, Max: 3, N: 3}, "%.0f"), "2 (1-3)"},
		{dur(0), "-"},
		{dur(250 * time.Microsecond), "250 µs"},
		{dur(2500 * time.Microsecond), "2.50 ms"},
		{dur(25 * time.Millisecond), "25.0 ms"},
		{dur(2 * time.Second), "2.00 s"},
		{rssTrace(clientRun{maxRSSKB: 2048}), "- / - / 2.0"},
		{rssTrace(clientRun{rssTrace: []int64{1024, 1024, 1024, 2048, 3072}, maxRSSKB: 4096}), "3.0 / 3.0 / 4.0"},
		{rssTrace(clientRun{rssTrace: []int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 2048, 1024, 3072}}), "2.0 / 3.0 / 3.0"},
		{secs(500 * time.Millisecond), "1s"},
		{secs(5 * time.Second), "5s"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestFortioConns(t *testing.T) {
	for rate, want := range map[float64]int{1: 1, 100: 1, 1000: 2, 5000: 10, 10000: 20, 20000: 32} {
		if got := fortioConns(rate); got != want {
			t.Errorf("fortioConns(%g) = %d, want %d", rate, got, want)
		}
	}
}

// TestPlainChiRunsWithoutLogging: the plain-chi row is the chislog binary
// with its request log switched off, and the reference row is the same
// binary with it on; a lost flag would silently turn one into the other.
func TestPlainChiRunsWithoutLogging(t *testing.T) {
	s := &Suite{bin: map[string]string{"chislog": "/bin/chislog"}}
	chi, ref := s.serverSpec(keyChi).argv(8080), s.serverSpec(keyChiSlog).argv(8080)
	if !slices.Contains(chi, "-log=false") {
		t.Errorf("plain chi argv %q lacks -log=false", chi)
	}
	if slices.ContainsFunc(ref, func(a string) bool { return strings.HasPrefix(a, "-log") }) {
		t.Errorf("reference argv %q switches its request log", ref)
	}
}

// TestRatiosWithoutCPU: a server whose CPU was not measured gets its req/s
// ratio alone, never a CPU ratio of Inf or NaN.
func TestRatiosWithoutCPU(t *testing.T) {
	s := synthetic(9500, 1_000_000, 20*1024)
	s.res.serverRounds[keyChiSlog] = []serverRound{round(8000, 12000)}
	s.res.serverRounds[keyChi] = []serverRound{round(9500, 11500)}
	for _, k := range []string{keyHelloOn, keyChi} {
		for i := range s.res.serverRounds[k] {
			s.res.serverRounds[k][i].serverCPUms = 0
		}
	}
	doc := s.document()
	assertContains(t, doc,
		"| helloserver req/s with request logging ON, vs bare net/http | >= 0.90 | 0.950 | met |",
		"plain chi with no middleware, the router helloserver is built on, scored 0.950: ",
		"helloserver with its request log off, which adds metrics, the response recorder and its headers, scored 1.032.",
		"scored 1.188 of the reference.",
	)
	for _, bad := range []string{"Inf", "NaN", "by server CPU per request: -"} {
		if strings.Contains(doc, bad) {
			t.Errorf("document contains %q", bad)
		}
	}
}

func assertContains(t *testing.T, doc string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %q", want)
		}
	}
}
