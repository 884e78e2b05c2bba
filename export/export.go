// Package export owns latent's ONNX writer for trained autoencoders and its
// reader back into the trainer.
//
// Write turns a trained trainer.Model into three standard ONNX files:
//
//	model.onnx    input → reconstruction
//	encoder.onnx  input → code
//	decoder.onnx  code  → reconstruction
//
// The image and VAE kinds (conv, vae, conv-vae; see conv.go) take NCHW
// images [batch,C,H,W] for the conv kinds, give VAE encoders the outputs
// code (= mu), mu and logvar, keep model.onnx deterministic (z = mu) and add
// a fourth file, generate.onnx, mapping an explicit noise input z ~ N(0, I)
// (not RandomNormalLike, so results are reproducible) to samples.
//
// Every graph is an inference graph: one Gemm (transB=1, W [out,in], 1-D
// bias) plus one activation node per dense layer, no noise and no
// regularisers. Tied decoder weights are written as real initializers (the
// transposed encoder weights). A k-sparse code keeps its k largest values
// per sample inside the graph with TopK, Shape, ConstantOfShape and
// ScatterElements; equal values keep the lower index first, exactly like
// the trainer.
//
// # Scaling is inside the graphs
//
// The tensors `input` and `reconstruction` are in RAW units, the units of
// the data the model was trained on: when the model has an input scaler
// (min-max or standard), the graphs start with
// Sub(input, input_offset) → Mul(·, input_scale) and end with
// Div(·, input_scale) → Add(·, input_offset), using the initializers
// `input_offset` and `input_scale`. Callers feed raw rows and read raw
// reconstructions, exactly as with trainer.Model.Encode and Reconstruct.
// The code is never rescaled. The same offsets and scales are repeated in
// the metadata (latent.input_offset, latent.input_scale, as JSON arrays,
// with latent.input_scaling naming the kind and latent.input_scaling_applied
// = "in-graph") for callers who want to work in the model's scaled space.
//
// # Metadata
//
// Every graph carries the latent.* metadata_props of package metadata
// (format version, part, kind, spec, sizes, loss, the scaler, the
// threshold once calibrated, the training summary); metadata.Read parses
// them without importing this package or the trainer.
//
// Graphs default to opset 17 (13 to 21 are accepted) with the matching IR
// version, a symbolic batch dimension named "batch", doc strings on the
// model, graph and its inputs and outputs, and producer "latent".
package export

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/internal/atomicfile"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer"
)

// Opset range and default of exported graphs (default ONNX domain).
const (
	DefaultOpset = 17
	MinOpset     = 13
	MaxOpset     = 21
)

// Producer name and version written into every exported model.
const (
	ProducerName    = "latent"
	ProducerVersion = "0.1.0"
)

// File names written by Write.
const (
	ModelFile   = "model.onnx"
	EncoderFile = "encoder.onnx"
	DecoderFile = "decoder.onnx"
)

// Tensor names of the exported graphs.
const (
	InputName          = "input"
	CodeName           = "code"
	ReconstructionName = "reconstruction"
	BatchDim           = "batch"
)

// Parts of an export, as recorded in latent.part (see package metadata).
const (
	PartModel   = metadata.PartModel
	PartEncoder = metadata.PartEncoder
	PartDecoder = metadata.PartDecoder
)

// IRVersion returns the ONNX IR version that goes with an opset of the
// default domain (the version ONNX released alongside it).
func IRVersion(opset int64) (int64, error) {
	switch {
	case opset < MinOpset || opset > MaxOpset:
		return 0, fmt.Errorf("opset %d not supported for export (want %d to %d)", opset, MinOpset, MaxOpset)
	case opset <= 14:
		return 7, nil
	case opset <= 18:
		return 8, nil
	case opset <= 20:
		return 9, nil
	default:
		return 10, nil
	}
}

// SummaryOf summarises a trainer result; rows and features describe the
// training data (0 when unknown).
func SummaryOf(res *trainer.Result, rows, features int) metadata.Summary {
	s := metadata.Summary{}
	if res != nil {
		s.Epochs, s.BestEpoch, s.StoppedEarly = res.Epochs, res.BestEpoch, res.StoppedEarly
		if n := len(res.History); n > 0 {
			last := res.History[n-1]
			s.FinalLoss, s.FinalReconLoss = last.Loss, last.ReconLoss
			if last.ValLoss != nil {
				v := *last.ValLoss
				s.FinalValLoss = &v
			}
		}
	}
	if rows > 0 && features > 0 {
		s.DataShape = []int{rows, features}
	}
	return s
}

// Options control an export. The zero value exports at DefaultOpset
// without threshold or training summary.
type Options struct {
	// Opset of the default ONNX domain, MinOpset..MaxOpset (0: DefaultOpset).
	Opset int64
	// Threshold is the calibrated anomaly threshold (nil: not calibrated).
	Threshold *float64
	// Training summarises the run (nil: omitted).
	Training *metadata.Summary
}

// Set is the three graphs of one export (four for VAEs: Generate, see
// conv.go).
type Set struct {
	Model, Encoder, Decoder *graph.Model
	// Generate maps noise z ~ N(0, I) to samples (VAE kinds only, else nil).
	Generate *graph.Model
}

// Build converts m into its three ONNX graphs.
func Build(m *trainer.Model, opts Options) (*Set, error) {
	if m == nil {
		return nil, errors.New("export: nil model")
	}
	opset := opts.Opset
	if opset == 0 {
		opset = DefaultOpset
	}
	ir, err := IRVersion(opset)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := m.Spec.Validate(); err != nil {
		return nil, fmt.Errorf("export: model spec: %w", err)
	}
	if err := m.Scaler.Check(m.Spec.Input); err != nil {
		return nil, fmt.Errorf("export: input scaler: %w", err)
	}
	if opts.Threshold != nil && !finite(*opts.Threshold) {
		return nil, fmt.Errorf("export: threshold %g is not finite", *opts.Threshold)
	}
	meta := metadataFor(m, opts)
	mkN := func(part string, layers func(b *builder) error, ins, outs []graph.ValueInfo, doc string) (*graph.Model, error) {
		b := newBuilder(m.Spec.Kind, part)
		if err := layers(b); err != nil {
			return nil, err
		}
		b.g.Inputs = ins
		b.g.Outputs = outs
		b.g.DocString = doc
		pm := meta
		pm.Part = part
		md, err := pm.Entries()
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", part, err)
		}
		return &graph.Model{
			IRVersion: ir, ProducerName: ProducerName, ProducerVersion: ProducerVersion,
			ModelVersion: 1,
			DocString:    fmt.Sprintf("latent %s autoencoder (%s): %s. Trained and exported by latent; input and reconstruction are in raw data units.", m.Spec.Kind, part, doc),
			Opsets:       map[string]int64{"": opset},
			Metadata:     md,
			Graph:        b.g,
		}, nil
	}
	if models.IsImageKind(m.Spec.Kind) {
		return buildImage(m, opts, mkN)
	}
	mk := func(part string, layers func(b *builder) error, in, out graph.ValueInfo, doc string) (*graph.Model, error) {
		return mkN(part, layers, []graph.ValueInfo{in}, []graph.ValueInfo{out}, doc)
	}
	enc, dec := m.Encoder(), m.Decoder()
	if len(enc) == 0 || len(dec) == 0 {
		return nil, errors.New("export: model has no layers")
	}
	D, C := m.Spec.Input, m.Spec.Code
	inVI := batchVI(InputName, []int{D}, "raw input rows (batch × features, training data units; scaling is applied inside the graph)")
	codeVI := batchVI(CodeName, []int{C}, "latent code (batch × code size)")
	recVI := batchVI(ReconstructionName, []int{D}, "reconstruction of the input (batch × features, raw data units)")
	scaler := m.Scaler
	var s Set
	if s.Model, err = mk(PartModel, func(b *builder) error {
		x := b.scaleIn(&scaler, InputName, []int{D})
		code, err := b.encoder(enc, x)
		if err != nil {
			return err
		}
		return b.decoder(dec, code, &scaler)
	}, inVI, recVI, "input → reconstruction"); err != nil {
		return nil, err
	}
	if s.Encoder, err = mk(PartEncoder, func(b *builder) error {
		_, err := b.encoder(enc, b.scaleIn(&scaler, InputName, []int{D}))
		return err
	}, inVI, codeVI, "input → code"); err != nil {
		return nil, err
	}
	if s.Decoder, err = mk(PartDecoder, func(b *builder) error {
		return b.decoder(dec, CodeName, &scaler)
	}, codeVI, recVI, "code → reconstruction"); err != nil {
		return nil, err
	}
	return &s, nil
}

// Paths are the files written by Write.
type Paths struct {
	Model, Encoder, Decoder string
	// Generate is generate.onnx for VAEs ("" otherwise).
	Generate string
}

// Write exports m into dir (created if missing) as model.onnx, encoder.onnx
// and decoder.onnx. Each file is written to a temporary file in dir, synced
// and renamed, so no reader ever sees a half-written model.
func Write(ctx context.Context, dir string, m *trainer.Model, opts Options) (Paths, error) {
	s, err := Build(m, opts)
	if err != nil {
		return Paths{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Paths{}, fmt.Errorf("export: %w", err)
	}
	p := Paths{Model: filepath.Join(dir, ModelFile), Encoder: filepath.Join(dir, EncoderFile), Decoder: filepath.Join(dir, DecoderFile)}
	// Encode everything before touching the folder.
	graphs := []*graph.Model{s.Model, s.Encoder, s.Decoder}
	paths := []string{p.Model, p.Encoder, p.Decoder}
	if s.Generate != nil {
		p.Generate = filepath.Join(dir, GenerateFile)
		graphs, paths = append(graphs, s.Generate), append(paths, p.Generate)
	}
	blobs := make([][]byte, len(graphs))
	for i, gm := range graphs {
		if blobs[i], err = graph.Encode(gm); err != nil {
			return Paths{}, fmt.Errorf("export: encode %s: %w", gm.Graph.Name, err)
		}
	}
	for i, path := range paths {
		if err := ctx.Err(); err != nil {
			return Paths{}, fmt.Errorf("export: %w", err)
		}
		if err := atomicfile.Write(path, blobs[i]); err != nil {
			return Paths{}, fmt.Errorf("export: write %s: %w", path, err)
		}
	}
	return p, nil
}

// builder accumulates the nodes and initializers of one graph.
type builder struct {
	g *graph.Graph
}

func newBuilder(kind models.Kind, part string) *builder {
	return &builder{g: &graph.Graph{
		Name:         fmt.Sprintf("latent_%s_%s", kind, part),
		Initializers: map[string]*ops.Tensor{},
		ValueInfo:    map[string]graph.ValueInfo{},
	}}
}

func (b *builder) init(name string, t *ops.Tensor) string {
	if _, ok := b.g.Initializers[name]; !ok {
		b.g.Initializers[name] = t
		b.g.InitOrder = append(b.g.InitOrder, name)
	}
	return name
}

func (b *builder) node(op, name, doc string, ins, outs []string, attrs ...*graph.Attr) {
	n := &graph.Node{Name: name, OpType: op, Inputs: ins, Outputs: outs, Attrs: map[string]*graph.Attr{}, DocString: doc}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
		n.AttrOrder = append(n.AttrOrder, a.Name)
	}
	b.g.Nodes = append(b.g.Nodes, n)
}

func intAttr(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}

func floatAttr(name string, v float32) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrFloat, F: v}
}

// dense adds one Gemm + activation layer reading in and writing out.
func (b *builder) dense(name string, l trainer.Layer, in, out string) error {
	if len(l.W) != l.In*l.Out || len(l.B) != l.Out {
		return fmt.Errorf("export: layer %s: W has %d values and B %d for %d→%d", name, len(l.W), len(l.B), l.In, l.Out)
	}
	w := b.init(name+".W", ops.FromFloat32([]int{l.Out, l.In}, append([]float32(nil), l.W...)))
	bias := b.init(name+".b", ops.FromFloat32([]int{l.Out}, append([]float32(nil), l.B...)))
	doc := fmt.Sprintf("dense %d→%d", l.In, l.Out)
	if l.Tied {
		doc += fmt.Sprintf(" (tied: weights are the transpose of enc%d.W)", l.TiedTo)
	}
	actOp, attrs, err := onnxAct(l)
	if err != nil {
		return fmt.Errorf("export: layer %s: %w", name, err)
	}
	z := out
	if actOp != "" {
		z = name + ".z"
	}
	b.node("Gemm", name+"/gemm", doc, []string{in, w, bias}, []string{z}, intAttr("transB", 1))
	if actOp != "" {
		b.node(actOp, name+"/"+string(l.Activation), "activation "+string(l.Activation), []string{z}, []string{out}, attrs...)
	}
	return nil
}

// onnxAct maps a trainer activation to an ONNX operator and attributes
// ("" for identity).
func onnxAct(l trainer.Layer) (string, []*graph.Attr, error) {
	switch l.Activation {
	case models.Identity, "":
		return "", nil, nil
	case models.Relu:
		return "Relu", nil, nil
	case models.LeakyRelu:
		return "LeakyRelu", []*graph.Attr{floatAttr("alpha", float32(l.Alpha))}, nil
	case models.Sigmoid:
		return "Sigmoid", nil, nil
	case models.Tanh:
		return "Tanh", nil, nil
	case models.Elu:
		return "Elu", []*graph.Attr{floatAttr("alpha", float32(l.Alpha))}, nil
	case models.Selu:
		return "Selu", []*graph.Attr{floatAttr("alpha", float32(ops.SeluAlpha)), floatAttr("gamma", float32(ops.SeluGamma))}, nil
	case models.Softplus:
		return "Softplus", nil, nil
	}
	return "", nil, fmt.Errorf("activation %q has no ONNX export", l.Activation)
}

// encoder adds the encoder layers reading x; the last one writes "code".
func (b *builder) encoder(layers []trainer.Layer, x string) (string, error) {
	in := x
	for i, l := range layers {
		name := fmt.Sprintf("enc%d", i)
		out := name + ".y"
		last := i == len(layers)-1
		if last {
			out = CodeName
			if l.K > 0 {
				out = "code_dense"
			}
		}
		if err := b.dense(name, l, in, out); err != nil {
			return "", err
		}
		if last && l.K > 0 {
			if l.K > l.Out {
				return "", fmt.Errorf("export: k-sparse keeps %d of %d code units", l.K, l.Out)
			}
			b.kSparse(out, CodeName, l.K)
			out = CodeName
		}
		in = out
	}
	return in, nil
}

// kSparse keeps the k largest values of each row of in (ties: lower index
// first) and zeroes the others.
func (b *builder) kSparse(in, out string, k int) {
	kk := b.init("code_k", ops.FromInt64([]int{1}, []int64{int64(k)}))
	b.node("TopK", "ksparse/topk", fmt.Sprintf("the %d largest code values per sample (ties: lower index first)", k),
		[]string{in, kk}, []string{"code_topk_values", "code_topk_indices"},
		intAttr("axis", 1), intAttr("largest", 1), intAttr("sorted", 1))
	b.node("Shape", "ksparse/shape", "", []string{in}, []string{"code_shape"})
	b.node("ConstantOfShape", "ksparse/zeros", "zeros shaped like the code", []string{"code_shape"}, []string{"code_zeros"},
		&graph.Attr{Name: "value", Type: graph.AttrTensor, T: ops.FromFloat32([]int{1}, []float32{0})})
	b.node("ScatterElements", "ksparse/scatter", "put the kept values back at their positions", []string{"code_zeros", "code_topk_indices", "code_topk_values"}, []string{out},
		intAttr("axis", 1))
}

// decoder adds the decoder layers from code to "reconstruction", mapping
// back to raw units when the scaler is not the identity.
func (b *builder) decoder(layers []trainer.Layer, code string, s *data.Scaler) error {
	in := code
	for j, l := range layers {
		name := fmt.Sprintf("dec%d", j)
		out := name + ".y"
		if j == len(layers)-1 {
			out = ReconstructionName
			if !s.Identity() {
				out = "reconstruction_scaled"
			}
		}
		if err := b.dense(name, l, in, out); err != nil {
			return err
		}
		in = out
	}
	if !s.Identity() {
		b.unscale(s, in, []int{len(s.Scale)})
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
