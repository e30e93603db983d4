// Command render writes the asm-ready chart's output for an overlay's values
// into that overlay (the rendered-manifests pattern: Flux and Argo CD sync
// plain kustomize, never Helm). Output is byte-for-byte deterministic and
// excludes test hooks.
//
//	go run ./cmd/render -chart ../charts/asm-ready -values ../overlays/local/values.yaml \
//	    -namespace asm-ready -out ../overlays/local/rendered.yaml
//	go run ./cmd/render -all -chart ../charts/asm-ready -overlays ../overlays
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/asm-ready/asm-ready/tools/internal/render"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "render:", err)
		}
		os.Exit(exitCode(err))
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	chartDir := fs.String("chart", "../charts/asm-ready", "chart directory")
	values := fs.String("values", "", "values file (one overlay's values.yaml)")
	namespace := fs.String("namespace", "asm-ready", "release namespace; in -all mode an overlay's kustomization.yaml namespace wins")
	out := fs.String("out", "", "output file; empty or - writes to stdout")
	all := fs.Bool("all", false, "render every <overlays>/*/values.yaml into <overlays>/*/rendered.yaml")
	overlays := fs.String("overlays", "../overlays", "overlays directory for -all")
	check := fs.Bool("check", false, "write nothing; fail if any output file is missing or stale")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: render [-chart DIR] -values FILE [-namespace NS] [-out FILE] [-check]")
		fmt.Fprintln(stderr, "       render -all [-chart DIR] [-overlays DIR] [-check]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q: every input is a flag (see -h)", fs.Arg(0))}
	}

	var jobs []job
	if *all {
		if *values != "" || *out != "" {
			return usageError{errors.New("-all renders every overlay: drop -values and -out, or drop -all")}
		}
		var err error
		if jobs, err = overlayJobs(*overlays, *namespace); err != nil {
			return err
		}
	} else {
		if *values == "" {
			return usageError{errors.New("-values is required (e.g. -values ../overlays/local/values.yaml), or use -all")}
		}
		jobs = []job{{values: *values, out: *out, namespace: *namespace}}
	}

	ch, err := render.LoadChart(*chartDir)
	if err != nil {
		return err
	}
	var stale []string
	for _, j := range jobs {
		data, err := j.render(ch, *chartDir)
		if err != nil {
			return err
		}
		switch {
		case j.out == "" || j.out == "-":
			if _, err := stdout.Write(data); err != nil {
				return err
			}
		case *check:
			cur, err := os.ReadFile(j.out)
			if err != nil || string(cur) != string(data) {
				stale = append(stale, j.out)
			}
		default:
			if err := render.WriteAtomic(j.out, data); err != nil {
				return fmt.Errorf("write %s: %w", j.out, err)
			}
			fmt.Fprintf(stderr, "rendered %s (namespace %s)\n", j.out, j.namespace)
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("stale rendered manifests %v: run `make render` and commit the result", stale)
	}
	return nil
}

type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}
