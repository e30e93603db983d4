// Package suite is `make bench`: it builds what it measures, runs each
// measurement of issue 8 with the server on one CPU and the client on the
// other, and writes the tables and the goals to docs/benchmarks.md.
package suite

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/asm-ready/asm-ready/tools/bench/internal/deps"
	"github.com/asm-ready/asm-ready/tools/bench/internal/launch"
)

// Pinned versions of the Go load clients; tools/bench/go.mod holds the same
// versions in its `tool` directives (TestPinnedVersions checks they agree).
const (
	FortioVersion = "v1.66.5"
	VegetaVersion = "v12.13.0"
)

// Config is how the harness was asked to run.
type Config struct {
	Repo      string // repository root
	Module    string // tools/bench (where `go build` of the pinned tools runs)
	Out       string // Markdown output
	Cache     string // built tools and raw micro-benchmark output
	Quick     bool
	ServerCPU string
	ClientCPU string
	Select    Selection // the zero value: everything
	Log       io.Writer // progress
	Stdout    io.Writer // the final table
}

// plan is what a mode measures; Quick shrinks every part.
type plan struct {
	rounds                int
	warmup, measure       time.Duration
	wrkConns              int
	openLoopRate          float64
	openLoop              time.Duration
	rates                 []float64
	rateDur               time.Duration
	maxDur                time.Duration
	slowRate              float64
	slowDur               time.Duration
	startups              int
	microCount            int
	microTime             string
	loadgenRSSGoalRate    float64
	slowDelay             time.Duration
	fortioSlowConnections int
	maxConnections        int
}

func planFor(quick bool) plan {
	p := plan{
		rounds: 5, warmup: time.Second, measure: 4 * time.Second, wrkConns: 50,
		openLoopRate: 1000, openLoop: 6 * time.Second,
		rates:    []float64{1, 10, 100, 1000, 5000, 10000, 20000},
		rateDur:  10 * time.Second,
		maxDur:   5 * time.Second,
		slowRate: 5000, slowDur: 10 * time.Second, slowDelay: 200 * time.Millisecond,
		startups: 10, microCount: 6, microTime: "200ms",
		loadgenRSSGoalRate: 10000, fortioSlowConnections: 256, maxConnections: 16,
	}
	if quick {
		p.rounds, p.warmup, p.measure = 3, 0, 2*time.Second // no warm-up: a smoke test
		p.openLoop = 3 * time.Second
		p.rates, p.rateDur = []float64{10, 1000, 10000}, 3*time.Second
		p.maxDur = 2 * time.Second
		p.slowRate, p.slowDur = 2000, 3*time.Second
		p.startups, p.microCount, p.microTime = 5, 1, "100ms"
	}
	return p
}

// Suite is one run.
type Suite struct {
	cfg  Config
	plan plan
	tmp  string
	l    *launch.Launcher
	bin  map[string]string // program -> path
	res  results
	t0   time.Time
}

// Run runs everything and writes the report.
func Run(cfg Config) error {
	s := &Suite{cfg: cfg, plan: planFor(cfg.Quick), bin: map[string]string{}, t0: time.Now()}
	if cfg.Select.Rates != nil {
		s.plan.rates = cfg.Select.Rates
	}
	tmp, err := os.MkdirTemp("", "asm-ready-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	s.tmp = tmp
	if err := s.setup(); err != nil {
		return err
	}
	steps := []struct {
		key, name string
		fn        func() error
	}{
		{SecThroughput, "1 fixed-connection throughput (wrk)", s.servers},
		{SecOpenLoop, "2 open-loop latency", s.openLoop},
		{SecRate, "3 rate accuracy", s.accuracy},
		{SecMax, "4 maximum throughput per client CPU-second", s.maxThroughput},
		{SecSlow, "5 slow server", s.slowServer},
		{SecStartup, "6 startup and size", s.startup},
		{SecMicro, "Go micro-benchmarks", s.micro},
	}
	for _, st := range steps {
		if !s.wants(st.key) {
			continue
		}
		s.logf("== %s", st.name)
		start := time.Now()
		if err := st.fn(); err != nil {
			// One broken measurement must not hide the others: keep going,
			// and show the failure in the report.
			s.res.failures = append(s.res.failures, fmt.Sprintf("%s: %v", st.name, err))
			s.logf("   FAILED: %v", err)
		}
		s.logf("   (%s)", time.Since(start).Round(100*time.Millisecond))
	}
	s.res.total = time.Since(s.t0)
	s.res.machine.loadavgEnd = loadavg()
	doc := s.document()
	fmt.Fprint(cfg.Stdout, s.terminal())
	if err := os.MkdirAll(filepath.Dir(cfg.Out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.Out, []byte(doc), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(cfg.Stdout, "\nwrote %s (%s)\n", cfg.Out, s.res.total.Round(time.Second))
	if len(s.res.failures) > 0 {
		return fmt.Errorf("%d measurement(s) failed: %s", len(s.res.failures), strings.Join(s.res.failures, "; "))
	}
	return nil
}

func (s *Suite) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "[%5.0fs] %s\n", time.Since(s.t0).Seconds(), fmt.Sprintf(format, args...))
}

func (s *Suite) setup() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("make bench needs Linux (/proc, taskset); this is %s", runtime.GOOS)
	}
	if runtime.NumCPU() < 2 {
		return fmt.Errorf("make bench needs 2 CPUs to pin client and server apart; this machine has %d", runtime.NumCPU())
	}
	paths, err := deps.Ensure(deps.Host(s.cfg.Log), []deps.Debian{
		{Program: "wrk", Package: "wrk"},
		{Program: "nginx", Package: "nginx"},
		{Program: "python3", Package: "python3"},
		{Program: "taskset", Package: "util-linux"},
	})
	if err != nil {
		return err
	}
	// Debian's python3 over a version manager's shim: the shim is a shell
	// script that would add its own start-up to every measurement.
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		paths["python3"] = "/usr/bin/python3"
	}
	for k, v := range paths {
		s.bin[k] = v
	}
	s.l = &launch.Launcher{Taskset: s.bin["taskset"]}

	binDir := filepath.Join(s.cfg.Cache, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	// As the Dockerfiles build: static, trimmed, stripped.
	image := []string{"-trimpath", "-ldflags", "-s -w"}
	builds := []struct {
		name, dir, pkg, out string
		flags               []string
	}{
		{"helloserver", filepath.Join(s.cfg.Repo, "services/helloserver"), ".", filepath.Join(s.tmp, "helloserver"), image},
		{"loadgen", filepath.Join(s.cfg.Repo, "services/loadgen"), ".", filepath.Join(s.tmp, "loadgen"), image},
		{"nethttp", s.cfg.Module, "./baselines/nethttp", filepath.Join(s.tmp, "nethttp"), image},
		{"chislog", s.cfg.Module, "./baselines/chislog", filepath.Join(s.tmp, "chislog"), image},
		{"recorder", s.cfg.Module, "./cmd/recorder", filepath.Join(s.tmp, "recorder"), image},
		{"fortio", s.cfg.Module, "fortio.org/fortio", filepath.Join(binDir, "fortio"), nil},
		{"vegeta", s.cfg.Module, "github.com/tsenart/vegeta/v12", filepath.Join(binDir, "vegeta"),
			[]string{"-ldflags", "-X main.Version=" + VegetaVersion}},
		{"benchstat", s.cfg.Module, "golang.org/x/perf/cmd/benchstat", filepath.Join(binDir, "benchstat"), nil},
	}
	for _, b := range builds {
		s.logf("build %s", b.name)
		args := append([]string{"build", "-o", b.out}, b.flags...)
		args = append(args, b.pkg)
		s.l.Note("build: "+b.name, []string{"cd " + b.dir + " &&", "GOWORK=off", "CGO_ENABLED=0"}, append([]string{"go"}, args...))
		cmd := exec.Command("go", args...)
		cmd.Dir = b.dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s in %s: %v\n%s", b.pkg, b.dir, err, out)
		}
		s.bin[b.name] = b.out
	}
	s.bin["pyserver"] = filepath.Join(s.cfg.Module, "baselines/pyhttp/server.py")
	return s.machine()
}

// machine records what the numbers were measured on.
func (s *Suite) machine() error {
	m := &s.res.machine
	m.nproc = runtime.NumCPU()
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	m.loadavg = loadavg()
	m.goVersion = strings.TrimSpace(output("go", "env", "GOVERSION"))
	m.wrk = firstLine(output(s.bin["wrk"], "-v"))
	m.nginx = firstLine(output(s.bin["nginx"], "-v"))
	m.python = firstLine(output(s.bin["python3"], "--version"))
	m.fortio = firstLine(output(s.bin["fortio"], "version"))
	m.vegeta = firstLine(output(s.bin["vegeta"], "-version"))
	m.date = time.Now().UTC().Format("2006-01-02 15:04 UTC")
	return nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func output(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	return string(out)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
