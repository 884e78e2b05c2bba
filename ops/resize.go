package ops

import (
	"fmt"
	"math"
)

// ResizeMode is the interpolation of Resize.
type ResizeMode uint8

// Interpolation modes.
const (
	ResizeNearest ResizeMode = iota
	ResizeLinear             // linear along every resized axis (bilinear, trilinear …)
	ResizeCubic              // cubic convolution with coefficient CubicA
)

// NearestMode rounds a source coordinate to a pixel for ResizeNearest.
type NearestMode uint8

// Rounding modes. NearestSimple is the pre-opset-11 behaviour: floor when
// upsampling, ceil when downsampling.
const (
	RoundPreferFloor NearestMode = iota
	RoundPreferCeil
	NearestFloor
	NearestCeil
	NearestSimple
)

// CoordMode maps an output coordinate to a source coordinate.
type CoordMode uint8

// Coordinate transformation modes (ONNX coordinate_transformation_mode).
const (
	CoordHalfPixel CoordMode = iota
	CoordHalfPixelSymmetric
	CoordPytorchHalfPixel
	CoordAlignCorners
	CoordAsymmetric
	CoordTFHalfPixelForNN
	CoordTFCropAndResize
)

// ResizeParams describes an N-d resize of a tensor of shape In to shape Out
// (same rank; any axis may be resized).
type ResizeParams struct {
	In, Out []int
	// Scales is the per-axis scale used by the coordinate transform: the
	// requested scale, or Out/In when sizes were requested.
	Scales []float64
	// RoiStart and RoiEnd are the normalised crop box per axis, used by
	// CoordTFCropAndResize only.
	RoiStart, RoiEnd []float64
	Mode             ResizeMode
	Nearest          NearestMode
	Coord            CoordMode
	CubicA           float64
	// ExcludeOutside gives zero weight to taps outside the input and
	// renormalises the rest (instead of clamping them to the edge).
	ExcludeOutside bool
	// Extrapolation is the value of outputs whose source coordinate falls
	// outside the input under CoordTFCropAndResize.
	Extrapolation float32
	// Antialias widens the linear/cubic filter by 1/scale when downscaling.
	Antialias bool
}

// Check reports inconsistent parameters.
func (p *ResizeParams) Check() error {
	nd := len(p.In)
	if len(p.Out) != nd || len(p.Scales) != nd {
		return fmt.Errorf("resize: rank %d input with %d output dims and %d scales", nd, len(p.Out), len(p.Scales))
	}
	if p.Coord == CoordTFCropAndResize && (len(p.RoiStart) != nd || len(p.RoiEnd) != nd) {
		return fmt.Errorf("resize: tf_crop_and_resize needs a roi of %d start and %d end values, got %d and %d", nd, nd, len(p.RoiStart), len(p.RoiEnd))
	}
	for d := 0; d < nd; d++ {
		if p.Out[d] < 0 {
			return fmt.Errorf("resize: negative output size %d on axis %d", p.Out[d], d)
		}
		if p.In[d] == 0 && p.Out[d] > 0 {
			return fmt.Errorf("resize: cannot resize empty axis %d to %d", d, p.Out[d])
		}
		if !(p.Scales[d] > 0) {
			return fmt.Errorf("resize: scale %v on axis %d must be positive", p.Scales[d], d)
		}
	}
	return nil
}

// resizeTaps is the 1-d filter of one axis: for output o, taps n source
// indices idx[o*n:] with weights w[o*n:]; extrap[o] marks outputs that take
// the extrapolation value.
type resizeTaps struct {
	n        int
	idx      []int
	w        []float32
	extrap   []bool
	identity bool
	anyExtra bool
}

// SourceCoord maps output coordinate o of an axis of length in resized to
// out with the given scale to the source coordinate, for mode c. The
// arithmetic is float32, as in ONNX Runtime and the ONNX reference, so
// that ties of the nearest rounding modes land on the same side. As in the
// ONNX reference, align_corners and tf_crop_and_resize divide by the
// unrounded resized length in·scale.
func SourceCoord(c CoordMode, o float64, in, out int, scale, roiStart, roiEnd float64) float64 {
	x, s, inF := float32(o), float32(scale), float32(in)
	outF := inF * s
	rs, re := float32(roiStart), float32(roiEnd)
	var v float32
	switch c {
	case CoordHalfPixelSymmetric:
		// ONNX Runtime's expression mixes in double literals: the offset
		// is float32, the rest double.
		adj := float32(out) / outF
		center := inF / 2
		offset := center * (1 - adj)
		v = float32(float64(offset) + (float64(x)+0.5)/float64(s) - 0.5)
	case CoordPytorchHalfPixel:
		if out > 1 {
			v = (x+0.5)/s - 0.5
		}
	case CoordAlignCorners:
		if out > 1 {
			v = x * (inF - 1) / (outF - 1)
		}
	case CoordAsymmetric:
		v = x / s
	case CoordTFHalfPixelForNN:
		v = (x + 0.5) / s
	case CoordTFCropAndResize:
		if out > 1 {
			v = rs*(inF-1) + x*(re-rs)*(inF-1)/(outF-1)
		} else {
			v = 0.5 * (rs + re) * (inF - 1)
		}
	default:
		v = (x+0.5)/s - 0.5
	}
	return float64(v)
}

func roundNearest(m NearestMode, x, scale float64) int {
	switch m {
	case RoundPreferCeil:
		if x-math.Floor(x) == 0.5 {
			return int(math.Ceil(x))
		}
		return int(math.Round(x))
	case NearestFloor:
		return int(math.Floor(x))
	case NearestCeil:
		return int(math.Ceil(x))
	case NearestSimple:
		if scale < 1 {
			return int(math.Ceil(x))
		}
		return int(math.Floor(x))
	}
	if x-math.Floor(x) == 0.5 {
		return int(math.Floor(x))
	}
	return int(math.Round(x))
}

func cubicKernel(d, a float64) float64 {
	d = math.Abs(d)
	switch {
	case d <= 1:
		return ((a+2)*d-(a+3))*d*d + 1
	case d < 2:
		return ((a*d-5*a)*d+8*a)*d - 4*a
	}
	return 0
}

func (p *ResizeParams) axisTaps(d int) *resizeTaps {
	in, out, scale := p.In[d], p.Out[d], p.Scales[d]
	var rs, re float64
	if p.Coord == CoordTFCropAndResize {
		rs, re = p.RoiStart[d], p.RoiEnd[d]
	}
	t := &resizeTaps{extrap: make([]bool, out)}
	s := 1.0
	start := 0
	switch p.Mode {
	case ResizeNearest:
		t.n = 1
	case ResizeLinear:
		if p.Antialias && scale < 1 {
			s = scale
		}
		start = int(math.Floor(-1/s)) + 1
		t.n = 2 - 2*start
	case ResizeCubic:
		if p.Antialias && scale < 1 {
			s = scale
		}
		start = int(math.Floor(-2/s)) + 1
		t.n = 2 - 2*start
	}
	if in == out && scale == 1 && p.Coord != CoordTFCropAndResize {
		// An axis that is not resized is copied, whatever the coordinate
		// transform would make of it (tf_half_pixel_for_nn with ceil
		// rounding would otherwise shift it by one), as ONNX Runtime does.
		t.identity = true
		return t
	}
	t.idx = make([]int, out*t.n)
	t.w = make([]float32, out*t.n)
	wf := make([]float64, t.n)
	t.identity = in == out
	for o := 0; o < out; o++ {
		x := SourceCoord(p.Coord, float64(o), in, out, scale, rs, re)
		if p.Coord == CoordTFCropAndResize && (x < 0 || x > float64(in-1)) {
			t.extrap[o], t.anyExtra = true, true
		}
		idx, w := t.idx[o*t.n:(o+1)*t.n], t.w[o*t.n:(o+1)*t.n]
		if p.Mode == ResizeNearest {
			i := min(max(roundNearest(p.Nearest, x, scale), 0), in-1)
			idx[0], w[0] = i, 1
			if i != o {
				t.identity = false
			}
			continue
		}
		f := math.Floor(x)
		r := x - f
		var sum float64
		for k := 0; k < t.n; k++ {
			off := start + k
			arg := (float64(off) - r) * s
			var v float64
			if p.Mode == ResizeLinear {
				v = max(0, 1-math.Abs(arg))
			} else {
				v = cubicKernel(arg, p.CubicA)
			}
			src := int(f) + off
			if p.ExcludeOutside && (src < 0 || src >= in) {
				v = 0
			}
			wf[k] = v
			sum += v
			idx[k] = min(max(src, 0), in-1)
		}
		norm := (p.Antialias && s < 1) || p.ExcludeOutside
		for k := 0; k < t.n; k++ {
			v := wf[k]
			if norm && sum != 0 {
				v /= sum
			}
			w[k] = float32(v)
			if (v != 0 && idx[k] != o) || (idx[k] == o && v != 1) {
				t.identity = false
			}
		}
	}
	if t.anyExtra {
		t.identity = false
	}
	return t
}

// Resize resamples x (shape p.In) into y (shape p.Out) one axis at a time
// (the filters are separable), allocating ping-pong scratch as needed.
// Outputs whose source coordinate leaves the input under tf_crop_and_resize
// are set to p.Extrapolation.
func Resize(p *ResizeParams, x, y []float32) {
	nd := len(p.In)
	taps := make([]*resizeTaps, nd)
	cur := append([]int(nil), p.In...)
	src := x
	// The intermediate results between axes come from a pool: a decoder's
	// upsampling would otherwise allocate (and the GC clear) megabytes per
	// call.
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	bufs := [2]*[]float32{&sc.src, &sc.col}
	var todo []int
	anyExtra := false
	for d := 0; d < nd; d++ {
		taps[d] = p.axisTaps(d)
		if !taps[d].identity {
			todo = append(todo, d)
		}
		anyExtra = anyExtra || taps[d].anyExtra
	}
	if len(todo) == 0 {
		copy(y, x[:NumElements(p.Out)])
		return
	}
	for i, d := range todo {
		next := append([]int(nil), cur...)
		next[d] = p.Out[d]
		var dst []float32
		if i == len(todo)-1 {
			dst = y[:NumElements(next)]
		} else {
			b := i % 2
			*bufs[b] = grow(*bufs[b], NumElements(next))
			dst = *bufs[b]
		}
		resizeAxis(cur, d, taps[d], src, dst)
		src, cur = dst, next
	}
	if !anyExtra || NumElements(p.Out) == 0 {
		return
	}
	ow := p.Out[nd-1]
	idx := make([]int, nd)
	for r := 0; r < NumElements(p.Out)/ow; r++ {
		row := y[r*ow : (r+1)*ow]
		rowExtra := false
		for d := 0; d < nd-1; d++ {
			rowExtra = rowExtra || taps[d].extrap[idx[d]]
		}
		for j := range row {
			if rowExtra || taps[nd-1].extrap[j] {
				row[j] = p.Extrapolation
			}
		}
		for d := nd - 2; d >= 0; d-- {
			idx[d]++
			if idx[d] < p.Out[d] {
				break
			}
			idx[d] = 0
		}
	}
}

// resizeAxis applies taps along axis d of src (shape shape) into dst.
func resizeAxis(shape []int, d int, t *resizeTaps, src, dst []float32) {
	outer := NumElements(shape[:d])
	inner := NumElements(shape[d+1:])
	in, out := shape[d], len(t.extrap)
	if outer == 0 || inner == 0 || out == 0 {
		return // an empty tensor: nothing to write
	}
	if inner == 1 {
		resizeLastAxis(outer, in, out, t, src, dst)
		return
	}
	if t.n > 1 && moveUse != moveGo && outer > 0 {
		tapRowsVec(outer, in, out, inner, t, src, dst)
		return
	}
	if t.n == 1 && out == 2*in && doubles(t.idx[:out]) && outer > 0 {
		// Nearest doubling: input row r (over all outer blocks) goes to
		// output rows 2r and 2r+1, two strided row copies in all.
		padRows(dst, src, outer*in, inner, 2*inner, 0, inner, inner)
		padRows(dst[inner:], src, outer*in, inner, 2*inner, 0, inner, inner)
		return
	}
	for a := 0; a < outer; a++ {
		sb := src[a*in*inner : (a+1)*in*inner]
		db := dst[a*out*inner : (a+1)*out*inner]
		for o := 0; o < out; o++ {
			drow := db[o*inner : (o+1)*inner]
			idx, w := t.idx[o*t.n:(o+1)*t.n], t.w[o*t.n:(o+1)*t.n]
			if t.n == 1 {
				copy(drow, sb[idx[0]*inner:(idx[0]+1)*inner])
				continue
			}
			clear(drow)
			for k, i := range idx {
				wk := w[k]
				if wk == 0 {
					continue
				}
				srow := sb[i*inner : (i+1)*inner]
				for j, v := range srow {
					drow[j] += wk * v
				}
			}
		}
	}
}

// negZero added to a float32 leaves it bit for bit unchanged (-0 included),
// which lets the interleaving write-back copy exactly.
var negZero = float32(math.Copysign(0, -1))

// resizeLastAxis is resizeAxis along a contiguous axis: each output is a
// gather (nearest) or a short dot product of its taps, in a tight loop;
// per-output copies and row walks made this axis cost ~10× the others.
// Nearest doubling (output o reads input o/2, PyTorch's
// Upsample(scale_factor=2)) duplicates each row's elements with the
// interleaving row mover, all rows in one call.
func resizeLastAxis(rows, in, out int, t *resizeTaps, src, dst []float32) {
	if rows == 0 || out == 0 {
		return
	}
	if t.n == 1 && out == 2*in && doubles(t.idx[:out]) {
		interleave2Rows(dst, src, src, rows, in, out, out, negZero, false)
		return
	}
	n := t.n
	if n > 1 && moveUse != moveGo {
		gatherTapsVec(rows, in, out, t, src, dst)
		return
	}
	for a := 0; a < rows; a++ {
		sb := src[a*in : (a+1)*in]
		db := dst[a*out : (a+1)*out]
		if n == 1 {
			for o, i := range t.idx[:len(db)] {
				db[o] = sb[i]
			}
			continue
		}
		for o := range db {
			idx, w := t.idx[o*n:(o+1)*n], t.w[o*n:(o+1)*n]
			var s float32
			for k, i := range idx {
				// Same order and zero-weight skip as the strided axes, so
				// results do not depend on which path an axis takes.
				if wk := w[k]; wk != 0 {
					s += wk * sb[i]
				}
			}
			db[o] = s
		}
	}
}

// doubles reports whether idx[o] == o/2 for every o.
func doubles(idx []int) bool {
	for o, i := range idx {
		if i != o/2 {
			return false
		}
	}
	return true
}

// tapRowsVec is resizeAxis's filter on AVX-512 or AVX2: one call per output row o
// computes that row in every outer block from o's taps with a nonzero
// weight (the Go loop skips zero weights too, so an Inf or NaN beside a
// zero-weight tap does not leak in), in the same order and rounding.
func tapRowsVec(outer, in, out, inner int, t *resizeTaps, src, dst []float32) {
	_ = src[outer*in*inner-1]
	_ = dst[outer*out*inner-1]
	offs := make([]int, t.n)
	w := make([]float32, t.n)
	tail := lanes(0, inner%16)
	var tail8 [8]int32 // the AVX2 path's last chunk
	laneBits(tail8[:], lanes(0, inner%8))
	for o := 0; o < out; o++ {
		k := 0
		for j, wk := range t.w[o*t.n : (o+1)*t.n] {
			if wk != 0 {
				offs[k], w[k] = t.idx[o*t.n+j]*inner, wk
				k++
			}
		}
		drow := dst[o*inner:]
		if k == 0 {
			for a := 0; a < outer; a++ {
				clear(drow[a*out*inner : a*out*inner+inner])
			}
			continue
		}
		if moveUse == moveAVX512 {
			tapRowsAVX512(&drow[0], &src[0], outer, in*inner, out*inner, inner/16, tail, &offs[0], &w[0], k)
			continue
		}
		tapRowsAVX2(&drow[0], &src[0], outer, in*inner, out*inner, inner/8, &tail8[0], &offs[0], &w[0], k)
	}
}

// gatherTapsVec is resizeLastAxis's filter on AVX-512 (AVX2): 16 (8)
// outputs at a time gather their taps' inputs; the tables are laid out tap by tap,
// padded to whole chunks with zero weights (which load nothing).
func gatherTapsVec(rows, in, out int, t *resizeTaps, src, dst []float32) {
	_ = src[rows*in-1]
	_ = dst[rows*out-1]
	n := t.n
	width := 16 // lanes per chunk
	if moveUse != moveAVX512 {
		width = 8
	}
	chunks := (out + width - 1) / width
	stride := width * chunks
	idx := make([]int32, n*stride)
	w := make([]float32, n*stride)
	for o := 0; o < out; o++ {
		for k := 0; k < n; k++ {
			idx[k*stride+o] = int32(t.idx[o*n+k])
			w[k*stride+o] = t.w[o*n+k]
		}
	}
	last := lanes(0, out-width*(chunks-1))
	if width == 16 {
		gatherTapsAVX512(&dst[0], &src[0], rows, in, out, stride, chunks, last, &idx[0], &w[0], n)
		return
	}
	var tail [8]int32
	laneBits(tail[:], last)
	gatherTapsAVX2(&dst[0], &src[0], rows, in, out, stride, chunks, &tail[0], &idx[0], &w[0], n)
}
