// Command schemagen writes the kubeconform schemas (Kubernetes API and the
// Istio, Argo CD and Flux CRDs, from pinned Go modules) into the cache
// directory and prints that directory.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/asm-ready/asm-ready/tools/overlays/internal/cachedir"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/schemagen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cache, err := cachedir.Dir()
	if err == nil {
		var dir string
		if dir, err = schemagen.Generate(ctx, cache); err == nil {
			fmt.Println(dir)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "schemagen:", err)
	os.Exit(1)
}
