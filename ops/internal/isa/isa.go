// Package isa decides, once at start-up, which instruction sets the
// assembly kernels of ops and ops/train may use: what the CPU reports
// (golang.org/x/sys/cpu, which sets the AVX flags only when the OS saves the
// wider registers), capped by the LATENT_ISA environment variable (avx512,
// avx2 or go), so every code path can be tested on one machine
// (tools/test.d/isa.sh). Both packages read the same cap, so a run with
// LATENT_ISA=avx2 never mixes AVX-512 forward kernels with anything else.
package isa

import (
	"fmt"
	"os"

	"golang.org/x/sys/cpu"
)

// Level is an instruction-set level, ordered: Go < AVX2 < AVX512.
type Level int

const (
	Go     Level = iota // portable Go, every architecture
	AVX2                // amd64 AVX2 (+FMA where a kernel needs it)
	AVX512              // amd64 AVX-512
)

// Cap is the widest level the kernels may use: every level the CPU has,
// unless LATENT_ISA names a lower one.
var Cap = parse(os.Getenv("LATENT_ISA"))

// AVX2FMA reports whether the 8-lane AVX2+FMA kernels may run: the CPU has
// both and Cap allows AVX2.
var AVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA && Cap >= AVX2

func parse(v string) Level {
	switch v {
	case "", "avx512":
		return AVX512
	case "avx2":
		return AVX2
	case "go":
		return Go
	}
	fmt.Fprintf(os.Stderr, "latent: LATENT_ISA=%q is not one of avx512, avx2, go; using every instruction set this CPU has\n", v)
	return AVX512
}
