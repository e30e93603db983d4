// Command bench measures what users of asm-ready feel, loadgen, helloserver
// and meshcheck beside their baselines, and writes it as one table, with the
// commands that produced it, to docs/benchmarks.md. `make bench` builds what
// it runs into bin/, then runs it.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/template"
	"time"

	fortiolog "fortio.org/log"
	"github.com/prometheus/procfs"
)

type bench struct {
	bin, repo, tmp string   // absolute paths
	commands       []string // every distinct command run, as the doc shows it
}

func (b *bench) path(name string) string { return filepath.Join(b.bin, name) }

type row struct{ Figure, Measured, Goal, Result string }

func judged(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

//go:embed benchmarks.md.tmpl
var docTemplate string

func main() {
	repo := flag.String("repo", "..", "repository root, with bin/ built by make bench")
	flag.Parse()
	fortiolog.SetLogLevelQuiet(fortiolog.Error) // as its -quiet
	if err := run(*repo); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(repo string) error {
	repo, err := filepath.Abs(repo)
	if err != nil {
		return err
	}
	chart, err := readChart(filepath.Join(repo, "charts/asm-ready/values.yaml"))
	if err != nil {
		return err
	}
	python, err := exec.Command("python3", "--version").Output()
	if err != nil {
		return fmt.Errorf("python3 --version: %w (the tutorial's server runs on python3)", err)
	}
	b := &bench{bin: filepath.Join(repo, "bin"), repo: repo}
	if b.tmp, err = os.MkdirTemp("", "bench-"); err != nil {
		return err
	}
	// meshcheck first: it is quick, and fails at once on missing inputs.
	var rows []row
	for _, part := range []func() ([]row, error){
		b.meshcheckRows,
		b.serverRows,
		func() ([]row, error) { return b.rateRows(chart) },
	} {
		r, err := part()
		if err != nil {
			return fmt.Errorf("%w (each program's last output is in %s)", err, b.tmp)
		}
		rows = append(rows, r...)
	}
	_ = os.RemoveAll(b.tmp)

	var doc bytes.Buffer
	err = template.Must(template.New("doc").Parse(docTemplate)).Execute(&doc, map[string]any{
		"Machine":  fmt.Sprintf("%d cores, %s %s/%s, %s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(python))),
		"Rows":     rows,
		"Commands": b.commands,
	})
	if err != nil {
		return err
	}
	// Written whole, then renamed: an interrupted run leaves the old file.
	out := filepath.Join(repo, "docs/benchmarks.md")
	if err := os.WriteFile(out+".tmp", doc.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}

// proc is a process the harness started, killed at its time limit or by stop.
type proc struct {
	*exec.Cmd
	ctx    context.Context
	cancel context.CancelFunc
}

// start runs argv with env added to the harness's own, for at most limit,
// its output in b.tmp/<program>.log (the last run of each program is kept,
// to read when it failed).
func (b *bench) start(limit time.Duration, env []string, argv ...string) (*proc, error) {
	b.record(env, argv)
	out, err := os.Create(filepath.Join(b.tmp, filepath.Base(argv[0])+".log"))
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child holds its own copy
	ctx, cancel := context.WithTimeoutCause(context.Background(), limit, fmt.Errorf("still running after %s", limit))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	// Should the harness itself be killed, the kernel kills the child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	return &proc{cmd, ctx, cancel}, nil
}

// wait waits for a process that ends by itself, and fails if it failed or
// outlived its limit.
func (p *proc) wait() error {
	defer p.cancel()
	if err := p.Wait(); err != nil {
		if cause := context.Cause(p.ctx); cause != nil {
			err = cause
		}
		return fmt.Errorf("%s: %w", filepath.Base(p.Path), err)
	}
	return nil
}

func (p *proc) stop() {
	p.cancel()
	_ = p.Wait()
}

// portRE matches what differs from run to run in a command line.
var portRE = regexp.MustCompile(`(127\.0\.0\.1:|PORT=)\d+`)

// record keeps each distinct command line, as docs/benchmarks.md shows it.
func (b *bench) record(env, argv []string) {
	line := strings.Join(append(slices.Clone(env), argv...), " ")
	line = strings.ReplaceAll(line, b.bin+"/", "bin/")
	line = strings.ReplaceAll(line, b.repo+"/", "")
	line = portRE.ReplaceAllString(line, "${1}$$PORT")
	if !slices.Contains(b.commands, line) {
		b.commands = append(b.commands, line)
	}
}

// readProc returns a process's CPU time, user + system in seconds, and its
// peak resident set (VmHWM); one that has exited has no memory to read.
func readProc(pid int) (cpu float64, peak int64, err error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, 0, err
	}
	stat, err := p.Stat()
	if err != nil {
		return 0, 0, err
	}
	status, err := p.NewStatus()
	if err == nil && status.VmHWM == 0 {
		err = fmt.Errorf("process %d has exited", pid)
	}
	return stat.CPUTime(), int64(status.VmHWM), err
}

// sample reads p every 100 ms until it exits. It returns the CPU used
// between the first and the last reading over the time between them, which
// leaves start-up out, and the peak RSS at the last.
func sample(p *proc) (millicores float64, peak int64, err error) {
	var cpu0, cpu1 float64
	var t0, t1 time.Time
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		cpu, hwm, err := readProc(p.Process.Pid)
		if err != nil {
			break
		}
		if t0.IsZero() {
			cpu0, t0 = cpu, time.Now()
		}
		cpu1, t1, peak = cpu, time.Now(), hwm
	}
	if !t1.After(t0) {
		return 0, 0, fmt.Errorf("%s exited before it could be sampled twice", p.Path)
	}
	return 1000 * (cpu1 - cpu0) / t1.Sub(t0).Seconds(), peak, nil
}
