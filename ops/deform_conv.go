package ops

import "math"

// DeformParams describes one image of a 2-d deformable convolution: C
// channels of H×W input, a KH×KW kernel with strides, dilations and the
// leading pads, OH×OW outputs, and OffsetGroups groups of channels that
// share one set of offsets (and mask).
type DeformParams struct {
	C, H, W, KH, KW, OH, OW int
	StrideH, StrideW        int
	DilationH, DilationW    int
	PadH, PadW              int
	OffsetGroups            int
}

// DeformIm2Col writes the columns of a deformable convolution for one image:
// cols is (C·KH·KW) × (OH·OW), row c·KH·KW + i·KW + j holding channel c
// sampled at kernel tap (i, j) for every output position. Tap (i, j) of
// output (oh, ow) reads the input at
//
//	(oh·StrideH − PadH + i·DilationH + Δh, ow·StrideW − PadW + j·DilationW + Δw)
//
// bilinearly, the four neighbours outside the image counting as 0, times
// the mask when there is one. offset is [OffsetGroups·KH·KW·2, OH, OW]
// (Δh then Δw per tap), mask [OffsetGroups·KH·KW, OH, OW] or nil.
func DeformIm2Col(p *DeformParams, x, offset, mask, cols []float32) {
	k := p.KH * p.KW
	hw := p.OH * p.OW
	cpg := p.C / p.OffsetGroups
	for g := 0; g < p.OffsetGroups; g++ {
		for tap := 0; tap < k; tap++ {
			i, j := tap/p.KW, tap%p.KW
			offH := offset[((g*k+tap)*2)*hw : ((g*k+tap)*2+1)*hw]
			offW := offset[((g*k+tap)*2+1)*hw : ((g*k+tap)*2+2)*hw]
			var m []float32
			if mask != nil {
				m = mask[(g*k+tap)*hw : (g*k+tap+1)*hw]
			}
			for o := 0; o < hw; o++ {
				oh, ow := o/p.OW, o%p.OW
				sh := float64(oh*p.StrideH-p.PadH+i*p.DilationH) + float64(offH[o])
				sw := float64(ow*p.StrideW-p.PadW+j*p.DilationW) + float64(offW[o])
				scale := 1.0
				if m != nil {
					scale = float64(m[o])
				}
				h0, w0 := math.Floor(sh), math.Floor(sw)
				fh, fw := sh-h0, sw-w0
				hi, wi := int(h0), int(w0)
				if sh <= -1 || sh >= float64(p.H) || sw <= -1 || sw >= float64(p.W) || math.IsNaN(sh) || math.IsNaN(sw) {
					for c := g * cpg; c < (g+1)*cpg; c++ {
						cols[(c*k+tap)*hw+o] = 0
					}
					continue
				}
				var wts [4]float64
				var idx [4]int
				for q, d := range [4][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
					r, cc := hi+d[0], wi+d[1]
					idx[q] = -1
					if r >= 0 && r < p.H && cc >= 0 && cc < p.W {
						idx[q] = r*p.W + cc
					}
					wh, ww := 1-fh, 1-fw
					if d[0] == 1 {
						wh = fh
					}
					if d[1] == 1 {
						ww = fw
					}
					wts[q] = wh * ww * scale
				}
				for c := g * cpg; c < (g+1)*cpg; c++ {
					img := x[c*p.H*p.W : (c+1)*p.H*p.W]
					var v float64
					for q := range idx {
						if idx[q] >= 0 {
							v += wts[q] * float64(img[idx[q]])
						}
					}
					cols[(c*k+tap)*hw+o] = float32(v)
				}
			}
		}
	}
}
