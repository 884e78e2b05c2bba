package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveAxis is the per-axis setting of the naive resize reference.
type naiveAxis struct {
	in, out       int
	scale         float64
	roiS, roiE    float64
	mode          ResizeMode
	nearest       NearestMode
	coord         CoordMode
	a             float64
	exclude       bool
	extrapolation float64
}

// coordOf computes the source coordinate in float32, the precision of
// the ONNX reference (NumPy float32 scales) and of ONNX Runtime.
func (ax naiveAxis) coordOf(o int) float64 {
	x, in, sc := float32(o), float32(ax.in), float32(ax.scale)
	outF := in * sc
	rs, re := float32(ax.roiS), float32(ax.roiE)
	var v float32
	switch ax.coord {
	case CoordHalfPixel:
		v = (x+0.5)/sc - 0.5
	case CoordHalfPixelSymmetric:
		// float32 offset, double remainder (ONNX Runtime's literals).
		adj := float32(ax.out) / outF
		off := in / 2 * (1 - adj)
		v = float32(float64(off) + (float64(x)+0.5)/float64(sc) - 0.5)
	case CoordPytorchHalfPixel:
		if ax.out > 1 {
			v = (x+0.5)/sc - 0.5
		}
	case CoordAlignCorners:
		if ax.out > 1 {
			v = x * (in - 1) / (outF - 1)
		}
	case CoordAsymmetric:
		v = x / sc
	case CoordTFHalfPixelForNN:
		v = (x + 0.5) / sc
	case CoordTFCropAndResize:
		if ax.out == 1 {
			v = (rs + re) * (in - 1) / 2
		} else {
			v = rs*(in-1) + x*(re-rs)*(in-1)/(outF-1)
		}
	default:
		panic("coord")
	}
	return float64(v)
}

// interp1 interpolates one output coordinate of an axis the way the ONNX
// reference does: the n integers nearest to the source coordinate (ties
// to the smaller), edge-clamped values, ratio in (0, 1].
func (ax naiveAxis) interp1(o int, get func(i int) float64) float64 {
	if ax.in == ax.out && ax.scale == 1 && ax.coord != CoordTFCropAndResize {
		return get(o) // axes that are not resized are copied
	}
	x := ax.coordOf(o)
	if ax.coord == CoordTFCropAndResize && (x < 0 || x > float64(ax.in-1)) {
		return ax.extrapolation
	}
	if ax.mode == ResizeNearest {
		var i int
		frac := x - math.Floor(x)
		switch ax.nearest {
		case RoundPreferFloor:
			if frac == 0.5 {
				i = int(math.Floor(x))
			} else {
				i = int(math.Round(x))
			}
		case RoundPreferCeil:
			if frac == 0.5 {
				i = int(math.Ceil(x))
			} else {
				i = int(math.Round(x))
			}
		case NearestFloor:
			i = int(math.Floor(x))
		case NearestCeil:
			i = int(math.Ceil(x))
		}
		return get(min(max(i, 0), ax.in-1))
	}
	ratio := x - math.Floor(x)
	if ratio == 0 {
		ratio = 1
	}
	var coeffs []float64
	if ax.mode == ResizeLinear {
		coeffs = []float64{1 - ratio, ratio}
	} else {
		a, r := ax.a, ratio
		coeffs = []float64{
			((a*(r+1)-5*a)*(r+1)+8*a)*(r+1) - 4*a,
			((a+2)*r-(a+3))*r*r + 1,
			((a+2)*(1-r)-(a+3))*(1-r)*(1-r) + 1,
			((a*((1-r)+1)-5*a)*((1-r)+1)+8*a)*((1-r)+1) - 4*a,
		}
	}
	n := len(coeffs)
	base := int(math.Floor(x))
	var cand []int
	for i := base - n; i <= base+n; i++ {
		cand = append(cand, i)
	}
	sort.Slice(cand, func(p, q int) bool {
		dp, dq := math.Abs(x-float64(cand[p])), math.Abs(x-float64(cand[q]))
		if dp != dq {
			return dp < dq
		}
		return cand[p] < cand[q]
	})
	idx := cand[:n]
	sort.Ints(idx)
	if ax.exclude {
		var s float64
		for k, i := range idx {
			if i < 0 || i >= ax.in {
				coeffs[k] = 0
			}
			s += coeffs[k]
		}
		for k := range coeffs {
			coeffs[k] /= s
		}
	}
	var v float64
	for k, i := range idx {
		v += coeffs[k] * get(min(max(i, 0), ax.in-1))
	}
	return v
}

// naiveResize2D resizes a 2-D image recursively, axis 0 outermost, as the
// ONNX reference's _interpolate_nd does.
func naiveResize2D(a0, a1 naiveAxis, x []float32) []float32 {
	var y []float32
	for o0 := 0; o0 < a0.out; o0++ {
		for o1 := 0; o1 < a1.out; o1++ {
			v := a0.interp1(o0, func(i0 int) float64 {
				return a1.interp1(o1, func(i1 int) float64 { return float64(x[i0*a1.in+i1]) })
			})
			y = append(y, float32(v))
		}
	}
	return y
}

func TestResizeAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	coords := []CoordMode{CoordHalfPixel, CoordHalfPixelSymmetric, CoordPytorchHalfPixel, CoordAlignCorners,
		CoordAsymmetric, CoordTFHalfPixelForNN, CoordTFCropAndResize}
	for it := 0; it < 400; it++ {
		mode := ResizeMode(it % 3)
		coord := coords[(it/3)%len(coords)]
		ax := [2]naiveAxis{}
		p := &ResizeParams{Mode: mode, Coord: coord, Nearest: NearestMode(r.IntN(4)), CubicA: -0.5 - 0.25*float64(r.IntN(2)),
			ExcludeOutside: r.IntN(2) == 1, Extrapolation: 7}
		for d := range ax {
			in := 1 + r.IntN(5)
			scale := []float64{0.5, 0.6, 1, 1.5, 2, 3, 0.75}[r.IntN(7)]
			out := int(math.Floor(float64(in) * scale))
			if it%4 == 0 { // sizes: scale = out/in
				out = 1 + r.IntN(7)
				scale = float64(out) / float64(in)
			}
			if out == 0 {
				out, scale = 1, 1/float64(in)
			}
			rs, re := 0.1*float64(r.IntN(4)), 1-0.1*float64(r.IntN(4))
			if r.IntN(3) == 0 {
				rs, re = -0.2, 1.3 // some outputs extrapolate
			}
			ax[d] = naiveAxis{in: in, out: out, scale: scale, roiS: rs, roiE: re, mode: mode, nearest: p.Nearest,
				coord: coord, a: p.CubicA, exclude: p.ExcludeOutside, extrapolation: 7}
			p.In = append(p.In, in)
			p.Out = append(p.Out, out)
			p.Scales = append(p.Scales, scale)
			p.RoiStart = append(p.RoiStart, rs)
			p.RoiEnd = append(p.RoiEnd, re)
		}
		require.NoError(t, p.Check())
		x := uniform(r, p.In[0]*p.In[1])
		y := make([]float32, p.Out[0]*p.Out[1])
		for i := range y {
			y[i] = float32(math.NaN())
		}
		Resize(p, x, y)
		requireClose(t, fmt.Sprintf("case %d %+v", it, *p), y, naiveResize2D(ax[0], ax[1], x), 1e-5)
	}
}

func TestResizeHandComputed(t *testing.T) {
	one := func(mode ResizeMode, coord CoordMode, in []float32, out int, scale float64) []float32 {
		p := &ResizeParams{In: []int{len(in)}, Out: []int{out}, Scales: []float64{scale}, Mode: mode, Coord: coord, CubicA: -0.75}
		y := make([]float32, out)
		Resize(p, in, y)
		return y
	}
	requireClose(t, "nearest asymmetric x2", one(ResizeNearest, CoordAsymmetric, []float32{1, 2}, 4, 2), []float32{1, 1, 2, 2}, 0)
	// half_pixel: x = (o+0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 (clamped).
	requireClose(t, "linear half_pixel x2", one(ResizeLinear, CoordHalfPixel, []float32{0, 10}, 4, 2), []float32{0, 2.5, 7.5, 10}, 1e-6)
	requireClose(t, "linear align_corners", one(ResizeLinear, CoordAlignCorners, []float32{0, 10}, 3, 1.5), []float32{0, 5, 10}, 1e-6)
	// Cubic at integer source coordinates (even outputs, asymmetric)
	// reproduces the samples.
	yc := one(ResizeCubic, CoordAsymmetric, []float32{3, -1, 4, 1}, 8, 2)
	requireClose(t, "cubic at sample points", []float32{yc[0], yc[2], yc[4], yc[6]}, []float32{3, -1, 4, 1}, 1e-6)

	// 2-D nearest upsampling of a 2×2 image by 2 on both axes.
	p := &ResizeParams{In: []int{1, 1, 2, 2}, Out: []int{1, 1, 4, 4}, Scales: []float64{1, 1, 2, 2}, Mode: ResizeNearest, Coord: CoordAsymmetric, Nearest: NearestSimple}
	y := make([]float32, 16)
	Resize(p, []float32{1, 2, 3, 4}, y)
	requireClose(t, "nearest 2-D", y, []float32{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 0)

	// Antialiased linear downscale by 2 (half_pixel): the tent filter is
	// stretched to 4 taps with weights 1/8, 3/8, 3/8, 1/8 (edge-clamped):
	// y0 = (0 + 3·0 + 3·4 + 8)/8 = 2.5, y1 = (4 + 3·8 + 3·12 + 12)/8 = 9.5.
	p = &ResizeParams{In: []int{4}, Out: []int{2}, Scales: []float64{0.5}, Mode: ResizeLinear, Coord: CoordHalfPixel, Antialias: true}
	y = make([]float32, 2)
	Resize(p, []float32{0, 4, 8, 12}, y)
	requireClose(t, "antialias linear", y, []float32{2.5, 9.5}, 1e-6)
	// Without antialias: x = 0.5, 2.5 → 2, 10.
	p.Antialias = false
	Resize(p, []float32{0, 4, 8, 12}, y)
	requireClose(t, "linear downscale", y, []float32{2, 10}, 1e-6)
}

func TestResizeCheck(t *testing.T) {
	bad := []*ResizeParams{
		{In: []int{2}, Out: []int{2, 2}, Scales: []float64{1}},
		{In: []int{2}, Out: []int{2}, Scales: []float64{0}},
		{In: []int{0}, Out: []int{2}, Scales: []float64{1}},
		{In: []int{2}, Out: []int{2}, Scales: []float64{1}, Coord: CoordTFCropAndResize},
	}
	for i, p := range bad {
		assert.Errorf(t, p.Check(), "case %d: Check accepted %+v", i, *p)
	}
}
