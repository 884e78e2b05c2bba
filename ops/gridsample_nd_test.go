package ops

import (
	"math/rand/v2"
	"testing"
)

// TestGridSampleNDMatchesGridSample2D: on 2-d inputs the N-d sampler and
// the 2-d one agree for every mode, padding and alignment, on grids
// reaching well outside the image.
func TestGridSampleNDMatchesGridSample2D(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n, c, h, w, oh, ow := 2, 3, 4, 5, 3, 6
	x := uniform(r, n*c*h*w)
	grid := make([]float32, n*oh*ow*2)
	for i := range grid {
		grid[i] = float32(r.Float64()*4 - 2)
	}
	for _, mode := range []ResizeMode{ResizeNearest, ResizeLinear} {
		for _, pad := range []GridPadding{GridZeros, GridBorder, GridReflection} {
			for _, align := range []bool{false, true} {
				want := make([]float32, n*c*oh*ow)
				GridSample2D(&GridSampleParams{N: n, C: c, H: h, W: w, OutH: oh, OutW: ow, Mode: mode, Padding: pad, AlignCorners: align}, x, grid, want)
				got := make([]float32, len(want))
				GridSampleND(n, c, []int{h, w}, []int{oh, ow}, mode, pad, align, x, grid, got)
				requireClose(t, "N-d vs 2-d", got, want, 1e-6)
			}
		}
	}
}

func TestGridSampleNDHandComputed(t *testing.T) {
	// A 2×2×2 volume x[z][y][x] = 4z + 2y + x. Trilinear sampling of a
	// linear function is exact inside: the centre (0, 0, 0) is 3.5 and the
	// point (x, y, z) = (1, −1, 0) with aligned corners is x=1, y=0, z=0.5: 3.
	x := []float32{0, 1, 2, 3, 4, 5, 6, 7}
	grid := []float32{0, 0, 0, 1, -1, 0, -1, -1, 1}
	y := make([]float32, 3)
	GridSampleND(1, 1, []int{2, 2, 2}, []int{1, 1, 3}, ResizeLinear, GridZeros, true, x, grid, y)
	requireClose(t, "trilinear", y, []float32{3.5, 3, 4}, 1e-6)
	// Nearest, not aligned: normalised −0.9 is pixel −0.05 → 0; 0.9 → 1.45 → 1.
	GridSampleND(1, 1, []int{2, 2, 2}, []int{1, 1, 2}, ResizeNearest, GridZeros, false, x, []float32{-0.9, 0.9, 0.9, 0.9, -0.9, -0.9}, y[:2])
	requireClose(t, "nearest", y[:2], []float32{6, 1}, 0)
	// 1-d, zeros padding: half a pixel past the end blends with 0.
	GridSampleND(1, 1, []int{3}, []int{2}, ResizeLinear, GridZeros, true, []float32{1, 2, 3}, []float32{0, 1.5}, y[:2])
	requireClose(t, "1-d", y[:2], []float32{2, 1.5}, 1e-6)
}

func TestAffineGridHandComputed(t *testing.T) {
	// The identity transform gives the base grid: pixel centres of a 2×3
	// image are y ∈ {−½, ½}, x ∈ {−⅔, 0, ⅔}.
	id := []float32{1, 0, 0, 0, 1, 0}
	out := make([]float32, 2*3*2)
	AffineGrid(1, []int{2, 3}, false, id, out)
	requireClose(t, "identity", out, []float32{-2. / 3, -0.5, 0, -0.5, 2. / 3, -0.5, -2. / 3, 0.5, 0, 0.5, 2. / 3, 0.5}, 1e-6)
	// Swap x and y and shift x by 1, aligned corners on a 1×2 image
	// (y = 0 for a single row): (x, y) → (y + 1, x).
	AffineGrid(1, []int{1, 2}, true, []float32{0, 1, 1, 1, 0, 0}, out[:4])
	requireClose(t, "swap", out[:4], []float32{1, -1, 1, 1}, 1e-6)
	// 3-d: z scaled by 2 on a 2×1×1 volume, centres z = ±½.
	out3 := make([]float32, 2*3)
	AffineGrid(1, []int{2, 1, 1}, false, []float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0}, out3)
	requireClose(t, "3-d", out3, []float32{0, 0, -1, 0, 0, 1}, 1e-6)
}
