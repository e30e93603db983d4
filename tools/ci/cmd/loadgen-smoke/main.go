// Command loadgen-smoke is the kind e2e's smoke test: it follows loadgen's
// log and exits 0 once -min-requests requests completed with none failed,
// 1 when one fails or the log ends or -timeout passes first, 2 on bad usage.
//
//	loadgen-smoke -min-requests 100 -timeout 3m -- kubectl -n asm-ready logs -f deploy/loadgenerator -c main
//
// Without a command after --, it reads the log from stdin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/asm-ready/asm-ready/tools/ci/internal/smoke"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen-smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	minOK := fs.Uint64("min-requests", 100, "successful requests needed to pass (> 0)")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up after this long (> 0)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *minOK == 0 {
		fmt.Fprintln(stderr, "loadgen-smoke: -min-requests 0: must be at least 1")
		return 2
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "loadgen-smoke: -timeout %s: must be positive, e.g. 3m\n", *timeout)
		return 2
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	log, wait, err := source(ctx, fs.Args(), stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen-smoke: %v\n", err)
		return 2
	}
	type verdict struct {
		res smoke.Result
		err error
	}
	done := make(chan verdict, 1)
	go func() {
		res, err := smoke.Judge(log, *minOK)
		done <- verdict{res, err}
	}()

	var v verdict
	select {
	case v = <-done:
	case <-ctx.Done():
		v = verdict{err: fmt.Errorf("timed out after %s waiting for %d successful requests", *timeout, *minOK)}
	}
	cancel() // stop a followed log (kubectl logs -f) once judged
	if werr := wait(); werr != nil && v.err == nil && !v.res.Reached {
		v.err = werr
	}
	if v.err != nil {
		fmt.Fprintf(stderr, "loadgen-smoke: FAIL: %v\n", v.err)
		return 1
	}
	fmt.Fprintf(stdout, "loadgen-smoke: PASS: %d requests to %s completed OK, none failed (%d summary line(s), %d warm-up line(s) skipped)\n",
		v.res.OK, v.res.URL, v.res.Lines, v.res.Warmup)
	return 0
}

// source returns the log to read: the stdout of the command in args, killed
// when ctx ends, or stdin when args is empty. wait reaps the command.
func source(ctx context.Context, args []string, stdin io.Reader, stderr io.Writer) (io.Reader, func() error, error) {
	if len(args) == 0 {
		return stdin, func() error { return nil }, nil
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting %s: %w", args[0], err)
	}
	wait := func() error {
		err := cmd.Wait()
		if ctx.Err() != nil {
			return nil // killed by us: its exit status says nothing
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%s exited with status %d", args[0], ee.ExitCode())
		}
		return err
	}
	return out, wait, nil
}
