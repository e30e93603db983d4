//go:build !linux

package cluster

import "syscall"

// dieWithParent has no portable equivalent outside Linux; TestMain's
// cleanup stops the controller manager there.
func dieWithParent() *syscall.SysProcAttr { return nil }
