package ops

import "syscall"

// gemvYield offers the core to another thread, of this process or another:
// a spinning gemvWorker that shares its core with other work gives way
// rather than hold the core for its whole time slice.
func gemvYield() {
	syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
}
