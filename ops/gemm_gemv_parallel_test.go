package ops

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gemvSplitShapes are m×n×k small-m problems over gemvSplitMinKN: the two
// large layers of the dense AE at batch 1 to 4, and odd widths whose last
// band is a partial strip.
var gemvSplitShapes = [][3]int{
	{1, 256, 784}, {1, 784, 256}, {2, 784, 256}, {3, 784, 256}, {4, 256, 784},
	{1, 130, 700}, {2, 200, 333}, {3, 1000, 97}, {4, 129, 1024}, {1, 100, 700},
}

// TestGemvSplitMatchesOneThread checks that the column-band split gives
// exactly what the same kernel gives on one thread, for each epilogue
// (the bands are independent columns, so the sums are the same), that it
// agrees with the reference Gemm, and that it leaves C's padding alone.
func TestGemvSplitMatchesOneThread(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("GOMAXPROCS < 2: the split needs a second P for its worker")
	}
	defer SetThreads(0)
	eps := []struct {
		name string
		act  Act
		bias bool
	}{{"none", ActNone, false}, {"bias", ActNone, true}, {"bias+relu", ActRelu, true},
		{"bias+sigmoid", ActSigmoid, true}, {"sigmoid", ActSigmoid, false}, {"bias+leaky", ActLeakyRelu, true}}
	for _, path := range allPaths() {
		withPath(t, path, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(22, uint64(path.impl)))
			for _, s := range gemvSplitShapes {
				for _, tr := range [][2]bool{{false, false}, {false, true}, {s[0] == 1, false}} {
					for _, e := range eps {
						for _, th := range []int{2, 3} {
							name := fmt.Sprintf("%dx%dx%d tA=%v tB=%v %s t=%d", s[0], s[1], s[2], tr[0], tr[1], e.name, th)
							g := newGemmCase(rng, tr[0], tr[1], s[0], s[1], s[2], 1, 0)
							ep := Epilogue{Act: e.act, Alpha: 0.1}
							if e.bias {
								ep.Bias = uniform(rng, s[1])
							}
							want := g.want()
							ApplyEpilogueRows(want, g.m, g.n, g.ldc, ep)

							one := append([]float32(nil), g.c...)
							SetThreads(1)
							GemmEpilogue(g.transA, g.transB, g.m, g.n, g.k, g.a, g.lda, g.b, g.ldb, one, g.ldc, ep)

							SetThreads(th)
							GemmEpilogue(g.transA, g.transB, g.m, g.n, g.k, g.a, g.lda, g.b, g.ldb, g.c, g.ldc, ep)
							g.check(t, g.c, want)
							assert.Equalf(t, one, g.c, "%s: split against one thread", name)
						}
					}
				}
			}
		})
	}
}

// TestGemvSplitTakesShapes checks which calls gemvSplit takes: the split
// must happen for the batch-1 layers it exists for (else the test above
// would only compare the one-thread path with itself), and not for calls
// with too many rows, too small a B, too few columns for two bands, or one
// thread.
func TestGemvSplitTakesShapes(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("GOMAXPROCS < 2: gemvSplit declines every call")
	}
	rng := rand.New(rand.NewPCG(23, 1))
	cases := []struct {
		m, n, k, threads int
		want             bool
	}{
		{1, 256, 784, 2, true}, {1, 784, 256, 2, true}, {4, 784, 256, 2, true}, {1, 130, 700, 2, true},
		{1, 100, 700, 2, true}, {2, 784, 256, 3, true},
		{5, 784, 256, 2, false}, // more rows than gemvSplitMaxM
		{1, 256, 64, 2, false},  // k·n under gemvSplitMinKN
		{1, 20, 4000, 2, false}, // fewer than two bands of gemvSplitAlign columns
		{1, 784, 256, 1, false}, // one thread
		{1, 784, 0, 2, false},   // nothing to multiply
	}
	for _, c := range cases {
		g := newGemmCase(rng, false, false, c.m, c.n, c.k, 1, 0)
		call := gemmCall{kern: gemmKernels[gemmUse], m: c.m, n: c.n, k: c.k, alpha: 1,
			a: g.a, lda: g.lda, b: g.b, ldb: g.ldb, c: g.c, ldc: g.ldc}
		got := gemvSplit(call, c.threads)
		assert.Equalf(t, c.want, got, "gemvSplit(m=%d n=%d k=%d, threads=%d) = %v, want %v", c.m, c.n, c.k, c.threads, got, c.want)
		if c.want {
			want := g.want()
			g.check(t, g.c, want)
		}
	}
}

// TestGemvSplitConcurrent runs split calls from several goroutines at once
// (they contend for the same workers; a call that finds one busy runs that
// band itself) and checks every result; run it under -race.
func TestGemvSplitConcurrent(t *testing.T) {
	defer SetThreads(0)
	SetThreads(2)
	const callers, calls = 4, 50
	var wg sync.WaitGroup
	errs := make(chan string, callers)
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(24, seed))
			m, n, k := 1+int(seed)%4, 784, 256
			a, b := uniform(rng, m*k), uniform(rng, k*n)
			bias := uniform(rng, n)
			want := make([]float32, m*n)
			gemmRef(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
			ApplyEpilogueRows(want, m, n, n, Epilogue{Bias: bias, Act: ActRelu})
			got := make([]float32, m*n)
			for i := 0; i < calls; i++ {
				for j := range got {
					got[j] = -1
				}
				GemmEpilogue(false, false, m, n, k, a, k, b, n, got, n, Epilogue{Bias: bias, Act: ActRelu})
				for j := range got {
					if d := got[j] - want[j]; d > 1e-3 || d < -1e-3 {
						errs <- fmt.Sprintf("caller %d call %d: C[%d] = %g, want %g", seed, i, j, got[j], want[j])
						return
					}
				}
			}
		}(uint64(c))
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		assert.Fail(t, "concurrent callers disagree", e)
	}
}

// TestGemvSplitNoAllocs checks that the split path allocates nothing per
// call once its workers exist.
func TestGemvSplitNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector randomly empties sync.Pools, so steady-state allocation cannot be measured")
	}
	defer SetThreads(0)
	SetThreads(2)
	rng := rand.New(rand.NewPCG(25, 1))
	m, n, k := 1, 784, 256
	a, b, c, bias := uniform(rng, m*k), uniform(rng, k*n), make([]float32, m*n), uniform(rng, n)
	ep := Epilogue{Bias: bias, Act: ActSigmoid}
	GemmEpilogue(false, false, m, n, k, a, k, b, n, c, n, ep)
	allocs := testing.AllocsPerRun(50, func() {
		GemmEpilogue(false, false, m, n, k, a, k, b, n, c, n, ep)
	})
	assert.Zero(t, allocs, "allocations per split GemmEpilogue")
}

// BenchmarkGemvSplit times the dense AE's batch-1 layer sequence
// (784→256 Relu, 256→64, 64→256 Relu, 256→784 Sigmoid; weights k×n) on
// one and two threads, and the two large layers alone.
func BenchmarkGemvSplit(b *testing.B) {
	defer SetThreads(0)
	rng := rand.New(rand.NewPCG(26, 1))
	dims := []int{784, 256, 64, 256, 784}
	acts := []Act{ActRelu, ActNone, ActRelu, ActSigmoid}
	ws := make([][]float32, 4)
	bs := make([][]float32, 4)
	xs := make([][]float32, 5)
	for i := range ws {
		ws[i] = uniform(rng, dims[i]*dims[i+1])
		bs[i] = uniform(rng, dims[i+1])
	}
	for i, d := range dims {
		xs[i] = uniform(rng, d)
	}
	layer := func(i int) {
		GemmEpilogue(false, false, 1, dims[i+1], dims[i], xs[i], dims[i], ws[i], dims[i+1], xs[i+1], dims[i+1],
			Epilogue{Bias: bs[i], Act: acts[i]})
	}
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("ae/t%d", th), func(b *testing.B) {
			SetThreads(th)
			for b.Loop() {
				for i := range ws {
					layer(i)
				}
			}
		})
		for _, i := range []int{0, 3} {
			b.Run(fmt.Sprintf("%dx%d/t%d", dims[i], dims[i+1], th), func(b *testing.B) {
				SetThreads(th)
				for b.Loop() {
					layer(i)
				}
			})
		}
	}
}

// TestGemvWorkerTakeBack drives one worker's mailbox by hand (no worker
// goroutine): chunks the "worker" claims from the front and those the
// caller takes back in finish must together cover the band exactly once,
// over several generations.
func TestGemvWorkerTakeBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 1))
	m, n, k := 2, 300, 256
	g := newGemmCase(rng, false, false, m, n, k, 1, 0)
	bias := uniform(rng, n)
	want := g.want()
	ApplyEpilogueRows(want, m, n, g.ldc, Epilogue{Bias: bias, Act: ActRelu})
	w := &gemvWorker{wake: make(chan struct{}, 1)}
	for front := 0; front <= 5; front++ { // 300 columns in chunks of 64: 5 chunks
		c := append([]float32(nil), g.c...)
		call := gemmCall{kern: gemmKernels[gemmUse], m: m, n: n, k: k, alpha: 1,
			a: g.a, lda: g.lda, b: g.b, ldb: g.ldb, c: c, ldc: g.ldc, bias: bias, act: ActRelu}
		w.owner.Store(true)
		w.post(call, 64)
		if !(w.pending()) {
			require.Failf(t, "!(w.pending())", "generation %d: nothing pending after post", front)
		}
		for i := 0; i < front; i++ {
			got := w.take(false)
			if i != got {
				require.Equalf(t, i, got, "generation %d: worker took chunk %d, want %d", front, got, i)
			}
			w.runChunk(i)
		}
		w.finish()
		if w.pending() {
			require.Failf(t, "w.pending()", "generation %d: pending after finish", front)
		}
		if w.owner.Load() {
			require.Failf(t, "w.owner.Load()", "generation %d: owned after finish", front)
		}
		require.EqualValuesf(t, 5, w.done.Load(), "generation %d: chunks done after finish", front)
		got := w.take(false)
		if -1 != got {
			require.Equalf(t, -1, got, "generation %d: take after finish = %d, want -1", front, got)
		}
		g.check(t, c, want)
	}
}
