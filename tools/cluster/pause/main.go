// Command pause is the test node's pod sandbox process (containerd's sandbox
// image): it holds the pod's namespaces, reaps the children it inherits and
// exits on SIGINT or SIGTERM. Built here so no pause image is ever pulled.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sig {
		if s != syscall.SIGCHLD {
			return
		}
		// One SIGCHLD can stand for several exited children.
		for {
			var ws syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
