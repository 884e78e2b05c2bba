//go:build amd64 && !noasm

package ops

import (
	"fmt"
	"os"

	"golang.org/x/sys/cpu"
)

// isaCap is the widest instruction set the kernels may use: all the CPU
// has, unless the LATENT_ISA environment variable (avx512, avx2 or go)
// caps it, so the whole test suite, goldens included, can run on each
// code path of one machine (tools/test.d/isa.sh).
var isaCap = parseISA(os.Getenv("LATENT_ISA"))

func parseISA(v string) gemmImpl {
	switch v {
	case "", "avx512":
		return implAVX512
	case "avx2":
		return implAVX2
	case "go":
		return implGo
	}
	fmt.Fprintf(os.Stderr, "latent: LATENT_ISA=%q is not one of avx512, avx2, go; using every instruction set this CPU has\n", v)
	return implAVX512
}

// init enables the assembly kernels this CPU can run (up to isaCap) and
// picks the fastest. x/sys/cpu reports AVX2/AVX-512 only when the OS also
// saves the wider registers (XCR0), so a set flag means the kernel is safe
// to call.
func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA && isaCap >= implAVX2 {
		gemmKernels[implAVX2] = &avx2Kernel
		gemmUse = implAVX2
	}
	// The small-m kernels reduce in xmm/ymm registers 16-31 (EVEX), which
	// needs AVX512VL; every AVX-512 core since Skylake-SP has it.
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && isaCap >= implAVX512 {
		gemmKernels[implAVX512] = &avx512Kernel
		gemmUse = implAVX512
	}
	if isaCap < implAVX2 {
		vecAVX2 = false
	}
	moveUse = min(moveUse, int(isaCap)) // moveGo, moveAVX2, moveAVX512 follow implGo, implAVX2, implAVX512
}
