package ops

import (
	"fmt"
	"sync"
)

// gemmKernel is one micro-kernel with the cache blocking that suits it.
//
// The driver (gemmCall.run) packs a kc×nc block of op(B) into panels of nr
// columns (kc steps of nr contiguous values each) and an mc×kc block of
// op(A) into panels of mr rows (kc steps of mr values each), zero-padding
// partial panels, then calls tile once per mr×nr tile of C.
type gemmKernel struct {
	mr, nr     int
	mc, kc, nc int

	// tile computes the rows×cols corner (rows ≤ mr, cols ≤ nr) of
	//   C = act(alpha·Ap·Bp + beta·C + bias)
	// where Ap and Bp are packed panels over kc steps (kc ≥ 1), c starts at
	// the tile's first element with row stride ldc, bias (nil for none)
	// starts at the tile's first column, and act is ActNone, ActRelu or
	// ActLeakyRelu (with slope leak). When beta is 0, C is not read.
	tile func(kc int, ap, bp, c []float32, ldc int, alpha, beta float32,
		rows, cols int, bias []float32, act Act, leak float32)

	// packA and packB, when set, replace the portable packA and packB
	// (same arguments and result) with faster ones for some layouts.
	packA func(dst []float32, mr int, trans bool, a []float32, lda, i0, mc, p0, kc int)
	packB func(dst []float32, nr int, trans bool, b []float32, ldb, p0, kc, j0, nc int)

	// small, when set, may take over a whole call that its unpacked
	// kernels run faster (few rows, or a B that fits in cache); it reports
	// whether it did.
	small func(g gemmCall) bool
}

// gemmKernels holds the kernel of each implementation; nil when this build
// or CPU cannot run it.
var gemmKernels = [numImpls]*gemmKernel{implGo: &goKernel}

// fusedAct reports whether the micro-kernels apply act themselves.
func fusedAct(act Act) bool {
	return act == ActNone || act == ActRelu || act == ActLeakyRelu
}

// gemmBufs are one goroutine's packing buffers, recycled through gemmPool
// so that steady-state Gemm calls do not allocate.
type gemmBufs struct{ a, b []float32 }

var gemmPool = sync.Pool{New: func() any { return new(gemmBufs) }}

// grow returns s resliced to length n, or a new slice when its capacity is
// short (contents are not kept): the kernels' scratch buffers.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// gemmCall is one Gemm problem (or one part of it, for the parallel split).
type gemmCall struct {
	kern           *gemmKernel
	transA, transB bool
	m, n, k        int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int
	bias           []float32 // nil: no bias; else starts at column 0 of c
	act            Act
	leak           float32
	actBeta        float32 // Beta of ActHardSigmoid and ActClip
}

// run computes the call on the calling goroutine with blocking and packing.
func (g *gemmCall) run() {
	if g.m == 0 || g.n == 0 {
		return
	}
	if g.k == 0 || g.alpha == 0 {
		g.scaleOnly()
		return
	}
	kern := g.kern
	if kern.small != nil && kern.small(*g) {
		return
	}
	mr, nr := kern.mr, kern.nr
	packA, packB := packA, packB
	if kern.packA != nil {
		packA = kern.packA
	}
	if kern.packB != nil {
		packB = kern.packB
	}
	bufs := gemmPool.Get().(*gemmBufs)
	defer gemmPool.Put(bufs)

	// Equal blocks rather than full ones plus a sliver: k = 1024 with
	// KC = 384 runs as 3×342, not 384+384+256.
	kcBlk := balance(g.k, kern.kc, 1)
	ncBlk := balance(g.n, kern.nc, nr)
	mcBlk := balance(g.m, kern.mc, mr)
	bufs.b = grow(bufs.b, kcBlk*roundUp(ncBlk, nr))
	bufs.a = grow(bufs.a, kcBlk*roundUp(mcBlk, mr))

	tileAct, leak := g.act, g.leak
	if !fusedAct(tileAct) {
		tileAct = ActNone
	}
	for jc := 0; jc < g.n; jc += ncBlk {
		nc := min(ncBlk, g.n-jc)
		for pc := 0; pc < g.k; pc += kcBlk {
			kc := min(kcBlk, g.k-pc)
			packB(bufs.b, nr, g.transB, g.b, g.ldb, pc, kc, jc, nc)
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			last := pc+kc == g.k
			act := ActNone
			if last {
				act = tileAct
			}
			for ic := 0; ic < g.m; ic += mcBlk {
				mc := min(mcBlk, g.m-ic)
				packA(bufs.a, mr, g.transA, g.a, g.lda, ic, mc, pc, kc)
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					bp := bufs.b[jr*kc:]
					var bias []float32
					if last && g.bias != nil {
						bias = g.bias[jc+jr:]
					}
					for ir := 0; ir < mc; ir += mr {
						rows := min(mr, mc-ir)
						off := (ic+ir)*g.ldc + jc + jr
						kern.tile(kc, bufs.a[ir*kc:], bp, g.c[off:], g.ldc,
							g.alpha, beta, rows, cols, bias, act, leak)
						if last && act != g.act {
							for i := 0; i < rows; i++ {
								row := g.c[off+i*g.ldc : off+i*g.ldc+cols]
								ApplyActivation(row, row, g.act, g.leak, g.actBeta)
							}
						}
					}
				}
			}
		}
	}
}

// scaleOnly handles k == 0 or alpha == 0: C = beta·C, then the epilogue.
func (g *gemmCall) scaleOnly() {
	for i := 0; i < g.m; i++ {
		scaleRow(g.c[i*g.ldc:i*g.ldc+g.n], g.beta)
	}
	ApplyEpilogueRows(g.c, g.m, g.n, g.ldc, Epilogue{Bias: g.bias, Act: g.act, Alpha: g.leak, Beta: g.actBeta})
}

// scaleRow sets row to beta·row: cleared without being read when beta is
// 0 (so NaNs in C do not propagate), untouched when it is 1.
func scaleRow(row []float32, beta float32) {
	switch beta {
	case 0:
		clear(row)
	case 1:
	default:
		for j := range row {
			row[j] *= beta
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// balance splits total into the fewest blocks of at most limit (a multiple
// of unit) and returns the common block size, rounded up to unit.
func balance(total, limit, unit int) int {
	blocks := (total + limit - 1) / limit
	return min(limit, roundUp((total+blocks-1)/blocks, unit))
}

// packA copies rows [i0, i0+mc) × columns [p0, p0+kc) of op(A) into dst as
// panels of mr rows: panel r holds, for each step p, mr consecutive values.
// Rows past mc are zero.
func packA(dst []float32, mr int, trans bool, a []float32, lda, i0, mc, p0, kc int) {
	for r := 0; r < mc; r += mr {
		rows := min(mr, mc-r)
		d := dst[r*kc : r*kc+mr*kc]
		if trans {
			// op(A)[i][p] = a[p*lda+i]: a step is a contiguous run of rows.
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+i0+r:]
				dp := d[p*mr : p*mr+mr]
				copy(dp[:rows], src[:rows])
				clear(dp[rows:])
			}
			continue
		}
		for ii := 0; ii < rows; ii++ {
			src := a[(i0+r+ii)*lda+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*mr+ii] = v
			}
		}
		if rows < mr {
			for p := 0; p < kc; p++ {
				clear(d[p*mr+rows : p*mr+mr])
			}
		}
	}
}

// packB copies rows [p0, p0+kc) × columns [j0, j0+nc) of op(B) into dst as
// panels of nr columns: panel s holds, for each step p, nr consecutive
// values. Columns past nc are zero.
func packB(dst []float32, nr int, trans bool, b []float32, ldb, p0, kc, j0, nc int) {
	for s := 0; s < nc; s += nr {
		cols := min(nr, nc-s)
		d := dst[s*kc : s*kc+nr*kc]
		if !trans {
			for p := 0; p < kc; p++ {
				src := b[(p0+p)*ldb+j0+s:]
				dp := d[p*nr : p*nr+nr]
				copy(dp[:cols], src[:cols])
				clear(dp[cols:])
			}
			continue
		}
		// op(B)[p][j] = b[j*ldb+p]: a column of op(B) is a contiguous run.
		for jj := 0; jj < cols; jj++ {
			src := b[(j0+s+jj)*ldb+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*nr+jj] = v
			}
		}
		if cols < nr {
			for p := 0; p < kc; p++ {
				clear(d[p*nr+cols : p*nr+nr])
			}
		}
	}
}

// GemmCheck reports whether Gemm (bias == nil) or GemmEpilogue (bias =
// the epilogue's Bias) accepts these arguments: an error naming the first
// negative size, row stride shorter than a row, or slice too short for its
// shape and stride; nil if the call is valid. Gemm and GemmEpilogue panic
// with this error, because the assembly kernels do not bounds-check; code
// that handles untrusted shapes calls GemmCheck first and returns the error.
func GemmCheck(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int, bias []float32) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("ops.Gemm: negative size m=%d n=%d k=%d", m, n, k)
	}
	check := func(name string, s []float32, ld, rows, cols int) error {
		if rows == 0 || cols == 0 {
			return nil
		}
		if rows > 1 && ld < cols {
			return fmt.Errorf("ops.Gemm: %s: row stride %d < %d columns", name, ld, cols)
		}
		if need := (rows-1)*ld + cols; len(s) < need {
			return fmt.Errorf("ops.Gemm: %s: len %d < %d needed for %d×%d with stride %d",
				name, len(s), need, rows, cols, ld)
		}
		return nil
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if err := check("A", a, lda, ar, ac); err != nil {
		return err
	}
	if err := check("B", b, ldb, br, bc); err != nil {
		return err
	}
	if err := check("C", c, ldc, m, n); err != nil {
		return err
	}
	if bias != nil && len(bias) < n {
		return fmt.Errorf("ops.Gemm: bias: len %d < n=%d", len(bias), n)
	}
	return nil
}

// checkGemm panics with GemmCheck's error, if any.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int, bias []float32) {
	if err := GemmCheck(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, bias); err != nil {
		panic(err)
	}
}
