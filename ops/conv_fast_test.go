package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// naiveIm2Col2D is the definition of the column matrix for two spatial
// axes: col[(c,ki,kj), (oy,ox)] = img[c, oy·sh+ki·dh−ph, ox·sw+kj·dw−pw],
// or 0 in the padding.
func naiveIm2Col2D(g *ConvGeom, img []float32) []float32 {
	ih, iw := g.Image[0], g.Image[1]
	kh, kw := g.Kernel[0], g.Kernel[1]
	oh, ow := g.Out[0], g.Out[1]
	col := make([]float32, g.C*kh*kw*oh*ow)
	for c := 0; c < g.C; c++ {
		for ki := 0; ki < kh; ki++ {
			for kj := 0; kj < kw; kj++ {
				r := (c*kh+ki)*kw + kj
				for oy := 0; oy < oh; oy++ {
					for ox := 0; ox < ow; ox++ {
						y := oy*g.Strides[0] + ki*g.Dilations[0] - g.PadBegin[0]
						x := ox*g.Strides[1] + kj*g.Dilations[1] - g.PadBegin[1]
						if y >= 0 && y < ih && x >= 0 && x < iw {
							col[r*oh*ow+oy*ow+ox] = img[(c*ih+y)*iw+x]
						}
					}
				}
			}
		}
	}
	return col
}

// TestIm2Col2DAgainstDefinition checks the 2-D fast path on random
// geometries (padding wider than the kernel, strides and dilations up to 3,
// outputs that miss the image entirely) against the definition, and
// Col2Im against the adjoint identity <Im2Col(x), y> = <x, Col2Im(y)>
// evaluated exactly on small integers.
func TestIm2Col2DAgainstDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for trial := range 500 {
		g := ConvGeom{
			C:         1 + rng.IntN(3),
			Image:     []int{1 + rng.IntN(9), 1 + rng.IntN(9)},
			Kernel:    []int{1 + rng.IntN(4), 1 + rng.IntN(4)},
			Strides:   []int{1 + rng.IntN(3), 1 + rng.IntN(3)},
			Dilations: []int{1 + rng.IntN(2), 1 + rng.IntN(2)},
			PadBegin:  []int{rng.IntN(5), rng.IntN(5)},
		}
		g.Out = make([]int, 2)
		ok := true
		for d := range 2 {
			g.Out[d] = ConvOutSize(g.Image[d], g.Kernel[d], g.Strides[d], g.Dilations[d], g.PadBegin[d], rng.IntN(5))
			ok = ok && g.Out[d] > 0
		}
		if !ok {
			continue
		}
		img := make([]float32, g.C*g.Image[0]*g.Image[1])
		for i := range img {
			img[i] = float32(rng.IntN(19) - 9)
		}
		want := naiveIm2Col2D(&g, img)
		got := make([]float32, len(want))
		for i := range got {
			got[i] = 1e9 // every element must be written
		}
		Im2Col(&g, img, got)
		for i := range want {
			if want[i] != got[i] {
				require.Equalf(t, want[i], got[i], "trial %d %+v: col[%d] = %v, want %v", trial, g, i, got[i], want[i])
			}
		}

		y := make([]float32, len(want))
		for i := range y {
			y[i] = float32(rng.IntN(7) - 3)
		}
		back := make([]float32, len(img))
		for i := range back {
			back[i] = 1e9 // Col2Im must zero first
		}
		Col2Im(&g, y, back)
		var lhs, rhs float64
		for i := range want {
			lhs += float64(want[i]) * float64(y[i])
		}
		for i := range img {
			rhs += float64(img[i]) * float64(back[i])
		}
		if rhs != lhs {
			require.Equalf(t, rhs, lhs, "trial %d %+v: <Im2Col x, y> = %v, <x, Col2Im y> = %v", trial, g, lhs, rhs)
		}
	}
}

func BenchmarkIm2Col2D(b *testing.B) {
	g := ConvGeom{C: 16, Image: []int{14, 14}, Kernel: []int{3, 3}, Out: []int{7, 7},
		Strides: []int{2, 2}, Dilations: []int{1, 1}, PadBegin: []int{1, 1}}
	img := make([]float32, 16*14*14)
	col := make([]float32, g.ColRows()*g.ColCols())
	b.Run("im2col", func(b *testing.B) {
		for b.Loop() {
			Im2Col(&g, img, col)
		}
	})
	b.Run("col2im", func(b *testing.B) {
		for b.Loop() {
			Col2Im(&g, col, img)
		}
	})
}

// TestConvBatchSplitIsExact runs Conv and ConvTranspose big enough to split
// the batch over goroutines with 1, 2 and 3 threads: every image is
// computed as on one goroutine, so the outputs must be bit-identical, and
// the one-thread result must match the per-image definition within float32
// rounding (checked through a batch-1 call per image, which never splits).
func TestConvBatchSplitIsExact(t *testing.T) {
	defer SetThreads(0)
	rng := rand.New(rand.NewPCG(31, 32))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()*2 - 1
		}
		return s
	}
	// Group 1 takes the phase-split paths; group 2 the per-image im2col
	// ones (convBatches). Both must split exactly.
	for _, c := range []struct {
		transpose bool
		group     int
	}{{false, 1}, {true, 1}, {false, 2}, {true, 2}} {
		transpose := c.transpose
		p := &ConvParams{Batch: 10, InC: 16, OutC: 32, Group: c.group, In: []int{14, 14}, Kernel: []int{3, 3},
			Strides: []int{2, 2}, Dilations: []int{1, 1}, PadBegin: []int{1, 1}, Act: ActRelu}
		p.Out = []int{7, 7}
		if transpose {
			p.InC, p.OutC, p.In, p.Out = 32, 16, []int{7, 7}, []int{14, 14}
		}
		require.NoError(t, p.Check())
		inSz, outSz := p.InC*NumElements(p.In), p.OutC*NumElements(p.Out)
		require.Falsef(t, p.Batch*p.OutC*NumElements(p.Out)*p.InC/p.Group*9 < convParallelMin && !transpose, "test problem too small to split")
		x, w, bias := fill(p.Batch*inSz), fill(p.InC*p.OutC/p.Group*9), fill(p.OutC)
		run := func(threads int) []float32 {
			SetThreads(threads)
			y := fill(p.Batch * outSz) // dirty: every element must be written
			if transpose {
				ConvTranspose(p, x, w, bias, y, nil)
			} else {
				Conv(p, x, w, bias, y, nil)
			}
			return y
		}
		one := run(1)
		for _, th := range []int{2, 3} {
			got := run(th)
			for i := range one {
				if math.Float32bits(one[i]) != math.Float32bits(got[i]) {
					require.Equalf(t, math.Float32bits(one[i]), math.Float32bits(got[i]), "transpose=%v group=%d threads=%d: y[%d] = %v, one thread %v", transpose, p.Group, th, i, got[i], one[i])
				}
			}
		}
		// Per image on its own (batch 1 never splits).
		q := *p
		q.Batch = 1
		SetThreads(1)
		for n := range p.Batch {
			y := make([]float32, outSz)
			if transpose {
				ConvTranspose(&q, x[n*inSz:(n+1)*inSz], w, bias, y, nil)
			} else {
				Conv(&q, x[n*inSz:(n+1)*inSz], w, bias, y, nil)
			}
			for i, v := range y {
				if one[n*outSz+i] != v {
					require.Equalf(t, one[n*outSz+i], v, "transpose=%v image %d: y[%d] = %v batched, %v alone", transpose, n, i, one[n*outSz+i], v)
				}
			}
		}
	}
}

// TestConvPhaseSplitAgainstNaive drives the phase-split paths (2-D, one
// group, strides 1-3, dilations 1-2, uneven pads, batches spanning several
// chunks) for Conv and ConvTranspose against the naive loops, with the
// output pre-filled with NaN so every element must be written, on one and
// two threads.
func TestConvPhaseSplitAgainstNaive(t *testing.T) {
	defer SetThreads(0)
	r := rand.New(rand.NewPCG(41, 42))
	hits := [4]int{} // Conv, ConvTranspose phase Gemms, ConvTranspose shifted adds, of which with few outputs
	for it := 0; it < 600; it++ {
		transpose := it%2 == 1
		p := &ConvParams{Batch: 1 + r.IntN(9), InC: 1 + r.IntN(7), OutC: 1 + r.IntN(7), Group: 1}
		shift := transpose && it%4 == 3 // aim at the shifted-add route: InC > OutC, OutC·K ≥ 32
		if shift {
			p.OutC = 4 + r.IntN(4)
			p.InC = p.OutC + 1 + r.IntN(6)
		}
		switch {
		case it%3 == 2:
			p.Act = ActRelu // fused into the vector write-backs
		case it%5 == 4:
			p.Act = ActSigmoid // a separate pass over each chunk
		}
		for d := 0; d < 2; d++ {
			k := 1 + r.IntN(3)
			if shift {
				k = 2 + r.IntN(2)
			}
			s := 1 + r.IntN(3)
			dl := 1 + r.IntN(2)
			pb, pe := r.IntN(k+1), r.IntN(k+1)
			ek := (k-1)*dl + 1
			var in, out int
			if transpose {
				in = 1 + r.IntN(9)
				pb, pe = min(pb, ek-1), min(pe, ek-1)
				out = s*(in-1) + ek - pb - pe + r.IntN(s)
				if out < 1 {
					pb, pe = 0, 0
					out = s*(in-1) + ek
				}
			} else {
				in = ek + r.IntN(14)
				out = ConvOutSize(in, k, s, dl, pb, pe)
			}
			p.In = append(p.In, in)
			p.Kernel = append(p.Kernel, k)
			p.Out = append(p.Out, out)
			p.Strides = append(p.Strides, s)
			p.Dilations = append(p.Dilations, dl)
			p.PadBegin = append(p.PadBegin, pb)
		}
		require.NoError(t, p.Check())
		switch {
		case !transpose && fastConvOK(p, false):
			hits[0]++
		case transpose && convTransposeRoute(p) == ctPhase:
			hits[1]++
		case transpose && convTransposeRoute(p) == ctShift:
			hits[2]++
			if p.OutC <= shiftFewOut {
				hits[3]++
			}
		default:
			continue
		}
		x := uniform(r, p.Batch*p.InC*NumElements(p.In))
		w := uniform(r, p.OutC*p.InC*NumElements(p.Kernel))
		var bias []float32
		if it%4 < 2 {
			bias = uniform(r, p.OutC)
		}
		var want []float32
		if transpose {
			want = naiveConvTranspose(p, x, w, bias)
		} else {
			want = naiveConv(p, x, w, bias)
		}
		if transpose && p.Act == ActRelu { // naiveConv applies Relu itself
			for i, v := range want {
				want[i] = max(v, 0)
			}
		}
		if p.Act == ActSigmoid {
			for i, v := range want {
				want[i] = float32(1 / (1 + math.Exp(-float64(v))))
			}
		}
		for _, th := range []int{1, 2} {
			SetThreads(th)
			y := make([]float32, p.Batch*p.OutC*NumElements(p.Out))
			for i := range y {
				y[i] = float32(math.NaN())
			}
			if transpose {
				ConvTranspose(p, x, w, bias, y, nil)
			} else {
				Conv(p, x, w, bias, y, nil)
			}
			requireClose(t, fmt.Sprintf("case %d transpose=%v threads=%d %+v", it, transpose, th, *p), y, want, 1e-5)
		}
	}
	require.Falsef(t, hits[0] < 40 || hits[1] < 20 || hits[2] < 20 || hits[3] < 10, "too few cases took the fast paths: %d Conv, %d ConvTranspose by phase, %d by shifted adds (%d with few outputs)", hits[0], hits[1], hits[2], hits[3])
}
