// Command cluster runs the repository's single-node test cluster (package
// tools/cluster) on this machine, from the repository root. All but refs
// need root.
//
//	cluster up                      bring the node up; print its KUBECONFIG
//	cluster images                  build the service images and import them
//	cluster down                    tear it down (also a crashed run's leftovers)
//	cluster run [-images] -- CMD    up, CMD with KUBECONFIG set, down always
//	cluster refs                    print each service and its image names
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/asm-ready/asm-ready/tools/cluster"
)

const usage = "usage: cluster up|images|down|refs|run [-images] -- CMD [ARG...]"

func main() {
	// SIGINT and SIGTERM cancel the work in progress; teardown still runs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 || !slices.Contains([]string{"up", "images", "down", "refs", "run"}, os.Args[1]) {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	verb := os.Args[1]
	fs := flag.NewFlagSet("cluster "+verb, flag.ContinueOnError)
	images := fs.Bool("images", false, "run: build and import the service images before CMD")
	if err := fs.Parse(os.Args[2:]); err != nil {
		os.Exit(2)
	}
	err := do(ctx, verb, *images, fs.Args())
	var status cluster.CommandFailed
	switch {
	case errors.As(err, &status) && err == error(status):
		os.Exit(int(status)) // run: CMD's status, the node torn down
	case err != nil:
		fmt.Fprintf(os.Stderr, "cluster %s: %v\n", verb, err)
		os.Exit(1)
	}
}

func do(ctx context.Context, verb string, images bool, args []string) error {
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat("go.work"); err != nil {
		return fmt.Errorf("no go.work in %s: run from the repository root", repo)
	}
	if verb == "refs" {
		refs, err := cluster.ImageRefs(repo)
		for _, svc := range slices.Sorted(maps.Keys(refs)) {
			fmt.Println(svc, strings.Join(refs[svc], " "))
		}
		return err
	}
	n, err := cluster.New(repo, os.Stderr)
	if err != nil {
		return err
	}
	if verb == "run" {
		if len(args) == 0 {
			return errors.New("no command: " + usage)
		}
		return n.Run(ctx, images, args)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	unlock, err := n.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	switch verb {
	case "up":
		if err := n.Up(ctx, 0); err != nil {
			return err
		}
		fmt.Println("KUBECONFIG=" + n.Kubeconfig())
		return nil
	case "images":
		return n.Images(ctx)
	case "down":
		return n.Down()
	}
	return nil
}
