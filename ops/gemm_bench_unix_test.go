//go:build unix

package ops

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process has used. On a
// shared machine it measures a single-threaded benchmark's own work,
// whereas wall time also counts the time other jobs held the core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
