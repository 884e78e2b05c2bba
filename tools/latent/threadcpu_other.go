//go:build !linux

package main

import "time"

// threadCPU is not available here: latent profile falls back to wall time.
func threadCPU() (time.Duration, bool) { return 0, false }

// processCPU is not available here (0).
func processCPU() time.Duration { return 0 }
