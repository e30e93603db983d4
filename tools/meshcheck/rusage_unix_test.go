//go:build unix

package meshcheck

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process has used. The
// benchmarks report it beside wall time: on a shared machine wall time
// measures the neighbours as much as the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
