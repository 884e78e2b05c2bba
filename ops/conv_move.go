package ops

// Row movers of the phase-split convolutions (conv_fast2d.go): the
// de-interleave that splits input rows into their two stride phases, the
// zero-padded row copy, and the two write-backs that add the bias (and
// apply Relu) while moving Gemm output rows into NCHW, one of them
// interleaving two phases; Resize's nearest doubling uses them too.
// Feature maps of the conv autoencoders are 7-28 pixels wide, so per-row
// Go loops were mostly overhead: the assembly (conv_move_amd64.s, AVX-512
// and AVX2 twins) does a row with one or two masked vector loads and
// stores. Each mover takes whole planes (rows at fixed strides); the Go
// loops below are the reference and the path on other CPUs. The same
// assembly file holds the 2×2 pooling (pool_fast.go) and Resize filter
// (resize.go) kernels, which share the lane masks and permutation tables.

// Row mover implementations; moveUse (conv_move_amd64.go) picks one at init.
const (
	moveGo = iota
	moveAVX2
	moveAVX512
)

// laneBits writes the int32 lane masks of the AVX2 movers: -1 where bit i
// of bits is set, 0 elsewhere.
func laneBits(dst []int32, bits uint64) {
	for i := range dst {
		dst[i] = -int32(bits >> uint(i) & 1)
	}
}

// fuseRelu reports whether the convolutions should have the write-back
// movers apply act: the vector movers fuse Relu for free, while on the Go
// loops one ReluSlice pass over a whole chunk (vectorised where it can be)
// beats a branchy tail per 7-28 element row.
func fuseRelu(act Act) bool { return act == ActRelu && moveUse != moveGo }

// moveChunk is the most outputs of a row one assembly call writes (two
// 16-lane vectors); wider rows take one call per chunk of columns, each
// over all the rows.
const moveChunk = 32

// lanes returns a mask with bits [lo, hi) set (empty when hi <= lo).
func lanes(lo, hi int) uint64 {
	if hi <= lo {
		return 0
	}
	return (uint64(1)<<uint(hi-lo) - 1) << uint(lo)
}

// split2Rows de-interleaves rows rows of src into two phase planes. Row r
// reads line = src[r·srcStride:] as the zero-padded row P[j] = line[j-lead]
// for lead <= j < lead+n (0 elsewhere) and writes dst0[r·dstStride+u] =
// P[2u], dst1[r·dstStride+u] = P[2u+1] for u < w.
func split2Rows(dst0, dst1, src []float32, rows, srcStride, dstStride, lead, n, w int) {
	if rows <= 0 || w <= 0 {
		return
	}
	_ = dst0[(rows-1)*dstStride+w-1]
	_ = dst1[(rows-1)*dstStride+w-1]
	hi := min(lead+n, 2*w) // P lanes read from line: [lead, hi)
	if hi > lead {
		_ = src[(rows-1)*srcStride+hi-lead-1]
	}
	if moveUse != moveGo && lead >= 0 && len(src) > 0 {
		// 16 outputs (32 lanes of P) per call; a chunk's lead may be
		// negative (its row starts past the padding), which the assembly
		// takes as an offset into the row.
		for u0 := 0; u0 < w; u0 += 16 {
			cw := min(16, w-u0)
			ld := lead - 2*u0
			m := lanes(max(ld, 0), min(ld+n, 2*cw)) | lanes(0, cw)<<32
			if moveUse == moveAVX512 {
				split2RowsAVX512(&dst0[u0], &dst1[u0], &src[0], rows, srcStride, dstStride, ld, m)
				continue
			}
			var mk [48]int32
			laneBits(mk[:], m)
			split2RowsAVX2(&dst0[u0], &dst1[u0], &src[0], rows, srcStride, dstStride, ld, &mk[0])
		}
		return
	}
	split2RowsGo(dst0, dst1, src, rows, srcStride, dstStride, lead, n, w)
}

func split2RowsGo(dst0, dst1, src []float32, rows, srcStride, dstStride, lead, n, w int) {
	// Phase r's u reads line[2u+r-lead]; inside the line for u in [lo, hi).
	lo0, hi0 := inside(n, 2, -lead, w)
	lo1, hi1 := inside(n, 2, 1-lead, w)
	for r := 0; r < rows; r++ {
		line := src[r*srcStride:]
		phaseRow(dst0[r*dstStride:r*dstStride+w], line, lo0, hi0, 2*lo0-lead)
		phaseRow(dst1[r*dstStride:r*dstStride+w], line, lo1, hi1, 2*lo1+1-lead)
	}
}

// phaseRow sets d[lo:hi] to every other element of line from index at and
// the rest of d to zero.
func phaseRow(d, line []float32, lo, hi, at int) {
	for j := range d[:lo] {
		d[j] = 0
	}
	for j := range d[hi:] {
		d[hi+j] = 0
	}
	s := d[lo:hi]
	if len(s) == 0 {
		return
	}
	src := line[at : at+2*len(s)-1]
	// Both bounds in the loop condition: no checks inside.
	for j, i := 0, 0; j < len(s) && i < len(src); j, i = j+1, i+2 {
		s[j] = src[i]
	}
}

// padRows copies rows rows of src into zero-padded rows of dst:
// dst[r·dstStride+j] = src[r·srcStride+j-lead] for lead <= j < lead+n,
// 0 for the other j < w.
func padRows(dst, src []float32, rows, srcStride, dstStride, lead, n, w int) {
	if rows <= 0 || w <= 0 {
		return
	}
	_ = dst[(rows-1)*dstStride+w-1]
	hi := min(lead+n, w)
	if hi > max(lead, 0) {
		_ = src[(rows-1)*srcStride+hi-lead-1]
	}
	if moveUse != moveGo && lead >= 0 && len(src) > 0 {
		for j0 := 0; j0 < w; j0 += moveChunk {
			cw := min(moveChunk, w-j0)
			ld := lead - j0 // negative past the padding: an offset into the row
			m := lanes(max(ld, 0), min(ld+n, cw)) | lanes(0, cw)<<32
			if moveUse == moveAVX512 {
				padRowsAVX512(&dst[j0], &src[0], rows, srcStride, dstStride, ld, m)
				continue
			}
			var mk [64]int32
			laneBits(mk[:], m)
			padRowsAVX2(&dst[j0], &src[0], rows, srcStride, dstStride, ld, &mk[0])
		}
		return
	}
	padRowsGo(dst, src, rows, srcStride, dstStride, lead, n, w)
}

func padRowsGo(dst, src []float32, rows, srcStride, dstStride, lead, n, w int) {
	lo, hi := inside(n, 1, -lead, w)
	for r := 0; r < rows; r++ {
		d := dst[r*dstStride : r*dstStride+w]
		for j := range d[:lo] {
			d[j] = 0
		}
		if hi > lo {
			copy(d[lo:hi], src[r*srcStride+lo-lead:])
		}
		clear(d[hi:])
	}
}

// biasRows writes dst[r·dstStride+j] = act(src[r·srcStride+j] + b) for
// j < n, act Relu when relu is set and the identity otherwise.
func biasRows(dst, src []float32, rows, srcStride, dstStride, n int, b float32, relu bool) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = dst[(rows-1)*dstStride+n-1]
	_ = src[(rows-1)*srcStride+n-1]
	if moveUse != moveGo {
		for j0 := 0; j0 < n; j0 += moveChunk {
			m := lanes(0, min(moveChunk, n-j0))
			if moveUse == moveAVX512 {
				biasRowsAVX512(&dst[j0], &src[j0], rows, srcStride, dstStride, m, b, relu)
				continue
			}
			var mk [32]int32
			laneBits(mk[:], m)
			biasRowsAVX2(&dst[j0], &src[j0], rows, srcStride, dstStride, &mk[0], b, relu)
		}
		return
	}
	biasRowsGo(dst, src, rows, srcStride, dstStride, n, b, relu)
}

func biasRowsGo(dst, src []float32, rows, srcStride, dstStride, n int, b float32, relu bool) {
	for r := 0; r < rows; r++ {
		s := src[r*srcStride : r*srcStride+n]
		d := dst[r*dstStride:][:len(s)]
		for j, v := range s {
			d[j] = v + b
		}
		if relu {
			reluGo(d, d)
		}
	}
}

// interleave2Rows writes rows rows of n outputs alternating between two
// sources: dst[r·dstStride+2t] = act(a[r·srcStride+t] + b) and
// dst[r·dstStride+2t+1] = act(c[r·srcStride+t] + b), for the outputs < n
// (a holds ⌈n/2⌉ values per row, c ⌊n/2⌋). act as for biasRows.
func interleave2Rows(dst, a, c []float32, rows, srcStride, dstStride, n int, b float32, relu bool) {
	if rows <= 0 || n <= 0 {
		return
	}
	na, nc := (n+1)/2, n/2
	_ = dst[(rows-1)*dstStride+n-1]
	_ = a[(rows-1)*srcStride+na-1]
	if nc > 0 {
		_ = c[(rows-1)*srcStride+nc-1]
	}
	if moveUse != moveGo {
		for j0 := 0; j0 < n; j0 += moveChunk { // j0 even: a and c start at j0/2
			cw := min(moveChunk, n-j0)
			ca, cc := (cw+1)/2, cw/2
			cp := &a[j0/2] // no c values are read when cc == 0
			if cc > 0 {
				cp = &c[j0/2]
			}
			m := lanes(0, ca) | lanes(0, cc)<<16 | lanes(0, cw)<<32
			if moveUse == moveAVX512 {
				interleave2RowsAVX512(&dst[j0], &a[j0/2], cp, rows, srcStride, dstStride, m, b, relu)
				continue
			}
			var mk [64]int32
			laneBits(mk[:], m)
			interleave2RowsAVX2(&dst[j0], &a[j0/2], cp, rows, srcStride, dstStride, &mk[0], b, relu)
		}
		return
	}
	interleave2RowsGo(dst, a, c, rows, srcStride, dstStride, n, b, relu)
}

func interleave2RowsGo(dst, a, c []float32, rows, srcStride, dstStride, n int, b float32, relu bool) {
	half := n / 2
	for r := 0; r < rows; r++ {
		d := dst[r*dstStride : r*dstStride+n]
		ar, cr := a[r*srcStride:][:half+n%2], c[:0] // c may be empty when n == 1
		if half > 0 {
			cr = c[r*srcStride:][:half]
		}
		dd := d[:2*half]
		for t := range cr {
			dd[2*t] = ar[t] + b
			dd[2*t+1] = cr[t] + b
		}
		if n%2 == 1 {
			d[n-1] = ar[half] + b
		}
		if relu {
			reluGo(d, d)
		}
	}
}
