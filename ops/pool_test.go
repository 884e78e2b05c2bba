package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naivePool evaluates every window by brute force over all kernel
// positions, checking each against the image and the explicit pads.
// It returns max, argmax (row-major within the plane, plus plane offset),
// and the average under both count_include_pad settings (the latter
// dividing by the window positions inside the padded input: pads count,
// a ceil-mode overhang past the end padding does not).
func naivePool(p *PoolParams, x []float32) (mx []float32, arg []int64, avgEx, avgIn []float32) {
	nd := len(p.In)
	inSz, outSz, kSz := NumElements(p.In), NumElements(p.Out), NumElements(p.Kernel)
	inStr := Strides(p.In)
	for pl := 0; pl < p.Planes; pl++ {
		o := make([]int, nd)
		for oi := 0; oi < outSz; oi++ {
			best, bestAt := float32(math.Inf(-1)), -1
			var sum float64
			cnt, padded := 0, 0
			k := make([]int, nd)
			for ki := 0; ki < kSz; ki++ {
				inImg, inPadded := true, true
				off := 0
				for d := 0; d < nd; d++ {
					q := o[d]*p.Strides[d] - p.PadBegin[d] + k[d]*p.Dilations[d]
					if q < 0 || q >= p.In[d] {
						inImg = false
					}
					if q >= p.In[d]+p.PadEnd[d] {
						inPadded = false
					}
					off += q * inStr[d]
				}
				if inPadded {
					padded++
				}
				if inImg {
					v := x[pl*inSz+off]
					if bestAt < 0 || v > best {
						best, bestAt = v, off
					}
					sum += float64(v)
					cnt++
				}
				nextIndex(k, p.Kernel)
			}
			mx = append(mx, best)
			arg = append(arg, int64(pl*inSz+max(bestAt, 0)))
			if cnt == 0 {
				avgEx, avgIn = append(avgEx, 0), append(avgIn, 0)
			} else {
				avgEx = append(avgEx, float32(sum/float64(cnt)))
				avgIn = append(avgIn, float32(sum/float64(padded)))
			}
			nextIndex(o, p.Out)
		}
	}
	return
}

func randPoolParams(r *rand.Rand, nd int) *PoolParams {
	p := &PoolParams{Planes: 1 + r.IntN(4)}
	ceil := r.IntN(2) == 1
	for d := 0; d < nd; d++ {
		k := 1 + r.IntN(3)
		s := 1 + r.IntN(3)
		dl := 1 + r.IntN(2)
		pb, pe := r.IntN(k), r.IntN(k)
		in := (k-1)*dl + 1 + r.IntN(6)
		p.In = append(p.In, in)
		p.Kernel = append(p.Kernel, k)
		p.Strides = append(p.Strides, s)
		p.Dilations = append(p.Dilations, dl)
		p.PadBegin = append(p.PadBegin, pb)
		p.PadEnd = append(p.PadEnd, pe)
		p.Out = append(p.Out, PoolOutSize(in, k, s, dl, pb, pe, ceil))
	}
	return p
}

func TestPoolAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for it := 0; it < 300; it++ {
		p := randPoolParams(r, 1+it%3)
		require.NoError(t, p.Check())
		x := uniform(r, p.Planes*NumElements(p.In))
		mx, arg, avgEx, avgIn := naivePool(p, x)
		n := p.Planes * NumElements(p.Out)
		y := make([]float32, n)
		idx := make([]int64, n)
		MaxPool(p, x, y, idx, false)
		what := fmt.Sprintf("case %d %+v", it, *p)
		requireClose(t, what+" max", y, mx, 0)
		for i := range idx {
			if arg[i] != idx[i] {
				require.Equalf(t, arg[i], idx[i], "%s: index %d: got %d, want %d", what, i, idx[i], arg[i])
			}
		}
		AvgPool(p, x, y, false)
		requireClose(t, what+" avg", y, avgEx, 1e-5)
		AvgPool(p, x, y, true)
		requireClose(t, what+" avg count_include_pad", y, avgIn, 1e-5)
	}
}

func TestPoolHandComputed(t *testing.T) {
	x := []float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
		13, 14, 15, 16,
	}
	p := &PoolParams{Planes: 1, In: []int{4, 4}, Kernel: []int{2, 2}, Out: []int{2, 2}, Strides: []int{2, 2},
		Dilations: []int{1, 1}, PadBegin: []int{0, 0}, PadEnd: []int{0, 0}}
	y := make([]float32, 4)
	MaxPool2D(p, x, y)
	requireClose(t, "max 2x2/2", y, []float32{6, 8, 14, 16}, 0)
	AvgPool2D(p, x, y, false)
	requireClose(t, "avg 2x2/2", y, []float32{3.5, 5.5, 11.5, 13.5}, 0)

	// 3×3 window, stride 1, pad 1: the corner window covers 4 pixels of
	// 9 positions.
	p = &PoolParams{Planes: 1, In: []int{4, 4}, Kernel: []int{3, 3}, Out: []int{4, 4}, Strides: []int{1, 1},
		Dilations: []int{1, 1}, PadBegin: []int{1, 1}, PadEnd: []int{1, 1}}
	y = make([]float32, 16)
	AvgPool(p, x, y, false)
	assert.Equal(t, float32(1+2+5+6)/4, y[0], "avg corner excluding pad")
	AvgPool(p, x, y, true)
	assert.Equal(t, float32(1+2+5+6)/9, y[0], "avg corner including pad")

	// Ceil mode, kernel 3, stride 2, pads 2 and 1 on a row of 7 (the ONNX
	// reference's values): the last window starts on the last pixel and
	// covers it, the end pad and one position past the padded input, which
	// count_include_pad does not count.
	row := []float32{1, 2, 3, 4, 5, 6, 7}
	p = &PoolParams{Planes: 1, In: []int{7}, Kernel: []int{3}, Strides: []int{2}, Dilations: []int{1}, PadBegin: []int{2}, PadEnd: []int{1}}
	p.Out = []int{PoolOutSize(7, 3, 2, 1, 2, 1, true)}
	require.Equal(t, []int{5}, p.Out)
	y = make([]float32, 5)
	AvgPool(p, row, y, true)
	requireClose(t, "avg ceil overhang including pad", y, []float32{1.0 / 3, 2, 4, 6, 3.5}, 1e-7)
	AvgPool(p, row, y, false)
	requireClose(t, "avg ceil overhang excluding pad", y, []float32{1, 2, 4, 6, 7}, 1e-7)
	p2 := *p
	p2.In, p2.Out, p2.Kernel, p2.Strides, p2.Dilations, p2.PadBegin, p2.PadEnd = []int{1, 7}, []int{1, 5}, []int{1, 3}, []int{1, 2}, []int{1, 1}, []int{0, 2}, []int{0, 1}
	AvgPool(&p2, row, y, true)
	requireClose(t, "2-d avg ceil overhang including pad", y, []float32{1.0 / 3, 2, 4, 6, 3.5}, 1e-7)

	// Column-major indices (storage_order=1) of a 2×2 max pool over a 2×3
	// plane with the maximum at (1, 2): row-major 5, column-major 2·2+1.
	p = &PoolParams{Planes: 2, In: []int{2, 3}, Kernel: []int{2, 3}, Out: []int{1, 1}, Strides: []int{1, 1},
		Dilations: []int{1, 1}, PadBegin: []int{0, 0}, PadEnd: []int{0, 0}}
	idx := make([]int64, 2)
	MaxPool(p, []float32{0, 1, 2, 3, 4, 9, 0, 0, 0, 0, 0, 9}, make([]float32, 2), idx, true)
	assert.Falsef(t, idx[0] != 5 || idx[1] != 6+5, "column-major indices: got %v, want [5 11]", idx)
	p.Planes = 1
	MaxPool(p, []float32{0, 9, 2, 3, 4, 5}, make([]float32, 1), idx, true)
	assert.Equal(t, int64(2), idx[0], "column-major index of (0,1) is 0 + 1·2")
}

func TestMaxPoolUint8(t *testing.T) {
	p := &PoolParams{Planes: 1, In: []int{1, 5}, Kernel: []int{1, 3}, Out: []int{1, 3}, Strides: []int{1, 1},
		Dilations: []int{1, 1}, PadBegin: []int{0, 0}, PadEnd: []int{0, 0}}
	y := make([]uint8, 3)
	MaxPool(p, []uint8{3, 200, 7, 1, 255}, y, nil, false)
	assert.Falsef(t, y[0] != 200 || y[1] != 200 || y[2] != 255, "got %v, want [200 200 255]", y)
}

func TestPoolOutSize(t *testing.T) {
	cases := []struct {
		in, k, s, d, pb, pe int
		ceil                bool
		want                int
	}{
		{4, 2, 2, 1, 0, 0, false, 2},
		{5, 2, 2, 1, 0, 0, false, 2},
		{5, 2, 2, 1, 0, 0, true, 3},
		{4, 3, 2, 1, 0, 0, true, 2},
		{5, 3, 2, 1, 1, 1, true, 3},
		// The last ceil window would start in the trailing pad only.
		{4, 2, 2, 1, 0, 1, true, 2},
		{7, 3, 1, 2, 0, 0, false, 3},
	}
	for _, c := range cases {
		got := PoolOutSize(c.in, c.k, c.s, c.d, c.pb, c.pe, c.ceil)
		assert.Equalf(t, c.want, got, "PoolOutSize%+v = %d, want %d", c, got, c.want)
	}
}

func TestGlobalPool(t *testing.T) {
	x := []float32{1, 2, 3, 4, -5, -6, -7, -8}
	y := make([]float32, 2)
	GlobalAvgPool(2, 4, x, y)
	requireClose(t, "global avg", y, []float32{2.5, -6.5}, 0)
	GlobalMaxPool(2, 4, x, y)
	requireClose(t, "global max", y, []float32{4, -5}, 0)
}

func TestMaxUnpoolInvertsMaxPool(t *testing.T) {
	x := []float32{1, 9, 2, 3, 4, 8, 7, 5}
	p := &PoolParams{Planes: 2, In: []int{4}, Kernel: []int{2}, Out: []int{2}, Strides: []int{2},
		Dilations: []int{1}, PadBegin: []int{0}, PadEnd: []int{0}}
	y := make([]float32, 4)
	idx := make([]int64, 4)
	MaxPool(p, x, y, idx, false)
	back := make([]float32, 8)
	for i := range back {
		back[i] = -1
	}
	require.NoError(t, MaxUnpool(y, idx, back))
	requireClose(t, "unpool", back, []float32{0, 9, 0, 3, 0, 8, 7, 0}, 0)
	assert.Error(t, MaxUnpool(y, []int64{0, 1, 2, 8}, back), "index 8 of 8 accepted")
}

func TestLpPoolAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	for it := 0; it < 100; it++ {
		p := randPoolParams(r, 1+it%3)
		x := uniform(r, p.Planes*NumElements(p.In))
		for _, pw := range []float64{1, 2, 3} {
			want := naiveLpPool(p, x, pw)
			y := make([]float32, len(want))
			LpPool(p, pw, x, y)
			requireClose(t, fmt.Sprintf("case %d p=%v", it, pw), y, want, 1e-5)
		}
	}
}

// naiveLpPool sums |x|^p over the in-image positions of each window by
// brute force over all kernel offsets.
func naiveLpPool(p *PoolParams, x []float32, pw float64) []float32 {
	nd := len(p.In)
	inSz := NumElements(p.In)
	inStr := Strides(p.In)
	var out []float32
	for pl := 0; pl < p.Planes; pl++ {
		o := make([]int, nd)
		for oi := 0; oi < NumElements(p.Out); oi++ {
			var s float64
			k := make([]int, nd)
			for ki := 0; ki < NumElements(p.Kernel); ki++ {
				off, ok := 0, true
				for d := 0; d < nd; d++ {
					q := o[d]*p.Strides[d] - p.PadBegin[d] + k[d]*p.Dilations[d]
					if q < 0 || q >= p.In[d] {
						ok = false
					}
					off += q * inStr[d]
				}
				if ok {
					s += math.Pow(math.Abs(float64(x[pl*inSz+off])), pw)
				}
				nextIndex(k, p.Kernel)
			}
			out = append(out, float32(math.Pow(s, 1/pw)))
			nextIndex(o, p.Out)
		}
	}
	return out
}

func BenchmarkMaxPool2x2(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	p := &PoolParams{Planes: 64, In: []int{64, 64}, Kernel: []int{2, 2}, Out: []int{32, 32}, Strides: []int{2, 2},
		Dilations: []int{1, 1}, PadBegin: []int{0, 0}, PadEnd: []int{0, 0}}
	x := uniform(r, 64*64*64)
	y := make([]float32, 64*32*32)
	for b.Loop() {
		MaxPool(p, x, y, nil, false)
	}
}

func TestMaxPoolSkipsNaN(t *testing.T) {
	nan := float32(math.NaN())
	for _, in := range [][]int{{4}, {1, 4}, {1, 1, 4}} {
		nd := len(in)
		ones, zeros := make([]int, nd), make([]int, nd)
		for i := range ones {
			ones[i], zeros[i] = 1, 0
		}
		kern := append([]int(nil), ones...)
		kern[nd-1] = 2
		out := append([]int(nil), ones...)
		out[nd-1] = 2
		strides := append([]int(nil), ones...)
		strides[nd-1] = 2
		p := &PoolParams{Planes: 1, In: in, Kernel: kern, Out: out, Strides: strides, Dilations: ones, PadBegin: zeros, PadEnd: zeros}
		y := make([]float32, 2)
		idx := make([]int64, 2)
		MaxPool(p, []float32{nan, 3, nan, nan}, y, idx, false)
		assert.Falsef(t, y[0] != 3 || idx[0] != 1 || !math.IsInf(float64(y[1]), -1), "%d-d: got %v %v, want [3 -Inf] with index 1", nd, y, idx)
	}
}
