package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkResizeUpsample2x doubles the last two axes of 64×16×14×14
// (a conv AE decoder's nn.Upsample(scale_factor=2)), nearest as PyTorch
// exports it and bilinear.
func BenchmarkResizeUpsample2x(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	in, out := []int{64, 16, 14, 14}, []int{64, 16, 28, 28}
	x := nnRand(rng, NumElements(in))
	y := make([]float32, NumElements(out))
	for _, c := range []struct {
		name string
		p    ResizeParams
	}{
		{"nearest", ResizeParams{Mode: ResizeNearest, Nearest: NearestFloor, Coord: CoordAsymmetric}},
		{"linear", ResizeParams{Mode: ResizeLinear, Coord: CoordHalfPixel}},
	} {
		p := c.p
		p.In, p.Out, p.Scales = in, out, []float64{1, 1, 2, 2}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Resize(&p, x, y)
			}
		})
	}
}

// TestResizeNearestDoubling checks the row-mover paths of nearest ×2
// upsampling (PyTorch's Upsample(scale_factor=2): asymmetric coordinates,
// floor) bit for bit against the definition y[.., o, ..] = x[.., o/2, ..],
// with -0, NaN and ±Inf among the values, on rows narrower and wider than
// the vector movers take, doubling one axis or both.
func TestResizeNearestDoubling(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, in := range [][]int{{2, 3, 5, 7}, {1, 2, 16, 16}, {1, 1, 4, 40}, {3, 1, 33, 2}} {
		for _, axes := range [][]bool{{false, false, true, true}, {false, false, false, true}, {false, false, true, false}} {
			out := make([]int, 4)
			scales := make([]float64, 4)
			for d := range in {
				out[d], scales[d] = in[d], 1
				if axes[d] {
					out[d], scales[d] = 2*in[d], 2
				}
			}
			p := &ResizeParams{In: in, Out: out, Scales: scales, Mode: ResizeNearest, Nearest: NearestFloor, Coord: CoordAsymmetric}
			x := nnRand(rng, NumElements(in))
			specials := []float32{negZero, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
			for i, v := range specials {
				x[(i*7)%len(x)] = v
			}
			y := make([]float32, NumElements(out))
			Resize(p, x, y)
			inStr, outStr := Strides(in), Strides(out)
			for o := range y {
				src := 0
				for d := range out {
					c := o / outStr[d] % out[d]
					if axes[d] {
						c /= 2
					}
					src += c * inStr[d]
				}
				if math.Float32bits(y[o]) != math.Float32bits(x[src]) {
					t.Fatalf("in %v axes %v: output %d = %v (bits %x), want x[%d] = %v (bits %x)", in, axes, o, y[o], math.Float32bits(y[o]), src, x[src], math.Float32bits(x[src]))
				}
			}
		}
	}
}
