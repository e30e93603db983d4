// Command validate runs kubeconform -strict (schemas generated offline from
// pinned modules, custom resources included) and meshcheck over manifests:
// a directory with a kustomization.yaml is built with kustomize's Go API; any
// other directory contributes its *.yaml files; a file is read as it is.
//
//	go run ./cmd/validate ../../overlays/local ../../overlays/gke ../../gitops/argocd chart.yaml
//
// Exit status: 0 valid, 1 problems found, 2 usage or input error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"

	"github.com/asm-ready/asm-ready/tools/internal/cachedir"
	"github.com/asm-ready/asm-ready/tools/internal/kbuild"
	"github.com/asm-ready/asm-ready/tools/meshcheck"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/checks"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/kubeval"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/schemagen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// input is one stream of manifests to check.
type input struct {
	name      string
	data      []byte
	kustomize bool // built from a kustomization: meshcheck runs on it too
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	schemas := fs.String("schemas", "", "schema directory (default: generate into the cache directory)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: validate [-schemas DIR] PATH...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "validate: no PATH given: name overlay directories, directories of manifests or files")
		return 2
	}
	var inputs []input
	for _, p := range fs.Args() {
		in, err := load(p)
		if err != nil {
			fmt.Fprintln(stderr, "validate:", err)
			return 2
		}
		inputs = append(inputs, in...)
	}
	dir := *schemas
	if dir == "" {
		cache, err := cachedir.Dir()
		if err == nil {
			dir, err = schemagen.Generate(ctx, cache)
		}
		if err != nil {
			fmt.Fprintln(stderr, "validate: schemas:", err)
			return 2
		}
	}
	failed := false
	objects := 0
	for i, version := range schemagen.KubernetesVersions {
		v, err := kubeval.New(dir, version)
		if err != nil {
			fmt.Fprintln(stderr, "validate:", err)
			return 2
		}
		for _, in := range inputs {
			r := v.Validate(in.name, in.data)
			if i == 0 {
				objects += r.Valid
			}
			for _, p := range r.Problems {
				failed = true
				fmt.Fprintf(stdout, "kubeconform (Kubernetes %s): %s\n", version, p)
			}
			if r.Valid == 0 && len(r.Problems) == 0 {
				failed = true
				fmt.Fprintf(stdout, "kubeconform: %s: no objects\n", in.name)
			}
		}
	}
	for _, in := range inputs {
		if in.kustomize {
			if _, err := checks.MeshFindings(in.name, in.data, meshcheck.MeshAuto); err != nil {
				failed = true
				fmt.Fprintln(stdout, err)
			}
		}
	}
	if failed {
		return 1
	}
	fmt.Fprintf(stdout, "validate: %d objects in %d inputs valid against each of Kubernetes %s (kubeconform -strict); meshcheck clean on the overlays\n",
		objects, len(inputs), strings.Join(schemagen.KubernetesVersions, " and "))
	return 0
}

func load(p string) ([]input, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		return []input{{name: p, data: data}}, nil
	}
	if _, err := os.Stat(filepath.Join(p, "kustomization.yaml")); err == nil {
		data, err := kbuild.Build(p)
		if err != nil {
			return nil, err
		}
		return []input{{name: p, data: data, kustomize: true}}, nil
	}
	files, err := filepath.Glob(filepath.Join(p, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no kustomization.yaml and no *.yaml files", p)
	}
	sort.Strings(files)
	var out []input
	for _, f := range files {
		in, err := load(f)
		if err != nil {
			return nil, err
		}
		out = append(out, in...)
	}
	return out, nil
}
