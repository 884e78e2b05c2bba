package export

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer"
	"github.com/latent-ml/latent/trainer/nn"
)

// Import reads a model.onnx written by Write back into a trainer.Model
// (spec, scaler, weights and layer state) so that training can continue,
// e.g. with trainer.Config.Initial. Only the full model (latent.part =
// "model") holds every layer; encoder.onnx and decoder.onnx are refused.
// The architecture comes from latent.spec and the tensors from the
// initializers named after the layers' tensors (enc0.W, enc0.b, ...,
// batch norm statistics); the nodes are not re-derived, so a graph edited
// by hand imports as its spec says. A tensor missing from model.onnx (a
// VAE's logvar head: model.onnx is deterministic) is taken from the
// encoder.onnx beside it.
func Import(path string) (*trainer.Model, *metadata.Metadata, error) {
	gm, err := graph.DecodeFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	sibling := func() (*graph.Model, error) {
		p := filepath.Join(filepath.Dir(path), EncoderFile)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s, which holds the tensors %s lacks: %w", EncoderFile, filepath.Base(path), err)
		}
		return graph.DecodeFile(p)
	}
	m, md, err := fromGraphs(gm, sibling)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	return m, md, nil
}

// FromGraph rebuilds the trainer model of a decoded latent model.onnx
// (every tensor must be in it: see FromGraphs for VAEs).
func FromGraph(gm *graph.Model) (*trainer.Model, *metadata.Metadata, error) {
	return fromGraphs(gm, nil)
}

// FromGraphs rebuilds a model from a decoded model.onnx and the
// encoder.onnx of the same export, which holds the tensors a VAE's
// deterministic model.onnx lacks (its logvar head); encoder may be nil
// for the other kinds.
func FromGraphs(model, encoder *graph.Model) (*trainer.Model, *metadata.Metadata, error) {
	if encoder == nil {
		return FromGraph(model)
	}
	md, err := metadata.Read(model)
	if err != nil {
		return nil, nil, err
	}
	emd, err := metadata.Read(encoder)
	if err != nil {
		return nil, nil, fmt.Errorf("encoder: %w", err)
	}
	if emd.Part != PartEncoder || emd.Spec.Kind != md.Spec.Kind {
		return nil, nil, fmt.Errorf("encoder graph is part %q of kind %s, want the encoder of a %s", emd.Part, emd.Spec.Kind, md.Spec.Kind)
	}
	return fromGraphs(model, func() (*graph.Model, error) { return encoder, nil })
}

// fromGraphs builds the spec's layers and fills every tensor from the
// initializer of the same name, in gm or else in the graph extra returns
// (loaded only when needed; extra may be nil).
func fromGraphs(gm *graph.Model, extra func() (*graph.Model, error)) (*trainer.Model, *metadata.Metadata, error) {
	md, err := metadata.Read(gm)
	if err != nil {
		return nil, nil, err
	}
	if md.Part != PartModel {
		return nil, nil, fmt.Errorf("%s is %q: only the full model (%s) holds encoder and decoder weights", metadata.KeyPart, md.Part, ModelFile)
	}
	g := gm.Graph
	if len(g.Inputs) != 1 || g.Inputs[0].Name != InputName {
		return nil, nil, fmt.Errorf("graph inputs %v: want the single input %q", valueNames(g.Inputs), InputName)
	}
	if len(g.Outputs) != 1 || g.Outputs[0].Name != ReconstructionName {
		return nil, nil, fmt.Errorf("graph outputs %v: want the single output %q", valueNames(g.Outputs), ReconstructionName)
	}
	m, err := trainer.NewModel(md.Spec, 0)
	if err != nil {
		return nil, nil, err
	}
	m.Scaler = md.Scaler
	net := m.Network()
	shape := net.InShape()
	sh := g.Inputs[0].Shape
	ok := len(sh) == len(shape)+1
	for i := 0; ok && i < len(shape); i++ {
		ok = sh[i+1].Value == int64(shape[i])
	}
	if !ok {
		return nil, nil, fmt.Errorf("input %q has shape %s, the spec needs [batch,%s]", InputName, sh, dimsString(shape))
	}
	var more *graph.Model
	lookup := func(name string) (*ops.Tensor, error) {
		if t, ok := g.Initializers[name]; ok {
			return t, nil
		}
		if extra == nil {
			return nil, fmt.Errorf("initializer %s missing (a tensor of the %s spec)", name, md.Spec.Kind)
		}
		if more == nil {
			var err error
			if more, err = extra(); err != nil {
				return nil, fmt.Errorf("initializer %s is not in %s: %w", name, ModelFile, err)
			}
		}
		if t, ok := more.Graph.Initializers[name]; ok {
			return t, nil
		}
		return nil, fmt.Errorf("initializer %s missing from %s and %s (a tensor of the %s spec)", name, ModelFile, EncoderFile, md.Spec.Kind)
	}
	for _, p := range append(net.Params(), net.State()...) {
		t, err := lookup(p.Name)
		if err != nil {
			return nil, nil, err
		}
		if t.DType != ops.Float32 {
			return nil, nil, fmt.Errorf("initializer %s is %s, want float32", p.Name, t.DType)
		}
		if t.Len() != len(p.Data) {
			return nil, nil, fmt.Errorf("initializer %s has shape %s (%d values), the spec needs %v", p.Name, ops.ShapeString(t.Shape), t.Len(), p.Shape)
		}
		copy(p.Data, t.F32())
	}
	// Tied decoder weights are exported as real initializers; they must
	// still be the transpose of the tensor they share.
	for _, l := range net.Layers {
		d, ok := l.(*nn.Dense)
		if !ok || !d.Transposed {
			continue
		}
		name := d.Name + ".W"
		want := d.WeightsOutIn()
		t, ok := g.Initializers[name]
		if !ok || t.DType != ops.Float32 || t.Len() != len(want) {
			return nil, nil, fmt.Errorf("tied initializer %s missing or not float32 [%d,%d]", name, d.Out, d.In)
		}
		for i, v := range t.F32() {
			if v != want[i] {
				return nil, nil, fmt.Errorf("tied initializer %s is not the transpose of %s (element %d: %g, want %g)", name, d.W.Name, i, v, want[i])
			}
		}
	}
	return m, md, nil
}

func valueNames(vs []graph.ValueInfo) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}
