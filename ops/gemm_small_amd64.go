//go:build amd64 && !noasm

package ops

// The unpacked ("small") paths of the assembly kernels: calls with few
// rows, or whose B fits in cache, skip packing; see avx512Small and
// avx2Small for when each is taken.

// gemvFunc is an unpacked AVX-512 kernel sgemvNAVX512R{R}V{V}: R rows ×
// 16·V columns (those set in mask) of C = act(alpha·A·B + beta·C + bias)
// from A with element (r, p) at a[r*ars+p*acs] and row-major B.
type gemvFunc func(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

// gemvRows is the most rows the unpacked kernel with v vectors takes.
func gemvRows(v int) int { return min(8, 16/v) }

//go:noescape
func sgemvNAVX512R1V1(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R2V1(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R3V1(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R4V1(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R5V1(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R6V1(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R7V1(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R8V1(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R1V2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R2V2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R3V2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R4V2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R5V2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R6V2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R7V2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R8V2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R1V3(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R2V3(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R3V3(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R4V3(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R5V3(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R1V4(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R2V4(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R3V4(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

//go:noescape
func sgemvNAVX512R4V4(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask uint64, alpha, beta float32, flags int, bias *float32, leak float32)

var sgemvNAVX512 = [5][9]gemvFunc{
	1: {1: sgemvNAVX512R1V1, 2: sgemvNAVX512R2V1, 3: sgemvNAVX512R3V1, 4: sgemvNAVX512R4V1, 5: sgemvNAVX512R5V1, 6: sgemvNAVX512R6V1, 7: sgemvNAVX512R7V1, 8: sgemvNAVX512R8V1},
	2: {1: sgemvNAVX512R1V2, 2: sgemvNAVX512R2V2, 3: sgemvNAVX512R3V2, 4: sgemvNAVX512R4V2, 5: sgemvNAVX512R5V2, 6: sgemvNAVX512R6V2, 7: sgemvNAVX512R7V2, 8: sgemvNAVX512R8V2},
	3: {1: sgemvNAVX512R1V3, 2: sgemvNAVX512R2V3, 3: sgemvNAVX512R3V3, 4: sgemvNAVX512R4V3, 5: sgemvNAVX512R5V3},
	4: {1: sgemvNAVX512R1V4, 2: sgemvNAVX512R2V4, 3: sgemvNAVX512R3V4, 4: sgemvNAVX512R4V4},
}

// sdotAVX512R{R}J{J} compute out[r*J+j] = Σp a[r*lda+p]·b[j*ldb+p] for R
// rows of A and J rows of B (the transposed-B small-m case); mask holds
// the low k%16 bits for the last partial 16-lane step.

//go:noescape
func sdotAVX512R1J4(k int, a *float32, lda int, b *float32, ldb int, mask uint64, out *float32)

//go:noescape
func sdotAVX512R1J1(k int, a *float32, lda int, b *float32, ldb int, mask uint64, out *float32)

//go:noescape
func sdotAVX512R2J4(k int, a *float32, lda int, b *float32, ldb int, mask uint64, out *float32)

//go:noescape
func sdotAVX512R2J1(k int, a *float32, lda int, b *float32, ldb int, mask uint64, out *float32)

//go:noescape
func sdotAVX512R3J4(k int, a *float32, lda int, b *float32, ldb int, mask uint64, out *float32)

//go:noescape
func sdotAVX512R3J1(k int, a *float32, lda int, b *float32, ldb int, mask uint64, out *float32)

//go:noescape
func sdotAVX512R4J4(k int, a *float32, lda int, b *float32, ldb int, mask uint64, out *float32)

//go:noescape
func sdotAVX512R4J1(k int, a *float32, lda int, b *float32, ldb int, mask uint64, out *float32)

// sdotAVX512Call calls the rows×cols (cols 1 or 4) dot kernel directly:
// static calls to the //go:noescape assembly let the caller's out and mask
// stay on its stack, where a call through a table of funcs made them escape (one
// heap allocation per small Gemm).
func sdotAVX512Call(rows, cols, k int, a *float32, lda int, b *float32, ldb int, mask uint64, out *float32) {
	switch rows<<3 | cols {
	case 1<<3 | 1:
		sdotAVX512R1J1(k, a, lda, b, ldb, mask, out)
	case 1<<3 | 4:
		sdotAVX512R1J4(k, a, lda, b, ldb, mask, out)
	case 2<<3 | 1:
		sdotAVX512R2J1(k, a, lda, b, ldb, mask, out)
	case 2<<3 | 4:
		sdotAVX512R2J4(k, a, lda, b, ldb, mask, out)
	case 3<<3 | 1:
		sdotAVX512R3J1(k, a, lda, b, ldb, mask, out)
	case 3<<3 | 4:
		sdotAVX512R3J4(k, a, lda, b, ldb, mask, out)
	case 4<<3 | 1:
		sdotAVX512R4J1(k, a, lda, b, ldb, mask, out)
	case 4<<3 | 4:
		sdotAVX512R4J4(k, a, lda, b, ldb, mask, out)
	default:
		panic("ops: no AVX-512 dot kernel for this rows×cols")
	}
}

// The unpacked AVX-512 paths (measured on Zen 5 against the packed 12×32
// kernel, which they beat by up to 4× on these shapes):
//   - an untransposed B is streamed as it is for up to avx512SmallMMax
//     rows, and for any number of rows while B (k·n elements) fits in L2;
//     a larger one is streamed in k-blocks (avx512StreamBlocked) unless A
//     is transposed;
//   - a transposed B goes through dot products for up to avx512SmallMMax
//     rows, or up to avx512DotMMax rows when k >= avx512DotMinK (the dot
//     products' horizontal sums cost too much for short rows); otherwise,
//     while it fits in L2, it is transposed once into 32-column panels that
//     are streamed like an untransposed B.
const (
	avx512SmallMMax  = 8
	avx512StreamBMax = 1 << 18
	avx512DotMMax    = 64
	avx512DotMinK    = 256
)

// avx512Small takes the calls the unpacked kernels run faster (see above).
func avx512Small(g gemmCall) bool {
	if g.transB {
		aRows := !g.transA || (g.m == 1 && g.lda == 1) // op(A) rows contiguous along k
		if aRows && (g.m <= avx512SmallMMax || (g.m <= avx512DotMMax && g.k >= avx512DotMinK)) {
			avx512SmallT(g)
			return true
		}
		if g.k*g.n > avx512StreamBMax || g.ldb > gatherMaxLd {
			return false
		}
		// Transpose B once, with gathers, into 32-column panels: panel j0
		// (columns j0..j0+31 of op(B)) is a k×32 row-major block at
		// bufs.b[j0*k:], streamed like an untransposed B.
		bufs := gemmPool.Get().(*gemmBufs)
		defer gemmPool.Put(bufs)
		bufs.b = grow(bufs.b, g.k*roundUp(g.n, 32))
		avx512PackB(bufs.b, 32, true, g.b, g.ldb, 0, g.k, 0, g.n)
		for j0 := 0; j0 < g.n; j0 += 32 {
			avx512Stream(g, bufs.b[j0*g.k:], 32, j0, min(32, g.n-j0))
		}
		finishAct(g)
		return true
	}
	if g.m > avx512SmallMMax && g.k*g.n > avx512StreamBMax {
		if g.transA {
			return false
		}
		avx512StreamBlocked(g)
		return true
	}
	avx512Stream(g, g.b, g.ldb, 0, g.n)
	finishAct(g)
	return true
}

// Blocking of avx512StreamBlocked: k steps per pass over C and rows per
// block of A (interleaved runs on Zen 5: 1-16% faster than the packed
// kernel at 1024³, 256×1024×1024, 2048×256×1024 and 512×2048×512).
const (
	avx512StreamKC = 256
	avx512StreamMC = 128
)

// avx512StreamBlocked runs a large call with untransposed A and B by
// streaming: for each block of avx512StreamMC rows and avx512StreamKC
// steps, the unpacked kernels sweep B's k-block (strips of k×64 that fit
// in L2) while the rows of A stay in cache. Later k-blocks accumulate into
// C; the bias and activation come with the last one.
func avx512StreamBlocked(g gemmCall) {
	kcBlk := balance(g.k, avx512StreamKC, 1)
	for ic := 0; ic < g.m; ic += avx512StreamMC {
		rows := g
		rows.m = min(avx512StreamMC, g.m-ic)
		rows.a = g.a[ic*g.lda:]
		rows.c = g.c[ic*g.ldc:]
		for pc := 0; pc < g.k; pc += kcBlk {
			part := rows
			part.k = min(kcBlk, g.k-pc)
			part.a = rows.a[pc:]
			if pc > 0 {
				part.beta = 1
			}
			if pc+part.k < g.k {
				part.bias, part.act = nil, ActNone
			}
			avx512Stream(part, g.b[pc*g.ldb:], g.ldb, 0, g.n)
		}
		finishAct(rows) // while this block of C is still in cache
	}
}

// avx512Stream computes columns [j0, j0+n) of C with the unpacked
// kernels, reading column j0 of B at b[0] with row stride ldb. It
// works in strips of 64 columns, each reused from cache by every group of
// rows, and fuses bias, Relu and LeakyRelu (finishAct does the others).
func avx512Stream(g gemmCall, b []float32, ldb, j0, n int) {
	ars, acs := g.lda, 1
	if g.transA {
		ars, acs = 1, g.lda
	}
	act := g.act
	if !fusedAct(act) {
		act = ActNone
	}
	for s := 0; s < n; s += 64 {
		cols := min(64, n-s)
		vecs := (cols + 15) / 16
		mask := uint64(1)<<uint(cols) - 1
		if cols == 64 {
			mask = ^uint64(0)
		}
		var bias []float32
		if g.bias != nil {
			bias = g.bias[j0+s:]
		}
		flags, biasp := tileFlags(g.beta, bias, act)
		group := gemvRows(vecs)
		for i0 := 0; i0 < g.m; i0 += group {
			rows := min(group, g.m-i0)
			sgemvNAVX512[vecs][rows](g.k, &g.a[i0*ars], ars, acs, &b[s], ldb,
				&g.c[i0*g.ldc+j0+s], g.ldc, mask, g.alpha, g.beta, flags, biasp, g.leak)
		}
	}
}

// finishAct applies an activation the unpacked kernels do not fuse.
func finishAct(g gemmCall) {
	if fusedAct(g.act) {
		return
	}
	for i := 0; i < g.m; i++ {
		row := g.c[i*g.ldc : i*g.ldc+g.n]
		ApplyActivation(row, row, g.act, g.leak, g.actBeta)
	}
}

// avx512SmallT runs a small-m call with op(B) = Bᵀ as dot products of the
// rows of A and B, four columns at a time and the last n%4 one at a time.
func avx512SmallT(g gemmCall) {
	lda := g.lda // with transA, m == 1 and lda == 1: one contiguous row
	var mask uint64 = 1<<uint(g.k%16) - 1
	var out [16]float32
	for i0 := 0; i0 < g.m; i0 += 4 {
		rows := min(4, g.m-i0)
		for j0 := 0; j0 < g.n; {
			cols := 4
			if j0+4 > g.n {
				cols = 1
			}
			sdotAVX512Call(rows, cols, g.k, &g.a[i0*g.lda], lda, &g.b[j0*g.ldb], g.ldb, mask, &out[0])
			finishDots(g, out[:], i0, rows, j0, cols)
			j0 += cols
		}
		if g.act != ActNone {
			for i := i0; i < i0+rows; i++ {
				row := g.c[i*g.ldc : i*g.ldc+g.n]
				ApplyActivation(row, row, g.act, g.leak, g.actBeta)
			}
		}
	}
}

// sgemvNAVX2R1..R4 are the AVX2 twins of sgemvNAVX512R*: R rows × 16
// columns, masked by the int32 lanes (-1 = on) of mask[0:16].
//
//go:noescape
func sgemvNAVX2R1(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask *int32, alpha, beta float32, flags int, bias *float32, leak float32)

//
//go:noescape
func sgemvNAVX2R2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask *int32, alpha, beta float32, flags int, bias *float32, leak float32)

//
//go:noescape
func sgemvNAVX2R3(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask *int32, alpha, beta float32, flags int, bias *float32, leak float32)

//
//go:noescape
func sgemvNAVX2R4(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask *int32, alpha, beta float32, flags int, bias *float32, leak float32)

// sgemvNAVX2Call calls sgemvNAVX2R{rows} directly (rows 1..4), so the
// caller's mask stays on its stack (a call through a func table made it
// escape: one heap allocation per small Gemm).
func sgemvNAVX2Call(rows, k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int,
	mask *int32, alpha, beta float32, flags int, bias *float32, leak float32) {
	switch rows {
	case 1:
		sgemvNAVX2R1(k, a, ars, acs, b, ldb, c, ldc, mask, alpha, beta, flags, bias, leak)
	case 2:
		sgemvNAVX2R2(k, a, ars, acs, b, ldb, c, ldc, mask, alpha, beta, flags, bias, leak)
	case 3:
		sgemvNAVX2R3(k, a, ars, acs, b, ldb, c, ldc, mask, alpha, beta, flags, bias, leak)
	case 4:
		sgemvNAVX2R4(k, a, ars, acs, b, ldb, c, ldc, mask, alpha, beta, flags, bias, leak)
	default:
		panic("ops: no AVX2 gemv kernel for this row count")
	}
}

// sdotAVX2R{R}J{J} are the AVX2 twins of sdotAVX512R*J* for R <= 2; the
// k tail is masked by the int32 lanes of mask[0:8].
//
//go:noescape
func sdotAVX2R1J4(k int, a *float32, lda int, b *float32, ldb int, mask *int32, out *float32)

//
//go:noescape
func sdotAVX2R1J1(k int, a *float32, lda int, b *float32, ldb int, mask *int32, out *float32)

//
//go:noescape
func sdotAVX2R2J4(k int, a *float32, lda int, b *float32, ldb int, mask *int32, out *float32)

//
//go:noescape
func sdotAVX2R2J1(k int, a *float32, lda int, b *float32, ldb int, mask *int32, out *float32)

// sdotAVX2Call is sdotAVX512Call for the AVX2 dot kernels (rows 1 or 2).
func sdotAVX2Call(rows, cols, k int, a *float32, lda int, b *float32, ldb int, mask *int32, out *float32) {
	switch rows<<3 | cols {
	case 1<<3 | 1:
		sdotAVX2R1J1(k, a, lda, b, ldb, mask, out)
	case 1<<3 | 4:
		sdotAVX2R1J4(k, a, lda, b, ldb, mask, out)
	case 2<<3 | 1:
		sdotAVX2R2J1(k, a, lda, b, ldb, mask, out)
	case 2<<3 | 4:
		sdotAVX2R2J4(k, a, lda, b, ldb, mask, out)
	default:
		panic("ops: no AVX2 dot kernel for this rows×cols")
	}
}

// The unpacked AVX2 paths take calls with at most avx2SmallMMax rows, and
// calls with an untransposed B at most avx2StreamNMax columns wide that
// fits in L2 (measured on Zen 5: 2-3× the packed 6×16 kernel on narrow
// outputs, slower on wide ones).
const (
	avx2SmallMMax  = 8
	avx2StreamNMax = 64
)

// avx2Small runs the calls described above on the unpacked AVX2 kernels:
// B in 16-column strips (untransposed B) or dot products over k
// (transposed B).
func avx2Small(g gemmCall) bool {
	if g.m > avx2SmallMMax &&
		(g.transB || g.n > avx2StreamNMax || g.k*g.n > avx512StreamBMax) {
		return false
	}
	if g.transB {
		if g.transA && (g.m > 1 || g.lda != 1) {
			return false
		}
		avx2SmallT(g)
		return true
	}
	ars, acs := g.lda, 1
	if g.transA {
		ars, acs = 1, g.lda
	}
	act := g.act
	if !fusedAct(act) {
		act = ActNone
	}
	var mask [16]int32
	for i0 := 0; i0 < g.m; i0 += 4 {
		rows := min(4, g.m-i0)
		laneBits(mask[:], lanes(0, 16))
		for j0 := 0; j0 < g.n; j0 += 16 {
			cols := min(16, g.n-j0)
			if cols < 16 {
				laneBits(mask[:], lanes(0, cols))
			}
			var bias []float32
			if g.bias != nil {
				bias = g.bias[j0:]
			}
			flags, biasp := tileFlags(g.beta, bias, act)
			sgemvNAVX2Call(rows, g.k, &g.a[i0*ars], ars, acs, &g.b[j0], g.ldb, &g.c[i0*g.ldc+j0], g.ldc,
				&mask[0], g.alpha, g.beta, flags, biasp, g.leak)
		}
		if act != g.act {
			for i := i0; i < i0+rows; i++ {
				row := g.c[i*g.ldc : i*g.ldc+g.n]
				ApplyActivation(row, row, g.act, g.leak, g.actBeta)
			}
		}
	}
	return true
}

// avx2SmallT is avx512SmallT for AVX2, two rows at a time.
func avx2SmallT(g gemmCall) {
	var mask [16]int32
	laneBits(mask[:], lanes(0, g.k%8))
	var out [8]float32
	for i0 := 0; i0 < g.m; i0 += 2 {
		rows := min(2, g.m-i0)
		for j0 := 0; j0 < g.n; {
			cols := 4
			if j0+4 > g.n {
				cols = 1
			}
			sdotAVX2Call(rows, cols, g.k, &g.a[i0*g.lda], g.lda, &g.b[j0*g.ldb], g.ldb, &mask[0], &out[0])
			finishDots(g, out[:], i0, rows, j0, cols)
			j0 += cols
		}
		if g.act != ActNone {
			for i := i0; i < i0+rows; i++ {
				row := g.c[i*g.ldc : i*g.ldc+g.n]
				ApplyActivation(row, row, g.act, g.leak, g.actBeta)
			}
		}
	}
}

// finishDots writes the rows×cols dot products out[r*cols+j] to C at
// (i0, j0) as alpha·dot + beta·C + bias.
func finishDots(g gemmCall, out []float32, i0, rows, j0, cols int) {
	for r := 0; r < rows; r++ {
		row := g.c[(i0+r)*g.ldc+j0 : (i0+r)*g.ldc+j0+cols]
		for j := range row {
			v := g.alpha * out[r*cols+j]
			if g.beta != 0 {
				v += g.beta * row[j]
			}
			if g.bias != nil {
				v += g.bias[j0+j]
			}
			row[j] = v
		}
	}
}
