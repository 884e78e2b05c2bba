package ops

// Integer and float64 convolutions on the shared im2col geometry.

// ConvInt32 is the integer convolution behind ConvInteger and QLinearConv:
// x and w hold values with their zero points already subtracted, sums are
// exact in int32 (wrapping on overflow), and y (Batch×OutC×Out…) is
// overwritten. p.Act, p.Alpha and bias do not apply. It allocates its
// column scratch.
func ConvInt32(p *ConvParams, x, w, y []int32) {
	l := p.geometry(false)
	cg, mg, inSz, outSz, kk, g := l.cg, l.mg, l.inSz, l.outSz, l.k, &l.g
	col := make([]int32, kk*outSz)
	for n := 0; n < p.Batch; n++ {
		for gi := 0; gi < p.Group; gi++ {
			xg := x[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
			yg := y[(n*p.OutC+gi*mg)*outSz : (n*p.OutC+(gi+1)*mg)*outSz]
			im2colWalk(g, xg, col, false)
			clear(yg)
			for m := 0; m < mg; m++ {
				wrow := w[(gi*mg+m)*kk : (gi*mg+m+1)*kk]
				yrow := yg[m*outSz : (m+1)*outSz]
				for k, wv := range wrow {
					if wv == 0 {
						continue
					}
					for o, cv := range col[k*outSz : (k+1)*outSz] {
						yrow[o] += wv * cv
					}
				}
			}
		}
	}
}

// ConvF64 is Conv in float64 for double-precision models: the same im2col
// geometry, a plain float64 matrix product and the per-channel bias (no
// fused activation). It allocates its column scratch.
func ConvF64(p *ConvParams, x, w, bias, y []float64) {
	l := p.geometry(false)
	cg, mg, inSz, outSz, kk, g := l.cg, l.mg, l.inSz, l.outSz, l.k, &l.g
	col := make([]float64, kk*outSz)
	for n := 0; n < p.Batch; n++ {
		for gi := 0; gi < p.Group; gi++ {
			xg := x[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
			yg := y[(n*p.OutC+gi*mg)*outSz : (n*p.OutC+(gi+1)*mg)*outSz]
			im2colWalk(g, xg, col, false)
			for m := 0; m < mg; m++ {
				yrow := yg[m*outSz : (m+1)*outSz]
				b := 0.0
				if bias != nil {
					b = bias[gi*mg+m]
				}
				for o := range yrow {
					yrow[o] = b
				}
				for k, wv := range w[(gi*mg+m)*kk : (gi*mg+m+1)*kk] {
					if wv == 0 {
						continue
					}
					for o, cv := range col[k*outSz : (k+1)*outSz] {
						yrow[o] += wv * cv
					}
				}
			}
		}
	}
}
