package ops

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// gemmBenchShapes are m×n×k (and transB, 1 for the PyTorch/ONNX Linear
// weight layout n×k): square, a training batch through a 784→256 dense
// layer, batch-1 inference, and skinny/fat shapes.
var gemmBenchShapes = [][4]int{
	{1024, 1024, 1024, 0},
	{256, 256, 784, 0},
	{256, 784, 256, 0},
	{128, 784, 256, 0},
	{128, 256, 784, 0},
	{128, 256, 784, 1},
	{1, 256, 784, 0},
	{1, 256, 784, 1},
	{1, 784, 256, 0},
	{64, 64, 64, 0},
	{32, 10, 784, 0},
}

// reportGFLOPS reports GFLOPS over wall time and, when the process CPU time
// spent since cpu0 is known, cpu-GFLOPS over CPU time (all threads): on a
// machine shared with other jobs, the latter is what the kernel achieves
// while it holds a core.
func reportGFLOPS(b *testing.B, m, n, k int, cpu0 time.Duration) {
	flops := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOPS")
	if cpu := cpuTime() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(flops/cpu.Seconds()/1e9, "cpu-GFLOPS")
	}
}

// BenchmarkGemm times ops.Gemm (C = A·op(B)) on each available
// kernel, single-threaded and with Threads() goroutines, next to gonum's
// pure-Go blas32 Sgemm on the same shapes.
func BenchmarkGemm(b *testing.B) {
	defer SetThreads(0)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, s := range gemmBenchShapes {
		m, n, k, transB := s[0], s[1], s[2], s[3] == 1
		a, bb, c := uniform(rng, m*k), uniform(rng, k*n), make([]float32, m*n)
		name := fmt.Sprintf("%dx%dx%d", m, n, k)
		ldb, gbT, gb := n, blas.NoTrans, blas32.General{Rows: k, Cols: n, Stride: n, Data: bb}
		if transB {
			name += "_tB"
			ldb, gbT, gb = k, blas.Trans, blas32.General{Rows: n, Cols: k, Stride: k, Data: bb}
		}
		for _, impl := range allImpls() {
			if !gemmAvailable(impl) {
				continue
			}
			for _, th := range []int{1, 0} {
				tname := "t1"
				if th == 0 {
					tname = fmt.Sprintf("t%d", runtime.GOMAXPROCS(0))
				}
				b.Run(fmt.Sprintf("%s/%s/%s", name, impl, tname), func(b *testing.B) {
					saved := gemmUse
					gemmUse = impl
					defer func() { gemmUse = saved }()
					SetThreads(th)
					cpu0 := cpuTime()
					for b.Loop() {
						Gemm(false, transB, m, n, k, 1, a, k, bb, ldb, 0, c, n)
					}
					reportGFLOPS(b, m, n, k, cpu0)
				})
			}
		}
		b.Run(name+"/gonum/t1", func(b *testing.B) {
			ga := blas32.General{Rows: m, Cols: k, Stride: k, Data: a}
			gc := blas32.General{Rows: m, Cols: n, Stride: n, Data: c}
			cpu0 := cpuTime()
			for b.Loop() {
				blas32.Gemm(blas.NoTrans, gbT, 1, ga, gb, 0, gc)
			}
			reportGFLOPS(b, m, n, k, cpu0)
		})
	}
}
