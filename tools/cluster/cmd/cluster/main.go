// Command cluster runs the repository's single-node test cluster (package
// tools/cluster) on this machine. It needs root.
//
//	cluster up                      bring the node up; print its KUBECONFIG
//	cluster images                  build the service images and import them
//	cluster down                    tear it down (also a crashed run's leftovers)
//	cluster status                  exit 0 and print KUBECONFIG when a node is up
//	cluster run [-images] -- CMD    up, CMD with KUBECONFIG set, down always
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/asm-ready/asm-ready/tools/cluster"
)

func main() { os.Exit(run()) }

func run() int {
	// SIGINT and SIGTERM cancel the work in progress; teardown still runs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cluster up|images|down|status|run [-images] -- CMD [ARG...]")
		return 2
	}
	verb := os.Args[1]
	fs := flag.NewFlagSet("cluster "+verb, flag.ContinueOnError)
	images := fs.Bool("images", false, "run: build and import the service images before CMD")
	timeout := fs.Duration("timeout", 10*time.Minute, "up, images: give up after this long")
	if err := fs.Parse(os.Args[2:]); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "cluster %s: %v\n", verb, err)
		return 1
	}
	repo, err := findRepo()
	if err != nil {
		return fail(err)
	}
	n, err := cluster.New(repo, os.Stderr)
	if err != nil {
		return fail(err)
	}
	if verb == "status" {
		if !cluster.Running() {
			fmt.Println("no test node is up")
			return 1
		}
		fmt.Println("KUBECONFIG=" + n.Kubeconfig())
		return 0
	}
	if verb == "run" {
		if fs.NArg() == 0 {
			return fail(errors.New("no command: cluster run [-images] -- CMD [ARG...]"))
		}
		err := n.Run(ctx, *images, fs.Args())
		if exit := (*exec.ExitError)(nil); errors.As(err, &exit) && exit.ExitCode() > 0 {
			return exit.ExitCode()
		} else if err != nil {
			return fail(err)
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	unlock, err := n.Lock(ctx)
	if err != nil {
		return fail(err)
	}
	defer unlock()
	switch verb {
	case "up":
		err = n.Up(ctx, 0)
		if err == nil {
			fmt.Println("KUBECONFIG=" + n.Kubeconfig())
		}
	case "images":
		err = n.Images(ctx)
	case "down":
		err = n.Down()
	default:
		fmt.Fprintf(os.Stderr, "cluster: unknown command %q; allowed: up, images, down, status, run\n", verb)
		return 2
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// findRepo returns the nearest directory at or above the working directory
// that holds go.work: the repository root.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("no go.work at or above %s: run from inside the repository", dir)
		}
	}
}
