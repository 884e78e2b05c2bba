package export

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer"
	"github.com/latent-ml/latent/trainer/nn"
)

// imageTensors returns every tensor an image/VAE model is rebuilt from:
// its parameters and its layer state (batch norm running statistics).
func imageTensors(m *trainer.Model) []*nn.Param {
	ps := append([]*nn.Param(nil), m.Params()...)
	net := m.Network()
	for _, seq := range []*nn.Seq{net.Encoder, net.Decoder} {
		ps = append(ps, seq.State()...)
	}
	return ps
}

// fromImageGraph rebuilds an image/VAE model from model.onnx and, for
// VAEs (whose deterministic model.onnx has no logvar head), the
// initializers of the matching encoder.onnx (extra may be nil otherwise).
func fromImageGraph(gm *graph.Model, md *metadata.Metadata, extra *graph.Model) (*trainer.Model, error) {
	g := gm.Graph
	if len(g.Inputs) != 1 || g.Inputs[0].Name != InputName {
		return nil, fmt.Errorf("graph inputs %v: want the single input %q", valueNames(g.Inputs), InputName)
	}
	if len(g.Outputs) != 1 || g.Outputs[0].Name != ReconstructionName {
		return nil, fmt.Errorf("graph outputs %v: want the single output %q", valueNames(g.Outputs), ReconstructionName)
	}
	m, err := trainer.NewModel(md.Spec, 0)
	if err != nil {
		return nil, err
	}
	m.Scaler = md.Scaler
	shape := imageInputShape(m)
	sh := g.Inputs[0].Shape
	if len(sh) != len(shape)+1 {
		return nil, fmt.Errorf("input %q has shape %s, the spec needs [batch %v]", InputName, sh, shape)
	}
	for i, d := range shape {
		if sh[i+1].Value != int64(d) {
			return nil, fmt.Errorf("input %q has shape %s, the spec needs [batch %v]", InputName, sh, shape)
		}
	}
	for _, p := range imageTensors(m) {
		t, ok := g.Initializers[p.Name]
		if !ok && extra != nil {
			t, ok = extra.Graph.Initializers[p.Name]
		}
		if !ok {
			if models.IsVAE(md.Spec.Kind) && extra == nil {
				return nil, fmt.Errorf("initializer %s missing: a %s's model.onnx has no logvar head; import with Import from a folder that also holds %s", p.Name, md.Spec.Kind, EncoderFile)
			}
			return nil, fmt.Errorf("initializer %s missing (parameter of the %s spec)", p.Name, md.Spec.Kind)
		}
		if t.DType != ops.Float32 {
			return nil, fmt.Errorf("initializer %s is %s, want float32", p.Name, t.DType)
		}
		if t.Len() != len(p.Data) {
			return nil, fmt.Errorf("initializer %s has shape %s (%d values), the spec needs %v", p.Name, ops.ShapeString(t.Shape), t.Len(), p.Shape)
		}
		copy(p.Data, t.F32())
	}
	return m, nil
}

// siblingEncoder loads encoder.onnx beside a VAE's model.onnx (nil when the
// kind does not need it).
func siblingEncoder(path string, kind models.Kind) (*graph.Model, error) {
	if !models.IsVAE(kind) {
		return nil, nil
	}
	p := filepath.Join(filepath.Dir(path), EncoderFile)
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("a %s needs %s beside %s for its logvar head: %w", kind, EncoderFile, filepath.Base(path), err)
	}
	return graph.DecodeFile(p)
}

// FromGraphs rebuilds an image/VAE model from a decoded model.onnx and the
// encoder.onnx of the same export (needed for a VAE's logvar head; it may
// be nil for conv).
func FromGraphs(model, encoder *graph.Model) (*trainer.Model, *metadata.Metadata, error) {
	md, err := metadata.Read(model)
	if err != nil {
		return nil, nil, err
	}
	if md.Part != PartModel || !models.IsImageKind(md.Spec.Kind) {
		return nil, nil, fmt.Errorf("FromGraphs wants the model.onnx of a conv, vae or conv-vae export, got part %q of kind %s", md.Part, md.Spec.Kind)
	}
	if encoder != nil {
		emd, err := metadata.Read(encoder)
		if err != nil {
			return nil, nil, fmt.Errorf("encoder: %w", err)
		}
		if emd.Part != PartEncoder || emd.Spec.Kind != md.Spec.Kind {
			return nil, nil, fmt.Errorf("encoder graph is part %q of kind %s, want the encoder of a %s", emd.Part, emd.Spec.Kind, md.Spec.Kind)
		}
	}
	m, err := fromImageGraph(model, md, encoder)
	if err != nil {
		return nil, nil, err
	}
	return m, md, nil
}
