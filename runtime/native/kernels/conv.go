package kernels

// Conv and ConvTranspose over N×C×D1…Dn float tensors (any n ≥ 1), on
// ops.Conv / ops.ConvTranspose (im2col or col2im plus ops.Gemm).

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Conv", Inputs: floatInputs, Infer: inferConv, Build: buildConv}, 1, 11)
	operators.Register(operators.Op{Type: "ConvTranspose", Inputs: floatInputs, Infer: inferConvTranspose, Build: buildConvTranspose}, 1, 11)
}

// convInputs fetches and checks X, W and the optional bias B of a
// convolution. wOutAxis is the axis of W holding output channels (per
// group): 0 for Conv, 1 for ConvTranspose.
func convInputs(n *graph.Node, in []*ops.Tensor) (x, w, b *ops.Tensor, err error) {
	if x, err = requiredInput(n, in, 0, "X"); err != nil {
		return
	}
	if w, err = requiredInput(n, in, 1, "W"); err != nil {
		return
	}
	if b = optionalInput(in, 2); b != nil {
		if err = b.Validate(); err != nil {
			err = fmt.Errorf("node %s: input B: %w", n.Label(), err)
			return
		}
	}
	if err = checkFloat(n, x, "X"); err != nil {
		return
	}
	if w.DType != x.DType || (b != nil && b.DType != x.DType) {
		err = fmt.Errorf("node %s: X, W and B must share one type, got %v, %v and %v", n.Label(), x.DType, w.DType, b)
		return
	}
	if _, err = checkSpatial(n, x, "X", 1); err != nil {
		return
	}
	if w.Rank() != x.Rank() {
		err = fmt.Errorf("node %s: W of shape %s should have the rank of X %s", n.Label(), ops.ShapeString(w.Shape), ops.ShapeString(x.Shape))
	}
	return
}

func buildConv(n *graph.Node, opset int64) (operators.Kernel, error) {
	win, group, err := parseConvWindow(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, w, b, err := convInputs(n, in)
		if err != nil {
			return nil, err
		}
		p, err := convGeometry(n, win, int(group), x.Shape, w.Shape, b)
		if err != nil {
			return nil, err
		}
		if x.DType == ops.Float64 {
			// Double-precision models keep their precision.
			y := env.New(ops.Float64, append([]int{p.Batch, p.OutC}, p.Out...)...)
			var bias []float64
			if b != nil {
				bias = b.F64()
			}
			ops.ConvF64(p, x.F64(), w.F64(), bias, y.F64())
			return []*ops.Tensor{y}, nil
		}
		out := newFloatOutput(env, x.DType, append([]int{p.Batch, p.OutC}, p.Out...))
		var bias []float32
		if b != nil {
			bias = float32s(b)
		}
		ops.Conv(p, float32s(x), float32s(w), bias, out.f, scratchFloats(env, p.ScratchSize(false)))
		return []*ops.Tensor{out.done()}, nil
	}, nil
}

// scratchFloats returns n float32s of scratch from the run's buffer pool (the
// executor recycles buffers a kernel allocates but does not return), or
// nil for none. The contents are arbitrary.
func scratchFloats(env *operators.Env, n int) []float32 {
	if n <= 0 {
		return nil
	}
	return env.New(ops.Float32, n).F32()
}

// convGeometry checks the shapes of a convolution's X (N×C×D…), W
// (M×C/group×K…) and optional bias and resolves the window against them.
func convGeometry(n *graph.Node, win *window, g int, xs, ws []int, b *ops.Tensor) (*ops.ConvParams, error) {
	nb, c := xs[0], xs[1]
	m := ws[0]
	if c%g != 0 || m%g != 0 {
		return nil, fmt.Errorf("node %s: group %d must divide input channels %d and output channels %d", n.Label(), g, c, m)
	}
	if ws[1] != c/g {
		return nil, fmt.Errorf("node %s: W of shape %s expects %d input channels per group, X %s has %d (group %d)",
			n.Label(), ops.ShapeString(ws), ws[1], ops.ShapeString(xs), c/g, g)
	}
	if b != nil && b.Len() != m {
		return nil, fmt.Errorf("node %s: B must have %d elements (one per output channel), has shape %s", n.Label(), m, ops.ShapeString(b.Shape))
	}
	geo, err := win.resolve(n, xs[2:], ws[2:])
	if err != nil {
		return nil, err
	}
	p := &ops.ConvParams{Batch: nb, InC: c, OutC: m, Group: g, In: xs[2:], Kernel: geo.kernel, Out: geo.out,
		Strides: geo.strides, Dilations: geo.dilations, PadBegin: geo.padBegin}
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return p, nil
}

func buildConvTranspose(n *graph.Node, opset int64) (operators.Kernel, error) {
	return buildConvTransposeAct(n, ops.ActNone, 0, 0)
}

// buildConvTransposeAct compiles ConvTranspose with the activation act
// applied inside ops.ConvTranspose (the FusedConvTranspose fast path; its
// callers pass float32 inputs only, so the activation runs in float32).
func buildConvTransposeAct(n *graph.Node, act ops.Act, actAlpha, actBeta float32) (operators.Kernel, error) {
	win, group, err := parseConvWindow(n)
	if err != nil {
		return nil, err
	}
	outPad, err := intsAttr(n, "output_padding")
	if err != nil {
		return nil, err
	}
	outShape, err := intsAttr(n, "output_shape")
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, w, b, err := convInputs(n, in)
		if err != nil {
			return nil, err
		}
		g := int(group)
		nb, c := x.Shape[0], x.Shape[1]
		if w.Shape[0] != c {
			return nil, fmt.Errorf("node %s: W of shape %s should have %d (input channels) on axis 0", n.Label(), ops.ShapeString(w.Shape), c)
		}
		if c%g != 0 {
			return nil, fmt.Errorf("node %s: group %d must divide input channels %d", n.Label(), g, c)
		}
		m := w.Shape[1] * g
		if b != nil && b.Len() != m {
			return nil, fmt.Errorf("node %s: B must have %d elements (one per output channel), has shape %s", n.Label(), m, ops.ShapeString(b.Shape))
		}
		spIn, kernel := x.Shape[2:], w.Shape[2:]
		strides, dil, padB, out, err := win.transposeGeometry(n, spIn, kernel, outPad, outShape)
		if err != nil {
			return nil, err
		}
		p := &ops.ConvParams{Batch: nb, InC: c, OutC: m, Group: g, In: spIn, Kernel: kernel, Out: out,
			Strides: strides, Dilations: dil, PadBegin: padB, Act: act, Alpha: actAlpha, Beta: actBeta}
		if err := p.Check(); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		o := newFloatOutput(env, x.DType, append([]int{nb, m}, out...))
		var bias []float32
		if b != nil {
			bias = float32s(b)
		}
		ops.ConvTranspose(p, float32s(x), float32s(w), bias, o.f, scratchFloats(env, p.ScratchSize(true)))
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func init() {
	operators.Register(operators.Op{Type: "Col2Im", Infer: inferCol2Im, Build: buildCol2Im}, 18)
}

// buildCol2Im is the ONNX Col2Im operator: input N×(C·∏block)×L columns,
// image_shape and block_shape inputs, folded with ops.Col2Im.
// inferCol2Im: input [N, C·∏block, L] folds into [N, C, image_shape…];
// the spatial sizes come from the constant image_shape, C from the
// constant block_shape.
func inferCol2Im(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	x := in[0]
	if operators.RankKnown(x) && len(x.Shape) != 3 {
		return nil, fmt.Errorf("input %s must be N×(C·∏block)×L", x.Shape)
	}
	img, imgOK := c.Ints(n, 1)
	block, blockOK := c.Ints(n, 2)
	if !imgOK {
		if s := in[1]; operators.RankKnown(s) && len(s.Shape) == 1 && s.Shape[0].Known() {
			return one(rankOnly(x.DType, 2+s.Shape[0].Value)), nil
		}
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	out := graph.Shape{operators.UnknownDim, operators.UnknownDim}
	if operators.RankKnown(x) {
		out[0] = x.Shape[0]
		if blockOK {
			if len(block) != len(img) {
				return nil, fmt.Errorf("image_shape %v and block_shape %v must have equal length", img, block)
			}
			kb := int64(1)
			for _, b := range block {
				if b <= 0 {
					return nil, fmt.Errorf("block_shape %v must be positive", block)
				}
				kb *= b
			}
			var err error
			if out[1], err = dividedDim(x.Shape[1], kb, "input axis 1"); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range img {
		if d <= 0 {
			return nil, fmt.Errorf("image_shape %v must be positive", img)
		}
		out = append(out, operators.KnownDim(d))
	}
	return one(ranked(x.DType, out)), nil
}

func buildCol2Im(n *graph.Node, opset int64) (operators.Kernel, error) {
	win, err := parseWindow(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		var dims [2][]int
		for i, name := range []string{"image_shape", "block_shape"} {
			t, err := requiredInput(n, in, 1+i, name)
			if err != nil {
				return nil, err
			}
			v, err := intListInput(n, t, name)
			if err != nil {
				return nil, err
			}
			for _, d := range v {
				if d <= 0 || d > 1<<31 {
					return nil, fmt.Errorf("node %s: %s %v must be positive", n.Label(), name, v)
				}
				dims[i] = append(dims[i], int(d))
			}
		}
		img, block := dims[0], dims[1]
		nd := len(img)
		if nd == 0 || len(block) != nd {
			return nil, fmt.Errorf("node %s: image_shape %v and block_shape %v must be non-empty and of equal length", n.Label(), img, block)
		}
		if x.Rank() != 3 {
			return nil, fmt.Errorf("node %s: input must be N×(C·∏block)×L, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		w := *win
		w.kernel, w.autoPad = nil, "NOTSET"
		geo, err := w.resolve(n, img, block)
		if err != nil {
			return nil, err
		}
		kb := ops.NumElements(block)
		if x.Shape[1]%kb != 0 {
			return nil, fmt.Errorf("node %s: input axis 1 (%d) is not a multiple of the block size %d", n.Label(), x.Shape[1], kb)
		}
		if l := ops.NumElements(geo.out); x.Shape[2] != l {
			return nil, fmt.Errorf("node %s: input has %d columns, the geometry gives %d block positions %v", n.Label(), x.Shape[2], l, geo.out)
		}
		c := x.Shape[1] / kb
		g := &ops.ConvGeom{C: c, Image: img, Kernel: block, Out: geo.out, Strides: geo.strides, Dilations: geo.dilations, PadBegin: geo.padBegin}
		o := newFloatOutput(env, x.DType, append([]int{x.Shape[0], c}, img...))
		xs := float32s(x)
		per, imSz := x.Shape[1]*x.Shape[2], c*ops.NumElements(img)
		for b := 0; b < x.Shape[0]; b++ {
			ops.Col2Im(g, xs[b*per:(b+1)*per], o.f[b*imSz:(b+1)*imSz])
		}
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

// convInputs checks what Conv and ConvTranspose share: the X and W inputs
// of the same rank ≥ 3 and a group ≥ 1. known is false (and the output only
// typed, as x.DType) when either rank is unknown.
func convShapes(n *graph.Node, in []graph.ValueInfo) (x, w graph.ValueInfo, group int64, known bool, err error) {
	if err := needInputs(n, in, 2); err != nil {
		return x, w, 0, false, err
	}
	if err := sameElemType(in); err != nil {
		return x, w, 0, false, err
	}
	x, w = in[0], in[1]
	if !operators.RankKnown(x) || !operators.RankKnown(w) {
		return x, w, 0, false, nil
	}
	if len(x.Shape) < 3 || len(w.Shape) != len(x.Shape) {
		return x, w, 0, false, fmt.Errorf("X %s and W %s must have the same rank ≥ 3", x.Shape, w.Shape)
	}
	if group, err = n.Int("group", 1); err != nil {
		return x, w, 0, false, err
	}
	if group < 1 {
		return x, w, 0, false, fmt.Errorf("group %d must be ≥ 1", group)
	}
	return x, w, group, true, nil
}

// inferConv is Conv's rule: X and W share a type and a rank ≥ 3, X's
// channels are W's input channels times group, and the spatial output
// sizes come from the window fit the kernel uses.
func inferConv(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	x, w, group, known, err := convShapes(n, in)
	if err != nil {
		return nil, err
	}
	if !known {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	win, _, err := parseConvWindow(n)
	if err != nil {
		return nil, err
	}
	xs, xok := x.Shape.Concrete()
	ws, wok := w.Shape.Concrete()
	if xok && wok {
		// Static shapes: exactly the kernel's checks and geometry.
		p, err := convGeometry(n, win, int(group), xs, ws, nil)
		if err != nil {
			return nil, err
		}
		return one(ranked(x.DType, graph.ShapeOf(append([]int{p.Batch, p.OutC}, p.Out...)...))), nil
	}
	if cx, cw := x.Shape[1], w.Shape[1]; cx.Known() && cw.Known() && cx.Value != cw.Value*group {
		return nil, fmt.Errorf("X has %d channels but W %s with group %d expects %d", cx.Value, w.Shape, group, cw.Value*group)
	}
	sp, err := win.outShape(n, x.Shape[2:], w.Shape[2:])
	if err != nil {
		return nil, err
	}
	return one(ranked(x.DType, append(graph.Shape{x.Shape[0], w.Shape[0]}, sp...))), nil
}

// inferConvTranspose is ConvTranspose's rule: the output channels are W's
// times group, and the spatial sizes come from the geometry the kernel
// resolves (output_shape, or pads / auto_pad and output_padding) when the
// input's spatial sizes and the kernel are known.
func inferConvTranspose(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	x, w, group, known, err := convShapes(n, in)
	if err != nil {
		return nil, err
	}
	if !known {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	if _, err := operators.MergeDim(x.Shape[1], w.Shape[0]); err != nil {
		return nil, fmt.Errorf("X %s has %s channels but W %s expects %s", x.Shape, x.Shape[1], w.Shape, w.Shape[0])
	}
	win, _, err := parseConvWindow(n)
	if err != nil {
		return nil, err
	}
	outPad, err := intsAttr(n, "output_padding")
	if err != nil {
		return nil, err
	}
	outShape, err := intsAttr(n, "output_shape")
	if err != nil {
		return nil, err
	}
	mc := operators.UnknownDim
	if w.Shape[1].Known() {
		mc = operators.KnownDim(w.Shape[1].Value * group)
	}
	nd := len(x.Shape) - 2
	sp := make(graph.Shape, nd)
	for i := range sp {
		sp[i] = operators.UnknownDim
	}
	spIn, okIn := x.Shape[2:].Concrete()
	kernel, okK := w.Shape[2:].Concrete()
	if okIn && okK {
		_, _, _, out, err := win.transposeGeometry(n, spIn, kernel, outPad, outShape)
		if err != nil {
			return nil, err
		}
		for i, o := range out {
			sp[i] = operators.KnownDim(int64(o))
		}
	} else if outShape != nil && (len(outShape) == nd || len(outShape) == nd+2) {
		for i := range sp {
			sp[i] = operators.KnownDim(int64(outShape[len(outShape)-nd+i]))
		}
	}
	return one(ranked(x.DType, append(graph.Shape{x.Shape[0], mc}, sp...))), nil
}
