package ops

// ConvInt32 is the integer convolution behind ConvInteger and QLinearConv:
// x and w hold values with their zero points already subtracted, sums are
// exact in int32 (wrapping on overflow), and y (Batch×OutC×Out…) is
// overwritten. p.Act, p.Alpha and bias do not apply. It allocates its
// column scratch.
func ConvInt32(p *ConvParams, x, w, y []int32) {
	cg, mg := p.InC/p.Group, p.OutC/p.Group
	inSz, outSz := NumElements(p.In), NumElements(p.Out)
	kk := cg * NumElements(p.Kernel)
	g := ConvGeom{C: cg, Image: p.In, Kernel: p.Kernel, Out: p.Out, Strides: p.Strides, Dilations: p.Dilations, PadBegin: p.PadBegin}
	col := make([]int32, kk*outSz)
	for n := 0; n < p.Batch; n++ {
		for gi := 0; gi < p.Group; gi++ {
			xg := x[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
			yg := y[(n*p.OutC+gi*mg)*outSz : (n*p.OutC+(gi+1)*mg)*outSz]
			im2colWalk(&g, xg, col, false)
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
