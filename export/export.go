// Package export owns latent's ONNX writer for trained autoencoders and its
// reader back into the trainer.
//
// Write turns a trained trainer.Model of any kind into standard ONNX files
// by walking its layer chain (trainer.Model.Network), one operator pattern
// per layer type:
//
//	model.onnx     input → reconstruction
//	encoder.onnx   input → code (VAEs: code, mu, logvar)
//	decoder.onnx   code  → reconstruction
//	generate.onnx  noise → sample (VAEs only)
//
// Dense layers become Gemm (transB=1, W [out,in], 1-D bias) and an
// activation node; tied decoder weights are written as real initializers
// (the transposed encoder weights). Convolutions become Conv and
// ConvTranspose (output_padding), pooling MaxPool/AveragePool, upsampling
// Resize (nearest: asymmetric + floor; bilinear: linear + half_pixel), batch
// norm BatchNormalization with the running statistics, reshapes Flatten or
// Reshape. A k-sparse code keeps its k largest values per sample inside the
// graph with TopK, Shape, ConstantOfShape and ScatterElements; equal values
// keep the lower index first, exactly like the trainer. Training-only
// layers (input noise, dropout) and the regularisers leave no trace: every
// graph is an inference graph.
//
// Conv kinds take NCHW images: input and reconstruction are [batch, C, H, W]
// (the trained image shape); codes are [batch, code]; the other kinds take
// [batch, features]. A VAE's encoder.onnx has three outputs, `code` (the
// posterior mean, first so tools that read one output get the code), `mu`
// (the same values) and `logvar`; its model.onnx is deterministic
// (z = mu); generate.onnx maps an explicit `noise` input [batch, code]
// (draws from N(0, I), supplied by the caller; not RandomNormalLike, so
// results are reproducible and golden-testable) to samples.
//
// # Scaling is inside the graphs
//
// The tensors `input` and `reconstruction` are in RAW units, the units of
// the data the model was trained on: when the model has an input scaler
// (min-max or standard), the graphs start with
// Sub(input, input_offset) → Mul(·, input_scale) and end with
// Div(·, input_scale) → Add(·, input_offset), using the initializers
// `input_offset` and `input_scale` (shaped like one sample, so they
// broadcast over NCHW batches). Callers feed raw rows and read raw
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
//
// Import (and FromGraph, FromGraphs) read a latent export back into a
// trainer.Model by building the spec's layers and filling their tensors
// from the initializers of the same names; FromMLP and ImportFile read a
// plain dense autoencoder exported by PyTorch or scikit-learn.
package export

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

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
	ModelFile    = "model.onnx"
	EncoderFile  = "encoder.onnx"
	DecoderFile  = "decoder.onnx"
	GenerateFile = "generate.onnx" // VAEs only
)

// Tensor names of the exported graphs.
const (
	InputName          = "input"
	CodeName           = "code"
	ReconstructionName = "reconstruction"
	// MuName, LogVarName: a VAE encoder's posterior outputs; NoiseName:
	// the input of generate.onnx.
	MuName     = "mu"
	LogVarName = "logvar"
	NoiseName  = "noise"
	BatchDim   = "batch"
)

// Parts of an export, as recorded in latent.part (see package metadata).
const (
	PartModel    = metadata.PartModel
	PartEncoder  = metadata.PartEncoder
	PartDecoder  = metadata.PartDecoder
	PartGenerate = metadata.PartGenerate
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

// Set is the three graphs of one export (four for VAEs: Generate).
type Set struct {
	Model, Encoder, Decoder *graph.Model
	// Generate maps noise z ~ N(0, I) to samples (VAE kinds only, else nil).
	Generate *graph.Model
}

// Build converts m into its ONNX graphs (three, four for VAEs).
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
	mk := func(part string, layers func(b *builder) error, ins, outs []graph.ValueInfo, doc string) (*graph.Model, error) {
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
	net := m.Network()
	inShape, outShape := net.InShape(), net.OutShape()
	C := m.Spec.Code
	inVI := batchVI(InputName, inShape, fmt.Sprintf("raw input (batch × %s, training data units; scaling is applied inside the graph)", dimsString(inShape)))
	recVI := batchVI(ReconstructionName, outShape, fmt.Sprintf("reconstruction of the input (batch × %s, raw data units)", dimsString(outShape)))
	codeVI := batchVI(CodeName, []int{C}, "latent code (batch × code size); for VAEs the posterior mean")
	vae := posteriorOf(net) != nil
	scaler := m.Scaler
	var s Set
	if s.Model, err = mk(PartModel, func(b *builder) error {
		if err := b.walk(net.Encoder(), b.scaleIn(&scaler, InputName, inShape), CodeName, "enc.y", false); err != nil {
			return err
		}
		return b.decoder(net, CodeName, &scaler, outShape)
	}, []graph.ValueInfo{inVI}, []graph.ValueInfo{recVI}, "input → reconstruction"); err != nil {
		return nil, err
	}
	encOuts := []graph.ValueInfo{codeVI}
	if vae {
		encOuts = append(encOuts, batchVI(MuName, []int{C}, "posterior mean (batch × code size)"),
			batchVI(LogVarName, []int{C}, "posterior log-variance (batch × code size)"))
	}
	if s.Encoder, err = mk(PartEncoder, func(b *builder) error {
		return b.walk(net.Encoder(), b.scaleIn(&scaler, InputName, inShape), CodeName, "enc.y", true)
	}, []graph.ValueInfo{inVI}, encOuts, "input → code"); err != nil {
		return nil, err
	}
	if s.Decoder, err = mk(PartDecoder, func(b *builder) error {
		return b.decoder(net, CodeName, &scaler, outShape)
	}, []graph.ValueInfo{codeVI}, []graph.ValueInfo{recVI}, "code → reconstruction"); err != nil {
		return nil, err
	}
	if vae {
		noiseVI := batchVI(NoiseName, []int{C}, "latent draws z ~ N(0, I) (batch × code size), supplied by the caller")
		sampleVI := batchVI(ReconstructionName, outShape, "generated samples (raw data units)")
		if s.Generate, err = mk(PartGenerate, func(b *builder) error {
			return b.decoder(net, NoiseName, &scaler, outShape)
		}, []graph.ValueInfo{noiseVI}, []graph.ValueInfo{sampleVI}, "noise z ~ N(0, I) → generated sample"); err != nil {
			return nil, err
		}
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
// and decoder.onnx (and generate.onnx for VAEs). Each file is written to a temporary file in dir, synced
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

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
