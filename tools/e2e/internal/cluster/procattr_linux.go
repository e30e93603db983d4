package cluster

import "syscall"

// dieWithParent asks the kernel to SIGKILL the child when this process exits.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
