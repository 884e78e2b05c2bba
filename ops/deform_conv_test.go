package ops

import (
	"math/rand/v2"
	"testing"
)

// TestDeformIm2ColZeroOffsets: with zero offsets the columns are plain
// im2col (zero padding outside), built here directly from the definition;
// integer offsets move every tap by whole pixels.
func TestDeformIm2ColZeroOffsets(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	p := &DeformParams{C: 2, H: 5, W: 4, KH: 3, KW: 2, OH: 3, OW: 2, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 2, PadH: 1, PadW: 1, OffsetGroups: 1}
	x := uniform(r, p.C*p.H*p.W)
	k, hw := p.KH*p.KW, p.OH*p.OW
	want := func(dh, dw int) []float32 {
		out := make([]float32, p.C*k*hw)
		for c := 0; c < p.C; c++ {
			for tap := 0; tap < k; tap++ {
				for o := 0; o < hw; o++ {
					h := o/p.OW*p.StrideH - p.PadH + tap/p.KW*p.DilationH + dh
					w := o%p.OW*p.StrideW - p.PadW + tap%p.KW*p.DilationW + dw
					if h >= 0 && h < p.H && w >= 0 && w < p.W {
						out[(c*k+tap)*hw+o] = x[(c*p.H+h)*p.W+w]
					}
				}
			}
		}
		return out
	}
	off := make([]float32, 2*k*hw)
	cols := make([]float32, p.C*k*hw)
	DeformIm2Col(p, x, off, nil, cols)
	requireClose(t, "zero offsets", cols, want(0, 0), 0)
	for i := range off {
		off[i] = float32(1 - 2*((i/hw)%2)) // Δh = 1, Δw = −1 for every tap
	}
	DeformIm2Col(p, x, off, nil, cols)
	requireClose(t, "integer offsets", cols, want(1, -1), 1e-7)
}

func TestDeformIm2ColHandComputed(t *testing.T) {
	// One 2×2 channel [[1 2] [3 4]], a 1×1 kernel, 2×1 outputs: output 0
	// is shifted by (0.5, 0.5) to the centre, 2.5, and scaled by the mask
	// 2; output 1 at (1, 0) shifted by (0, 1.5) lands between 4 and the
	// zero beyond the right edge: 4·0.5 = 2.
	p := &DeformParams{C: 1, H: 2, W: 2, KH: 1, KW: 1, OH: 2, OW: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, OffsetGroups: 1}
	cols := make([]float32, 2)
	DeformIm2Col(p, []float32{1, 2, 3, 4}, []float32{0.5, 0, 0.5, 1.5}, []float32{2, 1}, cols)
	requireClose(t, "bilinear", cols, []float32{5, 2}, 1e-6)
	// A whole pixel or more outside, a tap reads 0 (output 0 at row −1);
	// output 1, unshifted, reads 3.
	DeformIm2Col(p, []float32{1, 2, 3, 4}, []float32{-1, 0, 0, 0}, nil, cols)
	requireClose(t, "outside", cols, []float32{0, 3}, 0)
}
