package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkResizeUpsample2x doubles the last two axes of 64×16×14×14
// (a conv AE decoder's nn.Upsample(scale_factor=2)), nearest as PyTorch
// exports it and bilinear, with each row mover the CPU runs.
func BenchmarkResizeUpsample2x(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	in, out := []int{64, 16, 14, 14}, []int{64, 16, 28, 28}
	x := uniform(rng, NumElements(in))
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
		for _, impl := range moveImpls() {
			b.Run(c.name+"-"+moveNames[impl], func(b *testing.B) {
				defer func(u int) { moveUse = u }(moveUse)
				moveUse = impl
				for b.Loop() {
					Resize(&p, x, y)
				}
			})
		}
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
			x := uniform(rng, NumElements(in))
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
				if math.Float32bits(x[src]) != math.Float32bits(y[o]) {
					require.Equalf(t, math.Float32bits(x[src]), math.Float32bits(y[o]), "in %v axes %v: output %d = %v (bits %x), want x[%d] = %v (bits %x)", in, axes, o, y[o], math.Float32bits(y[o]), src, x[src], math.Float32bits(x[src]))
				}
			}
		}
	}
}

// TestResizeVectorMatchesLoops runs linear and cubic resizes (antialias,
// exclude_outside, several coordinate modes, maps wider than a 16-lane
// chunk, Inf and NaN inputs) with each vector filter the CPU has (AVX2,
// AVX-512) and with the Go loops
// and wants the same bits (any NaN for NaN): both take the nonzero taps in
// the same order with the same roundings.
func TestResizeVectorMatchesLoops(t *testing.T) {
	if len(moveImpls()) == 1 {
		t.Skip("no vector unit on this build: the Go loops are the only path")
	}
	defer func(u int) { moveUse = u }(moveUse)
	for _, impl := range moveImpls()[1:] {
		t.Run(moveNames[impl], func(t *testing.T) { testResizeVector(t, impl) })
	}
}

func testResizeVector(t *testing.T, impl int) {
	rng := rand.New(rand.NewPCG(15, 16))
	coords := []CoordMode{CoordHalfPixel, CoordPytorchHalfPixel, CoordAlignCorners, CoordAsymmetric}
	for it := 0; it < 120; it++ {
		in := []int{1 + rng.IntN(3), 1 + rng.IntN(40), 1 + rng.IntN(40)}
		scale := []float64{0.3, 0.5, 0.75, 1.5, 2, 3.25}[rng.IntN(6)]
		out := []int{in[0], max(1, int(float64(in[1])*scale)), max(1, int(float64(in[2])*scale))}
		p := &ResizeParams{In: in, Out: out, Scales: []float64{1, scale, scale}, Mode: ResizeMode(1 + it%2),
			Coord: coords[rng.IntN(len(coords))], CubicA: -0.75, ExcludeOutside: rng.IntN(3) == 0, Antialias: rng.IntN(3) == 0}
		require.NoError(t, p.Check())
		x := uniform(rng, NumElements(in))
		for _, v := range []float32{float32(math.Inf(1)), float32(math.NaN()), negZero} {
			x[rng.IntN(len(x))] = v
		}
		got, want := make([]float32, NumElements(out)), make([]float32, NumElements(out))
		moveUse = impl
		Resize(p, x, got)
		moveUse = moveGo
		Resize(p, x, want)
		for i := range want {
			g, w := got[i], want[i]
			if g != g && w != w {
				continue // NaN payloads depend on operand order, which the compiler may pick
			}
			if math.Float32bits(w) != math.Float32bits(g) {
				require.Equalf(t, math.Float32bits(w), math.Float32bits(g), "case %d %+v: output %d = %v, loops give %v", it, *p, i, got[i], want[i])
			}
		}
	}
}

// TestResizeEmptyTensors resizes tensors with a zero-length axis before,
// at and after the resized ones, on every implementation: nothing to
// write, and no path may index into the empty data.
func TestResizeEmptyTensors(t *testing.T) {
	defer func(u int) { moveUse = u }(moveUse)
	for _, impl := range moveImpls() {
		moveUse = impl
		for _, mode := range []ResizeMode{ResizeNearest, ResizeLinear, ResizeCubic} {
			for _, c := range []struct{ in, out []int }{
				{[]int{1, 3, 0}, []int{1, 6, 0}},
				{[]int{0, 3, 4}, []int{0, 6, 8}},
				{[]int{2, 0, 4}, []int{2, 0, 8}},
			} {
				p := &ResizeParams{In: c.in, Out: c.out, Scales: []float64{1, 2, 2}, Mode: mode}
				require.NoError(t, p.Check())
				Resize(p, nil, nil)
			}
		}
	}
}
