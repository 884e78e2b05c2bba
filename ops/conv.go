package ops

import "fmt"

// ConvGeom is the geometry Im2Col and Col2Im share: an image of C channels
// with spatial dims Image (row-major, channel-major: C×Image[0]×…), a kernel
// of spatial dims Kernel slid with Strides and Dilations over the image
// padded by PadBegin zeros at the start of each axis, visiting Out
// positions per axis. Trailing padding is implied by Out.
//
// The column matrix has C·∏Kernel rows (channel-major, then kernel
// offsets in row-major order) and ∏Out columns.
type ConvGeom struct {
	C                            int
	Image, Kernel, Out           []int
	Strides, Dilations, PadBegin []int
}

// ColRows is the number of rows of the column matrix.
func (g *ConvGeom) ColRows() int { return g.C * NumElements(g.Kernel) }

// ColCols is the number of columns of the column matrix.
func (g *ConvGeom) ColCols() int { return NumElements(g.Out) }

// Im2Col unfolds img (C×Image) into col (ColRows×ColCols): col[(c,k), o]
// is the image element under kernel offset k at output position o, or 0
// where that falls in the padding. Every element of col is written.
func Im2Col(g *ConvGeom, img, col []float32) { im2colWalk(g, img, col, false) }

// Col2Im is the adjoint of Im2Col: it zeroes img (C×Image) and then adds
// every element of col into the image position Im2Col would have read it
// from; values that map into the padding are dropped. The trainer uses it
// for the input gradient of a convolution, ConvTranspose for its forward.
func Col2Im(g *ConvGeom, col, img []float32) {
	clear(img[:g.C*NumElements(g.Image)])
	im2colWalk(g, img, col, true)
}

func im2colWalk[T float32 | float64 | int32](g *ConvGeom, img, col []T, back bool) {
	nd := len(g.Image)
	if nd == 2 {
		im2col2D(g, img, col, back) // conv_fast.go
		return
	}
	kSize := NumElements(g.Kernel)
	oSize := NumElements(g.Out)
	imSize := NumElements(g.Image)
	last := nd - 1
	ow, iw := g.Out[last], g.Image[last]
	sw, dw, pw := g.Strides[last], g.Dilations[last], g.PadBegin[last]
	if ow == 0 || oSize == 0 {
		return
	}
	outer := oSize / ow
	imStr := Strides(g.Image)
	kIdx := make([]int, nd)
	oIdx := make([]int, nd)
	row := 0
	for c := 0; c < g.C; c++ {
		base := img[c*imSize : (c+1)*imSize]
		clear(kIdx)
		for kp := 0; kp < kSize; kp++ {
			dst := col[row*oSize : (row+1)*oSize]
			clear(oIdx)
			x0 := kIdx[last]*dw - pw
			for o := 0; o < outer; o++ {
				seg := dst[o*ow : (o+1)*ow]
				off, valid := 0, true
				for d := 0; d < last; d++ {
					ix := oIdx[d]*g.Strides[d] + kIdx[d]*g.Dilations[d] - g.PadBegin[d]
					if ix < 0 || ix >= g.Image[d] {
						valid = false
						break
					}
					off += ix * imStr[d]
				}
				switch {
				case !valid:
					if !back {
						clear(seg)
					}
				case back:
					line := base[off : off+iw]
					for j, v := range seg {
						if ix := x0 + j*sw; uint(ix) < uint(iw) {
							line[ix] += v
						}
					}
				case sw == 1:
					line := base[off : off+iw]
					lo, hi := max(0, -x0), min(ow, iw-x0)
					if hi <= lo {
						clear(seg)
						break
					}
					clear(seg[:lo])
					copy(seg[lo:hi], line[x0+lo:x0+hi])
					clear(seg[hi:])
				default:
					line := base[off : off+iw]
					for j := range seg {
						if ix := x0 + j*sw; uint(ix) < uint(iw) {
							seg[j] = line[ix]
						} else {
							seg[j] = 0
						}
					}
				}
				for d := last - 1; d >= 0; d-- {
					oIdx[d]++
					if oIdx[d] < g.Out[d] {
						break
					}
					oIdx[d] = 0
				}
			}
			row++
			for d := last; d >= 0; d-- {
				kIdx[d]++
				if kIdx[d] < g.Kernel[d] {
					break
				}
				kIdx[d] = 0
			}
		}
	}
}

// ConvOutSize is the number of positions a kernel of size k with the given
// stride and dilation visits along an axis of length in padded by padBegin
// and padEnd (floor rounding); it may be <= 0 for too small inputs.
func ConvOutSize(in, k, stride, dilation, padBegin, padEnd int) int {
	ek := (k-1)*dilation + 1
	span := in + padBegin + padEnd - ek
	if span < 0 {
		return 0
	}
	return span/stride + 1
}

// ConvParams describes an N-d convolution (or transposed convolution) over
// channel-first tensors: X is Batch×InC×In…, Y is Batch×OutC×Out….
//
// For Conv, W is OutC×(InC/Group)×Kernel…; for ConvTranspose, W is
// InC×(OutC/Group)×Kernel… and In/Out are the transposed convolution's own
// input and output dims. PadBegin is the leading padding of each spatial
// axis; the trailing padding is whatever makes Out consistent.
// Bias (optional) has one value per output channel; Act, Alpha and Beta
// select a fused activation applied last (see Epilogue).
type ConvParams struct {
	Batch, InC, OutC, Group      int
	In, Kernel, Out              []int
	Strides, Dilations, PadBegin []int
	Act                          Act
	Alpha, Beta                  float32
}

// Check reports inconsistent parameters (rank mismatches, channel counts not
// divisible by Group, non-positive strides or dilations).
func (p *ConvParams) Check() error {
	nd := len(p.In)
	if nd == 0 {
		return fmt.Errorf("convolution needs at least one spatial axis")
	}
	if len(p.Kernel) != nd || len(p.Out) != nd || len(p.Strides) != nd || len(p.Dilations) != nd || len(p.PadBegin) != nd {
		return fmt.Errorf("convolution parameters disagree on the number of spatial axes (in %d, kernel %d, out %d, strides %d, dilations %d, pads %d)",
			nd, len(p.Kernel), len(p.Out), len(p.Strides), len(p.Dilations), len(p.PadBegin))
	}
	if p.Group <= 0 || p.InC%p.Group != 0 || p.OutC%p.Group != 0 {
		return fmt.Errorf("group %d must be positive and divide input channels %d and output channels %d", p.Group, p.InC, p.OutC)
	}
	for i := 0; i < nd; i++ {
		if p.Strides[i] <= 0 || p.Dilations[i] <= 0 {
			return fmt.Errorf("strides %v and dilations %v must be positive", p.Strides, p.Dilations)
		}
		if p.Kernel[i] <= 0 || p.In[i] < 0 || p.Out[i] < 0 {
			return fmt.Errorf("kernel %v, input %v and output %v dims must be non-negative (kernel positive)", p.Kernel, p.In, p.Out)
		}
	}
	return nil
}

// Pointwise reports whether the convolution is a per-pixel channel mix:
// every kernel dim 1, stride 1, no padding, output dims equal to input dims.
// Such a convolution needs no column matrix (ColSize is 0).
func (p *ConvParams) Pointwise() bool {
	for i := range p.In {
		if p.Kernel[i] != 1 || p.Strides[i] != 1 || p.PadBegin[i] != 0 || p.In[i] != p.Out[i] {
			return false
		}
	}
	return true
}

// as2D returns a 1-D convolution as the 2-D one of height 1 it is (same
// memory layout of x, w and y), so it takes the 2-D paths (direct,
// pointwise, phase split); ok is false for other ranks.
func (p *ConvParams) as2D() (*ConvParams, bool) {
	if len(p.In) != 1 {
		return nil, false
	}
	q := *p
	q.In, q.Kernel, q.Out = []int{1, p.In[0]}, []int{1, p.Kernel[0]}, []int{1, p.Out[0]}
	q.Strides, q.Dilations, q.PadBegin = []int{1, p.Strides[0]}, []int{1, p.Dilations[0]}, []int{0, p.PadBegin[0]}
	return &q, true
}

// ScratchSize is the length of the col scratch Conv (transpose false) or
// ConvTranspose needs on the path it takes for p: ColSize for the
// im2col/col2im paths, 0 for the others (direct grouped, pointwise,
// phase split, shifted adds), which need none or keep their own.
func (p *ConvParams) ScratchSize(transpose bool) int {
	q := p
	if q2, ok := p.as2D(); ok {
		q = q2
	}
	if transpose {
		if convTransposeRoute(q) != ctCol2Im {
			return 0
		}
		return q.ColSize(true)
	}
	if convDirectOK(q) || (q.Group == 1 && q.Pointwise()) || fastConvOK(q, false) {
		return 0
	}
	return q.ColSize(false)
}

// ColSize is the length of the scratch buffer Conv and ConvTranspose need
// (0 when the convolution is pointwise and needs none).
func (p *ConvParams) ColSize(transpose bool) int {
	if p.Pointwise() {
		return 0
	}
	k := NumElements(p.Kernel)
	if transpose {
		return p.OutC / p.Group * k * NumElements(p.In)
	}
	return p.InC / p.Group * k * NumElements(p.Out)
}

// Conv computes y = act(conv(x, w) + bias) for Batch images with im2col and
// Gemm, one group at a time. col is scratch of at least p.ColSize(false)
// elements (nil allocates). bias may be nil. y is overwritten.
func Conv(p *ConvParams, x, w, bias, y, col []float32) {
	if q, ok := p.as2D(); ok {
		Conv(q, x, w, bias, y, col)
		return
	}
	if convDirectOK(p) {
		convDirect(p, x, w, bias, y) // conv_direct.go
		return
	}
	if p.Group == 1 && p.Pointwise() {
		convPointwise(p, x, w, bias, y) // conv_pointwise.go
		return
	}
	if fastConvOK(p, false) {
		convFast2D(p, x, w, bias, y) // conv_fast2d.go
		return
	}
	convIm2Col(p, x, w, bias, y, col)
}

// convIm2Col is Conv through a per-image im2col and Gemm (any rank, groups).
func convIm2Col(p *ConvParams, x, w, bias, y, col []float32) {
	l := p.layout(false, col)
	cg, mg, inSz, outSz, kk, pw, g := l.cg, l.mg, l.inSz, l.outSz, l.k, l.pw, &l.g
	convBatches(p.Batch, p.ColSize(false), p.Batch*p.OutC*outSz*kk, l.col, func(lo, hi int, col []float32) {
		for n := lo; n < hi; n++ {
			for gi := 0; gi < p.Group; gi++ {
				xg := x[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
				yg := y[(n*p.OutC+gi*mg)*outSz : (n*p.OutC+(gi+1)*mg)*outSz]
				src := xg
				if !pw {
					Im2Col(g, xg, col)
					src = col
				}
				if outSz == 0 || mg == 0 {
					continue
				}
				Gemm(false, false, mg, outSz, kk, 1, w[gi*mg*kk:], kk, src, outSz, 0, yg, outSz)
			}
		}
	})
	convEpilogue(p, bias, y)
}

// ConvTranspose computes y = act(convtranspose(x, w) + bias): for each
// image and group, col = Wᵀ·x then Col2Im into y. col is scratch of at least
// p.ColSize(true) elements (nil allocates). bias may be nil; y is
// overwritten.
func ConvTranspose(p *ConvParams, x, w, bias, y, col []float32) {
	if q, ok := p.as2D(); ok {
		ConvTranspose(q, x, w, bias, y, col)
		return
	}
	switch convTransposeRoute(p) { // conv_fast2d.go
	case ctShift:
		convTransposeShift2D(p, x, w, bias, y)
		return
	case ctPhase:
		convTransposeFast2D(p, x, w, bias, y)
		return
	}
	convTransposeCol2Im(p, x, w, bias, y, col)
}

// convTransposeCol2Im is ConvTranspose through a per-image Gemm and Col2Im
// (any rank, groups).
func convTransposeCol2Im(p *ConvParams, x, w, bias, y, col []float32) {
	l := p.layout(true, col)
	cg, mg, inSz, outSz, mk, pw, g := l.cg, l.mg, l.inSz, l.outSz, l.k, l.pw, &l.g
	convBatches(p.Batch, p.ColSize(true), p.Batch*p.Group*mk*inSz*cg, l.col, func(lo, hi int, col []float32) {
		for n := lo; n < hi; n++ {
			for gi := 0; gi < p.Group; gi++ {
				xg := x[(n*p.InC+gi*cg)*inSz : (n*p.InC+(gi+1)*cg)*inSz]
				yg := y[(n*p.OutC+gi*mg)*outSz : (n*p.OutC+(gi+1)*mg)*outSz]
				wg := w[gi*cg*mk : (gi+1)*cg*mk]
				if pw {
					if mk*inSz > 0 {
						Gemm(true, false, mk, inSz, cg, 1, wg, mk, xg, inSz, 0, yg, inSz)
					}
					continue
				}
				if mk*inSz > 0 {
					Gemm(true, false, mk, inSz, cg, 1, wg, mk, xg, inSz, 0, col, inSz)
				} else {
					clear(col[:mk*inSz])
				}
				Col2Im(g, col, yg)
			}
		}
	})
	convEpilogue(p, bias, y)
}

// convEpilogue adds the per-channel bias and applies the activation.
func convEpilogue(p *ConvParams, bias, y []float32) {
	if bias == nil && p.Act == ActNone {
		return
	}
	outSz := NumElements(p.Out)
	if outSz == 0 {
		return
	}
	for n := 0; n < p.Batch; n++ {
		for m := 0; m < p.OutC; m++ {
			row := y[(n*p.OutC+m)*outSz : (n*p.OutC+m+1)*outSz]
			if bias != nil {
				b := bias[m]
				for i := range row {
					row[i] += b
				}
			}
			if p.Act != ActNone {
				ApplyActivation(row, row, p.Act, p.Alpha, p.Beta)
			}
		}
	}
}

// Conv2D is Conv for two spatial axes (NCHW input, MCkHkW weights); it
// allocates its own scratch. It panics if p does not have two spatial axes.
func Conv2D(p *ConvParams, x, w, bias, y []float32) {
	if len(p.In) != 2 {
		panic(fmt.Sprintf("ops: Conv2D with %d spatial axes", len(p.In)))
	}
	Conv(p, x, w, bias, y, nil)
}

// convLayout is the per-group geometry the im2col convolution passes
// (forward and backward, Conv and ConvTranspose) start from: channels per
// group in and out, image sizes, the length k of a weight row (cg·K for
// Conv, mg·K for ConvTranspose), whether the convolution is pointwise,
// the im2col geometry of the side that is unfolded, and column scratch of
// at least ColSize(transpose) elements.
type convLayout struct {
	cg, mg, inSz, outSz, k int
	pw                     bool
	g                      ConvGeom
	col                    []float32
}

// layout returns p's convLayout for Conv (transpose false) or
// ConvTranspose, allocating col when it is too short for a non-pointwise
// convolution.
func (p *ConvParams) layout(transpose bool, col []float32) convLayout {
	l := p.geometry(transpose)
	if !l.pw && len(col) < p.ColSize(transpose) {
		col = make([]float32, p.ColSize(transpose))
	}
	l.col = col
	return l
}

// geometry is layout without the column scratch, for the passes that
// unfold into scratch of another element type (ConvInt32, ConvF64).
func (p *ConvParams) geometry(transpose bool) convLayout {
	l := convLayout{cg: p.InC / p.Group, mg: p.OutC / p.Group, inSz: NumElements(p.In), outSz: NumElements(p.Out), pw: p.Pointwise(), g: p.GroupGeom(transpose)}
	l.k = l.g.ColRows()
	return l
}

// GroupGeom is the Im2Col geometry of one group of one image: for Conv
// (transpose false) its input, InC/Group channels unfolded over the output
// positions; for ConvTranspose its output, OutC/Group channels that Col2Im
// folds the columns of its input positions into. ColRows is then the length
// of one weight row (one output channel of Conv, one input channel of
// ConvTranspose).
func (p *ConvParams) GroupGeom(transpose bool) ConvGeom {
	if transpose {
		return ConvGeom{C: p.OutC / p.Group, Image: p.Out, Kernel: p.Kernel, Out: p.In, Strides: p.Strides, Dilations: p.Dilations, PadBegin: p.PadBegin}
	}
	return ConvGeom{C: p.InC / p.Group, Image: p.In, Kernel: p.Kernel, Out: p.Out, Strides: p.Strides, Dilations: p.Dilations, PadBegin: p.PadBegin}
}
