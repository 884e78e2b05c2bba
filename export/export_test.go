package export_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/internal/golden"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/runtime/verify"
	"github.com/latent-ml/latent/trainer"
	"github.com/latent-ml/latent/trainer/nn"
)

const goldenDir = "../testdata/golden"

// backends returns the backends to check: native, and ONNX Runtime when it
// loads (under CI it must).
func backends(t *testing.T) []string {
	if err := ort.Available(); err != nil {
		require.Empty(t, os.Getenv("CI"), "CI is set but ONNX Runtime is unavailable: %v", err)
		t.Logf("ONNX Runtime unavailable, native backend only (run `%s`): %v", ort.InstallCommand, err)
		return []string{"native"}
	}
	return []string{"native", "ort"}
}

// runAll runs gm on backend as a file would hold it (encoded and decoded
// again, so the serialisation is under test too) and returns its outputs.
func runAll(t *testing.T, backend string, gm *graph.Model, ins ...*ops.Tensor) []*ops.Tensor {
	t.Helper()
	b, err := graph.Encode(gm)
	require.NoError(t, err)
	gm, err = graph.Decode(b, "")
	require.NoError(t, err)
	out, err := verify.RunBackend(context.Background(), backend, gm, runtime.Config{IntraOpThreads: 1, Optimize: true}, ins)
	require.NoError(t, err, "%s on %s", gm.Graph.Name, backend)
	return out
}

// runOn runs a one-output graph on backend (runAll) and returns its output.
func runOn(t *testing.T, backend string, gm *graph.Model, in *ops.Tensor) *ops.Tensor {
	t.Helper()
	out := runAll(t, backend, gm, in)
	require.Len(t, out, 1, "%s on %s: outputs", gm.Graph.Name, backend)
	return out[0]
}

func near(t *testing.T, what string, got, want *ops.Tensor, atol float64) {
	t.Helper()
	r := verify.CompareTensors(what, got, want, atol, 0)
	assert.True(t, r.Pass, "%s: %+v", what, r)
}

// shaped wraps trainer values in a tensor of the given shape.
func shaped(v []float32, shape ...int) *ops.Tensor { return ops.FromFloat32(shape, v) }

// batchShape is a model's graph input shape for rows samples.
func batchShape(m *trainer.Model, rows int) []int {
	return append([]int{rows}, m.Network().InShape()...)
}

var (
	casesMu sync.Mutex
	cases   = map[models.Kind]*golden.Case{}
)

// tiny trains (once per test binary) the golden model of kind.
func tiny(t *testing.T, kind models.Kind) *golden.Case {
	t.Helper()
	casesMu.Lock()
	defer casesMu.Unlock()
	if c, ok := cases[kind]; ok {
		return c
	}
	c, err := golden.Train(context.Background(), kind)
	require.NoError(t, err)
	cases[kind] = c
	return c
}

// trainerOutputs is what the trainer computes for a part's inputs: the
// reconstruction, the code (and a VAE's mu and logvar), the decoding.
func trainerOutputs(t *testing.T, m *trainer.Model, part string, x *ops.Tensor) []*ops.Tensor {
	t.Helper()
	rows, C := x.Shape[0], m.Spec.Code
	outShape := append([]int{rows}, m.Network().OutShape()...)
	switch part {
	case export.PartModel:
		rec, err := m.Reconstruct(x.F32(), rows)
		require.NoError(t, err)
		return []*ops.Tensor{shaped(rec, outShape...)}
	case export.PartEncoder:
		code, err := m.Encode(x.F32(), rows)
		require.NoError(t, err)
		out := []*ops.Tensor{shaped(code, rows, C)}
		if models.IsVAE(m.Spec.Kind) {
			mu, lv, err := m.Posterior(x.F32(), rows)
			require.NoError(t, err)
			out = append(out, shaped(mu, rows, C), shaped(lv, rows, C))
		}
		return out
	}
	rec, err := m.Decode(x.F32(), rows) // decoder and generate
	require.NoError(t, err)
	return []*ops.Tensor{shaped(rec, outShape...)}
}

// TestGoldenExports runs every committed export (testdata/golden/ae-*,
// every part of every kind) and checks: the trainer (the model imported
// back from the export) reproduces the recorded outputs; native and ONNX
// Runtime reproduce them within the folder's tolerance;
// decoder(encoder(x)) == model(x) on every backend.
func TestGoldenExports(t *testing.T) {
	bks := backends(t)
	for _, kind := range models.AllKinds() {
		t.Run(string(kind), func(t *testing.T) {
			graphs := map[string]*graph.Model{}
			for _, part := range golden.Parts(kind) {
				gm, err := graph.DecodeFile(filepath.Join(goldenDir, golden.Dir(kind, part), "model.onnx"))
				require.NoError(t, err, "regenerate with go run ./tools/mkexports -only %s", kind)
				graphs[part] = gm
			}
			// The golden folders hold one graph each: a VAE's logvar head
			// comes from the encoder folder.
			m, md, err := export.FromGraphs(graphs[export.PartModel], graphs[export.PartEncoder])
			require.NoError(t, err)
			require.Equal(t, kind, md.Spec.Kind, "latent.spec kind")
			for _, part := range golden.Parts(kind) {
				dir := filepath.Join(goldenDir, golden.Dir(kind, part))
				gm := graphs[part]
				tol, err := verify.LoadTolerance(dir)
				require.NoError(t, err)
				sets, err := verify.DataSets(dir)
				require.NoError(t, err)
				require.Len(t, sets, len(golden.Batches), "%s data sets", dir)
				for _, set := range sets {
					ins, err := verify.ReadTensors(set, "input")
					require.NoError(t, err)
					want, err := verify.ReadTensors(set, "output")
					require.NoError(t, err)
					require.Len(t, ins, 1)
					name := filepath.Base(dir) + "/" + filepath.Base(set)
					got := trainerOutputs(t, m, part, ins[0])
					require.Len(t, got, len(want), "%s: trainer outputs", name)
					for i := range want {
						near(t, fmt.Sprintf("%s trainer output %d", name, i), got[i], want[i], golden.Atol)
					}
					for _, b := range bks {
						got := runAll(t, b, gm, ins...)
						require.Len(t, got, len(want), "%s on %s: outputs", name, b)
						for i := range want {
							r := verify.CompareTensors(b, got[i], want[i], tol.Atol, tol.Rtol)
							assert.True(t, r.Pass, "%s %s output %d: %+v", name, b, i, r)
						}
					}
				}
			}
			// decoder(encoder(x)) on each backend's own code is model(x).
			x := golden.Inputs(m, 1)
			for _, b := range bks {
				code := runAll(t, b, graphs[export.PartEncoder], x)[0]
				near(t, b+" decoder(encoder(x)) vs model(x)", runOn(t, b, graphs[export.PartDecoder], code), runOn(t, b, graphs[export.PartModel], x), golden.Atol)
			}
		})
	}
}

// exportSpecs are specs beyond the golden ones that exercise each layer
// option of the kinds with convolutions or a posterior.
func exportSpecs() map[string]models.Spec {
	conv := models.NewConv([]int{1, 8, 8}, []int{3, 4}, 3)
	convBN := conv
	convBN.BatchNorm = true
	convBN.Activation, convBN.Alpha = models.LeakyRelu, 0.2
	nearest := conv
	nearest.Upsampling = models.NearestConv
	nearest.Pooling = models.MaxPooling
	bil := conv
	bil.Upsampling, bil.Loss, bil.OutputActivation = models.BilinearConv, models.MSE, models.Identity
	bil.Pooling = models.AvgPooling
	selu := conv
	selu.Activation, selu.Loss, selu.OutputActivation = models.Selu, models.MSE, models.Sigmoid
	vae := models.NewVAE(64, []int{6}, 2)
	vae.Dropout = 0.2 // training only: the exports must match the trainer's inference
	cvae := models.NewConvVAE([]int{1, 8, 8}, []int{3}, 2)
	deepDrop := models.NewDeep(64, []int{12}, 3)
	deepDrop.Dropout = 0.3
	return map[string]models.Spec{"conv": conv, "conv-bn-leaky": convBN, "conv-nearest-maxpool": nearest, "conv-bilinear-avgpool": bil,
		"conv-selu-mse": selu, "vae-dropout": vae, "conv-vae": cvae, "deep-dropout": deepDrop}
}

// TestFreshExportsMatchTrainer exports freshly trained models of every kind
// and layer option (this machine's trainer, not the committed files) and
// compares every part on every backend with the trainer's forward pass.
func TestFreshExportsMatchTrainer(t *testing.T) {
	bks := backends(t)
	ms := map[string]*trainer.Model{}
	for _, kind := range models.AllKinds() {
		ms[string(kind)] = tiny(t, kind).Model
	}
	ds := golden.Images(48, 1)
	for name, spec := range exportSpecs() {
		m, _, err := trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 2, BatchSize: 16, LR: 1e-2, Seed: 3, Workers: 1})
		require.NoError(t, err, name)
		ms[name] = m
	}
	for name, m := range ms {
		t.Run(name, func(t *testing.T) {
			s, err := export.Build(m, export.Options{})
			require.NoError(t, err)
			x := golden.Inputs(m, 1)
			rows, C := x.Shape[0], m.Spec.Code
			code := trainerOutputs(t, m, export.PartEncoder, x)
			z := golden.Noise(C, 1)
			graphs := map[string]*graph.Model{export.PartModel: s.Model, export.PartEncoder: s.Encoder, export.PartDecoder: s.Decoder, export.PartGenerate: s.Generate}
			ins := map[string]*ops.Tensor{export.PartModel: x, export.PartEncoder: x, export.PartDecoder: code[0], export.PartGenerate: z}
			assert.Equal(t, models.IsVAE(m.Spec.Kind), s.Generate != nil, "generate.onnx for VAEs only")
			for _, part := range golden.Parts(m.Spec.Kind) {
				want := trainerOutputs(t, m, part, ins[part])
				for _, b := range bks {
					got := runAll(t, b, graphs[part], ins[part])
					require.Len(t, got, len(want), "%s on %s: outputs", part, b)
					for i := range want {
						near(t, fmt.Sprintf("%s %s output %d", b, part, i), got[i], want[i], golden.Atol)
					}
				}
			}
			in := s.Model.Graph.Inputs[0]
			assert.Equal(t, export.BatchDim, in.Shape[0].Param, "symbolic batch")
			assert.Len(t, in.Shape, len(batchShape(m, rows)), "model input rank")
		})
	}
}

// TestGraphStructure checks what the issue promises about the graphs:
// names, symbolic batch, versions, doc strings, Gemm(transB=1) per layer,
// no training-only operators, tied weights as initializers.
func TestGraphStructure(t *testing.T) {
	c := tiny(t, models.Deep) // tied, leaky-relu, hidden layer, minmax scaling
	s, err := export.Build(c.Model, export.Options{})
	require.NoError(t, err)
	for _, tc := range []struct {
		gm      *graph.Model
		in, out string
		gemms   int
	}{{s.Model, "input", "reconstruction", 4}, {s.Encoder, "input", "code", 2}, {s.Decoder, "code", "reconstruction", 2}} {
		gm := tc.gm
		name := gm.Graph.Name
		assert.Equal(t, int64(8), gm.IRVersion, name)
		assert.Equal(t, int64(17), gm.Opset(), name)
		assert.Equal(t, "latent", gm.ProducerName, name)
		assert.NotEmpty(t, gm.ProducerVersion, name)
		assert.NotEmpty(t, gm.DocString, name)
		assert.NotEmpty(t, gm.Graph.DocString, name)
		for _, io := range []struct {
			vis  []graph.ValueInfo
			name string
		}{{gm.Graph.Inputs, tc.in}, {gm.Graph.Outputs, tc.out}} {
			require.Len(t, io.vis, 1, name)
			vi := io.vis[0]
			assert.Equal(t, io.name, vi.Name, name)
			assert.Equal(t, ops.Float32, vi.DType, name)
			require.Len(t, vi.Shape, 2, "%s: %s is [batch, n]", name, vi.Name)
			assert.Equal(t, "batch", vi.Shape[0].Param, name)
			assert.NotEmpty(t, vi.DocString, name)
		}
		gemms := 0
		for _, n := range gm.Graph.Nodes {
			switch n.OpType {
			case "Gemm":
				gemms++
				tb, err := n.Int("transB", 0)
				require.NoError(t, err)
				assert.Equal(t, int64(1), tb, "%s: %s transB", name, n.Label())
			case "Dropout", "RandomNormalLike", "RandomUniformLike", "Bernoulli", "Identity":
				assert.Fail(t, "training-only or idle node", "%s: %s", name, n.Label())
			}
		}
		assert.Equal(t, tc.gemms, gemms, "%s: Gemm nodes", name)
	}
	// Tied decoder weights are real initializers equal to the transposed
	// encoder weights.
	tied := 0
	for _, l := range c.Model.Network().Decoder() {
		d, ok := l.(*nn.Dense)
		if !ok {
			continue
		}
		require.True(t, d.Transposed, "decoder layer %s not tied", d.Name)
		tied++
		w := s.Model.Graph.Initializers[d.Name+".W"]
		require.NotNil(t, w, "%s.W", d.Name)
		require.Equal(t, []int{d.Out, d.In}, w.Shape, "%s.W shape", d.Name)
		for r := 0; r < d.Out; r++ {
			for k := 0; k < d.In; k++ {
				require.Equal(t, d.W.Data[k*d.Out+r], w.F32()[r*d.In+k], "%s.W[%d,%d] is not %s[%d,%d]", d.Name, r, k, d.W.Name, k, r)
			}
		}
	}
	assert.Equal(t, 2, tied, "tied decoder layers")
	// Training-only layers leave no node: a denoising model's graph starts
	// with the scaling, a dropout VAE's has no Dropout or Identity but the
	// code's.
	dn, err := export.Build(tiny(t, models.Denoising).Model, export.Options{})
	require.NoError(t, err)
	assert.Equal(t, "Sub", dn.Model.Graph.Nodes[0].OpType, "first node of a denoising model")
	v, err := trainer.NewModel(exportSpecs()["vae-dropout"], 1)
	require.NoError(t, err)
	vs, err := export.Build(v, export.Options{})
	require.NoError(t, err)
	var ops []string
	for _, n := range vs.Encoder.Graph.Nodes {
		ops = append(ops, n.OpType)
	}
	assert.Equal(t, []string{"Gemm", "Relu", "Gemm", "Gemm", "Identity"}, ops, "VAE encoder: hidden layer, mu, logvar, code = mu")
}

// TestOpsets exports at every supported opset: the IR version follows, and
// the native backend and ONNX Runtime (when present) still agree with the
// trainer. Opsets outside 13..21 are refused.
func TestOpsets(t *testing.T) {
	bks := backends(t)
	want := map[int64]int64{13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}
	for _, kind := range []models.Kind{models.KSparse, models.Conv, models.VAE} {
		m := tiny(t, kind).Model
		x := golden.Inputs(m, 1)
		rec := trainerOutputs(t, m, export.PartModel, x)[0]
		for opset := int64(export.MinOpset); opset <= export.MaxOpset; opset++ {
			s, err := export.Build(m, export.Options{Opset: opset})
			require.NoError(t, err, "%s opset %d", kind, opset)
			assert.Equal(t, opset, s.Model.Opset())
			assert.Equal(t, want[opset], s.Model.IRVersion, "opset %d IR version", opset)
			for _, b := range bks {
				near(t, fmt.Sprintf("%s opset %d on %s", kind, opset, b), runOn(t, b, s.Model, x), rec, golden.Atol)
			}
		}
		for _, bad := range []int64{12, 22, -1} {
			_, err := export.Build(m, export.Options{Opset: bad})
			assert.ErrorContains(t, err, fmt.Sprintf("opset %d", bad))
		}
	}
}

// TestKSparseTies builds a k-sparse model whose code has exactly equal
// units: the graph must keep the lower indices like the trainer.
func TestKSparseTies(t *testing.T) {
	spec := models.NewKSparse(3, 5, 2)
	m, err := trainer.NewModel(spec, 1)
	require.NoError(t, err)
	// enc0.W rows 1, 2 and 4 identical, biases equal: units 1, 2, 4 tie.
	W := m.Params()[0].Data
	for k := 0; k < 3; k++ {
		W[2*3+k] = W[1*3+k]
		W[4*3+k] = W[1*3+k]
	}
	x := ops.FromFloat32([]int{3, 3}, []float32{1, 2, 3, -1, 0.5, 2, 0, 0, 0})
	code, err := m.Encode(x.F32(), 3)
	require.NoError(t, err)
	rec, err := m.Reconstruct(x.F32(), 3)
	require.NoError(t, err)
	s, err := export.Build(m, export.Options{})
	require.NoError(t, err)
	for _, b := range backends(t) {
		got := runOn(t, b, s.Encoder, x)
		near(t, b+" code", got, shaped(code, 3, 5), golden.Atol)
		for i, v := range got.F32() {
			require.Equal(t, code[i] == 0, v == 0, "%s keeps other units than the trainer: code %v, trainer %v", b, got.F32(), code)
		}
		near(t, b+" reconstruction", runOn(t, b, s.Model, x), shaped(rec, 3, 3), golden.Atol)
	}
	// Units 1, 2 and 4 are equal in every row; at least one row must keep
	// unit 1 and drop its twin 2 at the k-th place for this test to mean
	// anything.
	tied := false
	for r := 0; r < 3; r++ {
		nz := 0
		for _, v := range code[r*5 : (r+1)*5] {
			if v != 0 {
				nz++
			}
		}
		assert.LessOrEqual(t, nz, 2, "row %d keeps too many units", r)
		tied = tied || code[r*5+1] != 0 && code[r*5+2] == 0
	}
	assert.True(t, tied, "no row had its tie resolved to the lower index: %v", code)
}

// TestMetadata reads back every latent.* key.
func TestMetadata(t *testing.T) {
	c := tiny(t, models.Undercomplete)
	sum := export.SummaryOf(c.Result, c.Train.N, c.Train.D)
	thr := 0.125
	s, err := export.Build(c.Model, export.Options{Threshold: &thr, Training: &sum})
	require.NoError(t, err)
	for part, gm := range map[string]*graph.Model{"model": s.Model, "encoder": s.Encoder, "decoder": s.Decoder} {
		md, err := metadata.Read(gm)
		require.NoError(t, err)
		assert.Equal(t, part, md.Part)
		assert.Equal(t, models.Undercomplete, md.Spec.Kind, part)
		assert.Equal(t, c.Model.Spec.Code, md.Spec.Code, part)
		assert.Equal(t, c.Model.Scaler.Kind, md.Scaler.Kind, part)
		assert.Equal(t, c.Model.Scaler.Offset, md.Scaler.Offset, part)
		assert.Equal(t, c.Model.Scaler.Scale, md.Scaler.Scale, part)
		require.NotNil(t, md.Threshold, part)
		assert.Equal(t, thr, *md.Threshold, part)
		last := c.Result.History[len(c.Result.History)-1]
		require.NotNil(t, md.Training, part)
		assert.Equal(t, 3, md.Training.Epochs, part)
		assert.Equal(t, last.Loss, md.Training.FinalLoss, part)
		assert.Equal(t, []int{golden.Rows, golden.Features}, md.Training.DataShape, part)
		for key, want := range map[string]string{"latent.kind": "undercomplete", "latent.loss": "mse", "latent.code_size": "3",
			"latent.input_size": "8", "latent.input_scaling": "minmax", "latent.input_scaling_applied": "in-graph", "latent.threshold": "0.125"} {
			v, _ := gm.MetadataValue(key)
			assert.Equal(t, want, v, "%s: %s", part, key)
		}
	}
	// No threshold until calibrated.
	s, err = export.Build(c.Model, export.Options{})
	require.NoError(t, err)
	_, ok := s.Model.MetadataValue("latent.threshold")
	assert.False(t, ok, "latent.threshold written without a calibrated threshold")
	nan := math.NaN()
	_, err = export.Build(c.Model, export.Options{Threshold: &nan})
	assert.ErrorContains(t, err, "threshold")
}

// TestActivationsAndBCE exports untrained models (random weights and
// biases) with every activation in every position, including a BCE output
// (the trainer computes logits, the graph a sigmoid) and custom alphas,
// dense and convolutional, and compares every backend with the trainer.
func TestActivationsAndBCE(t *testing.T) {
	bks := backends(t)
	for _, act := range models.Activations() {
		for _, loss := range []models.Loss{models.MSE, models.BCE} {
			dense := models.NewDeep(5, []int{4}, 3)
			conv := models.NewConv([]int{1, 4, 4}, []int{2}, 3)
			for _, spec := range []models.Spec{dense, conv} {
				spec.Activation, spec.Loss = act, loss
				if spec.Kind == models.Deep {
					spec.CodeActivation = act
				}
				if loss == models.MSE {
					spec.OutputActivation = act
				}
				if act == models.LeakyRelu {
					spec.Alpha = 0.2
				}
				if act == models.Elu {
					spec.Alpha = 0.7
				}
				name := fmt.Sprintf("%s/%s/%s", spec.Kind, act, loss)
				m, err := trainer.NewModel(spec, 11)
				require.NoError(t, err, name)
				for _, p := range m.Params() {
					if strings.HasSuffix(p.Name, ".b") {
						for i := range p.Data {
							p.Data[i] = float32(i%3) - 0.8
						}
					}
				}
				r := rand.New(rand.NewPCG(4, 4))
				x := make([]float32, 2*spec.Input)
				for i := range x {
					x[i] = float32(r.NormFloat64() * 1.5)
				}
				xt := shaped(x, batchShape(m, 2)...)
				rec := trainerOutputs(t, m, export.PartModel, xt)[0]
				s, err := export.Build(m, export.Options{})
				require.NoError(t, err, name)
				for _, b := range bks {
					near(t, name+" on "+b, runOn(t, b, s.Model, xt), rec, golden.Atol)
				}
			}
		}
	}
}

// A non-square, odd-width, two-channel conv model (per-axis output padding
// in the decoder) exports and runs like the trainer on every backend.
func TestNonSquareConvExport(t *testing.T) {
	bks := backends(t)
	spec := models.NewConv([]int{2, 8, 7}, []int{3, 2}, 3)
	spec.Input = 2 * 8 * 7
	for _, pool := range []models.Downsampling{models.StridedConv, models.AvgPooling} {
		spec.Pooling = pool
		if pool != models.StridedConv {
			spec.Image = []int{2, 8, 12} // pooling halves exactly: even sizes
			spec.Input = 2 * 8 * 12
		}
		m, err := trainer.NewModel(spec, 4)
		require.NoError(t, err)
		s, err := export.Build(m, export.Options{})
		require.NoError(t, err)
		r := rand.New(rand.NewPCG(1, 1))
		x := make([]float32, 3*spec.Input)
		for i := range x {
			x[i] = r.Float32()
		}
		xt := shaped(x, batchShape(m, 3)...)
		rec := trainerOutputs(t, m, export.PartModel, xt)[0]
		for _, b := range bks {
			near(t, b+" model "+string(pool), runOn(t, b, s.Model, xt), rec, 1e-5)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	for _, kind := range []models.Kind{models.Deep, models.VAE} {
		m := tiny(t, kind).Model
		dir := filepath.Join(t.TempDir(), "out")
		// A stale model.onnx is replaced.
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "model.onnx"), []byte("stale"), 0o644))
		p, err := export.Write(context.Background(), dir, m, export.Options{})
		require.NoError(t, err)
		ents, err := os.ReadDir(dir)
		require.NoError(t, err)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		want := []string{"decoder.onnx", "encoder.onnx", "model.onnx"}
		if kind == models.VAE {
			want = []string{"decoder.onnx", "encoder.onnx", "generate.onnx", "model.onnx"}
			assert.Equal(t, filepath.Join(dir, export.GenerateFile), p.Generate)
			gm, err := graph.DecodeFile(p.Generate)
			require.NoError(t, err)
			md, err := metadata.Read(gm)
			require.NoError(t, err)
			assert.Equal(t, export.PartGenerate, md.Part)
			assert.Equal(t, models.VAE, md.Spec.Kind)
			assert.Equal(t, export.NoiseName, gm.Graph.Inputs[0].Name, "generate input")
		} else {
			assert.Empty(t, p.Generate)
		}
		assert.Equal(t, want, names, "%s: the folder holds exactly the exports", kind)
		assert.True(t, slices.IsSorted(names))
		_, err = export.Write(context.Background(), filepath.Join(dir, "model.onnx", "sub"), m, export.Options{})
		assert.Error(t, err, "writing under a file")
	}
	_, err := export.Write(context.Background(), t.TempDir(), nil, export.Options{})
	assert.ErrorContains(t, err, "nil model")
}
