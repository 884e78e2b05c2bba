package train

import "github.com/latent-ml/latent/ops"

// ConvBackward is the backward pass of Conv without its activation: given
// dy, the gradient with respect to Conv's pre-activation output
// (Batch×OutC×Out…), it adds the weight gradient into dw and the bias
// gradient into db (either may be nil to skip) and overwrites dx with the
// input gradient (nil to skip). col is scratch of at least p.ColSize(false)
// elements (nil allocates). x and w are those of the forward pass.
func ConvBackward(p *ops.ConvParams, x, w, dy, dx, dw, db, col []float32) {
	if convBackwardFast(p, x, w, dy, dx, dw, db, col) {
		return
	}
	convBackwardIm2Col(p, x, w, dy, dx, dw, db, col)
}

// convBackwardIm2Col is ConvBackward through a per-image im2col, two
// Gemms and col2im (any rank, groups).
func convBackwardIm2Col(p *ops.ConvParams, x, w, dy, dx, dw, db, col []float32) {
	l := layout(p, false, col)
	cg, mg, inSz, outSz, kk, pw, g, col := l.cg, l.mg, l.inSz, l.outSz, l.k, l.pw, &l.g, l.col
	biasGrad(p.Batch, p.OutC, outSz, dy, db)
	if outSz == 0 || mg == 0 || kk == 0 {
		if dx != nil {
			clear(dx[:p.Batch*p.InC*inSz])
		}
		return
	}
	for n := 0; n < p.Batch; n++ {
		for gi := 0; gi < p.Group; gi++ {
			xg := x[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
			dyg := dy[(n*p.OutC+gi*mg)*outSz : (n*p.OutC+(gi+1)*mg)*outSz]
			wg := w[gi*mg*kk : (gi+1)*mg*kk]
			if dw != nil {
				src := xg
				if !pw {
					ops.Im2Col(g, xg, col)
					src = col
				}
				// dW_g (mg×kk) += dy_g (mg×outSz) · colᵀ (outSz×kk)
				ops.Gemm(false, true, mg, kk, outSz, 1, dyg, outSz, src, outSz, 1, dw[gi*mg*kk:(gi+1)*mg*kk], kk)
			}
			if dx == nil {
				continue
			}
			dxg := dx[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
			if pw {
				ops.Gemm(true, false, kk, outSz, mg, 1, wg, kk, dyg, outSz, 0, dxg, outSz)
				continue
			}
			// dcol (kk×outSz) = W_gᵀ · dy_g, folded back onto the image.
			ops.Gemm(true, false, kk, outSz, mg, 1, wg, kk, dyg, outSz, 0, col, outSz)
			ops.Col2Im(g, col, dxg)
		}
	}
}

// ConvTransposeBackward is the backward pass of ConvTranspose without its
// activation: dy is the gradient with respect to the pre-activation output
// (Batch×OutC×Out…). It adds the weight gradient into dw and the bias
// gradient into db (nil skips either) and overwrites dx (nil skips). col is
// scratch of at least p.ColSize(true) elements (nil allocates).
func ConvTransposeBackward(p *ops.ConvParams, x, w, dy, dx, dw, db, col []float32) {
	if convTransposeBackwardFast(p, x, w, dy, dx, dw, db, col) {
		return
	}
	convTransposeBackwardIm2Col(p, x, w, dy, dx, dw, db, col)
}

// convTransposeBackwardIm2Col is ConvTransposeBackward through a per-image
// im2col of dy and two Gemms (any rank, groups).
func convTransposeBackwardIm2Col(p *ops.ConvParams, x, w, dy, dx, dw, db, col []float32) {
	l := layout(p, true, col)
	cg, mg, inSz, outSz, mk, pw, g, col := l.cg, l.mg, l.inSz, l.outSz, l.k, l.pw, &l.g, l.col
	biasGrad(p.Batch, p.OutC, outSz, dy, db)
	if inSz == 0 || mk == 0 || cg == 0 {
		if dx != nil {
			clear(dx[:p.Batch*p.InC*inSz])
		}
		return
	}
	for n := 0; n < p.Batch; n++ {
		for gi := 0; gi < p.Group; gi++ {
			xg := x[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
			dyg := dy[(n*p.OutC+gi*mg)*outSz : (n*p.OutC+(gi+1)*mg)*outSz]
			wg := w[gi*cg*mk : (gi+1)*cg*mk]
			dcol := dyg
			if !pw {
				// The forward folded col = W_gᵀ·x_g into the output, so the
				// gradient of col is the unfolded output gradient.
				ops.Im2Col(g, dyg, col)
				dcol = col
			}
			if dw != nil {
				// dW_g (cg×mk) += x_g (cg×inSz) · dcolᵀ (inSz×mk)
				ops.Gemm(false, true, cg, mk, inSz, 1, xg, inSz, dcol, inSz, 1, dw[gi*cg*mk:(gi+1)*cg*mk], mk)
			}
			if dx != nil {
				dxg := dx[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
				ops.Gemm(false, false, cg, inSz, mk, 1, wg, mk, dcol, inSz, 0, dxg, inSz)
			}
		}
	}
}

// biasGrad adds the per-channel sums of dy (batch×c×size) into db.
func biasGrad(batch, c, size int, dy, db []float32) {
	if db == nil {
		return
	}
	for n := 0; n < batch; n++ {
		for m := 0; m < c; m++ {
			var s float32
			for _, v := range dy[(n*c+m)*size : (n*c+m+1)*size] {
				s += v
			}
			db[m] += s
		}
	}
}

// groupLayout is the per-group geometry of the im2col passes: channels
// per group in and out, image sizes, the length k of a weight row (cg·K
// for Conv, mg·K for ConvTranspose), whether the convolution is
// pointwise, the Im2Col geometry of the side that is unfolded, and column
// scratch of at least ColSize(transpose) elements.
type groupLayout struct {
	cg, mg, inSz, outSz, k int
	pw                     bool
	g                      ops.ConvGeom
	col                    []float32
}

// layout returns p's groupLayout for Conv (transpose false) or
// ConvTranspose, allocating col when it is too short for a non-pointwise
// convolution.
func layout(p *ops.ConvParams, transpose bool, col []float32) groupLayout {
	l := groupLayout{cg: p.InC / p.Group, mg: p.OutC / p.Group, inSz: ops.NumElements(p.In), outSz: ops.NumElements(p.Out),
		pw: p.Pointwise(), g: p.GroupGeom(transpose)}
	l.k = l.g.ColRows()
	if !l.pw && len(col) < p.ColSize(transpose) {
		col = make([]float32, p.ColSize(transpose))
	}
	l.col = col
	return l
}
