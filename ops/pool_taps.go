package ops

import "math"

// Max pooling of any 2-D window (kernel, stride, dilation, padding,
// ceil_mode) on the tap machinery of the direct convolution
// (conv_direct.go): each plane is split into its stride phases, so every
// window tap reads a phase plane at a fixed offset, and the output rows of
// a plane (ws wide, the columns past ow dropped) are one max over the taps
// of contiguous runs (maxTaps). The phase planes are zero padded, so the
// outputs whose window reaches into the padding (a border of a row or two
// and a column or two) are then recomputed by maxPoolAt. SqueezeNet's and
// ResNet's 3×3 stride-2 pools went through maxPool2D's per-output window
// walk at 1.8 ns per tap.

// maxTapsGo writes dst[i] = max(-Inf, src[offs[t]+i] for every t), each
// max as acc = v > acc ? v : acc (NaNs skipped).
func maxTapsGo(dst, src []float32, offs []int) {
	n := len(dst)
	inf := float32(math.Inf(-1))
	for i := range dst {
		dst[i] = inf
	}
	for _, off := range offs {
		s := src[off:][:n]
		for i, v := range s {
			if v > dst[i] {
				dst[i] = v
			}
		}
	}
}

// maxTaps is maxTapsGo on the vector kernel when the CPU has one; len(dst)
// must be a multiple of 16 and src must hold offs[t]+len(dst) elements.
func maxTaps(dst, src []float32, offs []int) {
	if len(dst) == 0 || len(offs) == 0 {
		return
	}
	_ = src[offs[len(offs)-1]+len(dst)-1]
	if !maxTapsVec(dst, src, offs) {
		maxTapsGo(dst, src, offs)
	}
}

// maxPoolTapsOK reports whether MaxPool p (two spatial axes, values only)
// takes maxPool2DTaps: windows of at least two taps on planes big enough to
// fill vectors.
func maxPoolTapsOK(p *PoolParams) bool {
	if len(p.In) != 2 || p.Planes == 0 || p.Out[0] <= 0 || p.Out[1] <= 0 {
		return false
	}
	return p.Kernel[0]*p.Kernel[1] >= 2 && p.Out[0]*p.Out[1] >= 16
}

// maxPool2DTaps is MaxPool for float32 values without indices
// (maxPoolTapsOK must hold).
func maxPool2DTaps(p *PoolParams, x, y []float32) {
	q := &ConvParams{In: p.In, Kernel: p.Kernel, Out: p.Out, Strides: p.Strides, Dilations: p.Dilations, PadBegin: p.PadBegin}
	ay, ax := axisGeom(q, 0, false), axisGeom(q, 1, false)
	kh, kw := p.Kernel[0], p.Kernel[1]
	ih, iw := p.In[0], p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	hs, ws := ay.src, ax.src
	plane := hs * ws
	nph := ay.s * ax.s
	n16 := roundUp(oh*ws, 16)
	offs := make([]int, 0, kh*kw)
	for ki := 0; ki < kh; ki++ {
		dy := ki * p.Dilations[0]
		for kj := 0; kj < kw; kj++ {
			dx := kj * p.Dilations[1]
			ph := (dy%ay.s)*ax.s + dx%ax.s
			offs = append(offs, ph*plane+(dy/ay.s)*ws+dx/ax.s)
		}
	}
	// Outputs whose whole window is inside the image: rows [i0, i1),
	// columns [j0, j1).
	i0, i1 := inside(ih-(kh-1)*p.Dilations[0], p.Strides[0], -p.PadBegin[0], oh)
	j0, j1 := inside(iw-(kw-1)*p.Dilations[1], p.Strides[1], -p.PadBegin[1], ow)
	srcLen := nph*plane + ax.t + 16
	inSz, outSz := ih*iw, oh*ow
	splitChunks(p.Planes, max(1, p.Planes/16), p.Planes*outSz*kh*kw, func(lo, hi int, sc *convScratch) {
		sc.src = grow(sc.src, srcLen)
		sc.out = grow(sc.out, n16)
		clear(sc.src[nph*plane : srcLen])
		for pl := lo; pl < hi; pl++ {
			img := x[pl*inSz:][:inSz]
			for ry := 0; ry < ay.s; ry++ {
				if ax.s == 2 {
					splitPhases2(sc.src[ry*2*plane:][:plane], sc.src[(ry*2+1)*plane:][:plane], img, ih, iw, ay.s, ry, ay.lead, ax.lead, hs, ws)
					continue
				}
				for rx := 0; rx < ax.s; rx++ {
					fillPhase(sc.src[(ry*ax.s+rx)*plane:][:plane], img, ih, iw, ay.s, ry, ay.lead, ax.s, rx, ax.lead, hs, ws)
				}
			}
			maxTaps(sc.out[:n16], sc.src, offs)
			dst := y[pl*outSz:][:outSz]
			biasRows(dst, sc.out, oh, ws, ow, ow, negZero, false) // an exact copy
			for i := 0; i < oh; i++ {
				if i >= i0 && i < i1 {
					for j := 0; j < j0; j++ {
						dst[i*ow+j] = maxPoolAt(p, img, i, j)
					}
					for j := max(j1, j0); j < ow; j++ {
						dst[i*ow+j] = maxPoolAt(p, img, i, j)
					}
					continue
				}
				for j := 0; j < ow; j++ {
					dst[i*ow+j] = maxPoolAt(p, img, i, j)
				}
			}
		}
	})
}

// maxPoolAt is output (i, j) of a 2-D max pool of one plane, the window's
// in-image taps only, as maxTapsGo takes the max (-Inf for none).
func maxPoolAt(p *PoolParams, img []float32, i, j int) float32 {
	iw := p.In[1]
	hs := i*p.Strides[0] - p.PadBegin[0]
	ws := j*p.Strides[1] - p.PadBegin[1]
	hlo, hhi := poolRange(hs, p.Kernel[0], p.Dilations[0], p.In[0])
	wlo, whi := poolRange(ws, p.Kernel[1], p.Dilations[1], iw)
	best := float32(math.Inf(-1))
	for a := hlo; a < hhi; a++ {
		row := (hs+a*p.Dilations[0])*iw + ws
		for b := wlo; b < whi; b++ {
			if v := img[row+b*p.Dilations[1]]; v > best {
				best = v
			}
		}
	}
	return best
}
