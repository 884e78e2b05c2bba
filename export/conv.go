package export

import (
	"fmt"
	"slices"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer"
	"github.com/latent-ml/latent/trainer/nn"
)

// Image and VAE exports (kinds conv, vae, conv-vae).
//
// Conv kinds take NCHW images: input and reconstruction are
// [batch, C, H, W] (the trained image shape, e.g. [batch,1,28,28]); the code
// is [batch, code]. The dense vae takes [batch, features]. Each trainer
// layer becomes standard operators: Conv, ConvTranspose (output_padding),
// MaxPool/AveragePool, Resize (nearest: asymmetric + floor; bilinear: linear
// + half_pixel), BatchNormalization (running statistics), Flatten, Reshape,
// Gemm and the activation ops; dropout is dropped.
//
// VAEs: encoder.onnx has three outputs, `code` (the mean, first so tools
// that read one output get the code), `mu` (the same values) and `logvar`;
// model.onnx is deterministic (z = mu); decoder.onnx maps `code` (any z) to
// the reconstruction; generate.onnx maps an explicit `noise` input
// [batch, code] (draws from N(0, I), supplied by the caller) to samples —
// it uses a noise input rather than RandomNormalLike so that its outputs
// are reproducible and golden-testable. latent sample feeds it N(0, I).

// GenerateFile is the VAE generator written by Write beside the others.
const GenerateFile = "generate.onnx"

// Names of the VAE tensors.
const (
	MuName     = "mu"
	LogVarName = "logvar"
	NoiseName  = "noise"
	// PartGenerate is latent.part of generate.onnx.
	PartGenerate = metadata.PartGenerate
)

// imageInputShape returns the per-sample shape of the graphs' input.
func imageInputShape(m *trainer.Model) []int {
	if net := m.Network(); net != nil && net.Image != nil {
		return slices.Clone(net.Image)
	}
	return []int{m.Spec.Input}
}

// batchVI describes a float32 graph input or output of per-sample shape
// shape behind the symbolic batch dimension.
func batchVI(name string, shape []int, doc string) graph.ValueInfo {
	s := graph.Shape{{Param: BatchDim}}
	for _, d := range shape {
		s = append(s, graph.Dim{Value: int64(d)})
	}
	return graph.ValueInfo{Name: name, DType: ops.Float32, HasShape: true, DocString: doc, Shape: s}
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

// unscale maps the model-space output in back to raw units,
// (in / input_scale) + input_offset, writing the reconstruction.
func (b *builder) unscale(s *data.Scaler, in string, shape []int) {
	sc := b.init("input_scale", ops.FromFloat32(shape, slices.Clone(s.Scale)))
	off := b.init("input_offset", ops.FromFloat32(shape, slices.Clone(s.Offset)))
	b.node("Div", "unscale_output/div", "divide by the scaler scale", []string{in, sc}, []string{"reconstruction_centered"})
	b.node("Add", "unscale_output/add", "add the scaler offset", []string{"reconstruction_centered", off}, []string{ReconstructionName})
}

// nnAct returns the ONNX operator of a layer activation ("" for none).
func nnAct(a nn.Act) (string, []*graph.Attr, error) {
	switch a.Fn {
	case ops.ActNone:
		return "", nil, nil
	case ops.ActRelu:
		return "Relu", nil, nil
	case ops.ActLeakyRelu:
		return "LeakyRelu", []*graph.Attr{floatAttr("alpha", a.Alpha)}, nil
	case ops.ActSigmoid:
		return "Sigmoid", nil, nil
	case ops.ActTanh:
		return "Tanh", nil, nil
	case ops.ActElu:
		return "Elu", []*graph.Attr{floatAttr("alpha", a.Alpha)}, nil
	case ops.ActSoftplus:
		return "Softplus", nil, nil
	}
	return "", nil, fmt.Errorf("activation %d has no ONNX export", a.Fn)
}

func paramTensor(p *nn.Param) *ops.Tensor {
	return ops.FromFloat32(slices.Clone(p.Shape), slices.Clone(p.Data))
}

// withAct emits the main node writing z (or out directly without an
// activation) followed by the activation node writing out.
func (b *builder) withAct(name, op, doc string, ins []string, out string, a nn.Act, attrs ...*graph.Attr) error {
	actOp, actAttrs, err := nnAct(a)
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

// layer emits one nn layer reading in and writing out; prefix keeps node
// and initializer names unique within a graph.
func (b *builder) layer(l nn.Layer, in, out string) error {
	switch l := l.(type) {
	case *nn.Dense:
		w := b.init(l.W.Name, ops.FromFloat32([]int{l.Out, l.In}, slices.Clone(l.W.Data)))
		bias := b.init(l.B.Name, ops.FromFloat32([]int{l.Out}, slices.Clone(l.B.Data)))
		return b.withAct(l.W.Name[:len(l.W.Name)-2], "Gemm", fmt.Sprintf("dense %d→%d", l.In, l.Out), []string{in, w, bias}, out, l.Act, intAttr("transB", 1))
	case *nn.Conv2D:
		s := l.Spec
		w := b.init(l.Wt.Name, paramTensor(l.Wt))
		bias := b.init(l.B.Name, paramTensor(l.B))
		return b.withAct(l.Wt.Name[:len(l.Wt.Name)-2], "Conv", fmt.Sprintf("conv %dx%d stride %d pad %d, %d→%d channels", s.Kernel, s.Kernel, s.Stride, s.Pad, l.InC, l.OutC),
			[]string{in, w, bias}, out, l.Act,
			intsAttr("kernel_shape", s.Kernel, s.Kernel), intsAttr("strides", s.Stride, s.Stride),
			intsAttr("pads", s.Pad, s.Pad, s.Pad, s.Pad), intsAttr("dilations", s.Dilation, s.Dilation))
	case *nn.ConvTranspose2D:
		s := l.Spec
		w := b.init(l.Wt.Name, paramTensor(l.Wt))
		bias := b.init(l.B.Name, paramTensor(l.B))
		return b.withAct(l.Wt.Name[:len(l.Wt.Name)-2], "ConvTranspose", fmt.Sprintf("transposed conv %dx%d stride %d pad %d output padding %v, %d→%d channels", s.Kernel, s.Kernel, s.Stride, s.Pad, s.OutputPadding, l.InC, l.OutC),
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
		return nil
	case *nn.Upsample:
		name := "upsample_" + out
		sc := b.init(name+".scales", ops.FromFloat32([]int{4}, []float32{1, 1, float32(l.Scale), float32(l.Scale)}))
		attrs := []*graph.Attr{stringAttr("mode", "nearest"), stringAttr("coordinate_transformation_mode", "asymmetric"), stringAttr("nearest_mode", "floor")}
		if l.Bilinear {
			attrs = []*graph.Attr{stringAttr("mode", "linear"), stringAttr("coordinate_transformation_mode", "half_pixel")}
		}
		b.node("Resize", name, fmt.Sprintf("upsample ×%d", l.Scale), []string{in, "", sc}, []string{out}, attrs...)
		return nil
	case *nn.BatchNorm:
		n := l.Scale.Name[:len(l.Scale.Name)-len(".scale")]
		ins := []string{in, b.init(l.Scale.Name, paramTensor(l.Scale)), b.init(l.Bias.Name, paramTensor(l.Bias)),
			b.init(l.Mean.Name, paramTensor(l.Mean)), b.init(l.Var.Name, paramTensor(l.Var))}
		b.node("BatchNormalization", n, "batch norm with the running statistics", ins, []string{out}, floatAttr("epsilon", l.Eps))
		return nil
	case *nn.Activation:
		op, attrs, err := nnAct(l.Act)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if op == "" {
			op = "Identity"
		}
		b.node(op, "act_"+out, "activation", []string{in}, []string{out}, attrs...)
		return nil
	case *nn.Reshape:
		if len(l.Out) == 1 {
			b.node("Flatten", "flatten_"+out, "flatten to batch × features", []string{in}, []string{out}, intAttr("axis", 1))
			return nil
		}
		shape := []int64{-1}
		for _, d := range l.Out {
			shape = append(shape, int64(d))
		}
		s := b.init("reshape_"+out+".shape", ops.FromInt64([]int{len(shape)}, shape))
		b.node("Reshape", "reshape_"+out, fmt.Sprintf("reshape to batch × %v", l.Out), []string{in, s}, []string{out})
		return nil
	case *nn.Dropout:
		b.node("Identity", "dropout_"+out, "dropout is the identity at inference", []string{in}, []string{out})
		return nil
	}
	return fmt.Errorf("export: layer type %s has no ONNX export", l.Op())
}

// seq emits layers from in; the last writes out. prefix names the
// intermediate tensors.
func (b *builder) seq(layers []nn.Layer, in, out, prefix string) error {
	for i, l := range layers {
		o := fmt.Sprintf("%s%d", prefix, i)
		if i == len(layers)-1 {
			o = out
		}
		if err := b.layer(l, in, o); err != nil {
			return err
		}
		in = o
	}
	if len(layers) == 0 {
		b.node("Identity", prefix+"identity", "", []string{in}, []string{out})
	}
	return nil
}

// imageEncoder emits the encoder from the scaled input; for VAEs it also
// writes mu and logvar. It returns the code tensor's name.
func (b *builder) imageEncoder(net *trainer.Network, x string, outputs bool) error {
	if net.Mu == nil {
		return b.seq(net.Encoder.Layers, x, CodeName, "enc.y")
	}
	h := x
	if len(net.Encoder.Layers) > 0 {
		h = "enc.features"
		if err := b.seq(net.Encoder.Layers, x, h, "enc.y"); err != nil {
			return err
		}
	}
	if err := b.layer(net.Mu, h, MuName); err != nil {
		return err
	}
	if outputs {
		if err := b.layer(net.LogVar, h, LogVarName); err != nil {
			return err
		}
	}
	b.node("Identity", "code_is_mu", "the code is the posterior mean (deterministic encoding)", []string{MuName}, []string{CodeName})
	return nil
}

// imageDecoder emits the decoder from z to the reconstruction in raw units.
func (b *builder) imageDecoder(net *trainer.Network, z string, s *data.Scaler, shape []int) error {
	out := ReconstructionName
	if !s.Identity() {
		out = "reconstruction_scaled"
	}
	if err := b.seq(net.Decoder.Layers, z, out, "dec.y"); err != nil {
		return err
	}
	if !s.Identity() {
		b.unscale(s, out, shape)
	}
	return nil
}

// buildImage is Build for the image and VAE kinds.
func buildImage(m *trainer.Model, opts Options, mk func(part string, layers func(b *builder) error, ins, outs []graph.ValueInfo, doc string) (*graph.Model, error)) (*Set, error) {
	net := m.Network()
	if net == nil {
		return nil, fmt.Errorf("export: %s model has no layer network", m.Spec.Kind)
	}
	shape := imageInputShape(m)
	C := m.Spec.Code
	inVI := batchVI(InputName, shape, fmt.Sprintf("raw input (batch × %v, training data units)", shape))
	recVI := batchVI(ReconstructionName, shape, fmt.Sprintf("reconstruction (batch × %v, raw data units)", shape))
	codeVI := batchVI(CodeName, []int{C}, "latent code (batch × code size); for VAEs the posterior mean")
	scaler := m.Scaler
	var s Set
	var err error
	if s.Model, err = mk(PartModel, func(b *builder) error {
		x := b.scaleIn(&scaler, InputName, shape)
		if err := b.imageEncoder(net, x, false); err != nil {
			return err
		}
		return b.imageDecoder(net, CodeName, &scaler, shape)
	}, []graph.ValueInfo{inVI}, []graph.ValueInfo{recVI}, "input → reconstruction"); err != nil {
		return nil, err
	}
	encOuts := []graph.ValueInfo{codeVI}
	if net.Mu != nil {
		encOuts = append(encOuts, batchVI(MuName, []int{C}, "posterior mean (batch × code size)"),
			batchVI(LogVarName, []int{C}, "posterior log-variance (batch × code size)"))
	}
	if s.Encoder, err = mk(PartEncoder, func(b *builder) error {
		return b.imageEncoder(net, b.scaleIn(&scaler, InputName, shape), true)
	}, []graph.ValueInfo{inVI}, encOuts, "input → code"); err != nil {
		return nil, err
	}
	if s.Decoder, err = mk(PartDecoder, func(b *builder) error {
		return b.imageDecoder(net, CodeName, &scaler, shape)
	}, []graph.ValueInfo{codeVI}, []graph.ValueInfo{recVI}, "code → reconstruction"); err != nil {
		return nil, err
	}
	if models.IsVAE(m.Spec.Kind) {
		noiseVI := batchVI(NoiseName, []int{C}, "latent draws z ~ N(0, I) (batch × code size), supplied by the caller")
		sampleVI := batchVI(ReconstructionName, shape, "generated samples (raw data units)")
		if s.Generate, err = mk(PartGenerate, func(b *builder) error {
			return b.imageDecoder(net, NoiseName, &scaler, shape)
		}, []graph.ValueInfo{noiseVI}, []graph.ValueInfo{sampleVI}, "noise z ~ N(0, I) → generated sample"); err != nil {
			return nil, err
		}
	}
	return &s, nil
}
