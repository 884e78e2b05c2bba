package ops

import "math"

// GridPadding is how GridSample2D reads pixels outside the image.
type GridPadding uint8

// Padding modes of GridSample.
const (
	GridZeros      GridPadding = iota // outside pixels are 0
	GridBorder                        // clamp to the edge pixel
	GridReflection                    // reflect at the image border
)

// GridSampleParams describes a 2-d grid sample: X is N×C×H×W, the grid
// N×OutH×OutW×2 holds normalised (x, y) source positions in [−1, 1], and
// Y is N×C×OutH×OutW. Mode is ResizeNearest, ResizeLinear (bilinear) or
// ResizeCubic (bicubic, a = −0.75). With AlignCorners, −1 and 1 are the
// centres of the corner pixels; otherwise their outer edges.
type GridSampleParams struct {
	N, C, H, W, OutH, OutW int
	Mode                   ResizeMode
	Padding                GridPadding
	AlignCorners           bool
}

func gridDenorm(v float64, n int, align bool) float64 {
	if align {
		return (v + 1) / 2 * float64(n-1)
	}
	return ((v+1)*float64(n) - 1) / 2
}

// gridReflect folds x into [lo, hi] by reflecting at the bounds.
func gridReflect(x, lo, hi float64) float64 {
	rng := hi - lo
	if rng <= 0 {
		return lo
	}
	if x < lo {
		dx := lo - x
		k := math.Floor(dx / rng)
		r := dx - k*rng
		if int64(k)%2 == 0 {
			return lo + r
		}
		return hi - r
	}
	if x > hi {
		dx := x - hi
		k := math.Floor(dx / rng)
		r := dx - k*rng
		if int64(k)%2 == 0 {
			return hi - r
		}
		return lo + r
	}
	return x
}

// GridSample2D samples x at the grid positions into y.
func GridSample2D(p *GridSampleParams, x, grid, y []float32) {
	h, w := p.H, p.W
	lo, hiX, hiY := -0.5, float64(w)-0.5, float64(h)-0.5
	if p.AlignCorners {
		lo, hiX, hiY = 0, float64(w-1), float64(h-1)
	}
	pixel := func(img []float32, r, c int) float64 {
		switch p.Padding {
		case GridBorder:
			r, c = min(max(r, 0), h-1), min(max(c, 0), w-1)
		case GridReflection:
			c = int(gridReflect(float64(c), lo, hiX))
			r = int(gridReflect(float64(r), lo, hiY))
			r, c = min(max(r, 0), h-1), min(max(c, 0), w-1)
		default:
			if r < 0 || r >= h || c < 0 || c >= w {
				return 0
			}
		}
		return float64(img[r*w+c])
	}
	var cx, cy [4]float64
	outSz := p.OutH * p.OutW
	for n := 0; n < p.N; n++ {
		for o := 0; o < outSz; o++ {
			gx := float64(grid[(n*outSz+o)*2])
			gy := float64(grid[(n*outSz+o)*2+1])
			sx, sy := gridDenorm(gx, w, p.AlignCorners), gridDenorm(gy, h, p.AlignCorners)
			// Reflection folds positions outside the border box (pixel
			// edges, or centres with AlignCorners) back in; border padding
			// clamps the taps only (for nearest and bilinear that equals
			// clamping the position; for bicubic it is what ONNX Runtime
			// computes).
			if p.Padding == GridReflection && (sx < lo || sx > hiX || sy < lo || sy > hiY) {
				sx, sy = gridReflect(sx, lo, hiX), gridReflect(sy, lo, hiY)
			}
			for c := 0; c < p.C; c++ {
				img := x[(n*p.C+c)*h*w : (n*p.C+c+1)*h*w]
				var v float64
				switch p.Mode {
				case ResizeNearest:
					v = pixel(img, int(math.RoundToEven(sy)), int(math.RoundToEven(sx)))
				case ResizeLinear:
					x0, y0 := math.Floor(sx), math.Floor(sy)
					dx, dy := sx-x0, sy-y0
					xi, yi := int(x0), int(y0)
					v = (1-dy)*((1-dx)*pixel(img, yi, xi)+dx*pixel(img, yi, xi+1)) +
						dy*((1-dx)*pixel(img, yi+1, xi)+dx*pixel(img, yi+1, xi+1))
				case ResizeCubic:
					x0, y0 := math.Floor(sx), math.Floor(sy)
					tx, ty := sx-x0, sy-y0
					for k := 0; k < 4; k++ {
						cx[k] = cubicKernel(tx-float64(k-1), -0.75)
						cy[k] = cubicKernel(ty-float64(k-1), -0.75)
					}
					xi, yi := int(x0)-1, int(y0)-1
					for a := 0; a < 4; a++ {
						var row float64
						for b := 0; b < 4; b++ {
							row += cx[b] * pixel(img, yi+a, xi+b)
						}
						v += cy[a] * row
					}
				}
				y[(n*p.C+c)*outSz+o] = float32(v)
			}
		}
	}
}
