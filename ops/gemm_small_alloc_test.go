package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSmallGemmNoAllocs checks the batch-1 shapes of a dense autoencoder
// (one or a few rows, every transpose, widths that leave a remainder) on
// every kernel this machine can run: the small paths must not allocate,
// or each layer of a batch-1 inference pays a heap allocation.
func TestSmallGemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector randomly empties sync.Pools, so steady-state allocation cannot be measured")
	}
	saved := gemmUse
	defer func() { gemmUse = saved }()
	defer SetThreads(0)
	SetThreads(1)
	rng := rand.New(rand.NewPCG(19, 19))
	for impl := range numImpls {
		if !gemmAvailable(impl) {
			continue
		}
		gemmUse = impl
		for _, sh := range [][3]int{{1, 256, 784}, {1, 64, 256}, {1, 787, 65}, {3, 61, 100}, {5, 19, 33}} {
			m, n, k := sh[0], sh[1], sh[2]
			a, b, c := uniform(rng, m*k), uniform(rng, k*n), make([]float32, m*n)
			bias := uniform(rng, n)
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				lda, ldb := k, n
				if tr[0] {
					lda = m
				}
				if tr[1] {
					ldb = k
				}
				call := func() {
					GemmEpilogue(tr[0], tr[1], m, n, k, a, lda, b, ldb, c, n, Epilogue{Alpha: 1, Bias: bias, Act: ActRelu})
				}
				call()
				assert.Zerof(t, testing.AllocsPerRun(20, call), "%v %d×%d×%d transA=%v transB=%v: allocations per call",
					impl, m, n, k, tr[0], tr[1])
			}
		}
	}
}
