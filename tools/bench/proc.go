package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// proc is a process the harness started. It runs in its own process group,
// so Ctrl-C reaches only the harness, and the whole group is killed when its
// context ends: on Ctrl-C, at its time limit, or by stop.
type proc struct {
	cmd    *exec.Cmd
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed once the process has exited
	err    error         // Wait's result; set before done is closed
	wall   time.Duration // from start to exit; set before done is closed
}

// start runs argv with env added to the harness's own, for at most limit,
// its output in a log in b.tmp named after the program (the last run of
// each program is kept, to read when it failed).
func (b *bench) start(ctx context.Context, limit time.Duration, env []string, argv ...string) (*proc, error) {
	b.record(env, argv)
	out, err := os.OpenFile(filepath.Join(b.tmp, filepath.Base(argv[0])+".log"), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child holds its own copy
	ctx, cancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("still running after %s", limit))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	// Pdeathsig: should the harness itself be killed, the kernel kills the child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	p := &proc{cmd: cmd, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); p.wall = time.Since(t0); close(p.done) }()
	return p, nil
}

// wait waits for a process that ends by itself, and fails if it failed or
// outlived its limit.
func (p *proc) wait() error {
	<-p.done
	defer p.cancel()
	if err := context.Cause(p.ctx); err != nil {
		return fmt.Errorf("%s stopped: %w", filepath.Base(p.cmd.Path), err)
	}
	if p.err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(p.cmd.Path), p.err)
	}
	return nil
}

// stop kills the process group and waits for the process to be gone.
func (p *proc) stop() {
	p.cancel()
	<-p.done
}

// portRE matches what differs from run to run in a command line.
var portRE = regexp.MustCompile(`(127\.0\.0\.1:|PORT=)\d+`)

// record keeps each distinct command line, as docs/benchmarks.md shows it.
func (b *bench) record(env, argv []string) {
	line := strings.Join(append(slices.Clone(env), argv...), " ")
	line = strings.ReplaceAll(line, b.tmp, "$TMP")
	line = strings.ReplaceAll(line, b.bin+"/", "bin/")
	line = strings.ReplaceAll(line, b.repo+"/", "")
	line = portRE.ReplaceAllString(line, "${1}$$PORT")
	if !slices.Contains(b.commands, line) {
		b.commands = append(b.commands, line)
	}
}

// freePort returns a loopback port nothing listens on now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// readProc returns a running process's CPU time, user + system in seconds
// (/proc/<pid>/stat), and its peak resident set (VmHWM, /proc/<pid>/status).
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
		err = fmt.Errorf("process %d has no memory: it is exiting", pid)
	}
	return stat.CPUTime(), int64(status.VmHWM), err
}

// sample reads p every 100 ms until it exits. It returns the CPU used
// between the first and the last reading over the time between them, which
// leaves start-up out, and the peak RSS at the last.
func sample(p *proc) (millicores float64, peak int64, err error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var cpu0, cpu1 float64
	var t0, t1 time.Time
	for {
		select {
		case <-p.done:
			if !t1.After(t0) {
				return 0, 0, fmt.Errorf("%s exited before it could be sampled twice", p.cmd.Path)
			}
			return 1000 * (cpu1 - cpu0) / t1.Sub(t0).Seconds(), peak, nil
		case <-tick.C:
			cpu, hwm, err := readProc(p.cmd.Process.Pid)
			if err != nil {
				continue // exiting: done is about to close
			}
			if t0.IsZero() {
				cpu0, t0 = cpu, time.Now()
			}
			cpu1, t1, peak = cpu, time.Now(), hwm
		}
	}
}

// maxRSS returns an exited process's peak resident set as getrusage reports
// it, as /usr/bin/time does. The kernel counts in it the harness's own
// resident set at the fork, so a figure not above the harness's own peak
// means only "at most".
func (p *proc) maxRSS() (peak int64, atMost bool) {
	<-p.done
	peak = p.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024 // kB on Linux
	_, self, err := readProc(os.Getpid())
	return peak, err != nil || peak <= self
}
