package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestGridSampleIdentity samples every pixel centre: any mode and padding
// must reproduce the image.
func TestGridSampleIdentity(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	h, w := 3, 4
	x := uniform(r, 2*h*w)
	for _, align := range []bool{false, true} {
		grid := make([]float32, 0, h*w*2)
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				gx := (2*float32(j)+1)/float32(w) - 1
				gy := (2*float32(i)+1)/float32(h) - 1
				if align {
					gx = 2*float32(j)/float32(w-1) - 1
					gy = 2*float32(i)/float32(h-1) - 1
				}
				grid = append(grid, gx, gy)
			}
		}
		for _, mode := range []ResizeMode{ResizeNearest, ResizeLinear, ResizeCubic} {
			for _, pad := range []GridPadding{GridZeros, GridBorder, GridReflection} {
				p := &GridSampleParams{N: 1, C: 2, H: h, W: w, OutH: h, OutW: w, Mode: mode, Padding: pad, AlignCorners: align}
				y := make([]float32, len(x))
				GridSample2D(p, x, grid, y)
				requireClose(t, "identity", y, x, 1e-5)
			}
		}
	}
}

func TestGridSampleHandComputed(t *testing.T) {
	x := []float32{0, 10, 20, 30} // 2×2: [[0 10] [20 30]]
	p := &GridSampleParams{N: 1, C: 1, H: 2, W: 2, OutH: 1, OutW: 3, Mode: ResizeLinear, AlignCorners: true}
	// Centre (0, 0) → 15; (−1, 1) → bottom-left 20; normalised x = 2 is
	// pixel x = 1.5, half a pixel beyond the right column.
	grid := []float32{0, 0, -1, 1, 2, -1}
	y := make([]float32, 3)
	GridSample2D(p, x, grid, y)
	requireClose(t, "zeros", y, []float32{15, 20, 5}, 1e-6)
	p.Padding = GridBorder
	GridSample2D(p, x, grid, y)
	requireClose(t, "border", y, []float32{15, 20, 10}, 1e-6)
	// Reflection about [0, 1] (align_corners): 1.5 → 0.5.
	p.Padding = GridReflection
	GridSample2D(p, x, grid, y)
	requireClose(t, "reflection", y, []float32{15, 20, 5}, 1e-6)
	v := gridReflect(-0.25, 0, 1)
	assert.Equalf(t, 0.25, v, "gridReflect(-0.25, 0, 1) = %v, want 0.25", v)
	v = gridReflect(2.5, 0, 1)
	assert.Equalf(t, 0.5, v, "gridReflect(2.5, 0, 1) = %v, want 0.5", v)
}
