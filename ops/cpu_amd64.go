//go:build amd64 && !noasm

package ops

import "golang.org/x/sys/cpu"

// init enables the assembly kernels this CPU can run and picks the fastest.
// x/sys/cpu reports AVX2/AVX-512 only when the OS also saves the wider
// registers (XCR0), so a set flag means the kernel is safe to call.
func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		gemmKernels[implAVX2] = &avx2Kernel
		gemmUse = implAVX2
	}
	// The small-m kernels reduce in xmm/ymm registers 16-31 (EVEX), which
	// needs AVX512VL; every AVX-512 core since Skylake-SP has it.
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		gemmKernels[implAVX512] = &avx512Kernel
		gemmUse = implAVX512
	}
}
