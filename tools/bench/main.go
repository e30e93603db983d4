// Command bench measures what users of asm-ready feel: loadgen's rate
// beside fortio's, loadgen's CPU and memory beside the chart's settings,
// helloserver's memory, start-up and throughput beside bare net/http and
// the tutorial's Python server, and meshcheck's time and memory. It writes
// one table, and the commands that produced it, to docs/benchmarks.md.
// `make bench` builds everything it runs into bin/, then runs it.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/template"
)

// bench is one run of the harness.
type bench struct {
	bin, repo, tmp string   // absolute paths
	commands       []string // every distinct command run, as the doc shows it
}

func (b *bench) path(name string) string { return filepath.Join(b.bin, name) }

// row is a line of the table.
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *repo); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, repo string) error {
	repo, err := filepath.Abs(repo)
	if err != nil {
		return err
	}
	chart, err := readChart(filepath.Join(repo, "charts/asm-ready/values.yaml"))
	if err != nil {
		return err
	}
	python, err := exec.CommandContext(ctx, "python3", "--version").Output()
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
		func() ([]row, error) { return b.meshcheckRows(ctx) },
		func() ([]row, error) { return b.serverRows(ctx) },
		func() ([]row, error) { return b.rateRows(ctx, chart) },
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
