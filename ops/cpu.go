package ops

import (
	"runtime"
	"sync/atomic"
)

// gemmImpl names one implementation of the Gemm micro-kernel.
type gemmImpl int

const (
	implGo     gemmImpl = iota // portable Go, every architecture
	implAVX2                   // amd64 AVX2 + FMA, 6×16 ymm tile
	implAVX512                 // amd64 AVX-512F+VL, 12×32 zmm tile
	numImpls
)

func (i gemmImpl) String() string {
	switch i {
	case implGo:
		return "go"
	case implAVX2:
		return "avx2"
	case implAVX512:
		return "avx512"
	}
	return "unknown"
}

// gemmUse is the kernel Gemm dispatches to: the best one the CPU supports,
// chosen at init (see cpu_amd64.go). Tests and benchmarks set it to force a
// path; it is not changed while Gemm calls are in flight.
var gemmUse = implGo

// gemmAvailable reports whether impl can run on this CPU and build.
func gemmAvailable(impl gemmImpl) bool {
	return impl >= 0 && impl < numImpls && gemmKernels[impl] != nil
}

// GemmKernel names the micro-kernel Gemm uses on this machine: "avx512",
// "avx2" or "go".
func GemmKernel() string { return gemmUse.String() }

// threads is the parallelism setting of SetThreads; 0 means GOMAXPROCS.
var threads atomic.Int32

// SetThreads sets how many goroutines a large kernel call (Gemm) may use.
// n <= 0 restores the default, runtime.GOMAXPROCS(0).
func SetThreads(n int) {
	if n < 0 {
		n = 0
	}
	threads.Store(int32(n))
}

// Threads reports the number of goroutines a large kernel call may use.
func Threads() int {
	if n := int(threads.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}
