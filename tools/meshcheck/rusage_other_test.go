//go:build !unix

package meshcheck

import "time"

// cpuTime is unavailable here; the cpu-ms/op metric then reads 0.
func cpuTime() time.Duration { return 0 }
