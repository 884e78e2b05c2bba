//go:build !unix

package ops

import "time"

// cpuTime is not measured on this platform; the cpu-GFLOPS metric is then
// left out.
func cpuTime() time.Duration { return 0 }
