package ops

import (
	"sync"
	"sync/atomic"
)

// Phase-split 2-D convolution (the conv autoencoders' 3×3, stride-2 layers
// on 7×7…28×28 maps).
//
// im2col on such maps works in rows of 7-14 elements, and a per-image Gemm
// has n = 49…196: both are dominated by per-call overhead. Here the input
// of a chunk of images is first split into its stride phases (phase (rh, rw)
// holds padded pixels (s·a+rh, s·b+rw)), so every kernel tap reads a phase
// image at a fixed offset with stride 1. A column-matrix row is then ONE
// contiguous copy over all the chunk's images (columns: image, phase row,
// phase column), and the Gemm sees n = images × phase pixels. Columns past
// the output width/height of each image are computed and dropped by the
// epilogue, which also adds the bias while scattering into NCHW.
//
// ConvTranspose uses the same machinery the other way round: output phase
// (rh, rw) of a stride-s transposed convolution is an ordinary stride-1
// correlation of the (shifted) input with the taps whose offset k·d ≡ r
// (mod s), so col2im's scatter-adds become a Gemm per output phase.

// phaseAxis is the geometry of one spatial axis.
type phaseAxis struct {
	s, t int // stride; largest tap shift ⌊(K-1)·d/s⌋
	lead int // source position v holds input index v·s+r-lead (Conv) or v-lead (ConvTranspose)
	src  int // source (phase image) length along the axis
	a0   int // ConvTranspose: first output-phase position (common to all phases)
}

// fastConvWaste is the largest ratio of computed to useful Gemm columns the
// phase-split path accepts; above it (big kernels on tiny maps) im2col is
// cheaper. With the vector row movers the per-image im2col costs more than
// a 3×3 stride-1 layer's spare columns on 4×4 maps (2.25×): PyTorch's
// 8×8 conv AE fixture ran 25% faster at 2.5 than at 1.75, and no faster at
// 4.5.
const fastConvWaste = 2.5

// convChunkFloats bounds the per-chunk scratch (column matrix and Gemm
// output, 512 KiB) so a chunk stays in L2 (1 MiB per core here).
const convChunkFloats = 1 << 17

// convScratch is one worker's scratch for the phase-split path.
type convScratch struct {
	src, col, out, w []float32
	offs             []int
}

var convScratchPool = sync.Pool{New: func() any { return new(convScratch) }}

// gemmAcc1 is gemm1 with C += op(A)·B (beta 1).
func gemmAcc1(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkGemm(transA, false, m, n, k, a, lda, b, ldb, c, ldc, nil)
	g := gemmCall{kern: gemmKernels[gemmUse], transA: transA, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: c, ldc: ldc}
	g.run()
}

// gemm1 is Gemm on the calling goroutine only (the callers split work
// themselves).
func gemm1(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkGemm(transA, false, m, n, k, a, lda, b, ldb, c, ldc, nil)
	g := gemmCall{kern: gemmKernels[gemmUse], transA: transA, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	g.run()
}

// fastConvOK reports whether Conv (transpose false) or ConvTranspose can
// take the phase-split path.
func fastConvOK(p *ConvParams, transpose bool) bool {
	if len(p.In) != 2 || p.Group != 1 || p.Pointwise() || p.Batch == 0 || p.InC == 0 || p.OutC == 0 {
		return false
	}
	useful, computed := 1, 1
	for i := 0; i < 2; i++ {
		if p.Out[i] == 0 || p.In[i] == 0 {
			return false
		}
		ax := axisGeom(p, i, transpose)
		if transpose {
			useful *= (p.Out[i] + ax.s - 1) / ax.s // positions per output phase
			computed *= ax.src
		} else {
			useful *= p.Out[i]
			computed *= ax.src
		}
	}
	return float64(computed) <= fastConvWaste*float64(useful)
}

// axisGeom works out the phase geometry of spatial axis i.
func axisGeom(p *ConvParams, i int, transpose bool) phaseAxis {
	s, d, k := p.Strides[i], p.Dilations[i], p.Kernel[i]
	ax := phaseAxis{s: s, t: (k - 1) * d / s}
	if !transpose {
		// Output o reads padded s·o + k·d = s·(o + ⌊k·d/s⌋) + (k·d mod s).
		ax.lead = p.PadBegin[i]
		ax.src = p.Out[i] + ax.t
		return ax
	}
	// Output o: padded Y = o+pad = s·a + r; taps with k·d ≡ r read x[a - ⌊k·d/s⌋].
	pad := p.PadBegin[i]
	ax.a0 = pad / s
	last := (pad + p.Out[i] - 1) / s
	ax.src = last - ax.a0 + 1 + ax.t
	// source v = a' + t - shift reads x[v + a0 - t].
	ax.lead = ax.t - ax.a0
	return ax
}

// splitChunks runs f over [0, batch) in chunks of at most per images, the
// chunks dealt to up to Threads() goroutines when work is large enough.
// Chunks are claimed one at a time from a shared counter, and the caller
// waits only for chunks a helper has claimed: a helper that starts late
// (its core busy with another process) finds nothing left and the call
// costs about what one thread would, instead of waiting for it.
func splitChunks(batch, per, work int, f func(lo, hi int, sc *convScratch)) {
	workers := min(Threads(), batch)
	if workers <= 1 || work < convParallelMin {
		sc := convScratchPool.Get().(*convScratch)
		for lo := 0; lo < batch; lo += per {
			f(lo, min(lo+per, batch), sc)
		}
		convScratchPool.Put(sc)
		return
	}
	// Enough chunks to balance the workers, each of (nearly) equal size.
	chunks := roundUp((batch+per-1)/per, workers)
	per = (batch + chunks - 1) / chunks
	chunks = (batch + per - 1) / per
	run := &chunkRun{total: int64(chunks), finished: make(chan struct{})}
	work1 := func() {
		sc := convScratchPool.Get().(*convScratch)
		for {
			c := int(run.next.Add(1) - 1)
			if c >= chunks {
				break
			}
			f(c*per, min((c+1)*per, batch), sc)
			if run.done.Add(1) == run.total {
				close(run.finished)
			}
		}
		convScratchPool.Put(sc)
	}
	for i := 1; i < min(workers, chunks); i++ {
		go work1()
	}
	work1()
	<-run.finished
}

// chunkRun is the shared state of one splitChunks call: the next chunk to
// claim, the number finished, and a channel closed by whoever finishes the
// last one.
type chunkRun struct {
	next, done atomic.Int64
	total      int64
	finished   chan struct{}
}

// fillPhase writes the source image of one (phase, channel, image): dst
// (hy.src × hx.src) gets img[(v·sy + ry - leady), (u·sx + rx - leadx)], zero
// outside the image. For ConvTranspose pass s = 1 and r = 0.
func fillPhase(dst, img []float32, ih, iw, sy, ry, leady, sx, rx, leadx, hs, ws int) {
	// Columns u with 0 <= u·sx + rx - leadx < iw form [lo, hi).
	x0 := rx - leadx
	lo, hi := inside(iw, sx, x0, ws)
	for v := 0; v < hs; v++ {
		seg := dst[v*ws : (v+1)*ws]
		y := v*sy + ry - leady
		if uint(y) >= uint(ih) || lo == hi {
			clear(seg)
			continue
		}
		line := img[y*iw : (y+1)*iw]
		// The padding margins are a column or two: scalar stores beat
		// calls to clear.
		head, tail := seg[:lo], seg[hi:]
		for j := range head {
			head[j] = 0
		}
		for j := range tail {
			tail[j] = 0
		}
		s := seg[lo:hi]
		switch sx {
		case 1:
			copy(s, line[x0+lo:x0+hi])
		case 2:
			src := line[x0+2*lo:]
			// Both bounds in the loop condition: no checks inside.
			for j, i := 0, 0; j < len(s) && i < len(src); j, i = j+1, i+2 {
				s[j] = src[i]
			}
		default:
			idx := x0 + lo*sx
			for j := range s {
				s[j] = line[idx]
				idx += sx
			}
		}
	}
}

// inside returns the positions [lo, hi) among 0 <= v < count whose source
// index v·s + x0 falls in [0, size).
func inside(size, s, x0, count int) (lo, hi int) {
	lo, hi = poolRange(x0, count, s, size) // pool.go: the same range for a window
	lo = min(lo, count)
	return lo, max(hi, lo)
}

// splitPhases2 fills phase row ry of both column phases of one channel
// image when the column stride is 2: each input row it reads is
// de-interleaved once into phases (ry, 0) and (ry, 1); rows outside the
// image are zero.
func splitPhases2(d0, d1, img []float32, ih, iw, sy, ry, leady, leadx, hs, ws int) {
	v0, v1 := inside(ih, sy, ry-leady, hs)
	clear(d0[:v0*ws])
	clear(d1[:v0*ws])
	clear(d0[v1*ws : hs*ws])
	clear(d1[v1*ws : hs*ws])
	if v1 > v0 {
		y0 := v0*sy + ry - leady
		split2Rows(d0[v0*ws:], d1[v0*ws:], img[y0*iw:], v1-v0, sy*iw, ws, leadx, iw, ws)
	}
}

// convFast2D is Conv on the phase-split path (fastConvOK must hold): y is
// overwritten with act(conv(x, w) + bias).
func convFast2D(p *ConvParams, x, w, bias, y []float32) {
	ay, ax := axisGeom(p, 0, false), axisGeom(p, 1, false)
	c, m := p.InC, p.OutC
	kh, kw := p.Kernel[0], p.Kernel[1]
	oh, ow := p.Out[0], p.Out[1]
	ws := ax.src
	img := ay.src * ws
	rows := c * kh * kw
	per := max(1, min(p.Batch, convChunkFloats/((rows+m)*img)))
	work := p.Batch * m * oh * ow * rows
	splitChunks(p.Batch, per, work, func(lo, hi int, sc *convScratch) {
		nb := hi - lo
		L := nb * img
		convColumns(p, ay, ax, x, lo, nb, sc)
		sc.out = grow(sc.out, m*L)
		gemm1(false, m, L, rows, w, rows, sc.col, L, sc.out, L)
		relu := fuseRelu(p.Act)
		for n := 0; n < nb; n++ {
			for mi := 0; mi < m; mi++ {
				b := biasAt(bias, mi)
				dst := y[((lo+n)*m+mi)*oh*ow:][:oh*ow]
				biasRows(dst, sc.out[mi*L+n*img:][:img], oh, ws, ow, ow, b, relu)
			}
		}
		chunkAct(p, y[lo*m*oh*ow:hi*m*oh*ow], relu)
	})
}

// biasAt is channel mi's bias, 0 without one.
func biasAt(bias []float32, mi int) float32 {
	if bias == nil {
		return 0
	}
	return bias[mi]
}

// chunkAct applies p's activation to a chunk's output, one pass over its
// contiguous images (fewer calls and vector tails than one per channel),
// unless the write-back already fused it.
func chunkAct(p *ConvParams, done []float32, fused bool) {
	if p.Act != ActNone && !fused {
		ApplyActivation(done, done, p.Act, p.Alpha, p.Beta)
	}
}

// PhaseSplit reports whether Conv p runs on the phase-split path: two
// spatial axes, one group, not pointwise, and a phase grid that wastes at
// most fastConvWaste of the Gemm's columns. ConvWeightGrad needs it.
func (p *ConvParams) PhaseSplit() bool { return fastConvOK(p, false) }

// ConvWeightGrad adds to dw (q.OutC × q.InC·∏Kernel) the gradient of Conv
// q's weights over its batch: Σ over images of g, the gradient at q's
// (pre-activation) output, times the column matrix of in, q's input, built
// as the forward pass builds it, one Gemm per chunk of images. Chunks run
// one after another into dw, so the sums keep one order. q must take the
// phase-split path (q.PhaseSplit()); the backward passes in ops/train use
// Im2Col and Gemm for the others (and for ConvTranspose call this with its
// adjoint Conv).
func ConvWeightGrad(q *ConvParams, in, g, dw []float32) {
	if !fastConvOK(q, false) {
		panic("ops: ConvWeightGrad on a convolution that is not phase-split (see ConvParams.PhaseSplit)")
	}
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
		sc.out = grow(sc.out, m*L)
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

// convColumns builds, in sc.col, the phase-split column matrix of images
// [lo, lo+nb) of x for Conv p (fastConvOK): rows (ci, ki, kj), each one
// copy of nb·hs·ws columns (image, phase row, phase column) out of the
// phase images it first writes to sc.src.
func convColumns(p *ConvParams, ay, ax phaseAxis, x []float32, lo, nb int, sc *convScratch) {
	c := p.InC
	kh, kw := p.Kernel[0], p.Kernel[1]
	ih, iw := p.In[0], p.In[1]
	hs, ws := ay.src, ax.src
	img := hs * ws
	L := nb * img
	nph := ay.s * ax.s
	slack := ay.t*ws + ax.t
	// Phase images: [phase][c][image][hs×ws], then slack.
	sc.src = grow(sc.src, nph*c*L+slack)
	clear(sc.src[nph*c*L:])
	for ry := 0; ry < ay.s; ry++ {
		if ax.s == 2 {
			ph := ry * 2
			for ci := 0; ci < c; ci++ {
				for n := 0; n < nb; n++ {
					d0 := sc.src[((ph*c+ci)*nb+n)*img:][:img]
					d1 := sc.src[(((ph+1)*c+ci)*nb+n)*img:][:img]
					src := x[((lo+n)*c+ci)*ih*iw:][:ih*iw]
					splitPhases2(d0, d1, src, ih, iw, ay.s, ry, ay.lead, ax.lead, hs, ws)
				}
			}
			continue
		}
		for rx := 0; rx < ax.s; rx++ {
			ph := ry*ax.s + rx
			for ci := 0; ci < c; ci++ {
				for n := 0; n < nb; n++ {
					dst := sc.src[((ph*c+ci)*nb+n)*img:][:img]
					src := x[((lo+n)*c+ci)*ih*iw:][:ih*iw]
					fillPhase(dst, src, ih, iw, ay.s, ry, ay.lead, ax.s, rx, ax.lead, hs, ws)
				}
			}
		}
	}
	// Column matrix: row (ci, ki, kj) is one copy.
	rows := c * kh * kw
	sc.col = grow(sc.col, rows*L)
	r := 0
	for ci := 0; ci < c; ci++ {
		for ki := 0; ki < kh; ki++ {
			dy := ki * p.Dilations[0]
			for kj := 0; kj < kw; kj++ {
				dx := kj * p.Dilations[1]
				ph := (dy%ay.s)*ax.s + dx%ax.s
				off := (ph*c+ci)*L + (dy/ay.s)*ws + dx/ax.s
				copy(sc.col[r*L:(r+1)*L], sc.src[off:off+L])
				r++
			}
		}
	}
}

// ConvTranspose routes (see convTransposeRoute).
const (
	ctCol2Im = iota // per-image Gemm and Col2Im
	ctPhase         // convTransposeFast2D
	ctShift         // convTransposeShift2D
)

// convTransposeRoute picks ConvTranspose's path: per-image Gemm and Col2Im
// when the phase grid does not fit (fastConvOK), else the phase Gemms when
// there are at least as many output as input channels and the shifted adds
// when there are more inputs. (With the vector row movers the shifted adds
// also beat Col2Im for decoders' last layers with 1-3 output channels:
// 16→3 on 32→64 maps 0.99 → 0.37 ms, 16→1 on 14→28 0.15 → 0.08 ms.)
func convTransposeRoute(p *ConvParams) int {
	switch {
	case !fastConvOK(p, true):
		return ctCol2Im
	case p.InC <= p.OutC:
		return ctPhase
	}
	return ctShift
}

// shiftFewOut is the most output channels for which convTransposeShift2D
// makes all taps' rows with one Gemm and adds them at their shifts (the 16→1
// decoder layer: ~2× the per-tap Gemms; from 3 channels on the per-tap
// Gemms are as fast or faster).
const shiftFewOut = 2

// convTransposeShift2D is ConvTranspose for 2-D maps with more input than
// output channels (the decoders' layers). The input of a chunk of images
// is laid out with T spare rows and columns, so that each kernel tap's
// contribution Wₜᵀ·x lands in one output phase at a fixed shift: col2im
// becomes one accumulating Gemm per tap into the phase buffers, which are
// then interleaved into y with the bias and the activation.
func convTransposeShift2D(p *ConvParams, x, w, bias, y []float32) {
	c, m := p.InC, p.OutC
	kh, kw := p.Kernel[0], p.Kernel[1]
	dh, dw := p.Dilations[0], p.Dilations[1]
	sy, sx := p.Strides[0], p.Strides[1]
	ty, tx := (kh-1)*dh/sy, (kw-1)*dw/sx
	ih, iw := p.In[0], p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	hx, wx := ih+ty, iw+tx
	img := hx * wx
	nph := sy * sx
	mk := m * kh * kw
	per := max(1, min(p.Batch, convChunkFloats/((c+nph*m)*img)))
	slack := ty*wx + tx
	work := p.Batch * mk * ih * iw * c
	pair := sx == 2 && (ow-1+p.PadBegin[1])/2 < wx
	// Weights per tap, transposed-A layout: pre.w[tap][ci][mi] = w[ci][mi][tap].
	pre := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(pre)
	pre.w = grow(pre.w, kh*kw*c*m)
	for ci := 0; ci < c; ci++ {
		for mi := 0; mi < m; mi++ {
			src := w[(ci*m+mi)*kh*kw:][:kh*kw]
			for t, v := range src {
				pre.w[(t*c+ci)*m+mi] = v
			}
		}
	}
	splitChunks(p.Batch, per, work, func(lo, hi int, sc *convScratch) {
		nb := hi - lo
		L := nb * img
		sc.src = grow(sc.src, c*L)
		for ci := 0; ci < c; ci++ {
			for n := 0; n < nb; n++ {
				dst := sc.src[(ci*nb+n)*img:][:img]
				padRows(dst, x[((lo+n)*c+ci)*ih*iw:][:ih*iw], ih, iw, wx, 0, iw, wx)
				clear(dst[ih*wx:])
			}
		}
		sc.out = grow(sc.out, nph*m*L+slack)
		clear(sc.out)
		if m <= shiftFewOut {
			// Few output channels: per-tap Gemms of m rows would re-read
			// the input once per tap. One Gemm makes every tap's rows,
			// col ((mi, tap) × L) = Wᵀ·x (w is C × M·K row-major), and
			// each row is added into its output phase at its shift.
			sc.col = grow(sc.col, mk*L)
			gemm1(true, mk, L, c, w, mk, sc.src, L, sc.col, L)
			for mi := 0; mi < m; mi++ {
				for ki := 0; ki < kh; ki++ {
					for kj := 0; kj < kw; kj++ {
						ph := (ki*dh%sy)*sx + kj*dw%sx
						off := ph*m*L + mi*L + (ki*dh/sy)*wx + kj*dw/sx
						addTo(sc.out[off:off+L], sc.col[(mi*kh*kw+ki*kw+kj)*L:][:L])
					}
				}
			}
		} else {
			// Tap (ki, kj) adds Wₜᵀ·x into its output phase, shifted: a
			// Gemm accumulating (beta 1) straight into the phase buffer.
			for ki := 0; ki < kh; ki++ {
				for kj := 0; kj < kw; kj++ {
					ph := (ki*dh%sy)*sx + kj*dw%sx
					off := ph*m*L + (ki*dh/sy)*wx + kj*dw/sx
					tw := pre.w[(ki*kw+kj)*c*m:]
					gemmAcc1(true, m, L, c, tw, m, sc.src, L, sc.out[off:], L)
				}
			}
		}
		relu := pair && fuseRelu(p.Act)
		for n := 0; n < nb; n++ {
			for mi := 0; mi < m; mi++ {
				b := biasAt(bias, mi)
				dst := y[((lo+n)*m+mi)*oh*ow:][:oh*ow]
				if pair {
					// Stride 2 with every column inside the phase rows:
					// even outputs from phase r0, odd ones from the other.
					// Output rows o0, o0+sy, ... read rows ah0, ah0+1, ...
					// of the phases of row phase ry.
					r0, a := p.PadBegin[1]%2, p.PadBegin[1]/2
					for o0 := 0; o0 < min(sy, oh); o0++ {
						ry, ah0 := (o0+p.PadBegin[0])%sy, (o0+p.PadBegin[0])/sy
						rows := min((oh-o0+sy-1)/sy, max(hx-ah0, 0))
						if rows > 0 {
							at := func(rx int) []float32 { return sc.out[(ry*sx+rx)*m*L+mi*L+n*img+ah0*wx:] }
							interleave2Rows(dst[o0*ow:], at(r0)[a:], at(1 - r0)[a+r0:], rows, wx, sy*ow, ow, b, relu)
						}
						bv := b // past every tap: the bias only, rectified here when Relu is fused
						if relu && bv < 0 {
							bv = 0
						}
						for o := o0 + rows*sy; o < oh; o += sy {
							d := dst[o*ow : (o+1)*ow]
							for j := range d {
								d[j] = bv
							}
						}
					}
					continue
				}
				for o := 0; o < oh; o++ {
					d := dst[o*ow : (o+1)*ow]
					yy := o + p.PadBegin[0]
					ry, ah := yy%sy, yy/sy
					if ah >= hx { // past every tap: bias only
						for j := range d {
							d[j] = b
						}
						continue
					}
					rowAt := func(rx int) []float32 { return sc.out[(ry*sx+rx)*m*L+mi*L+n*img+ah*wx:][:wx] }
					for rx := 0; rx < sx; rx++ {
						o0 := ((rx-p.PadBegin[1])%sx + sx) % sx
						aw := (o0 + p.PadBegin[1]) / sx
						src := rowAt(rx)
						for j := o0; j < ow; j += sx {
							if aw < wx {
								d[j] = src[aw] + b
							} else {
								d[j] = b
							}
							aw++
						}
					}
				}
			}
		}
		chunkAct(p, y[lo*m*oh*ow:hi*m*oh*ow], relu)
	})
}

// convTransposeFast2D is ConvTranspose on the phase-split path (fastConvOK
// with transpose must hold): y is overwritten with
// act(convtranspose(x, w) + bias). Output phase (ry, rx) is the Gemm of the
// weights of its taps with the shifted input, so nothing is scatter-added.
func convTransposeFast2D(p *ConvParams, x, w, bias, y []float32) {
	ay, ax := axisGeom(p, 0, true), axisGeom(p, 1, true)
	c, m := p.InC, p.OutC
	kh, kw := p.Kernel[0], p.Kernel[1]
	dh, dw := p.Dilations[0], p.Dilations[1]
	ih, iw := p.In[0], p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	hs, ws := ay.src, ax.src
	img := hs * ws
	nph := ay.s * ax.s
	// Taps per phase: the most any phase has bounds the column matrix.
	maxTaps := 0
	for ry := 0; ry < ay.s; ry++ {
		for rx := 0; rx < ax.s; rx++ {
			maxTaps = max(maxTaps, phaseTaps(kh, dh, ay.s, ry)*phaseTaps(kw, dw, ax.s, rx))
		}
	}
	maxRows := c * maxTaps
	// Once per call: each phase's taps (their source offsets) and weights,
	// A[mi][(ci, tap)] = w[ci][mi][ki][kj], shared read-only by the workers.
	pre := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(pre)
	pre.w = grow(pre.w, m*c*kh*kw)
	pre.offs = grow(pre.offs, kh*kw+2*nph+1)
	taps := pre.offs[:0]
	tapLo := pre.offs[kh*kw : kh*kw+nph+1] // phase ph's taps are taps[tapLo[ph]:tapLo[ph+1]]
	wLo := pre.offs[kh*kw+nph+1:]          // and its weights start at pre.w[wLo[ph]]
	wn := 0
	for ry := 0; ry < ay.s; ry++ {
		for rx := 0; rx < ax.s; rx++ {
			ph := ry*ax.s + rx
			tapLo[ph] = len(taps)
			wLo[ph] = wn
			for ki := 0; ki < kh; ki++ {
				if ki*dh%ay.s != ry {
					continue
				}
				for kj := 0; kj < kw; kj++ {
					if kj*dw%ax.s == rx {
						taps = append(taps, ki*kw+kj)
					}
				}
			}
			for mi := 0; mi < m; mi++ {
				for ci := 0; ci < c; ci++ {
					for _, kk := range taps[tapLo[ph]:] {
						pre.w[wn] = w[(ci*m+mi)*kh*kw+kk]
						wn++
					}
				}
			}
		}
	}
	tapLo[nph] = len(taps)
	per := max(1, min(p.Batch, convChunkFloats/((maxRows+nph*m)*img)))
	slack := ay.t*ws + ax.t
	work := p.Batch * m * ih * iw * c * kh * kw
	splitChunks(p.Batch, per, work, func(lo, hi int, sc *convScratch) {
		nb := hi - lo
		L := nb * img
		// Shifted input: [c][image][hs×ws], then slack.
		sc.src = grow(sc.src, c*L+slack)
		clear(sc.src[c*L:])
		for ci := 0; ci < c; ci++ {
			for n := 0; n < nb; n++ {
				fillPhase(sc.src[(ci*nb+n)*img:][:img], x[((lo+n)*c+ci)*ih*iw:][:ih*iw], ih, iw, 1, 0, ay.lead, 1, 0, ax.lead, hs, ws)
			}
		}
		sc.col = grow(sc.col, maxRows*L)
		sc.out = grow(sc.out, nph*m*L)
		for ph := 0; ph < nph; ph++ {
			pt := taps[tapLo[ph]:tapLo[ph+1]]
			if len(pt) == 0 {
				continue
			}
			rows := 0
			for ci := 0; ci < c; ci++ {
				for _, kk := range pt {
					ki, kj := kk/kw, kk%kw
					off := ci*L + (ay.t-ki*dh/ay.s)*ws + ax.t - kj*dw/ax.s
					copy(sc.col[rows*L:(rows+1)*L], sc.src[off:off+L])
					rows++
				}
			}
			gemm1(false, m, L, rows, pre.w[wLo[ph]:], rows, sc.col, L, sc.out[ph*m*L:], L)
		}
		for n := 0; n < nb; n++ {
			for mi := 0; mi < m; mi++ {
				b := biasAt(bias, mi)
				dst := y[((lo+n)*m+mi)*oh*ow:][:oh*ow]
				for o := 0; o < oh; o++ {
					d := dst[o*ow : (o+1)*ow]
					yy := o + p.PadBegin[0]
					ry := yy % ay.s
					ah := yy/ay.s - ay.a0
					for rx := 0; rx < ax.s; rx++ {
						o0 := ((rx-p.PadBegin[1])%ax.s + ax.s) % ax.s
						if o0 >= ow {
							continue
						}
						if ph := ry*ax.s + rx; tapLo[ph] == tapLo[ph+1] {
							for j := o0; j < ow; j += ax.s {
								d[j] = b
							}
							continue
						}
						aw := (o0+p.PadBegin[1])/ax.s - ax.a0
						src := sc.out[(ry*ax.s+rx)*m*L+mi*L+n*img+ah*ws:][:ws]
						for j := o0; j < ow; j += ax.s {
							d[j] = src[aw] + b
							aw++
						}
					}
				}
			}
		}
		chunkAct(p, y[lo*m*oh*ow:hi*m*oh*ow], false)
	})
}

// phaseTaps is the number of kernel offsets k < K with k·d ≡ r (mod s).
func phaseTaps(k, d, s, r int) int {
	n := 0
	for i := 0; i < k; i++ {
		if i*d%s == r {
			n++
		}
	}
	return n
}
