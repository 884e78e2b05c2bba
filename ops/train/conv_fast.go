package train

import "github.com/latent-ml/latent/ops"

// Phase-split backward passes of 2-D convolutions (the trainer's conv
// autoencoder layers). Both gradients reuse the forward machinery:
//   - the input gradient of Conv is ConvTranspose of dy with the same
//     weights (and that of ConvTranspose is Conv of dy), run on the fast
//     forward paths (the weight layouts coincide: Conv's M×C×K is
//     ConvTranspose's InC×OutC×K with InC = M);
//   - the weight gradient (ops.ConvWeightGrad, which lives with the
//     phase-split machinery it is built from) is one Gemm per chunk of
//     images, G (M × L) · colᵀ (L × C·K), over the phase-split column
//     matrix of the convolution's input, with G the output gradient laid out
//     on the same phase grid (zero at the spare row and column), instead of
//     an im2col and two small Gemms per image.

// adjoint returns the convolution that maps p's output grid back onto its
// input grid with the same weights and geometry: ConvTranspose for a Conv
// and Conv for a ConvTranspose (output sizes are explicit, so no padding
// at the end or output padding is needed).
func adjoint(p *ops.ConvParams) ops.ConvParams {
	return ops.ConvParams{Batch: p.Batch, InC: p.OutC, OutC: p.InC, Group: p.Group, In: p.Out, Out: p.In,
		Kernel: p.Kernel, Strides: p.Strides, Dilations: p.Dilations, PadBegin: p.PadBegin}
}

// convBackwardFast is ConvBackward on the phase-split paths; it reports
// false (and does nothing) when p does not take them.
func convBackwardFast(p *ops.ConvParams, x, w, dy, dx, dw, db, col []float32) bool {
	if !p.PhaseSplit() {
		return false
	}
	biasGrad(p.Batch, p.OutC, ops.NumElements(p.Out), dy, db)
	if dw != nil {
		ops.ConvWeightGrad(p, x, dy, dw)
	}
	if dx != nil {
		q := adjoint(p)
		if len(col) < q.ColSize(true) {
			col = nil
		}
		ops.ConvTranspose(&q, dy, w, nil, dx, col)
	}
	return true
}

// convTransposeBackwardFast is ConvTransposeBackward on the phase-split
// paths (through the Conv that is p's adjoint); it reports false when p
// does not take them.
func convTransposeBackwardFast(p *ops.ConvParams, x, w, dy, dx, dw, db, col []float32) bool {
	q := adjoint(p)
	if !q.PhaseSplit() {
		return false
	}
	biasGrad(p.Batch, p.OutC, ops.NumElements(p.Out), dy, db)
	if dw != nil {
		ops.ConvWeightGrad(&q, dy, x, dw)
	}
	if dx != nil {
		ops.Conv(&q, dy, w, nil, dx, col)
	}
	return true
}
