package ops

// Direct grouped convolution: depthwise (one input channel per group),
// other grouped 1-D/2-D convolutions, and ungrouped ones with few output
// channels, without a column matrix.
//
// A group's input channels are first split into their stride phases, zero
// padded, exactly as the phase-split path does (fillPhase, splitPhases2):
// phase (ry, rx) of channel c holds padded pixels (s·a+ry, s·b+rx) in an
// hs×ws plane, so tap (c, ky, kx) of output (oy, ox) reads plane element
// (oy + ⌊ky·dh/sh⌋, ox + ⌊kx·dw/sw⌋) of its phase: one fixed offset per
// tap. Flattening the plane, every output row of width ws (the ow outputs
// plus ⌊(kw-1)·dw/sw⌋ junk columns that the write-back drops) is
//
//	acc[i] = Σ_taps w[tap]·plane[off(tap) + i],   i < oh·ws
//
// one long contiguous multiply-add per tap, however small the map: on a 7×7
// map with a 5×5 kernel, oh·ws = 77 outputs are five 16-lane vectors held
// in registers across all 25 taps (convTapsAVX512). The taps run over a
// group's cg·kh·kw weights in ONNX order, so a weight row is used as it is
// stored. Channels are not put in vector lanes (NCHWc) because the
// surrounding graph is NCHW: the per-plane layout needs no transposes, and
// the junk columns cost (kw-1)·dw/sw / ws of the work.
//
// Each output channel reads its group's planes once per tap and reuses
// nothing across output channels, so a group with many input and output
// channels is a small Gemm and goes through im2col instead (convDirectOK).

// convDirectMaxGemm is the size of a group (input channels × output
// channels) from which im2col and Gemm beat the direct taps.
const convDirectMaxGemm = 32 * 32

// convDirectMaxOut is the most output channels for which an ungrouped
// convolution takes the direct path: with so few, the Gemm behind im2col
// has only a few rows to reuse each column of its (kh·kw times larger)
// column matrix for. Measured per layer on Zen 5, one thread, CPU time
// (im2col → direct): 32→3 channels 3×3 on 8×64×64 2.3 → 1.4 ms, 64→4 on
// 2×56×56 1.2 → 0.6 ms, 64→8 1.7 → 1.2 ms, 256→8 on 14×14 0.39 → 0.41 ms,
// 64→16 on 56×56 3.0 → 2.2 ms but 16→16 on 28×28 0.11 → 0.14 ms.
const convDirectMaxOut = 8

// convDirectOK reports whether Conv p takes the direct path, over one or
// two spatial axes with something to compute: a grouped convolution whose
// groups are small, or an ungrouped one with a spatial kernel, at most
// convDirectMaxOut output channels and a small weight (pointwise ones are
// Gemms without a column matrix, conv_pointwise.go).
func convDirectOK(p *ConvParams) bool {
	if len(p.In) > 2 || p.Batch == 0 || p.OutC == 0 || NumElements(p.Out) == 0 || p.Group < 1 {
		return false
	}
	if p.Group == 1 {
		return p.OutC <= convDirectMaxOut && NumElements(p.Kernel) > 1 && p.InC*p.OutC <= 2*convDirectMaxGemm
	}
	cg, mg := p.InC/p.Group, p.OutC/p.Group
	return cg*mg < convDirectMaxGemm
}

// convTapsGo writes dst[i] = Σ_t w[t]·src[offs[t]+i] for i < len(dst), the
// taps summed in order (len(offs) ≥ 1).
func convTapsGo(dst, src []float32, offs []int, w []float32) {
	n := len(dst)
	s := src[offs[0]:][:n]
	w0 := w[0]
	for i, v := range s {
		dst[i] = w0 * v
	}
	for t := 1; t < len(offs); t++ {
		s := src[offs[t]:][:n]
		wt := w[t]
		for i, v := range s {
			dst[i] += wt * v
		}
	}
}

// convTaps is convTapsGo on the vector kernel when the CPU has one; len(dst)
// must be a multiple of 16 and src must hold offs[t]+len(dst) elements for
// every t.
func convTaps(dst, src []float32, offs []int, w []float32) {
	if len(dst) == 0 {
		return
	}
	_ = src[offs[len(offs)-1]+len(dst)-1]
	w = w[:len(offs)]
	if !convTapsVec(dst, src, offs, w) {
		convTapsGo(dst, src, offs, w)
	}
}

// convDirect is Conv on the direct path (convDirectOK must hold): y is
// overwritten with act(conv(x, w) + bias).
func convDirect(p *ConvParams, x, w, bias, y []float32) {
	q := *p
	if q2, ok := p.as2D(); ok {
		q = *q2
	}
	ay, ax := axisGeom(&q, 0, false), axisGeom(&q, 1, false)
	cg, mg := q.InC/q.Group, q.OutC/q.Group
	kh, kw := q.Kernel[0], q.Kernel[1]
	ih, iw := q.In[0], q.In[1]
	oh, ow := q.Out[0], q.Out[1]
	hs, ws := ay.src, ax.src
	plane := hs * ws
	nph := ay.s * ax.s
	n16 := roundUp(oh*ws, 16)
	// A tap's plane offset; the vector kernel reads n16 ≥ oh·ws elements
	// from it, at most ax.t + 15 past the last plane.
	taps := cg * kh * kw
	offs := make([]int, 0, taps)
	for ci := 0; ci < cg; ci++ {
		for ki := 0; ki < kh; ki++ {
			dy := ki * q.Dilations[0]
			for kj := 0; kj < kw; kj++ {
				dx := kj * q.Dilations[1]
				ph := (dy%ay.s)*ax.s + dx%ax.s
				offs = append(offs, (ph*cg+ci)*plane+(dy/ay.s)*ws+dx/ax.s)
			}
		}
	}
	srcLen := nph*cg*plane + ax.t + 16
	units := q.Batch * q.Group
	work := q.Batch * q.OutC * oh * ow * taps
	relu := fuseRelu(q.Act)
	splitChunks(units, max(1, units/16), work, func(lo, hi int, sc *convScratch) {
		sc.src = grow(sc.src, srcLen)
		sc.out = grow(sc.out, n16)
		clear(sc.src[nph*cg*plane : srcLen])
		for u := lo; u < hi; u++ {
			n, gi := u/q.Group, u%q.Group
			for ci := 0; ci < cg; ci++ {
				img := x[(n*q.InC+gi*cg+ci)*ih*iw:][:ih*iw]
				for ry := 0; ry < ay.s; ry++ {
					if ax.s == 2 {
						ph := ry * 2
						d0 := sc.src[(ph*cg+ci)*plane:][:plane]
						d1 := sc.src[((ph+1)*cg+ci)*plane:][:plane]
						splitPhases2(d0, d1, img, ih, iw, ay.s, ry, ay.lead, ax.lead, hs, ws)
						continue
					}
					for rx := 0; rx < ax.s; rx++ {
						ph := ry*ax.s + rx
						fillPhase(sc.src[(ph*cg+ci)*plane:][:plane], img, ih, iw, ay.s, ry, ay.lead, ax.s, rx, ax.lead, hs, ws)
					}
				}
			}
			for mo := 0; mo < mg; mo++ {
				oc := gi*mg + mo
				convTaps(sc.out[:n16], sc.src, offs, w[oc*taps:(oc+1)*taps])
				dst := y[(n*q.OutC+oc)*oh*ow:][:oh*ow]
				biasRows(dst, sc.out, oh, ws, ow, ow, biasAt(bias, oc), relu)
				chunkAct(&q, dst, relu)
			}
		}
	})
}
