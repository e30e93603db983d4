// Command bench is `make bench`: helloserver against bare net/http, nginx
// and the tutorial's Python server, and loadgen against fortio and vegeta,
// on this machine, in one run. It prints a table and writes
// docs/benchmarks.md. See internal/suite.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/asm-ready/asm-ready/tools/bench/internal/suite"
)

func main() {
	quick := flag.Bool("quick", os.Getenv("QUICK") == "1", "short runs and fewer rates (< 2 minutes); also QUICK=1")
	repo := flag.String("repo", "../..", "repository root")
	out := flag.String("out", "", "Markdown report (default: <repo>/docs/benchmarks.md; with -quick, <cache>/benchmarks-quick.md;\nwith -only, -rates, -clients or -repeat, <cache>/benchmarks-partial.md)")
	cache := flag.String("cache", "", "cache directory (default: $ASM_READY_CACHE or ~/.cache/asm-ready)")
	serverCPU := flag.String("server-cpu", "0", "CPU the servers are pinned to")
	clientCPU := flag.String("client-cpu", "1", "CPU the clients are pinned to")
	only := flag.String("only", "", "run only these sections, comma-separated: "+strings.Join(suite.Sections, ", ")+
		"\n(1 throughput = wrk against the servers, 2 openloop, 3 rate = rate accuracy, 4 max = max throughput,\n5 slow = slow server, 6 startup, micro = Go micro-benchmarks); default: all")
	rates := flag.String("rates", "", "section 3's rates in requests per second, comma-separated, e.g. 10000,20000 (default: 1,10,100,1000,5000,10000,20000)")
	clients := flag.String("clients", "", "run only these clients in sections 3-5, comma-separated: "+strings.Join(suite.Clients, ", ")+" (default: all)")
	repeat := flag.Int("repeat", 1, "run section 3 this many times per rate and client, the clients taking turns (for medians)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: bench [flags]\n\n"+
			"With no flags: the whole of `make bench`, written to docs/benchmarks.md.\n"+
			"To iterate on one measurement without touching docs/benchmarks.md:\n"+
			"  bench -only rate -rates 20000 -clients loadgen,fortio -repeat 3 -out /tmp/rate.md\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected argument %q: bench takes flags only (see -help)\n", flag.Arg(0))
		os.Exit(2)
	}
	sel, err := suite.ParseSelection(*only, *rates, *clients, *repeat)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := run(*quick, *repo, *out, *cache, *serverCPU, *clientCPU, sel); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(quick bool, repo, out, cache, serverCPU, clientCPU string, sel suite.Selection) error {
	root, err := filepath.Abs(repo)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "services", "helloserver", "go.mod")); err != nil {
		return fmt.Errorf("-repo %q is not the repository root (no services/helloserver/go.mod): run from tools/bench or pass -repo", repo)
	}
	if serverCPU == clientCPU {
		return fmt.Errorf("-server-cpu and -client-cpu are both %q: pin them to different CPUs", serverCPU)
	}
	if cache == "" {
		cache = os.Getenv("ASM_READY_CACHE")
	}
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("no cache directory: set ASM_READY_CACHE (%v)", err)
		}
		cache = filepath.Join(home, ".cache", "asm-ready")
	}
	if out == "" {
		out = defaultOut(root, cache, quick, sel)
	}
	return suite.Run(suite.Config{
		Repo: root, Module: filepath.Join(root, "tools", "bench"), Out: out, Cache: cache, Quick: quick,
		ServerCPU: serverCPU, ClientCPU: clientCPU, Select: sel, Log: os.Stderr, Stdout: os.Stdout,
	})
}

// defaultOut keeps docs/benchmarks.md for the full run: a quick or partial
// run must not replace the reference numbers.
func defaultOut(root, cache string, quick bool, sel suite.Selection) string {
	switch {
	case sel.Partial():
		return filepath.Join(cache, "benchmarks-partial.md")
	case quick:
		return filepath.Join(cache, "benchmarks-quick.md")
	}
	return filepath.Join(root, "docs", "benchmarks.md")
}
