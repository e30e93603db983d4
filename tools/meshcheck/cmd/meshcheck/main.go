// Command meshcheck checks rendered Kubernetes manifests for Istio / Cloud
// Service Mesh readiness. See `meshcheck --help`.
package main

import (
	"os"

	"github.com/asm-ready/asm-ready/tools/meshcheck/internal/cli"
)

// Set by -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, version, commit))
}
