package kernels

// DeformConv (opsets 19, 22): a 2-d convolution whose taps are shifted by
// learned per-position offsets (and scaled by an optional mask), as in
// deformable ConvNets v1/v2 and torchvision.ops.deform_conv2d:
// ops.DeformIm2Col samples the columns, ops.Gemm multiplies each group's
// weights into them. Its shape rule is Conv's.

import (
	"fmt"
	"slices"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "DeformConv", Inputs: floatInputs, Infer: inferConv, Build: buildDeformConv}, 19)
	operators.Register(operators.Op{Type: "DeformConv", Inputs: anyFloatInputs, Infer: inferConv, Build: buildDeformConv}, 22)
}

func buildDeformConv(n *graph.Node, opset int64) (operators.Kernel, error) {
	win, group, err := parseConvWindow(n)
	if err != nil {
		return nil, err
	}
	og, err := n.Int("offset_group", 1)
	if err != nil {
		return nil, err
	}
	if og < 1 {
		return nil, fmt.Errorf("node %s: offset_group %d must be positive", n.Label(), og)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins := make([]*ops.Tensor, 5)
		for i, name := range []string{"X", "W", "offset", "B", "mask"} {
			if t := optionalInput(in, i); t != nil {
				if err := checkAnyFloat(n, t, name); err != nil {
					return nil, err
				}
				ins[i] = t
			} else if i < 3 {
				return nil, fmt.Errorf("node %s: input %s is required", n.Label(), name)
			}
		}
		x, w, off, b, mask := ins[0], ins[1], ins[2], ins[3], ins[4]
		if x.Rank() != 4 || w.Rank() != 4 {
			return nil, fmt.Errorf("node %s: only 2-d deformable convolution is supported: X must be N×C×H×W and W oC×C/group×kH×kW, got %s and %s",
				n.Label(), ops.ShapeString(x.Shape), ops.ShapeString(w.Shape))
		}
		nb, c, oc := x.Shape[0], x.Shape[1], w.Shape[0]
		g := int(group)
		if c != w.Shape[1]*g || oc%g != 0 || c%int(og) != 0 {
			return nil, fmt.Errorf("node %s: X %s, W %s, group %d and offset_group %d do not fit (C = W's input channels × group, divisible by offset_group; output channels divisible by group)",
				n.Label(), ops.ShapeString(x.Shape), ops.ShapeString(w.Shape), group, og)
		}
		geo, err := win.resolve(n, x.Shape[2:], w.Shape[2:])
		if err != nil {
			return nil, err
		}
		kh, kw := geo.kernel[0], geo.kernel[1]
		oh, ow := geo.out[0], geo.out[1]
		k := kh * kw
		if want := []int{nb, int(og) * 2 * k, oh, ow}; !slices.Equal(off.Shape, want) {
			return nil, fmt.Errorf("node %s: offset must be %s (N, offset_group·2·kH·kW, output H, W), got %s", n.Label(), ops.ShapeString(want), ops.ShapeString(off.Shape))
		}
		if want := []int{nb, int(og) * k, oh, ow}; mask != nil && !slices.Equal(mask.Shape, want) {
			return nil, fmt.Errorf("node %s: mask must be %s (N, offset_group·kH·kW, output H, W), got %s", n.Label(), ops.ShapeString(want), ops.ShapeString(mask.Shape))
		}
		if b != nil && (b.Rank() != 1 || b.Shape[0] != oc) {
			return nil, fmt.Errorf("node %s: B must hold %d values, got shape %s", n.Label(), oc, ops.ShapeString(b.Shape))
		}
		if err := checkElementCount(n, "columns", []int{c * k, oh * ow}); err != nil {
			return nil, err
		}
		p := &ops.DeformParams{C: c, H: x.Shape[2], W: x.Shape[3], KH: kh, KW: kw, OH: oh, OW: ow,
			StrideH: geo.strides[0], StrideW: geo.strides[1], DilationH: geo.dilations[0], DilationW: geo.dilations[1],
			PadH: geo.padBegin[0], PadW: geo.padBegin[1], OffsetGroups: int(og)}
		xf, wf, offf := float32s(x), float32s(w), float32s(off)
		var maskf, bf []float32
		if mask != nil {
			maskf = float32s(mask)
		}
		if b != nil {
			bf = float32s(b)
		}
		o := newFloatOutput(env, x.DType, []int{nb, oc, oh, ow})
		hw := oh * ow
		cols := make([]float32, c*k*hw)
		icg, ocg := c/g, oc/g
		for i := 0; i < nb; i++ {
			var mi []float32
			if maskf != nil {
				mi = maskf[i*int(og)*k*hw : (i+1)*int(og)*k*hw]
			}
			ops.DeformIm2Col(p, xf[i*c*p.H*p.W:(i+1)*c*p.H*p.W], offf[i*int(og)*2*k*hw:(i+1)*int(og)*2*k*hw], mi, cols)
			y := o.f[i*oc*hw : (i+1)*oc*hw]
			if hw > 0 {
				for gi := 0; gi < g; gi++ {
					ops.Gemm(false, false, ocg, hw, icg*k, 1, wf[gi*ocg*icg*k:(gi+1)*ocg*icg*k], icg*k,
						cols[gi*icg*k*hw:(gi+1)*icg*k*hw], hw, 0, y[gi*ocg*hw:(gi+1)*ocg*hw], hw)
				}
			}
			for ch := 0; ch < oc && bf != nil; ch++ {
				for j := range y[ch*hw : (ch+1)*hw] {
					y[ch*hw+j] += bf[ch]
				}
			}
		}
		return []*ops.Tensor{o.done()}, nil
	}, nil
}
