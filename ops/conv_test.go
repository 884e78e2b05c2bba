package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uniform returns n uniform values in [-1, 1).
func uniform(r *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = r.Float32()*2 - 1
	}
	return out
}

// firstMismatch reports the first index where got and want differ by more than
// tol·(1+|want|), or -1.
func firstMismatch(got, want []float32, tol float64) int {
	if len(got) != len(want) {
		return 0
	}
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > tol*(1+math.Abs(w)) {
			if !(math.IsInf(g, 0) && g == w) {
				return i
			}
		}
	}
	return -1
}

func requireClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	require.Len(t, got, len(want), what)
	if i := firstMismatch(got, want, tol); i >= 0 {
		require.Failf(t, "values differ", "%s: element %d: got %v, want %v (tolerance %g relative)", what, i, got[i], want[i], tol)
	}
}

// nextIndex advances idx over shape in row-major order and reports false
// after the last index.
func nextIndex(idx, shape []int) bool {
	for d := len(idx) - 1; d >= 0; d-- {
		idx[d]++
		if idx[d] < shape[d] {
			return true
		}
		idx[d] = 0
	}
	return false
}

// naiveConv is the direct definition of an N-d grouped convolution.
func naiveConv(p *ConvParams, x, w, bias []float32) []float32 {
	nd := len(p.In)
	cg, mg := p.InC/p.Group, p.OutC/p.Group
	inSz, outSz, kSz := NumElements(p.In), NumElements(p.Out), NumElements(p.Kernel)
	y := make([]float32, p.Batch*p.OutC*outSz)
	inStr := Strides(p.In)
	for n := 0; n < p.Batch; n++ {
		for m := 0; m < p.OutC; m++ {
			g := m / mg
			o := make([]int, nd)
			for oi := 0; oi < outSz; oi++ {
				var s float64
				if bias != nil {
					s = float64(bias[m])
				}
				for c := 0; c < cg; c++ {
					k := make([]int, nd)
					for ki := 0; ki < kSz; ki++ {
						off, ok := 0, true
						for d := 0; d < nd; d++ {
							q := o[d]*p.Strides[d] + k[d]*p.Dilations[d] - p.PadBegin[d]
							if q < 0 || q >= p.In[d] {
								ok = false
							}
							off += q * inStr[d]
						}
						if ok {
							xv := x[(n*p.InC+g*cg+c)*inSz+off]
							wv := w[(m*cg+c)*kSz+ki]
							s += float64(xv) * float64(wv)
						}
						nextIndex(k, p.Kernel)
					}
				}
				v := float32(s)
				if p.Act == ActRelu && v < 0 {
					v = 0
				}
				y[(n*p.OutC+m)*outSz+oi] = v
				nextIndex(o, p.Out)
			}
		}
	}
	return y
}

// naiveConvTranspose scatters every input element times the kernel into
// the output, the textbook definition of a transposed convolution.
func naiveConvTranspose(p *ConvParams, x, w, bias []float32) []float32 {
	nd := len(p.In)
	cg, mg := p.InC/p.Group, p.OutC/p.Group
	inSz, outSz, kSz := NumElements(p.In), NumElements(p.Out), NumElements(p.Kernel)
	acc := make([]float64, p.Batch*p.OutC*outSz)
	outStr := Strides(p.Out)
	for n := 0; n < p.Batch; n++ {
		for c := 0; c < p.InC; c++ {
			g := c / cg
			i := make([]int, nd)
			for ii := 0; ii < inSz; ii++ {
				xv := float64(x[(n*p.InC+c)*inSz+ii])
				for m := 0; m < mg; m++ {
					k := make([]int, nd)
					for ki := 0; ki < kSz; ki++ {
						off, ok := 0, true
						for d := 0; d < nd; d++ {
							q := i[d]*p.Strides[d] + k[d]*p.Dilations[d] - p.PadBegin[d]
							if q < 0 || q >= p.Out[d] {
								ok = false
							}
							off += q * outStr[d]
						}
						if ok {
							acc[(n*p.OutC+g*mg+m)*outSz+off] += xv * float64(w[(c*mg+m)*kSz+ki])
						}
						nextIndex(k, p.Kernel)
					}
				}
				nextIndex(i, p.In)
			}
		}
	}
	y := make([]float32, len(acc))
	for i, v := range acc {
		if bias != nil {
			v += float64(bias[(i/outSz)%p.OutC])
		}
		y[i] = float32(v)
	}
	return y
}

// randConvParams draws a random N-d convolution; transpose selects
// ConvTranspose geometry (Out derived from In).
func randConvParams(r *rand.Rand, nd int, transpose bool) *ConvParams {
	g := 1 + r.IntN(3)
	p := &ConvParams{Batch: 1 + r.IntN(2), InC: g * (1 + r.IntN(3)), OutC: g * (1 + r.IntN(3)), Group: g}
	for d := 0; d < nd; d++ {
		k := 1 + r.IntN(3)
		s := 1 + r.IntN(2)
		dl := 1 + r.IntN(2)
		pb, pe := r.IntN(k), r.IntN(k)
		ek := (k-1)*dl + 1
		in := ek + r.IntN(5)
		var out int
		if transpose {
			in = 1 + r.IntN(4)
			out = s*(in-1) + ek - pb - pe + r.IntN(s) // output_padding < stride
			if out < 1 {
				pb, pe = 0, 0
				out = s*(in-1) + ek
			}
		} else {
			out = ConvOutSize(in, k, s, dl, pb, pe)
		}
		p.In = append(p.In, in)
		p.Kernel = append(p.Kernel, k)
		p.Out = append(p.Out, out)
		p.Strides = append(p.Strides, s)
		p.Dilations = append(p.Dilations, dl)
		p.PadBegin = append(p.PadBegin, pb)
	}
	return p
}

func TestConvAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for it := 0; it < 150; it++ {
		nd := 1 + it%3
		p := randConvParams(r, nd, false)
		require.NoError(t, p.Check())
		x := uniform(r, p.Batch*p.InC*NumElements(p.In))
		w := uniform(r, p.OutC*p.InC/p.Group*NumElements(p.Kernel))
		var bias []float32
		if it%2 == 0 {
			bias = uniform(r, p.OutC)
		}
		if it%5 == 0 {
			p.Act = ActRelu
		}
		y := make([]float32, p.Batch*p.OutC*NumElements(p.Out))
		for i := range y {
			y[i] = float32(math.NaN()) // every element must be written
		}
		Conv(p, x, w, bias, y, nil)
		requireClose(t, fmt.Sprintf("case %d %+v", it, *p), y, naiveConv(p, x, w, bias), 1e-5)
	}
}

func TestConvTransposeAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for it := 0; it < 150; it++ {
		nd := 1 + it%3
		p := randConvParams(r, nd, true)
		require.NoError(t, p.Check())
		x := uniform(r, p.Batch*p.InC*NumElements(p.In))
		w := uniform(r, p.InC*p.OutC/p.Group*NumElements(p.Kernel))
		var bias []float32
		if it%2 == 1 {
			bias = uniform(r, p.OutC)
		}
		y := make([]float32, p.Batch*p.OutC*NumElements(p.Out))
		for i := range y {
			y[i] = float32(math.NaN())
		}
		col := make([]float32, p.ColSize(true))
		ConvTranspose(p, x, w, bias, y, col)
		requireClose(t, fmt.Sprintf("case %d %+v", it, *p), y, naiveConvTranspose(p, x, w, bias), 1e-5)
	}
}

func TestConv2DHandComputed(t *testing.T) {
	// 3×3 image 1..9, 2×2 kernel of ones, no padding: sums of 2×2 blocks.
	p := &ConvParams{Batch: 1, InC: 1, OutC: 1, Group: 1, In: []int{3, 3}, Kernel: []int{2, 2}, Out: []int{2, 2},
		Strides: []int{1, 1}, Dilations: []int{1, 1}, PadBegin: []int{0, 0}}
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	y := make([]float32, 4)
	Conv2D(p, x, []float32{1, 1, 1, 1}, []float32{0.5}, y)
	requireClose(t, "2x2 sums", y, []float32{12.5, 16.5, 24.5, 28.5}, 0)

	// Padding 1 on every side, stride 2, kernel [[0,1],[1,0]]:
	// out(i,j) = x(2i-1, 2j) + x(2i, 2j-1) with zeros outside.
	p = &ConvParams{Batch: 1, InC: 1, OutC: 1, Group: 1, In: []int{3, 3}, Kernel: []int{2, 2}, Out: []int{2, 2},
		Strides: []int{2, 2}, Dilations: []int{1, 1}, PadBegin: []int{1, 1}}
	Conv2D(p, x, []float32{0, 1, 1, 0}, nil, y)
	requireClose(t, "strided padded", y, []float32{0 + 0, 0 + 2, 0 + 4, 6 + 8}, 0)
}

func TestConvTransposeHandComputed(t *testing.T) {
	// 1-D, input [1 2], kernel [1 10], stride 2: [1 10 2 20] plus output
	// padding of 1 (bias only).
	p := &ConvParams{Batch: 1, InC: 1, OutC: 1, Group: 1, In: []int{2}, Kernel: []int{2}, Out: []int{5},
		Strides: []int{2}, Dilations: []int{1}, PadBegin: []int{0}}
	y := make([]float32, 5)
	ConvTranspose(p, []float32{1, 2}, []float32{1, 10}, []float32{0.5}, y, nil)
	requireClose(t, "strided transpose", y, []float32{1.5, 10.5, 2.5, 20.5, 0.5}, 0)
}

// TestIm2ColAdjoint checks <Im2Col(x), c> = <x, Col2Im(c)>, the property
// the trainer's backward pass relies on.
func TestIm2ColAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for it := 0; it < 60; it++ {
		p := randConvParams(r, 1+it%3, false)
		g := &ConvGeom{C: p.InC, Image: p.In, Kernel: p.Kernel, Out: p.Out, Strides: p.Strides, Dilations: p.Dilations, PadBegin: p.PadBegin}
		x := uniform(r, g.C*NumElements(g.Image))
		c := uniform(r, g.ColRows()*g.ColCols())
		col := make([]float32, len(c))
		Im2Col(g, x, col)
		img := make([]float32, len(x))
		for i := range img {
			img[i] = 7 // Col2Im must overwrite
		}
		Col2Im(g, c, img)
		var a, b float64
		for i := range c {
			a += float64(col[i]) * float64(c[i])
		}
		for i := range x {
			b += float64(x[i]) * float64(img[i])
		}
		if math.Abs(a-b) > 1e-4*(1+math.Abs(a)) {
			require.Failf(t, "math.Abs(a-b) > 1e-4*(1+math.Abs(a))", "case %d: <im2col x, c> = %v, <x, col2im c> = %v", it, a, b)
		}
	}
}

func TestConvParamsCheck(t *testing.T) {
	bad := []*ConvParams{
		{Batch: 1, InC: 3, OutC: 2, Group: 2, In: []int{4}, Kernel: []int{1}, Out: []int{4}, Strides: []int{1}, Dilations: []int{1}, PadBegin: []int{0}},
		{Batch: 1, InC: 2, OutC: 2, Group: 1, In: []int{4}, Kernel: []int{1}, Out: []int{4}, Strides: []int{0}, Dilations: []int{1}, PadBegin: []int{0}},
		{Batch: 1, InC: 2, OutC: 2, Group: 1, In: []int{4, 4}, Kernel: []int{1}, Out: []int{4}, Strides: []int{1}, Dilations: []int{1}, PadBegin: []int{0}},
		{Batch: 1, InC: 2, OutC: 2, Group: 1},
	}
	for i, p := range bad {
		assert.Errorf(t, p.Check(), "case %d: Check accepted %+v", i, *p)
	}
}

func BenchmarkConv2D3x3(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	p := &ConvParams{Batch: 1, InC: 32, OutC: 32, Group: 1, In: []int{32, 32}, Kernel: []int{3, 3}, Out: []int{32, 32},
		Strides: []int{1, 1}, Dilations: []int{1, 1}, PadBegin: []int{1, 1}}
	x := uniform(r, 32*32*32)
	w := uniform(r, 32*32*9)
	y := make([]float32, 32*32*32)
	col := make([]float32, p.ColSize(false))
	for b.Loop() {
		Conv(p, x, w, nil, y, col)
	}
}

// A 3×3 image convolved with a 2×2 kernel of ones (no padding, stride 1)
// sums each 2×2 block.
func ExampleConv2D() {
	p := &ConvParams{Batch: 1, InC: 1, OutC: 1, Group: 1,
		In: []int{3, 3}, Kernel: []int{2, 2}, Out: []int{2, 2},
		Strides: []int{1, 1}, Dilations: []int{1, 1}, PadBegin: []int{0, 0}}
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	w := []float32{1, 1, 1, 1}
	y := make([]float32, 4)
	Conv2D(p, x, w, nil, y)
	fmt.Println(y)
	// Output: [12 16 24 28]
}

func TestConvF64(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	for it := 0; it < 60; it++ {
		p := randConvParams(r, 1+it%3, false)
		x := uniform(r, p.Batch*p.InC*NumElements(p.In))
		w := uniform(r, p.OutC*p.InC/p.Group*NumElements(p.Kernel))
		bias := uniform(r, p.OutC)
		x64, w64, b64 := make([]float64, len(x)), make([]float64, len(w)), make([]float64, len(bias))
		for i, v := range x {
			x64[i] = float64(v)
		}
		for i, v := range w {
			w64[i] = float64(v)
		}
		for i, v := range bias {
			b64[i] = float64(v)
		}
		y := make([]float64, p.Batch*p.OutC*NumElements(p.Out))
		for i := range y {
			y[i] = math.NaN()
		}
		ConvF64(p, x64, w64, b64, y)
		got := make([]float32, len(y))
		for i, v := range y {
			got[i] = float32(v)
		}
		// naiveConv sums in float64 too and rounds once.
		requireClose(t, fmt.Sprintf("case %d", it), got, naiveConv(p, x, w, bias), 1e-7)
	}
	// Double precision survives: 1 + 1e-12 is not representable in float32.
	p := &ConvParams{Batch: 1, InC: 1, OutC: 1, Group: 1, In: []int{2}, Kernel: []int{2}, Out: []int{1},
		Strides: []int{1}, Dilations: []int{1}, PadBegin: []int{0}}
	y := make([]float64, 1)
	ConvF64(p, []float64{1, 1e-12}, []float64{1, 1}, nil, y)
	assert.Equalf(t, 1+1e-12, y[0], "got %v, want 1+1e-12", y[0])
}
