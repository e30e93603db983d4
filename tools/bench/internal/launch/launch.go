// Package launch starts the benchmark's servers and clients pinned to a CPU
// with taskset, waits for servers to answer, and collects what each used.
// Every process gets a deadline: nothing the harness starts can outlive it.
package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asm-ready/asm-ready/tools/bench/internal/proc"
)

// Launcher pins processes and keeps one example of each kind of command
// line for the report.
type Launcher struct {
	Taskset  string // path of taskset; "" runs unpinned (tests)
	Commands []Command
	seen     map[string]bool
}

// Command is one example command line, shown in the report.
type Command struct{ Label, Line string }

// Note records cmd under label, once per label.
func (l *Launcher) Note(label string, env []string, argv []string) {
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	if l.seen[label] {
		return
	}
	l.seen[label] = true
	l.Commands = append(l.Commands, Command{Label: label, Line: strings.Join(append(append([]string(nil), env...), quote(argv)...), " ")})
}

func quote(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "|" {
			out[i] = a
			continue
		}
		if a == "" || strings.ContainsAny(a, " \"'$;|&*?") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return out
}

func (l *Launcher) command(ctx context.Context, cpu string, argv, env []string) *exec.Cmd {
	full := argv
	if l.Taskset != "" {
		full = append([]string{l.Taskset, "-c", cpu}, argv...)
	}
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	cmd.Env = append(os.Environ(), env...)
	// Kill, not interrupt, at the deadline: a stuck client must not hang the run.
	cmd.Cancel = func() error { return cmd.Process.Kill() }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// Server is a running server.
type Server struct {
	Name    string
	cmd     *exec.Cmd
	done    chan error
	started time.Time // just before exec
}

// StartServer starts argv on cpu with env added, its output to out.
func (l *Launcher) StartServer(label, cpu string, argv, env []string, out io.Writer) (*Server, error) {
	l.Note(label, env, append([]string{"taskset", "-c", cpu}, argv...))
	cmd := l.command(context.Background(), cpu, argv, env)
	cmd.Stdout, cmd.Stderr = out, out
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", label, err)
	}
	s := &Server{Name: label, cmd: cmd, done: make(chan error, 1), started: started}
	go func() { s.done <- cmd.Wait() }()
	return s, nil
}

// Pid is the server's process id (taskset execs the program in place).
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// WaitReady polls url until it answers 200, the process exits, or timeout.
// It returns the time from just before exec to the first 200.
func (s *Server) WaitReady(url string, timeout time.Duration) (time.Duration, error) {
	return waitReady(url, timeout, s.done, s.cmd.Process.Pid, s.started)
}

func waitReady(url string, timeout time.Duration, done chan error, pid int, start time.Time) (time.Duration, error) {
	c := &http.Client{Timeout: 200 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := start.Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err // keep it for Stop
			return 0, fmt.Errorf("pid %d exited before %s answered: %v", pid, url, err)
		default:
		}
		if resp, err := c.Get(url); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("%s did not answer 200 within %v", url, timeout)
}

// PeakRSSKB is VmHWM of the server and its children (nginx's worker).
func (s *Server) PeakRSSKB() int64 {
	var sum int64
	for _, pid := range append([]int{s.Pid()}, proc.Children(s.Pid())...) {
		if kb, err := proc.StatusKB(pid, "VmHWM"); err == nil {
			sum += kb
		}
	}
	return sum
}

// Waited is the run-queue wait of the server and its children so far.
func (s *Server) Waited() time.Duration {
	var sum time.Duration
	for _, pid := range append([]int{s.Pid()}, proc.Children(s.Pid())...) {
		if w, err := proc.RunQueueWait(pid); err == nil {
			sum += w
		}
	}
	return sum
}

// CPU is the CPU time the server and its children used so far.
func (s *Server) CPU() time.Duration {
	var sum time.Duration
	for _, pid := range append([]int{s.Pid()}, proc.Children(s.Pid())...) {
		if st, err := proc.ReadStat(pid); err == nil {
			sum += st.CPU
		}
	}
	return sum
}

// Stop kills the server (and, for nginx, its worker) and reaps it.
func (s *Server) Stop() {
	kids := proc.Children(s.Pid())
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	for _, k := range kids {
		_ = syscall.Kill(k, syscall.SIGKILL)
	}
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(5 * time.Second):
	}
}

// Result is a finished client run.
type Result struct {
	Output   []byte // stdout and stderr
	Usage    proc.Usage
	Wall     time.Duration
	RSSTrace []int64 // VmRSS in kB, sampled every Sample while it ran
	// Waited is the run-queue wait of the client's threads (runnable, no
	// CPU), as last sampled before it exited.
	Waited time.Duration
	Err    error
}

// RunOptions shape a client run.
type RunOptions struct {
	Label   string
	CPU     string
	Argv    []string
	Env     []string
	Stdin   string // fed to the client's standard input (vegeta's targets)
	Timeout time.Duration
	Sample  time.Duration // 0: no RSS trace
}

// Run runs a client to completion (or to Timeout, when it is killed).
func (l *Launcher) Run(o RunOptions) Result {
	shown := append([]string{"taskset", "-c", o.CPU}, o.Argv...)
	if o.Stdin != "" {
		shown = append([]string{"echo", strings.TrimSpace(o.Stdin), "|"}, shown...)
	}
	l.Note(o.Label, o.Env, shown)
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	cmd := l.command(ctx, o.CPU, o.Argv, o.Env)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if o.Stdin != "" {
		cmd.Stdin = strings.NewReader(o.Stdin)
	}
	start := time.Now()
	var res Result
	if err := cmd.Start(); err != nil {
		res.Err = fmt.Errorf("start %s: %w", o.Label, err)
		return res
	}
	stop := make(chan struct{})
	type sampled struct {
		rss    []int64
		hwm    int64
		waited time.Duration
	}
	traced := make(chan sampled, 1)
	go func() {
		var out sampled
		every := o.Sample
		if every <= 0 || every > 100*time.Millisecond {
			every = 100 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
	loop:
		for {
			select {
			case <-t.C:
				if o.Sample > 0 {
					if kb, err := proc.StatusKB(cmd.Process.Pid, "VmRSS"); err == nil {
						out.rss = append(out.rss, kb)
					}
				}
				if w, err := proc.RunQueueWait(cmd.Process.Pid); err == nil {
					out.waited = w
				}
				if kb, err := proc.StatusKB(cmd.Process.Pid, "VmHWM"); err == nil {
					out.hwm = kb
				}
			case <-stop:
				break loop
			}
		}
		traced <- out
	}()
	err := cmd.Wait()
	close(stop)
	smp := <-traced
	res.RSSTrace, res.Waited = smp.rss, smp.waited
	res.Wall = time.Since(start)
	res.Output = []byte(out.String())
	res.Usage, _ = proc.ChildUsage(cmd)
	// rusage's maxrss survives execve: through taskset it starts at the
	// harness's own size (the child is forked from it). VmHWM is the new
	// program's alone; sampled every 100 ms, it misses at most the last
	// tenth of a second.
	if smp.hwm > 0 {
		res.Usage.MaxRSS = smp.hwm
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%s killed after %v: %w", o.Label, o.Timeout, ctx.Err())
	} else if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%s exited with %d: %s", o.Label, ee.ExitCode(), lastLine(res.Output))
		}
	}
	res.Err = err
	return res
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
