package ops

// pointwiseBlockFloats bounds the outputs (channels × pixel columns) one
// Gemm call of convPointwise writes, so the block is still in L2 when its
// bias and activation are applied (128 KiB).
const pointwiseBlockFloats = 1 << 15

// convPointwise is Conv for a pointwise p (1×1 kernel, stride 1, no
// padding) with one group: per image Y (OutC × pixels) = W (OutC × InC) ·
// X (InC × pixels), read and written in place in NCHW, no column matrix.
// The pixels go in column blocks whose outputs fit in L2, and each block's
// bias and activation are applied right after its Gemm, while it is in
// cache, instead of in a second pass over the whole output (MobileNet and
// EfficientNet expand 1×1 layers to 96-1280 channels of 112×112…7×7).
// Blocks of all images are dealt to the threads; with fewer blocks than
// threads, each block's Gemm splits itself instead.
func convPointwise(p *ConvParams, x, w, bias, y []float32) {
	m, k, hw := p.OutC, p.InC, NumElements(p.Out)
	if p.Batch == 0 || m == 0 || hw == 0 {
		return
	}
	blk := hw
	if m*hw > pointwiseBlockFloats {
		blk = min(hw, max(64, roundUp(pointwiseBlockFloats/m, 64)))
	}
	nblk := (hw + blk - 1) / blk
	units := p.Batch * nblk
	parallelGemm := units < Threads()
	splitChunks(units, 1, p.Batch*m*k*hw, func(lo, hi int, _ *convScratch) {
		for u := lo; u < hi; u++ {
			n, j0 := u/nblk, u%nblk*blk
			nb := min(blk, hw-j0)
			ys := y[n*m*hw+j0:]
			if k == 0 {
				for mi := 0; mi < m; mi++ {
					clear(ys[mi*hw:][:nb])
				}
			} else {
				xs := x[n*k*hw+j0:]
				if parallelGemm {
					Gemm(false, false, m, nb, k, 1, w, k, xs, hw, 0, ys, hw)
				} else {
					gemm1(false, m, nb, k, w, k, xs, hw, ys, hw)
				}
			}
			for mi := 0; mi < m; mi++ {
				biasActRow(ys[mi*hw:][:nb], bias, mi, p)
			}
		}
	})
}

// biasActRow adds channel mi's bias (if any) to row and applies p's
// activation, in place, on the vector row movers.
func biasActRow(row, bias []float32, mi int, p *ConvParams) {
	relu := fuseRelu(p.Act)
	if bias != nil || relu {
		b := biasAt(bias, mi)
		// The row as rows of 32: one mover call for all of them.
		n32 := len(row) &^ 31
		if n32 > 0 {
			biasRows(row, row, n32/32, 32, 32, 32, b, relu)
		}
		if r := len(row) - n32; r > 0 {
			biasRows(row[n32:], row[n32:], 1, r, r, r, b, relu)
		}
	}
	if p.Act != ActNone && !relu {
		ApplyActivation(row, row, p.Act, p.Alpha, p.Beta)
	}
}

// ConvChannelScaled computes Conv p of x·scale, where scale (Batch ×
// InC) multiplies every input channel of every image, without writing
// x·scale: conv(x·s) = conv with each weight W[m, c, …] times s[c], so each
// image runs with its own scaled copy of the weights (OutC·InC/Group·K
// multiplies instead of InC·∏In, and no pass over the feature map). This is
// how squeeze-excitation's gate (GlobalAveragePool → … → Sigmoid → Mul)
// meets the 1×1 convolution after it; it pays where the weights are
// smaller than an image (InC·∏In). wScratch holds at least
// len(w) elements (nil allocates); col is Conv's scratch for one image.
func ConvChannelScaled(p *ConvParams, x, scale, w, bias, y, col, wScratch []float32) {
	cg, mg := p.InC/p.Group, p.OutC/p.Group
	k := NumElements(p.Kernel)
	inSz, outSz := p.InC*NumElements(p.In), p.OutC*NumElements(p.Out)
	nw := p.OutC * cg * k
	if len(wScratch) < nw {
		wScratch = make([]float32, nw)
	}
	ws := wScratch[:nw]
	q := *p
	q.Batch = 1
	for n := 0; n < p.Batch; n++ {
		s := scale[n*p.InC : (n+1)*p.InC]
		for m := 0; m < p.OutC; m++ {
			sg := s[m/mg*cg:][:cg]
			for c, sc := range sg {
				src := w[(m*cg+c)*k:][:k]
				dst := ws[(m*cg+c)*k:][:k]
				for i, v := range src {
					dst[i] = v * sc
				}
			}
		}
		Conv(&q, x[n*inSz:(n+1)*inSz], ws, bias, y[n*outSz:(n+1)*outSz], col)
	}
}
