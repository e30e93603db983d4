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
	name := filepath.Base(p.cmd.Path)
	if p.ctx.Err() != nil {
		return fmt.Errorf("%s stopped: %w", name, context.Cause(p.ctx))
	}
	if p.err != nil {
		return fmt.Errorf("%s: %w", name, p.err)
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

// usage returns the CPU time (user + system) and the peak resident set
// (VmHWM) of an exited process, as /usr/bin/time reports them: getrusage's
// counters, which cover its whole life.
func (p *proc) usage() (cpu time.Duration, peak int64) {
	<-p.done
	ru := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Maxrss * 1024 // Maxrss is in kB on Linux
}
