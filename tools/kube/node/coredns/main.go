// Command coredns is CoreDNS with only the plugins the test node's Corefile
// uses: the full plugin set (cloud DNS providers, etcd, dnstap ...) costs
// most of CoreDNS's build time and is never loaded here.
package main

import (
	"fmt"
	"os"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	// Execution order, as in CoreDNS's plugin.cfg.
	if err := dnsserver.SetDirectives([]string{"ready", "health", "errors", "cache", "kubernetes"}); err != nil {
		fmt.Fprintln(os.Stderr, "coredns:", err)
		os.Exit(1)
	}
	coremain.Run()
}
