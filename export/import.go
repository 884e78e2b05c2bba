package export

import (
	"fmt"

	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer"
)

// Import reads a model.onnx written by Write back into a trainer.Model
// (spec, scaler and weights) so that training can continue, e.g. with
// trainer.Config.Initial. Only the full model (latent.part = "model")
// holds every layer; encoder.onnx and decoder.onnx are refused. The
// architecture comes from latent.spec and the weights from the initializers
// named after the trainer's parameters (enc0.W, enc0.b, ...); the nodes are
// not re-derived, so a graph edited by hand imports as its spec says.
func Import(path string) (*trainer.Model, *metadata.Metadata, error) {
	gm, err := graph.DecodeFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	if md, err := metadata.Read(gm); err == nil && md.Part == PartModel && models.IsVAE(md.Spec.Kind) {
		// A VAE's deterministic model.onnx lacks the logvar head: take it
		// from the encoder.onnx beside it.
		enc, err := siblingEncoder(path, md.Spec.Kind)
		if err != nil {
			return nil, nil, fmt.Errorf("import %s: %w", path, err)
		}
		m, err := fromImageGraph(gm, md, enc)
		if err != nil {
			return nil, nil, fmt.Errorf("import %s: %w", path, err)
		}
		return m, md, nil
	}
	m, md, err := FromGraph(gm)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	return m, md, nil
}

// FromGraph rebuilds the trainer model of a decoded latent export.
func FromGraph(gm *graph.Model) (*trainer.Model, *metadata.Metadata, error) {
	md, err := metadata.Read(gm)
	if err != nil {
		return nil, nil, err
	}
	if md.Part != PartModel {
		return nil, nil, fmt.Errorf("%s is %q: only the full model (%s) holds encoder and decoder weights", metadata.KeyPart, md.Part, ModelFile)
	}
	if models.IsImageKind(md.Spec.Kind) {
		m, err := fromImageGraph(gm, md, nil)
		return m, md, err
	}
	g := gm.Graph
	if len(g.Inputs) != 1 || g.Inputs[0].Name != InputName {
		return nil, nil, fmt.Errorf("graph inputs %v: want the single input %q", valueNames(g.Inputs), InputName)
	}
	if len(g.Outputs) != 1 || g.Outputs[0].Name != ReconstructionName {
		return nil, nil, fmt.Errorf("graph outputs %v: want the single output %q", valueNames(g.Outputs), ReconstructionName)
	}
	if sh := g.Inputs[0].Shape; len(sh) != 2 || sh[1].Value != int64(md.Spec.Input) {
		return nil, nil, fmt.Errorf("input %q has shape %s, the spec needs [batch,%d]", InputName, sh, md.Spec.Input)
	}
	m, err := trainer.NewModel(md.Spec, 0)
	if err != nil {
		return nil, nil, err
	}
	m.Scaler = md.Scaler
	for _, p := range m.Params() {
		t, ok := g.Initializers[p.Name]
		if !ok {
			return nil, nil, fmt.Errorf("initializer %s missing (parameter of the %s spec)", p.Name, md.Spec.Kind)
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
	// still be the transpose of their encoder layer.
	for j, l := range m.Decoder() {
		if !l.Tied {
			continue
		}
		name := fmt.Sprintf("dec%d.W", j)
		t, ok := g.Initializers[name]
		if !ok || t.DType != ops.Float32 || t.Len() != len(l.W) {
			return nil, nil, fmt.Errorf("tied initializer %s missing or not float32 [%d,%d]", name, l.Out, l.In)
		}
		for i, v := range t.F32() {
			if v != l.W[i] {
				return nil, nil, fmt.Errorf("tied initializer %s is not the transpose of enc%d.W (element %d: %g, want %g)", name, l.TiedTo, i, v, l.W[i])
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
