//go:build !linux

package ops

import "runtime"

// gemvYield offers the processor to other goroutines (without a portable
// way to yield the OS thread, only within the process).
func gemvYield() { runtime.Gosched() }
