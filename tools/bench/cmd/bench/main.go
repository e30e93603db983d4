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

	"github.com/asm-ready/asm-ready/tools/bench/internal/suite"
)

func main() {
	quick := flag.Bool("quick", os.Getenv("QUICK") == "1", "short runs and fewer rates (< 2 minutes); also QUICK=1")
	repo := flag.String("repo", "../..", "repository root")
	out := flag.String("out", "", "Markdown report (default: <repo>/docs/benchmarks.md; with -quick, <cache>/benchmarks-quick.md)")
	cache := flag.String("cache", "", "cache directory (default: $ASM_READY_CACHE or ~/.cache/asm-ready)")
	serverCPU := flag.String("server-cpu", "0", "CPU the servers are pinned to")
	clientCPU := flag.String("client-cpu", "1", "CPU the clients are pinned to")
	flag.Parse()

	if err := run(*quick, *repo, *out, *cache, *serverCPU, *clientCPU); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(quick bool, repo, out, cache, serverCPU, clientCPU string) error {
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
		out = filepath.Join(root, "docs", "benchmarks.md")
		if quick {
			out = filepath.Join(cache, "benchmarks-quick.md")
		}
	}
	return suite.Run(suite.Config{
		Repo: root, Module: filepath.Join(root, "tools", "bench"), Out: out, Cache: cache, Quick: quick,
		ServerCPU: serverCPU, ClientCPU: clientCPU, Log: os.Stderr, Stdout: os.Stdout,
	})
}
