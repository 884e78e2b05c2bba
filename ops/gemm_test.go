package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gemmPath is one way through Gemm: a micro-kernel, and whether its
// unpacked small-problem path may be used (packed: always pack).
type gemmPath struct {
	impl   gemmImpl
	packed bool
}

func (p gemmPath) String() string {
	if p.packed {
		return p.impl.String() + "-packed"
	}
	return p.impl.String()
}

// allPaths lists every kernel both with its unpacked paths and forced
// through packing, so that each path is checked on every shape.
func allPaths() []gemmPath {
	var ps []gemmPath
	for _, impl := range allImpls() {
		ps = append(ps, gemmPath{impl, false}, gemmPath{impl, true})
	}
	return ps
}

// withPath runs f with Gemm forced onto path, skipping when this CPU or
// build cannot run its kernel.
func withPath(t *testing.T, path gemmPath, f func(t *testing.T)) {
	t.Run(path.String(), func(t *testing.T) {
		if !gemmAvailable(path.impl) {
			t.Skipf("%s kernel not available on this CPU/build (amd64 without the feature, or -tags noasm)", path.impl)
		}
		savedUse, savedKern := gemmUse, gemmKernels[path.impl]
		gemmUse = path.impl
		if path.packed {
			kern := *savedKern
			kern.small = nil
			gemmKernels[path.impl] = &kern
		}
		defer func() { gemmUse, gemmKernels[path.impl] = savedUse, savedKern }()
		f(t)
	})
}

// withImpl runs f with Gemm forced onto impl (with its unpacked paths).
func withImpl(t *testing.T, impl gemmImpl, f func(t *testing.T)) {
	withPath(t, gemmPath{impl: impl}, f)
}

func allImpls() []gemmImpl { return []gemmImpl{implGo, implAVX2, implAVX512} }

// gemmCase is one random problem with its own strides; C carries a sentinel
// in the padding beyond column n so stray stores are caught.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	lda, ldb, ldc  int
	a, b, c        []float32
}

const sentinel = float32(-12345.5)

func newGemmCase(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32) *gemmCase {
	g := &gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	pad := func() int { return rng.IntN(4) }
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	g.lda, g.ldb, g.ldc = max(1, ac+pad()), max(1, bc+pad()), max(1, n+pad())
	g.a = uniform(rng, ar*g.lda)
	g.b = uniform(rng, br*g.ldb)
	g.c = make([]float32, m*g.ldc+pad())
	for i := range g.c {
		g.c[i] = sentinel
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if beta == 0 {
				g.c[i*g.ldc+j] = float32(math.NaN())
			} else {
				g.c[i*g.ldc+j] = rng.Float32()*2 - 1
			}
		}
	}
	return g
}

func (g *gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g lda=%d ldb=%d ldc=%d",
		g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.beta, g.lda, g.ldb, g.ldc)
}

// want is the reference result, from gemmRef on a copy of C.
func (g *gemmCase) want() []float32 {
	c := append([]float32(nil), g.c...)
	gemmRef(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	return c
}

// check compares got with want: elements of the m×n result within 1e-5
// relative, scaled by k (inputs are in [-1, 1]); everything else untouched.
func (g *gemmCase) check(t *testing.T, got, want []float32) {
	t.Helper()
	tol := 1e-5 * float64(g.k+1) * (math.Abs(float64(g.alpha)) + math.Abs(float64(g.beta)) + 1)
	bad := 0
	for idx := range got {
		i, j := idx/g.ldc, idx%g.ldc
		inside := i < g.m && j < g.n
		gv, wv := got[idx], want[idx]
		if !inside {
			if !assert.Equalf(t, float32(sentinel), gv, "%v: C[%d] outside the result changed", g, idx) {
				return
			}
			continue
		}
		if math.IsNaN(float64(gv)) || math.Abs(float64(gv-wv)) > tol*math.Max(1, math.Abs(float64(wv))) {
			bad++
			if bad <= 3 {
				assert.Failf(t, "bad <= 3", "%v: C[%d,%d] = %g, want %g (tol %g)", g, i, j, gv, wv, tol)
			}
		}
	}
}

var gemmSizes = []int{1, 2, 3, 5, 6, 7, 11, 12, 13, 16, 17, 31, 32, 33, 47, 64, 97}

func TestGemmRandomShapes(t *testing.T) {
	for _, path := range allPaths() {
		withPath(t, path, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(path.impl)))
			alphas := []float32{1, -0.75, 2.5}
			betas := []float32{0, 1, 0.5}
			for it := 0; it < 400; it++ {
				m := gemmSizes[rng.IntN(len(gemmSizes))]
				n := gemmSizes[rng.IntN(len(gemmSizes))]
				k := gemmSizes[rng.IntN(len(gemmSizes))]
				g := newGemmCase(rng, rng.IntN(2) == 1, rng.IntN(2) == 1, m, n, k,
					alphas[rng.IntN(len(alphas))], betas[rng.IntN(len(betas))])
				want := g.want()
				Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
				g.check(t, g.c, want)
				if t.Failed() {
					return
				}
			}
		})
	}
}

// TestGemmBlockEdges shrinks each kernel's cache blocks so that small
// problems cross every MC/KC/NC boundary, including partial last blocks.
func TestGemmBlockEdges(t *testing.T) {
	for _, impl := range allImpls() {
		withImpl(t, impl, func(t *testing.T) {
			kern := *gemmKernels[impl]
			kern.mc, kern.kc, kern.nc = 2*kern.mr, 7, 2*kern.nr
			kern.small = nil // the blocking is what is under test
			rng := rand.New(rand.NewPCG(2, uint64(impl)))
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				for _, beta := range []float32{0, 0.5} {
					m := 5*kern.mr + 3
					n := 5*kern.nr + 1
					g := newGemmCase(rng, tr[0], tr[1], m, n, 23, 1.5, beta)
					want := g.want()
					call := gemmCall{kern: &kern, transA: g.transA, transB: g.transB,
						m: g.m, n: g.n, k: g.k, alpha: g.alpha, a: g.a, lda: g.lda,
						b: g.b, ldb: g.ldb, beta: g.beta, c: g.c, ldc: g.ldc}
					call.run()
					g.check(t, g.c, want)
				}
			}
		})
	}
}

func TestGemmLargeAllTransposes(t *testing.T) {
	defer SetThreads(0)
	SetThreads(1) // whole problems: bands would change which path runs
	for _, path := range allPaths() {
		withPath(t, path, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(path.impl)))
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				// k > KC and m > MC exercise several blocks with the real
				// sizes; 40×70×300 takes the dot products for a transposed
				// B, 140×530×520 streams a B too large for L2 in k-blocks.
				for _, s := range [][3]int{{157, 70, 611}, {40, 70, 300}, {140, 530, 520}} {
					g := newGemmCase(rng, tr[0], tr[1], s[0], s[1], s[2], 1, 0.25)
					want := g.want()
					Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
					g.check(t, g.c, want)
				}
			}
		})
	}
}

func TestGemmDegenerate(t *testing.T) {
	for _, path := range allPaths() {
		withPath(t, path, func(t *testing.T) {
			// k = 0: C = beta·C, and beta = 0 clears NaNs.
			c := []float32{1, 2, float32(math.NaN()), 4}
			Gemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0.5, c, 2)
			if c[0] != 0.5 || c[1] != 1 || !math.IsNaN(float64(c[2])) || c[3] != 2 {
				assert.Failf(t, "c[0] != 0.5 || c[1] != 1 || !math.IsNaN(float64(c[2])) || c[3] != 2", "k=0 beta=0.5: C = %v, want [0.5 1 NaN 2]", c)
			}
			c = []float32{1, float32(math.NaN())}
			Gemm(false, false, 1, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
			if c[0] != 0 || c[1] != 0 {
				assert.Failf(t, "c[0] != 0 || c[1] != 0", "k=0 beta=0: C = %v, want [0 0]", c)
			}
			// m = 0 or n = 0: nothing to do, nothing touched.
			Gemm(false, false, 0, 3, 4, 1, nil, 4, make([]float32, 12), 3, 0, nil, 3)
			c = []float32{7}
			Gemm(false, false, 1, 0, 4, 1, make([]float32, 4), 4, nil, 1, 0, c, 1)
			if float32(7) != c[0] {
				assert.Equalf(t, float32(7), c[0], "n=0 wrote C: %v", c)
			}
			// alpha = 0 with beta = 1 leaves C as is.
			c = []float32{3, 4}
			Gemm(false, false, 1, 2, 1, 0, []float32{1}, 1, []float32{1, 1}, 2, 1, c, 2)
			if c[0] != 3 || c[1] != 4 {
				assert.Failf(t, "c[0] != 3 || c[1] != 4", "alpha=0 beta=1: C = %v, want [3 4]", c)
			}
			// A hand-computed 2×3·3×2 product.
			a := []float32{1, 2, 3, 4, 5, 6}
			b := []float32{7, 8, 9, 10, 11, 12}
			c = []float32{1, 1, 1, 1}
			Gemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 1, c, 2)
			assert.Equal(t, []float32{59, 65, 140, 155}, c, "2×3·3×2 + 1")
		})
	}
}

func TestGemmEpilogue(t *testing.T) {
	acts := []Act{ActNone, ActRelu, ActLeakyRelu, ActSigmoid, ActTanh, ActElu, ActSelu, ActSoftplus, ActSiLU, ActGelu, ActGeluTanh}
	for _, path := range allPaths() {
		withPath(t, path, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(4, uint64(path.impl)))
			for _, act := range acts {
				for _, withBias := range []bool{false, true, false, true} {
					// Few rows (the unpacked small-m path) and many.
					m := 1 + rng.IntN(8)
					if rng.IntN(2) == 1 {
						m += 20
					}
					n := gemmSizes[rng.IntN(len(gemmSizes))] + 20
					k := gemmSizes[rng.IntN(len(gemmSizes))]
					g := newGemmCase(rng, rng.IntN(2) == 1, rng.IntN(2) == 1, m, n, k, 1, 0)
					ep := Epilogue{Act: act, Alpha: 0.1}
					if withBias {
						ep.Bias = uniform(rng, n)
					}
					want := g.want()
					ApplyEpilogueRows(want, m, n, g.ldc, ep)
					GemmEpilogue(g.transA, g.transB, m, n, k, g.a, g.lda, g.b, g.ldb, g.c, g.ldc, ep)
					g.check(t, g.c, want)
					require.Falsef(t, t.Failed(), "act %d bias %v", act, withBias)
				}
			}
		})
	}
}

// TestGemmParallel runs problems above the threshold split along rows and
// along columns, with 1, 2 and 3 goroutines.
func TestGemmParallel(t *testing.T) {
	defer SetThreads(0)
	shapes := [][3]int{{300, 90, 100}, {20, 700, 200}, {257, 263, 61}}
	for _, path := range allPaths() {
		withPath(t, path, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, uint64(path.impl)))
			for _, th := range []int{1, 2, 3} {
				SetThreads(th)
				for _, s := range shapes {
					g := newGemmCase(rng, rng.IntN(2) == 1, rng.IntN(2) == 1, s[0], s[1], s[2], 1, 0)
					ep := Epilogue{Bias: uniform(rng, s[1]), Act: ActRelu}
					want := g.want()
					ApplyEpilogueRows(want, g.m, g.n, g.ldc, ep)
					GemmEpilogue(g.transA, g.transB, g.m, g.n, g.k, g.a, g.lda, g.b, g.ldb, g.c, g.ldc, ep)
					g.check(t, g.c, want)
				}
			}
		})
	}
}

func TestSetThreads(t *testing.T) {
	defer SetThreads(0)
	SetThreads(3)
	assert.Equalf(t, 3, Threads(), "Threads() = %d after SetThreads(3)", Threads())
	SetThreads(-1)
	assert.Falsef(t, Threads() < 1, "Threads() = %d after reset, want GOMAXPROCS", Threads())
}

func TestGemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector randomly empties sync.Pools, so steady-state allocation cannot be measured")
	}
	defer SetThreads(0)
	rng := rand.New(rand.NewPCG(6, 6))
	m, n, k := 256, 256, 128
	a, b, c := uniform(rng, m*k), uniform(rng, k*n), make([]float32, m*n)
	for _, th := range []int{1, 2} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}} {
			SetThreads(th)
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			Gemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0, c, n) // warm the pools
			allocs := testing.AllocsPerRun(20, func() {
				Gemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0, c, n)
			})
			assert.Zerof(t, allocs, "threads=%d transA=%v transB=%v: allocations per Gemm call", th, tr[0], tr[1])
		}
	}
}

func TestGemmBadInputPanics(t *testing.T) {
	cases := []struct {
		name, want string
		f          func()
	}{
		{"short A", "A: len 5", func() {
			Gemm(false, false, 2, 2, 3, 1, make([]float32, 5), 3, make([]float32, 6), 2, 0, make([]float32, 4), 2)
		}},
		{"short B", "B: len 3", func() {
			Gemm(false, true, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 3), 3, 0, make([]float32, 4), 2)
		}},
		{"short C", "C: len 3", func() {
			Gemm(false, false, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 6), 2, 0, make([]float32, 3), 2)
		}},
		{"small stride", "C: row stride 1 < 2", func() {
			Gemm(false, false, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 6), 2, 0, make([]float32, 4), 1)
		}},
		{"negative", "negative size", func() {
			Gemm(false, false, -1, 2, 3, 1, nil, 3, nil, 2, 0, nil, 2)
		}},
		{"short bias", "bias: len 1 < n=2", func() {
			GemmEpilogue(false, false, 2, 2, 3, make([]float32, 6), 3, make([]float32, 6), 2,
				make([]float32, 4), 2, Epilogue{Bias: []float32{1}})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				require.NotNil(t, r, "no panic, want one mentioning %q", tc.want)
				msg := fmt.Sprint(r)
				assert.Truef(t, strings.Contains(msg, tc.want), "panic %q, want it to mention %q", msg, tc.want)
			}()
			tc.f()
		})
	}
}

func TestGemmCheck(t *testing.T) {
	f := make([]float32, 12)
	cases := []struct {
		name, want     string
		transA, transB bool
		m, n, k        int
		a, b, c, bias  []float32
		lda, ldb, ldc  int
	}{
		{"valid", "", false, false, 2, 3, 4, f[:8], f[:12], f[:6], nil, 4, 3, 3},
		{"valid transposed", "", true, true, 2, 3, 4, f[:8], f[:12], f[:6], f[:3], 2, 4, 3},
		{"valid empty", "", false, false, 0, 0, 0, nil, nil, nil, nil, 0, 0, 0},
		{"transA short", "A: len 7 < 8 needed for 4×2", true, false, 2, 3, 4, f[:7], f[:12], f[:6], nil, 2, 3, 3},
		{"transB stride", "B: row stride 3 < 4 columns", false, true, 2, 3, 4, f[:8], f[:12], f[:6], nil, 4, 3, 3},
		{"C short", "C: len 5 < 6", false, false, 2, 3, 4, f[:8], f[:12], f[:5], nil, 4, 3, 3},
		{"negative k", "negative size", false, false, 2, 3, -1, nil, nil, nil, nil, 1, 3, 3},
		{"bias short", "bias: len 2 < n=3", false, false, 2, 3, 4, f[:8], f[:12], f[:6], f[:2], 4, 3, 3},
	}
	for _, tc := range cases {
		err := GemmCheck(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.a, tc.lda, tc.b, tc.ldb, tc.c, tc.ldc, tc.bias)
		if tc.want == "" {
			assert.NoError(t, err, tc.name)
		} else {
			assert.ErrorContains(t, err, tc.want, tc.name)
		}
	}
}

// TestGemmConcurrent calls large (split) Gemms from several goroutines at
// once: bands that find every worker busy run on their caller, and each
// call still gets its own result.
func TestGemmConcurrent(t *testing.T) {
	defer SetThreads(0)
	SetThreads(2)
	const callers = 4
	cases := make([]*gemmCase, callers)
	wants := make([][]float32, callers)
	for i := range cases {
		rng := rand.New(rand.NewPCG(8, uint64(i)))
		cases[i] = newGemmCase(rng, i%2 == 1, i/2 == 1, 200+i, 150, 90, 1, 0)
		wants[i] = cases[i].want()
	}
	done := make(chan int)
	for i, g := range cases {
		go func() {
			for range 5 {
				Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
			}
			done <- i
		}()
	}
	for range cases {
		i := <-done
		cases[i].check(t, cases[i].c, wants[i])
	}
}

// TestGemmEpilogueLargeB checks the epilogue where B is too large for the
// L2-resident paths, so the product is accumulated over several k-blocks
// and the bias and activation must come with the last one only.
func TestGemmEpilogueLargeB(t *testing.T) {
	defer SetThreads(0)
	SetThreads(1) // one band, so B stays too large for L2
	for _, path := range allPaths() {
		withPath(t, path, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, uint64(path.impl)))
			for _, act := range []Act{ActRelu, ActSigmoid} {
				g := newGemmCase(rng, false, false, 150, 560, 480, 1, 0)
				ep := Epilogue{Bias: uniform(rng, g.n), Act: act}
				want := g.want()
				ApplyEpilogueRows(want, g.m, g.n, g.ldc, ep)
				GemmEpilogue(false, false, g.m, g.n, g.k, g.a, g.lda, g.b, g.ldb, g.c, g.ldc, ep)
				g.check(t, g.c, want)
			}
		})
	}
}
