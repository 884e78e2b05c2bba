//go:build amd64 && !noasm

package ops

import (
	"golang.org/x/sys/cpu"

	"github.com/latent-ml/latent/ops/internal/isa"
)

// isaCap is the widest instruction set the kernels may use (see
// ops/internal/isa: the CPU's, capped by LATENT_ISA).
var isaCap = gemmImpl(isa.Cap) // implGo, implAVX2, implAVX512 follow isa.Go, isa.AVX2, isa.AVX512

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
	moveUse = min(moveUse, int(isaCap)) // moveGo, moveAVX2, moveAVX512 follow implGo, implAVX2, implAVX512
}
