package export_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/internal/golden"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer"
)

// Write then Import gives back, for every kind and layer option, the same
// parameters and layer state (batch norm statistics) and so the same
// reconstructions and samples; VAEs take their logvar head from the
// encoder.onnx beside model.onnx.
func TestImportEveryKind(t *testing.T) {
	ms := map[string]*trainer.Model{}
	for _, kind := range models.AllKinds() {
		ms[string(kind)] = tiny(t, kind).Model
	}
	ds := golden.Images(32, 5)
	for name, spec := range exportSpecs() {
		m, _, err := trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 1, BatchSize: 16, Seed: 2})
		require.NoError(t, err, name)
		ms[name] = m
	}
	for name, m := range ms {
		t.Run(name, func(t *testing.T) {
			p, err := export.Write(context.Background(), t.TempDir(), m, export.Options{})
			require.NoError(t, err)
			back, md, err := export.Import(p.Model)
			require.NoError(t, err)
			assert.Equal(t, m.Spec.Kind, md.Spec.Kind)
			for i, q := range m.Params() {
				assert.Equal(t, q.Data, back.Params()[i].Data, "%s after import", q.Name)
			}
			for i, q := range m.Network().State() {
				assert.Equal(t, q.Data, back.Network().State()[i].Data, "%s after import", q.Name)
			}
			x := golden.Inputs(m, 1)
			a, err := m.Reconstruct(x.F32(), x.Shape[0])
			require.NoError(t, err)
			b, err := back.Reconstruct(x.F32(), x.Shape[0])
			require.NoError(t, err)
			assert.Equal(t, a, b, "reconstructions after import")
			if models.IsVAE(m.Spec.Kind) {
				sa, _, err := m.Sample(3, 1)
				require.NoError(t, err)
				sb, _, err := back.Sample(3, 1)
				require.NoError(t, err)
				assert.Equal(t, sa, sb, "samples after import")
				gm, err := graph.DecodeFile(p.Model)
				require.NoError(t, err)
				_, _, err = export.FromGraph(gm)
				assert.ErrorContains(t, err, "logvar.W missing", "FromGraph of a VAE model.onnx alone")
				eg, err := graph.DecodeFile(p.Encoder)
				require.NoError(t, err)
				viaGraphs, _, err := export.FromGraphs(gm, eg)
				require.NoError(t, err)
				c, err := viaGraphs.Reconstruct(x.F32(), x.Shape[0])
				require.NoError(t, err)
				assert.Equal(t, a, c, "FromGraphs reconstructions")
			}
		})
	}
}

// A model imported from ONNX continues training from its weights.
func TestImportThenTrain(t *testing.T) {
	c := tiny(t, models.Denoising)
	p, err := export.Write(context.Background(), t.TempDir(), c.Model, export.Options{})
	require.NoError(t, err)
	m, md, err := export.Import(p.Model)
	require.NoError(t, err)
	assert.Equal(t, models.Denoising, md.Spec.Kind)
	m2, res, err := trainer.Train(context.Background(), models.Spec{}, c.Train, trainer.Config{Epochs: 2, BatchSize: 16, LR: 1e-2, Seed: 5, Initial: m})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Epochs)
	assert.NotEqual(t, m.Params()[0].Data, m2.Params()[0].Data, "continued training changes the weights")
	// A fresh model starts far worse than the imported one.
	assert.Less(t, res.History[0].ReconLoss, c.Result.History[0].ReconLoss, "first continued epoch vs the original first epoch")

	// Refusals.
	_, _, err = export.Import(p.Encoder)
	assert.ErrorContains(t, err, "only the full model")
	_, _, err = export.Import(filepath.Join(goldenDir, "dense_gemm", "model.onnx"))
	assert.ErrorContains(t, err, "latent.format_version", "a foreign model")
}

// TestImportRejectsEdits changes an exported graph in ways import must
// notice.
func TestImportRejectsEdits(t *testing.T) {
	c := tiny(t, models.Deep)
	build := func() *graph.Model {
		s, err := export.Build(c.Model, export.Options{})
		require.NoError(t, err)
		return s.Model
	}
	gm := build()
	gm.Graph.Initializers["dec0.W"].F32()[0] += 1
	_, _, err := export.FromGraph(gm)
	assert.ErrorContains(t, err, "not the transpose", "edited tied weights")
	gm = build()
	delete(gm.Graph.Initializers, "enc1.b")
	_, _, err = export.FromGraph(gm)
	assert.ErrorContains(t, err, "enc1.b missing")
	gm = build()
	gm.Graph.Initializers["enc0.W"] = ops.FromFloat32([]int{2}, []float32{1, 2})
	_, _, err = export.FromGraph(gm)
	assert.ErrorContains(t, err, "enc0.W has shape [2]")
	gm = build()
	for i := range gm.Metadata {
		if gm.Metadata[i].Key == "latent.input_offset" {
			gm.Metadata[i].Value = "[1,2]"
		}
	}
	_, _, err = export.FromGraph(gm)
	assert.ErrorContains(t, err, "latent.input_offset", "short offsets")
	gm = build()
	gm.Graph.Inputs[0].Shape[1].Value = 9
	_, _, err = export.FromGraph(gm)
	assert.ErrorContains(t, err, "the spec needs [batch,8]")
	// Conv: a batch norm statistic is a tensor like the others.
	s, err := export.Build(tiny(t, models.Conv).Model, export.Options{})
	require.NoError(t, err)
	delete(s.Model.Graph.Initializers, "enc.bn0.running_var")
	_, _, err = export.FromGraph(s.Model)
	assert.ErrorContains(t, err, "enc.bn0.running_var missing")
}
