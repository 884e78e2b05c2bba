package ops

// Phase-split backward passes of 2-D convolutions (the trainer's conv
// autoencoder layers). Both gradients reuse the forward machinery:
//   - the input gradient of Conv is ConvTranspose of dy with the same
//     weights (and that of ConvTranspose is Conv of dy), run on the fast
//     forward paths (the weight layouts coincide: Conv's M×C×K is
//     ConvTranspose's InC×OutC×K with InC = M);
//   - the weight gradient is one Gemm per chunk of images, G (M × L) ·
//     colᵀ (L × C·K), over the phase-split column matrix of the
//     convolution's input, with G the output gradient laid out on the same
//     phase grid (zero at the spare row and column), instead of an im2col
//     and two small Gemms per image.

// adjoint returns the convolution that maps p's output grid back onto its
// input grid with the same weights and geometry: ConvTranspose for a Conv
// and Conv for a ConvTranspose (output sizes are explicit, so no padding
// at the end or output padding is needed).
func (p *ConvParams) adjoint() ConvParams {
	return ConvParams{Batch: p.Batch, InC: p.OutC, OutC: p.InC, Group: p.Group, In: p.Out, Out: p.In,
		Kernel: p.Kernel, Strides: p.Strides, Dilations: p.Dilations, PadBegin: p.PadBegin}
}

// convWeightGrad2D adds to dw (q.OutC × q.InC·K) the weight gradient of
// Conv q (fastConvOK) over its batch: Σ over images of g, the gradient at
// q's output, times the column matrix of in, q's input. Chunks run one
// after another into dw, so the sums keep one order.
func convWeightGrad2D(q *ConvParams, in, g, dw []float32) {
	ay, ax := axisGeom(q, 0, false), axisGeom(q, 1, false)
	m := q.OutC
	rows := q.InC * NumElements(q.Kernel)
	oh, ow := q.Out[0], q.Out[1]
	ws := ax.src
	img := ay.src * ws
	per := max(1, min(q.Batch, convChunkFloats/((rows+m)*img)))
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	for lo := 0; lo < q.Batch; lo += per {
		nb := min(per, q.Batch-lo)
		L := nb * img
		convColumns(q, ay, ax, in, lo, nb, sc)
		// g on the phase grid: [m][image][hs×ws], zero past the outputs.
		sc.out = growF32(sc.out, m*L)
		for mi := 0; mi < m; mi++ {
			for n := 0; n < nb; n++ {
				d := sc.out[mi*L+n*img:][:img]
				padRows(d, g[((lo+n)*m+mi)*oh*ow:][:oh*ow], oh, ow, ws, 0, ow, ws)
				clear(d[oh*ws:])
			}
		}
		// dw (m × rows) += G (m × L) · colᵀ (L × rows)
		Gemm(false, true, m, rows, L, 1, sc.out, L, sc.col, L, 1, dw, rows)
	}
}

// convBackwardFast is ConvBackward on the phase-split paths; it reports
// false (and does nothing) when p does not take them.
func convBackwardFast(p *ConvParams, x, w, dy, dx, dw, db, col []float32) bool {
	if !fastConvOK(p, false) {
		return false
	}
	biasGrad(p.Batch, p.OutC, NumElements(p.Out), dy, db)
	if dw != nil {
		convWeightGrad2D(p, x, dy, dw)
	}
	if dx != nil {
		q := p.adjoint()
		if len(col) < q.ColSize(true) {
			col = nil
		}
		ConvTranspose(&q, dy, w, nil, dx, col)
	}
	return true
}

// convTransposeBackwardFast is ConvTransposeBackward on the phase-split
// paths (through the Conv that is p's adjoint); it reports false when p
// does not take them.
func convTransposeBackwardFast(p *ConvParams, x, w, dy, dx, dw, db, col []float32) bool {
	q := p.adjoint()
	if !fastConvOK(&q, false) {
		return false
	}
	biasGrad(p.Batch, p.OutC, NumElements(p.Out), dy, db)
	if dw != nil {
		convWeightGrad2D(&q, dy, x, dw)
	}
	if dx != nil {
		Conv(&q, dy, w, nil, dx, col)
	}
	return true
}
