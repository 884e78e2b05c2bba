package ops

// ConvBackward is the backward pass of Conv without its activation: given
// dy, the gradient with respect to Conv's pre-activation output
// (Batch×OutC×Out…), it adds the weight gradient into dw and the bias
// gradient into db (either may be nil to skip) and overwrites dx with the
// input gradient (nil to skip). col is scratch of at least p.ColSize(false)
// elements (nil allocates). x and w are those of the forward pass.
func ConvBackward(p *ConvParams, x, w, dy, dx, dw, db, col []float32) {
	cg, mg := p.InC/p.Group, p.OutC/p.Group
	inSz, outSz := NumElements(p.In), NumElements(p.Out)
	kk := cg * NumElements(p.Kernel)
	pw := p.pointwise()
	if !pw && len(col) < p.ColSize(false) {
		col = make([]float32, p.ColSize(false))
	}
	g := ConvGeom{C: cg, Image: p.In, Kernel: p.Kernel, Out: p.Out, Strides: p.Strides, Dilations: p.Dilations, PadBegin: p.PadBegin}
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
					Im2Col(&g, xg, col)
					src = col
				}
				// dW_g (mg×kk) += dy_g (mg×outSz) · colᵀ (outSz×kk)
				Gemm(false, true, mg, kk, outSz, 1, dyg, outSz, src, outSz, 1, dw[gi*mg*kk:(gi+1)*mg*kk], kk)
			}
			if dx == nil {
				continue
			}
			dxg := dx[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
			if pw {
				Gemm(true, false, kk, outSz, mg, 1, wg, kk, dyg, outSz, 0, dxg, outSz)
				continue
			}
			// dcol (kk×outSz) = W_gᵀ · dy_g, folded back onto the image.
			Gemm(true, false, kk, outSz, mg, 1, wg, kk, dyg, outSz, 0, col, outSz)
			Col2Im(&g, col, dxg)
		}
	}
}

// ConvTransposeBackward is the backward pass of ConvTranspose without its
// activation: dy is the gradient with respect to the pre-activation output
// (Batch×OutC×Out…). It adds the weight gradient into dw and the bias
// gradient into db (nil skips either) and overwrites dx (nil skips). col is
// scratch of at least p.ColSize(true) elements (nil allocates).
func ConvTransposeBackward(p *ConvParams, x, w, dy, dx, dw, db, col []float32) {
	cg, mg := p.InC/p.Group, p.OutC/p.Group
	inSz, outSz := NumElements(p.In), NumElements(p.Out)
	mk := mg * NumElements(p.Kernel)
	pw := p.pointwise()
	if !pw && len(col) < p.ColSize(true) {
		col = make([]float32, p.ColSize(true))
	}
	g := ConvGeom{C: mg, Image: p.Out, Kernel: p.Kernel, Out: p.In, Strides: p.Strides, Dilations: p.Dilations, PadBegin: p.PadBegin}
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
				Im2Col(&g, dyg, col)
				dcol = col
			}
			if dw != nil {
				// dW_g (cg×mk) += x_g (cg×inSz) · dcolᵀ (inSz×mk)
				Gemm(false, true, cg, mk, inSz, 1, xg, inSz, dcol, inSz, 1, dw[gi*cg*mk:(gi+1)*cg*mk], mk)
			}
			if dx != nil {
				dxg := dx[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
				Gemm(false, false, cg, inSz, mk, 1, wg, mk, dcol, inSz, 0, dxg, inSz)
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
