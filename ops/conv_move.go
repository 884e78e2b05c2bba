package ops

// Row movers of the phase-split convolutions (conv_fast2d.go): the
// de-interleave that splits input rows into their two stride phases, the
// zero-padded row copy, and the two write-backs that add the bias (and
// apply Relu) while moving Gemm output rows into NCHW, one of them
// interleaving two phases. Feature maps of the conv autoencoders are 7-28
// pixels wide, so per-row Go loops were mostly overhead: the AVX-512 twins
// (conv_move_amd64.s) do one row per pair of masked vector loads and
// stores. Each mover takes whole planes (rows at fixed strides); the Go
// loops below are the reference and the path on other CPUs.

// moveMaxWidth is the widest row (in output elements) the vector movers
// take; wider maps use the Go loops.
const moveMaxWidth = 32

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
	if moveVec && w <= 16 && lead >= 0 {
		split2RowsAVX512(&dst0[0], &dst1[0], &src[0], rows, srcStride, dstStride, lead, lanes(lead, hi)|lanes(0, w)<<32)
		return
	}
	split2RowsGo(dst0, dst1, src, rows, srcStride, dstStride, lead, n, w)
}

func split2RowsGo(dst0, dst1, src []float32, rows, srcStride, dstStride, lead, n, w int) {
	for r := 0; r < rows; r++ {
		line := src[r*srcStride:]
		d0 := dst0[r*dstStride : r*dstStride+w]
		d1 := dst1[r*dstStride : r*dstStride+w]
		for u := range d0 {
			var a, b float32
			if j := 2*u - lead; j >= 0 && j < n {
				a = line[j]
			}
			if j := 2*u + 1 - lead; j >= 0 && j < n {
				b = line[j]
			}
			d0[u], d1[u] = a, b
		}
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
	if moveVec && w <= moveMaxWidth && lead >= 0 {
		padRowsAVX512(&dst[0], &src[0], rows, srcStride, dstStride, lead, lanes(lead, hi)|lanes(0, w)<<32)
		return
	}
	padRowsGo(dst, src, rows, srcStride, dstStride, lead, n, w)
}

func padRowsGo(dst, src []float32, rows, srcStride, dstStride, lead, n, w int) {
	for r := 0; r < rows; r++ {
		line := src[r*srcStride:]
		d := dst[r*dstStride : r*dstStride+w]
		for j := range d {
			var v float32
			if i := j - lead; i >= 0 && i < n {
				v = line[i]
			}
			d[j] = v
		}
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
	if moveVec && n <= moveMaxWidth {
		biasRowsAVX512(&dst[0], &src[0], rows, srcStride, dstStride, lanes(0, n), b, relu)
		return
	}
	biasRowsGo(dst, src, rows, srcStride, dstStride, n, b, relu)
}

func biasRowsGo(dst, src []float32, rows, srcStride, dstStride, n int, b float32, relu bool) {
	for r := 0; r < rows; r++ {
		s := src[r*srcStride : r*srcStride+n]
		d := dst[r*dstStride : r*dstStride+n]
		for j, v := range s {
			v += b
			if relu && v < 0 {
				v = 0
			}
			d[j] = v
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
	if moveVec && n <= moveMaxWidth {
		cp := &a[0] // no c values are read when nc == 0
		if nc > 0 {
			cp = &c[0]
		}
		m := lanes(0, na) | lanes(0, nc)<<16 | lanes(0, n)<<32
		interleave2RowsAVX512(&dst[0], &a[0], cp, rows, srcStride, dstStride, m, b, relu)
		return
	}
	interleave2RowsGo(dst, a, c, rows, srcStride, dstStride, n, b, relu)
}

func interleave2RowsGo(dst, a, c []float32, rows, srcStride, dstStride, n int, b float32, relu bool) {
	for r := 0; r < rows; r++ {
		d := dst[r*dstStride : r*dstStride+n]
		for j := range d {
			var v float32
			if j%2 == 0 {
				v = a[r*srcStride+j/2]
			} else {
				v = c[r*srcStride+j/2]
			}
			v += b
			if relu && v < 0 {
				v = 0
			}
			d[j] = v
		}
	}
}
