package ops

import (
	"fmt"
	"math"
)

// PoolParams describes N-d pooling over Planes independent planes (batch ×
// channels) of spatial dims In, producing Out positions per axis. A window
// of Kernel elements, spaced by Dilations, starts at o·Strides − PadBegin;
// PadBegin/PadEnd are the explicit paddings (Out already reflects them and
// ceil mode; the kernels only read PadBegin). A negative pad crops, which
// auto_pad SAME produces for kernels shorter than the stride.
type PoolParams struct {
	Planes                               int
	In, Kernel, Out                      []int
	Strides, Dilations, PadBegin, PadEnd []int
}

// Check reports inconsistent parameters.
func (p *PoolParams) Check() error {
	nd := len(p.In)
	if nd == 0 {
		return fmt.Errorf("pooling needs at least one spatial axis")
	}
	if len(p.Kernel) != nd || len(p.Out) != nd || len(p.Strides) != nd || len(p.Dilations) != nd || len(p.PadBegin) != nd || len(p.PadEnd) != nd {
		return fmt.Errorf("pooling parameters disagree on the number of spatial axes (in %d, kernel %d, out %d, strides %d, dilations %d, pads %d+%d)",
			nd, len(p.Kernel), len(p.Out), len(p.Strides), len(p.Dilations), len(p.PadBegin), len(p.PadEnd))
	}
	for i := 0; i < nd; i++ {
		if p.Kernel[i] <= 0 || p.Strides[i] <= 0 || p.Dilations[i] <= 0 {
			return fmt.Errorf("kernel %v, strides %v and dilations %v must be positive", p.Kernel, p.Strides, p.Dilations)
		}
	}
	return nil
}

// PoolOutSize is the output length of a pooling axis: floor or (ceilMode)
// ceil of (in + pads − effective kernel)/stride + 1. With ceil rounding a
// last window that would start inside the trailing padding only is dropped,
// as ONNX Runtime and PyTorch do.
func PoolOutSize(in, k, stride, dilation, padBegin, padEnd int, ceilMode bool) int {
	ek := (k-1)*dilation + 1
	span := in + padBegin + padEnd - ek
	if span < 0 {
		return 0
	}
	if !ceilMode {
		return span/stride + 1
	}
	out := (span+stride-1)/stride + 1
	if (out-1)*stride >= in+padBegin {
		out--
	}
	return out
}

// PoolElem is the set of element types MaxPool accepts.
type PoolElem interface {
	~float32 | ~float64 | ~int8 | ~uint8 | ~int32 | ~int64
}

// poolWalk visits every output position of one plane and, for each, calls
// visit with the per-axis valid kernel ranges already clipped to the image.
// It is shared by the max and average kernels; the callback runs once per
// output element, not per input element.
type poolIter struct {
	p      *PoolParams
	nd     int
	oIdx   []int
	start  []int
	klo    []int
	khi    []int
	kIdx   []int
	inStr  []int
	colStr []int
}

func newPoolIter(p *PoolParams) *poolIter {
	nd := len(p.In)
	it := &poolIter{p: p, nd: nd, oIdx: make([]int, nd), start: make([]int, nd), klo: make([]int, nd),
		khi: make([]int, nd), kIdx: make([]int, nd), inStr: Strides(p.In), colStr: make([]int, nd)}
	acc := 1
	for d := 0; d < nd; d++ {
		it.colStr[d] = acc
		acc *= p.In[d]
	}
	return it
}

// window computes start/klo/khi for the current oIdx; it reports false if
// the window has no element inside the image.
func (it *poolIter) window() bool {
	p := it.p
	ok := true
	for d := 0; d < it.nd; d++ {
		s := it.oIdx[d]*p.Strides[d] - p.PadBegin[d]
		dl := p.Dilations[d]
		lo := 0
		if s < 0 {
			lo = (-s + dl - 1) / dl
		}
		hi := p.Kernel[d]
		if last := s + (hi-1)*dl; last >= p.In[d] {
			hi = (p.In[d]-1-s)/dl + 1
			if p.In[d]-1-s < 0 {
				hi = 0
			}
		}
		if hi <= lo {
			ok = false
		}
		it.start[d], it.klo[d], it.khi[d] = s, lo, hi
	}
	return ok
}

func (it *poolIter) nextOut() {
	for d := it.nd - 1; d >= 0; d-- {
		it.oIdx[d]++
		if it.oIdx[d] < it.p.Out[d] {
			return
		}
		it.oIdx[d] = 0
	}
}

// The kernel odometer walks the rows of the current window: every kernel
// offset of the leading dims, the last dim being left to the caller's inner
// loop over k in [klo, khi) of that dim, at input position
// rowBase() + start + k·dilation (see lastDim).

// firstRow points the kernel odometer at the window's first row.
func (it *poolIter) firstRow() {
	copy(it.kIdx, it.klo)
}

// rowBase returns the flat input offset of the current row's leading dims.
func (it *poolIter) rowBase() int {
	p := it.p
	pos := 0
	for d := 0; d < it.nd-1; d++ {
		pos += (it.start[d] + it.kIdx[d]*p.Dilations[d]) * it.inStr[d]
	}
	return pos
}

// lastDim returns the window's start, kernel range [klo, khi) and dilation
// along the last dim.
func (it *poolIter) lastDim() (start, klo, khi, dil int) {
	l := it.nd - 1
	return it.start[l], it.klo[l], it.khi[l], it.p.Dilations[l]
}

// nextRow advances the odometer to the next row; false after the last.
func (it *poolIter) nextRow() bool {
	for d := it.nd - 2; d >= 0; d-- {
		it.kIdx[d]++
		if it.kIdx[d] < it.khi[d] {
			return true
		}
		it.kIdx[d] = it.klo[d]
	}
	return false
}

// MaxPool writes the maximum of each window of x into y. idx, when non-nil,
// receives for each output the flat index of the chosen element in the
// whole input (plane·∏In + position), with the position row-major or, when
// colMajor, column-major (ONNX storage_order=1). Ties keep the first
// element in row-major window order. NaNs are skipped, as ONNX Runtime
// does; a window of NaNs only, or lying entirely in padding, yields the
// lowest value of T.
func MaxPool[T PoolElem](p *PoolParams, x, y []T, idx []int64, colMajor bool) {
	inSz, outSz := NumElements(p.In), NumElements(p.Out)
	if outSz == 0 {
		return
	}
	if xf, ok := any(x).([]float32); ok && idx == nil {
		if pool2x2(p, xf, any(y).([]float32), false) { // pool_fast.go
			return
		}
		if maxPoolTapsOK(p) {
			maxPool2DTaps(p, xf, any(y).([]float32)) // pool_taps.go
			return
		}
	}
	lowest := lowestOf[T]()
	if len(p.In) == 2 {
		maxPool2D(p, x, y, idx, colMajor, lowest)
		return
	}
	it := newPoolIter(p)
	nd := it.nd
	for pl := 0; pl < p.Planes; pl++ {
		xp := x[pl*inSz : (pl+1)*inSz]
		yp := y[pl*outSz : (pl+1)*outSz]
		clear(it.oIdx)
		for o := range yp {
			best, bestPos := lowest, -1
			if it.window() {
				s, klo, khi, ld := it.lastDim()
				it.firstRow()
				for more := true; more; more = it.nextRow() {
					pos := it.rowBase()
					for k := klo; k < khi; k++ {
						q := pos + s + k*ld
						if v := xp[q]; v > best || (bestPos < 0 && v == v) {
							best, bestPos = v, q
						}
					}
				}
			}
			yp[o] = best
			if idx != nil {
				q := max(bestPos, 0)
				if colMajor {
					cm := 0
					for d := 0; d < nd; d++ {
						cm += (q / it.inStr[d]) * it.colStr[d]
						q %= it.inStr[d]
					}
					q = cm
				}
				idx[pl*outSz+o] = int64(pl*inSz + q)
			}
			it.nextOut()
		}
	}
}

// poolRange is the range [lo, hi) of kernel offsets k for which
// start + k·dil falls inside [0, n).
func poolRange(start, k, dil, n int) (lo, hi int) {
	if start < 0 {
		lo = (-start + dil - 1) / dil
	}
	hi = k
	if last := start + (k-1)*dil; last >= n {
		if n-1-start < 0 {
			return lo, 0
		}
		hi = (n-1-start)/dil + 1
	}
	return lo, hi
}

// maxPool2D is MaxPool for two spatial axes without the general N-d
// odometer.
func maxPool2D[T PoolElem](p *PoolParams, x, y []T, idx []int64, colMajor bool, lowest T) {
	ih, iw := p.In[0], p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	kh, kw := p.Kernel[0], p.Kernel[1]
	sh, sw := p.Strides[0], p.Strides[1]
	dh, dw := p.Dilations[0], p.Dilations[1]
	inSz, outSz := ih*iw, oh*ow
	for pl := 0; pl < p.Planes; pl++ {
		xp := x[pl*inSz : (pl+1)*inSz]
		yp := y[pl*outSz : (pl+1)*outSz]
		for i := 0; i < oh; i++ {
			hs := i*sh - p.PadBegin[0]
			hlo, hhi := poolRange(hs, kh, dh, ih)
			for j := 0; j < ow; j++ {
				ws := j*sw - p.PadBegin[1]
				wlo, whi := poolRange(ws, kw, dw, iw)
				best, bestPos := lowest, -1
				if idx == nil {
					// Values only: NaNs (rare) are skipped by a predictable
					// branch and the rest go through a branch-free max,
					// several times faster on unpredictable data than the
					// compare-and-record below.
					for a := hlo; a < hhi; a++ {
						row := (hs+a*dh)*iw + ws // + b·dw >= 0 for b >= wlo
						for b := wlo; b < whi; b++ {
							if v := xp[row+b*dw]; v == v {
								best = max(best, v)
							}
						}
					}
					yp[i*ow+j] = best
					continue
				}
				for a := hlo; a < hhi; a++ {
					row := (hs + a*dh) * iw
					for b := wlo; b < whi; b++ {
						q := row + ws + b*dw
						if v := xp[q]; v > best || (bestPos < 0 && v == v) {
							best, bestPos = v, q
						}
					}
				}
				yp[i*ow+j] = best
				q := max(bestPos, 0)
				if colMajor {
					q = (q%iw)*ih + q/iw
				}
				idx[pl*outSz+i*ow+j] = int64(pl*inSz + q)
			}
		}
	}
}

func lowestOf[T PoolElem]() T {
	var z T
	switch any(z).(type) {
	case float32:
		return T(math.Inf(-1))
	case float64:
		return T(math.Inf(-1))
	case int8:
		v := int64(math.MinInt8)
		return T(v)
	case int32:
		v := int64(math.MinInt32)
		return T(v)
	case int64:
		v := int64(math.MinInt64)
		return T(v)
	}
	return z // uint8 and other unsigned types: 0
}

// AvgPool writes the mean of each window of x into y. With
// countIncludePad the divisor counts the window's positions inside the
// padded input, padding included but not the part of a ceil-mode last
// window that hangs past the end padding (as the ONNX reference, ONNX
// Runtime 1.31 and PyTorch divide); otherwise it counts the positions
// inside the image only. An empty window yields 0.
func AvgPool(p *PoolParams, x, y []float32, countIncludePad bool) {
	inSz, outSz := NumElements(p.In), NumElements(p.Out)
	if outSz == 0 {
		return
	}
	if pool2x2(p, x, y, true) { // pool_fast.go: every window full, so countIncludePad does not matter
		return
	}
	if len(p.In) == 2 {
		avgPool2D(p, x, y, countIncludePad)
		return
	}
	it := newPoolIter(p)
	nd := it.nd
	for pl := 0; pl < p.Planes; pl++ {
		xp := x[pl*inSz : (pl+1)*inSz]
		yp := y[pl*outSz : (pl+1)*outSz]
		clear(it.oIdx)
		for o := range yp {
			var sum float32
			count := 1
			ok := it.window()
			if ok {
				for d := 0; d < nd; d++ {
					count *= it.khi[d] - it.klo[d]
				}
				s, klo, khi, ld := it.lastDim()
				it.firstRow()
				for more := true; more; more = it.nextRow() {
					pos := it.rowBase()
					for k := klo; k < khi; k++ {
						sum += xp[pos+s+k*ld]
					}
				}
			}
			if countIncludePad {
				count = 1
				for d := 0; d < nd; d++ {
					count *= paddedTaps(it.start[d], p.Kernel[d], p.Dilations[d], p.In[d]+p.PadEnd[d])
				}
			}
			if !ok || count == 0 {
				yp[o] = 0
			} else {
				yp[o] = sum / float32(count)
			}
			it.nextOut()
		}
	}
}

// paddedTaps counts the taps s + k·d (k < kernel) of a window starting at
// s that lie before end, the end of the padded input.
func paddedTaps(s, kernel, d, end int) int {
	if s >= end {
		return 0
	}
	return min(kernel, (end-1-s)/d+1)
}

// avgPool2D is AvgPool for two spatial axes without the N-d odometer.
func avgPool2D(p *PoolParams, x, y []float32, countIncludePad bool) {
	ih, iw := p.In[0], p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	inSz, outSz := ih*iw, oh*ow
	dh, dw := p.Dilations[0], p.Dilations[1]
	for pl := 0; pl < p.Planes; pl++ {
		xp := x[pl*inSz : (pl+1)*inSz]
		yp := y[pl*outSz : (pl+1)*outSz]
		for i := 0; i < oh; i++ {
			hs := i*p.Strides[0] - p.PadBegin[0]
			hlo, hhi := poolRange(hs, p.Kernel[0], dh, ih)
			for j := 0; j < ow; j++ {
				ws := j*p.Strides[1] - p.PadBegin[1]
				wlo, whi := poolRange(ws, p.Kernel[1], dw, iw)
				var sum float32
				for a := hlo; a < hhi; a++ {
					row := xp[(hs+a*dh)*iw:]
					for b := wlo; b < whi; b++ {
						sum += row[ws+b*dw]
					}
				}
				count := (hhi - hlo) * (whi - wlo)
				if hhi <= hlo || whi <= wlo {
					count = 0
				}
				switch {
				case count == 0:
					yp[i*ow+j] = 0
				case countIncludePad:
					yp[i*ow+j] = sum / float32(paddedTaps(hs, p.Kernel[0], dh, ih+p.PadEnd[0])*paddedTaps(ws, p.Kernel[1], dw, iw+p.PadEnd[1]))
				default:
					yp[i*ow+j] = sum / float32(count)
				}
			}
		}
	}
}

// MaxPool2D is MaxPool for two spatial axes, without indices.
func MaxPool2D(p *PoolParams, x, y []float32) {
	if len(p.In) != 2 {
		panic(fmt.Sprintf("ops: MaxPool2D with %d spatial axes", len(p.In)))
	}
	MaxPool(p, x, y, nil, false)
}

// AvgPool2D is AvgPool for two spatial axes.
func AvgPool2D(p *PoolParams, x, y []float32, countIncludePad bool) {
	if len(p.In) != 2 {
		panic(fmt.Sprintf("ops: AvgPool2D with %d spatial axes", len(p.In)))
	}
	AvgPool(p, x, y, countIncludePad)
}

// GlobalAvgPool writes the mean of each of planes consecutive runs of size
// elements of x into y[plane] (accumulated in float64).
func GlobalAvgPool(planes, size int, x, y []float32) {
	for p := 0; p < planes; p++ {
		var s float64
		for _, v := range x[p*size : (p+1)*size] {
			s += float64(v)
		}
		if size == 0 {
			y[p] = float32(math.NaN())
			continue
		}
		y[p] = float32(s / float64(size))
	}
}

// GlobalMaxPool writes the maximum of each of planes consecutive runs of
// size elements of x into y[plane] (−Inf for an empty run).
func GlobalMaxPool(planes, size int, x, y []float32) {
	for p := 0; p < planes; p++ {
		m := float32(math.Inf(-1))
		for _, v := range x[p*size : (p+1)*size] {
			if v > m {
				m = v
			}
		}
		y[p] = m
	}
}

// MaxUnpool scatters x into y at the flat positions idx (as produced by
// MaxPool's indices) after zeroing y. An index outside y is an error; when
// two elements share an index the later one wins.
func MaxUnpool[T PoolElem](x []T, idx []int64, y []T) error {
	clear(y)
	for i, v := range x {
		q := idx[i]
		if q < 0 || q >= int64(len(y)) {
			return fmt.Errorf("index %d at position %d is outside the output of %d elements", q, i, len(y))
		}
		y[q] = v
	}
	return nil
}

// LpPool writes (Σ|x|^p)^(1/p) over each window of x into y; padding
// contributes zeros.
func LpPool(p *PoolParams, pw float64, x, y []float32) {
	inSz, outSz := NumElements(p.In), NumElements(p.Out)
	if outSz == 0 {
		return
	}
	it := newPoolIter(p)
	for pl := 0; pl < p.Planes; pl++ {
		xp := x[pl*inSz : (pl+1)*inSz]
		yp := y[pl*outSz : (pl+1)*outSz]
		clear(it.oIdx)
		for o := range yp {
			var sum float64
			if it.window() {
				s, klo, khi, ld := it.lastDim()
				it.firstRow()
				for more := true; more; more = it.nextRow() {
					pos := it.rowBase()
					for k := klo; k < khi; k++ {
						sum += math.Pow(math.Abs(float64(xp[pos+s+k*ld])), pw)
					}
				}
			}
			yp[o] = float32(math.Pow(sum, 1/pw))
			it.nextOut()
		}
	}
}
