// Command pinimages points an overlay (overlays/gke by default) at the
// images a build pushed, pinned by digest, from BuildKit metadata files (one
// per image), as `make push-images` and the release workflow run it:
//
//	go run ./cmd/pinimages -overlay ../overlays/gke ../dist/images/helloserver.json ../dist/images/loadgen.json
//
// It rewrites only the `images:` list of the overlay's kustomization.yaml,
// and nothing when any input is bad. Exit status: 0 pinned, 1 bad input, 2 usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/asm-ready/asm-ready/tools/internal/imagepin"
	"github.com/asm-ready/asm-ready/tools/internal/render"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pinimages", flag.ContinueOnError)
	fs.SetOutput(stderr)
	overlay := fs.String("overlay", "../overlays/gke", "overlay directory: its rendered.yaml names the images, its kustomization.yaml gets the pins")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pinimages [-overlay DIR] METADATA.json...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "pinimages: no METADATA.json given: pass the --metadata-file of each image's build")
		fs.Usage()
		return 2
	}
	if err := pin(*overlay, fs.Args(), stdout); err != nil {
		fmt.Fprintln(stderr, "pinimages:", err)
		return 1
	}
	return 0
}

func pin(overlay string, metadata []string, stdout io.Writer) error {
	var builds []imagepin.Build
	for _, f := range metadata {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		b, err := imagepin.ParseMetadata(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		builds = append(builds, b)
	}
	manifests, err := os.ReadFile(filepath.Join(overlay, "rendered.yaml"))
	if err != nil {
		return err
	}
	images, err := imagepin.Images(manifests)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(overlay, "rendered.yaml"), err)
	}
	kfile := filepath.Join(overlay, "kustomization.yaml")
	k, err := os.ReadFile(kfile)
	if err != nil {
		return err
	}
	out, err := imagepin.Pin(k, images, builds)
	if err != nil {
		return fmt.Errorf("%s: %w", kfile, err)
	}
	if err := render.WriteAtomic(kfile, out); err != nil {
		return err
	}
	for _, b := range builds {
		fmt.Fprintf(stdout, "pinned %s@%s in %s\n", b.Repository, b.Digest, kfile)
	}
	return nil
}
