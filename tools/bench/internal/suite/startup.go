package suite

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/asm-ready/asm-ready/tools/bench/internal/launch"
	"github.com/asm-ready/asm-ready/tools/bench/internal/stats"
)

type startupResult struct {
	name      string
	ready     stats.Spread // milliseconds, exec to first 200
	sizeBytes int64
}

func (s *Suite) startup() error {
	type target struct {
		name, bin, path string
		argv            func(port int) []string
		env             func(port int) []string
	}
	hello := func(p int) []string {
		return []string{"PORT=" + strconv.Itoa(p), "SHUTDOWN_DELAY=0s", "LOG_LEVEL=warn"}
	}
	lg := func(p int) []string {
		// The target is a closed port: readiness must not depend on it.
		return []string{"PORT=" + strconv.Itoa(p), "SERVER_ADDR=http://127.0.0.1:9/", "REQUESTS_PER_SECOND=1", "LOG_LEVEL=warn"}
	}
	targets := []target{
		{"helloserver", "helloserver", "/readyz", func(int) []string { return []string{s.bin["helloserver"]} }, hello},
		{"loadgen", "loadgen", "/readyz", func(int) []string { return []string{s.bin["loadgen"]} }, lg},
		{"bare net/http", "nethttp", "/readyz", func(p int) []string { return []string{s.bin["nethttp"], "-addr", addr(p)} },
			func(int) []string { return nil }},
	}
	for _, t := range targets {
		var ms []float64
		for range s.plan.startups {
			port, err := launch.FreePort()
			if err != nil {
				return err
			}
			srv, err := s.l.StartServer("startup: "+t.name, s.cfg.ServerCPU, t.argv(port), t.env(port), io.Discard)
			if err != nil {
				return err
			}
			d, err := srv.WaitReady("http://"+addr(port)+t.path, 10*time.Second)
			srv.Stop()
			if err != nil {
				return fmt.Errorf("%s: %v", t.name, err)
			}
			ms = append(ms, d.Seconds()*1000)
		}
		st, err := os.Stat(s.bin[t.bin])
		if err != nil {
			return err
		}
		r := startupResult{name: t.name, ready: stats.Summarize(ms), sizeBytes: st.Size()}
		s.res.startup = append(s.res.startup, r)
		s.logf("   %-14s ready in %.1f ms (median of %d; %.1f-%.1f)  binary %.2f MiB", t.name, r.ready.Median, r.ready.N,
			r.ready.Min, r.ready.Max, float64(r.sizeBytes)/(1<<20))
	}
	return nil
}

// microModules are the modules whose Go benchmarks the report includes.
var microModules = []string{"services/helloserver", "services/loadgen", "tools/meshcheck"}

type microResult struct {
	module    string
	benchstat string // benchstat of this run (and the previous one, when kept)
	compared  bool
}

// micro runs `go test -bench` in each module and summarises it with
// benchstat. The raw output is kept in the cache: the next run is compared
// with it, which is how a change shows its before/after.
func (s *Suite) micro() error {
	dir := filepath.Join(s.cfg.Cache, "microbench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var failed []string
	for _, m := range microModules {
		name := strings.ReplaceAll(m, "/", "-")
		if s.cfg.Quick {
			name += "-quick" // compare like with like
		}
		latest := filepath.Join(dir, name+".txt")
		previous := filepath.Join(dir, name+".previous.txt")
		args := []string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", strconv.Itoa(s.plan.microCount), "-benchtime", s.plan.microTime, "./..."}
		s.l.Note("go test -bench", []string{"GOWORK=off"}, append([]string{"go"}, args...))
		cmd := exec.Command("go", args...)
		cmd.Dir = filepath.Join(s.cfg.Repo, m)
		cmd.Env = append(os.Environ(), "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v: %s", m, err, tail(out, 300)))
			continue
		}
		if _, err := os.Stat(latest); err == nil {
			_ = os.Rename(latest, previous)
		}
		if err := os.WriteFile(latest, out, 0o644); err != nil {
			return err
		}
		bsArgs := []string{"this=" + latest}
		compared := false
		if _, err := os.Stat(previous); err == nil {
			bsArgs = []string{"previous=" + previous, "this=" + latest}
			compared = true
		}
		bs, err := exec.Command(s.bin["benchstat"], bsArgs...).CombinedOutput()
		if err != nil {
			failed = append(failed, fmt.Sprintf("benchstat %s: %v", m, err))
			continue
		}
		s.res.micro = append(s.res.micro, microResult{module: m, benchstat: string(bs), compared: compared})
		if m == "services/helloserver" {
			if c, ok := parseInProcess(out); ok {
				s.res.inProcess = &c
			}
		}
		s.logf("   %s: %d benchmark lines", m, strings.Count(string(out), "\nBenchmark"))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return nil
}
