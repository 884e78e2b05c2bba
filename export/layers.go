package export

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer/nn"
)

// batchVI describes a float32 graph input or output of per-sample shape
// shape behind the symbolic batch dimension.
func batchVI(name string, shape []int, doc string) graph.ValueInfo {
	s := graph.Shape{{Param: BatchDim}}
	for _, d := range shape {
		s = append(s, graph.Dim{Value: int64(d)})
	}
	return graph.ValueInfo{Name: name, DType: ops.Float32, HasShape: true, DocString: doc, Shape: s}
}

// dimsString writes a per-sample shape as "8" or "1×28×28".
func dimsString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "×")
}

func intAttr(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}

func floatAttr(name string, v float32) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrFloat, F: v}
}

func intsAttr(name string, v ...int) *graph.Attr {
	a := &graph.Attr{Name: name, Type: graph.AttrInts}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	return a
}

func stringAttr(name, v string) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrString, S: []byte(v)}
}

// scaleIn adds (x - input_offset) * input_scale, with the scaler reshaped
// to the per-sample shape (so it broadcasts over NCHW batches), when s is
// not the identity, and returns the name of the model-space input.
func (b *builder) scaleIn(s *data.Scaler, x string, shape []int) string {
	if s.Identity() {
		return x
	}
	off := b.init("input_offset", ops.FromFloat32(shape, slices.Clone(s.Offset)))
	sc := b.init("input_scale", ops.FromFloat32(shape, slices.Clone(s.Scale)))
	b.node("Sub", "scale_input/sub", "subtract the scaler offset", []string{x, off}, []string{"input_centered"})
	b.node("Mul", "scale_input/mul", "multiply by the scaler scale", []string{"input_centered", sc}, []string{"input_scaled"})
	return "input_scaled"
}

// decoder emits the decoder layers from z to the reconstruction, mapped
// back to raw units when the scaler is not the identity.
func (b *builder) decoder(net *nn.Net, z string, s *data.Scaler, shape []int) error {
	out := ReconstructionName
	if !s.Identity() {
		out = "reconstruction_scaled"
	}
	if err := b.walk(net.Decoder(), z, out, "dec.y", false); err != nil {
		return err
	}
	if !s.Identity() {
		sc := b.init("input_scale", ops.FromFloat32(shape, slices.Clone(s.Scale)))
		off := b.init("input_offset", ops.FromFloat32(shape, slices.Clone(s.Offset)))
		b.node("Div", "unscale_output/div", "divide by the scaler scale", []string{out, sc}, []string{"reconstruction_centered"})
		b.node("Add", "unscale_output/add", "add the scaler offset", []string{"reconstruction_centered", off}, []string{ReconstructionName})
	}
	return nil
}

// posteriorOf returns a network's VAE posterior layer (nil if it has none).
func posteriorOf(net *nn.Net) *nn.Posterior {
	for _, l := range net.Layers {
		if p, ok := l.(*nn.Posterior); ok {
			return p
		}
	}
	return nil
}

// onnxActs is the ONNX operator of every layer activation but the
// identity; alpha-carrying ones take their parameter as attribute alpha.
var onnxActs = map[ops.Act]string{
	ops.ActRelu:      "Relu",
	ops.ActLeakyRelu: "LeakyRelu",
	ops.ActSigmoid:   "Sigmoid",
	ops.ActTanh:      "Tanh",
	ops.ActElu:       "Elu",
	ops.ActSelu:      "Selu",
	ops.ActSoftplus:  "Softplus",
}

// onnxAct returns the ONNX operator and attributes of a layer activation
// ("" for the identity).
func onnxAct(a nn.Act) (string, []*graph.Attr, error) {
	if a.Fn == ops.ActNone {
		return "", nil, nil
	}
	op, ok := onnxActs[a.Fn]
	if !ok {
		return "", nil, fmt.Errorf("activation %d has no ONNX export", a.Fn)
	}
	switch a.Fn {
	case ops.ActLeakyRelu, ops.ActElu:
		return op, []*graph.Attr{floatAttr("alpha", a.Alpha)}, nil
	case ops.ActSelu:
		return op, []*graph.Attr{floatAttr("alpha", float32(ops.SeluAlpha)), floatAttr("gamma", float32(ops.SeluGamma))}, nil
	}
	return op, nil, nil
}

// layerAct is the inverse of onnxAct: the layer activation of an ONNX
// activation node, with the ONNX defaults for an absent alpha; ok is false
// for any other operator. Selu is accepted only with the standard constants
// (the kernel has no others).
func layerAct(n *graph.Node) (a nn.Act, ok bool, err error) {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return nn.Act{}, false, nil
	}
	for fn, op := range onnxActs {
		if op != n.OpType {
			continue
		}
		a = nn.Act{Fn: fn}
		switch fn {
		case ops.ActLeakyRelu:
			a.Alpha, err = n.Float("alpha", 0.01)
		case ops.ActElu:
			a.Alpha, err = n.Float("alpha", 1)
		case ops.ActSelu:
			var alpha, gamma float32
			if alpha, err = n.Float("alpha", float32(ops.SeluAlpha)); err == nil {
				gamma, err = n.Float("gamma", float32(ops.SeluGamma))
			}
			if err == nil && (math.Abs(float64(alpha)-ops.SeluAlpha) > 1e-6 || math.Abs(float64(gamma)-ops.SeluGamma) > 1e-6) {
				err = fmt.Errorf("%s: Selu alpha %g gamma %g; only the standard constants (%g, %g) are supported", n.Label(), alpha, gamma, ops.SeluAlpha, ops.SeluGamma)
			}
		}
		if err != nil {
			return nn.Act{}, false, err
		}
		return a, true, nil
	}
	return nn.Act{}, false, nil
}

func paramTensor(p *nn.Param) *ops.Tensor {
	return ops.FromFloat32(slices.Clone(p.Shape), slices.Clone(p.Data))
}

// withAct emits the main node of layer name writing out (through name.z
// when an activation node follows).
func (b *builder) withAct(name, op, doc string, ins []string, out string, a nn.Act, attrs ...*graph.Attr) error {
	actOp, actAttrs, err := onnxAct(a)
	if err != nil {
		return fmt.Errorf("export: layer %s: %w", name, err)
	}
	z := out
	if actOp != "" {
		z = name + ".z"
	}
	b.node(op, name+"/"+op, doc, ins, []string{z}, attrs...)
	if actOp != "" {
		b.node(actOp, name+"/"+actOp, "activation", []string{z}, []string{out}, actAttrs...)
	}
	return nil
}

// walk emits layers reading in, intermediate tensors named prefix<i>, the
// last writing out. heads asks a VAE posterior for both outputs (mu and
// logvar, the encoder graph's outputs); otherwise only mu is computed.
func (b *builder) walk(layers []nn.Layer, in, out, prefix string, heads bool) error {
	cur := in
	for i, l := range layers {
		o := fmt.Sprintf("%s%d", prefix, i)
		if i == len(layers)-1 {
			o = out
		}
		var err error
		if cur, err = b.layer(l, cur, o, heads); err != nil {
			return err
		}
	}
	if cur != out {
		b.node("Identity", "output_"+out, "", []string{cur}, []string{out})
	}
	return nil
}

// layer emits one layer reading in and writing out, and returns the name
// of the tensor it leaves (in for training-only layers, which emit
// nothing; mu for a posterior).
func (b *builder) layer(l nn.Layer, in, out string, heads bool) (string, error) {
	switch l := l.(type) {
	case nn.TrainOnly:
		return in, nil
	case *nn.Dense:
		w, doc := l.W.Name, fmt.Sprintf("dense %d→%d", l.In, l.Out)
		if l.Transposed {
			w = l.Name + ".W"
			doc += fmt.Sprintf(" (tied: weights are the transpose of %s)", l.W.Name)
		}
		w = b.init(w, ops.FromFloat32([]int{l.Out, l.In}, slices.Clone(l.WeightsOutIn())))
		bias := b.init(l.B.Name, ops.FromFloat32([]int{l.Out}, slices.Clone(l.B.Data)))
		return out, b.withAct(l.Name, "Gemm", doc, []string{in, w, bias}, out, l.Act, intAttr("transB", 1))
	case *nn.Conv2D:
		s := l.Spec
		w, bias := b.init(l.Wt.Name, paramTensor(l.Wt)), b.init(l.B.Name, paramTensor(l.B))
		return out, b.withAct(l.Name, "Conv", fmt.Sprintf("conv %dx%d stride %d pad %d, %d→%d channels", s.Kernel, s.Kernel, s.Stride, s.Pad, l.InC, l.OutC),
			[]string{in, w, bias}, out, l.Act,
			intsAttr("kernel_shape", s.Kernel, s.Kernel), intsAttr("strides", s.Stride, s.Stride),
			intsAttr("pads", s.Pad, s.Pad, s.Pad, s.Pad), intsAttr("dilations", s.Dilation, s.Dilation))
	case *nn.ConvTranspose2D:
		s := l.Spec
		w, bias := b.init(l.Wt.Name, paramTensor(l.Wt)), b.init(l.B.Name, paramTensor(l.B))
		return out, b.withAct(l.Name, "ConvTranspose", fmt.Sprintf("transposed conv %dx%d stride %d pad %d output padding %v, %d→%d channels", s.Kernel, s.Kernel, s.Stride, s.Pad, s.OutputPadding, l.InC, l.OutC),
			[]string{in, w, bias}, out, l.Act,
			intsAttr("kernel_shape", s.Kernel, s.Kernel), intsAttr("strides", s.Stride, s.Stride),
			intsAttr("pads", s.Pad, s.Pad, s.Pad, s.Pad), intsAttr("dilations", s.Dilation, s.Dilation),
			intsAttr("output_padding", s.OutputPadding[0], s.OutputPadding[1]))
	case *nn.Pool2D:
		name := fmt.Sprintf("%s_%s", l.Op(), out)
		attrs := []*graph.Attr{intsAttr("kernel_shape", l.Kernel, l.Kernel), intsAttr("strides", l.Stride, l.Stride), intsAttr("pads", l.Pad, l.Pad, l.Pad, l.Pad)}
		if l.Max {
			b.node("MaxPool", name, "max pooling", []string{in}, []string{out}, attrs...)
		} else {
			b.node("AveragePool", name, "average pooling (padding excluded from the divisor)", []string{in}, []string{out}, append(attrs, intAttr("count_include_pad", 0))...)
		}
	case *nn.Upsample:
		name := "upsample_" + out
		sc := b.init(name+".scales", ops.FromFloat32([]int{4}, []float32{1, 1, float32(l.Scale), float32(l.Scale)}))
		attrs := []*graph.Attr{stringAttr("mode", "nearest"), stringAttr("coordinate_transformation_mode", "asymmetric"), stringAttr("nearest_mode", "floor")}
		if l.Bilinear {
			attrs = []*graph.Attr{stringAttr("mode", "linear"), stringAttr("coordinate_transformation_mode", "half_pixel")}
		}
		b.node("Resize", name, fmt.Sprintf("upsample ×%d", l.Scale), []string{in, "", sc}, []string{out}, attrs...)
	case *nn.BatchNorm:
		ins := []string{in, b.init(l.Scale.Name, paramTensor(l.Scale)), b.init(l.Bias.Name, paramTensor(l.Bias)),
			b.init(l.Mean.Name, paramTensor(l.Mean)), b.init(l.Var.Name, paramTensor(l.Var))}
		b.node("BatchNormalization", l.Name, "batch norm with the running statistics", ins, []string{out}, floatAttr("epsilon", l.Eps))
	case *nn.Activation:
		op, attrs, err := onnxAct(l.Act)
		if err != nil {
			return "", fmt.Errorf("export: %w", err)
		}
		if op == "" {
			op = "Identity"
		}
		b.node(op, "act_"+out, "activation", []string{in}, []string{out}, attrs...)
	case *nn.Reshape:
		if len(l.Out) == 1 {
			b.node("Flatten", "flatten_"+out, "flatten to batch × features", []string{in}, []string{out}, intAttr("axis", 1))
			return out, nil
		}
		shape := []int64{-1}
		for _, d := range l.Out {
			shape = append(shape, int64(d))
		}
		s := b.init("reshape_"+out+".shape", ops.FromInt64([]int{len(shape)}, shape))
		b.node("Reshape", "reshape_"+out, fmt.Sprintf("reshape to batch × %v", l.Out), []string{in, s}, []string{out})
	case *nn.KSparse:
		b.kSparse(in, out, l.K)
	case *nn.Posterior:
		if _, err := b.layer(l.Mu, in, MuName, false); err != nil {
			return "", err
		}
		if heads {
			if _, err := b.layer(l.LogVar, in, LogVarName, false); err != nil {
				return "", err
			}
		}
		return MuName, nil
	case *nn.Reparameterise:
		b.node("Identity", "code_is_mu", "the code is the posterior mean (deterministic encoding)", []string{in}, []string{out})
	default:
		return "", fmt.Errorf("export: layer type %s has no ONNX export", l.Op())
	}
	return out, nil
}

// kSparse keeps the k largest values of each row of in (ties: lower index
// first) and zeroes the others.
func (b *builder) kSparse(in, out string, k int) {
	kk := b.init("ksparse_k", ops.FromInt64([]int{1}, []int64{int64(k)}))
	b.node("TopK", "ksparse/topk", fmt.Sprintf("the %d largest code values per sample (ties: lower index first)", k),
		[]string{in, kk}, []string{"ksparse_values", "ksparse_indices"},
		intAttr("axis", 1), intAttr("largest", 1), intAttr("sorted", 1))
	b.node("Shape", "ksparse/shape", "", []string{in}, []string{"ksparse_shape"})
	b.node("ConstantOfShape", "ksparse/zeros", "zeros shaped like the code", []string{"ksparse_shape"}, []string{"ksparse_zeros"},
		&graph.Attr{Name: "value", Type: graph.AttrTensor, T: ops.FromFloat32([]int{1}, []float32{0})})
	b.node("ScatterElements", "ksparse/scatter", "put the kept values back at their positions", []string{"ksparse_zeros", "ksparse_indices", "ksparse_values"}, []string{out},
		intAttr("axis", 1))
}
