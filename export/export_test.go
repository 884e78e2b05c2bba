package export_test

import (
	"context"
	"fmt"
	"math"
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
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/runtime/verify"
	"github.com/latent-ml/latent/trainer"
	"github.com/latent-ml/latent/trainer/nn"
)

const goldenDir = "../testdata/golden"

// requireORT skips outside CI and fails under CI when ONNX Runtime cannot
// be loaded.
func requireORT(t *testing.T) {
	t.Helper()
	if err := ort.Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but ONNX Runtime is unavailable: %v", err)
		}
		t.Skipf("ONNX Runtime unavailable (run `%s`): %v", ort.InstallCommand, err)
	}
}

func backends(t *testing.T) []string {
	if err := ort.Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but ONNX Runtime is unavailable: %v", err)
		}
		t.Logf("ONNX Runtime unavailable, native backend only (run `%s`): %v", ort.InstallCommand, err)
		return []string{"native"}
	}
	return []string{"native", "ort"}
}

// runOn runs a one-output graph on backend after a serialisation round
// trip (runAll) and returns its output.
func runOn(t *testing.T, backend string, gm *graph.Model, in *ops.Tensor) *ops.Tensor {
	t.Helper()
	out := runAll(t, backend, gm, in)
	if len(out) != 1 {
		t.Fatalf("%s on %s: %d outputs, want 1", gm.Graph.Name, backend, len(out))
	}
	return out[0]
}

func near(t *testing.T, what string, got, want *ops.Tensor, atol float64) {
	t.Helper()
	if r := verify.CompareTensors(what, got, want, atol, 0); !r.Pass {
		t.Errorf("%s: %+v", what, r)
	}
}

// tensorOf wraps rows of a trainer result.
func tensorOf(rows, cols int, v []float32) *ops.Tensor {
	return ops.FromFloat32([]int{rows, cols}, v)
}

// TestGoldenExports runs every committed export (testdata/golden/ae-*) and
// checks, per kind: the trainer (the model imported back from model.onnx)
// reproduces the recorded outputs; native and ONNX Runtime reproduce them
// within 1e-5; decoder(encoder(x)) == model(x) on every backend.
func TestGoldenExports(t *testing.T) {
	bks := backends(t)
	for _, kind := range models.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			load := func(part string) (*graph.Model, []string) {
				dir := filepath.Join(goldenDir, golden.Dir(kind, part))
				gm, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
				if err != nil {
					t.Fatalf("%v (regenerate with go run ./tools/mkexports)", err)
				}
				sets, err := verify.DataSets(dir)
				if err != nil || len(sets) != len(golden.Batches) {
					t.Fatalf("%s: data sets %v, %v; want %d", dir, sets, err, len(golden.Batches))
				}
				return gm, sets
			}
			full, sets := load(export.PartModel)
			enc, encSets := load(export.PartEncoder)
			dec, decSets := load(export.PartDecoder)
			m, md, err := export.FromGraph(full)
			if err != nil {
				t.Fatal(err)
			}
			if md.Spec.Kind != kind {
				t.Fatalf("latent.spec kind %s, want %s", md.Spec.Kind, kind)
			}
			for n := range sets {
				x := readOne(t, sets[n], "input")
				want := readOne(t, sets[n], "output")
				code := readOne(t, encSets[n], "output")
				if !slices.Equal(readOne(t, encSets[n], "input").F32(), x.F32()) {
					t.Fatalf("set %d: encoder and model inputs differ", n)
				}
				if !slices.Equal(readOne(t, decSets[n], "input").F32(), code.F32()) {
					t.Fatalf("set %d: decoder input is not the encoder's expected code", n)
				}
				rows := x.Shape[0]
				// Trainer forward of the imported model.
				rec, err := m.Reconstruct(x.F32(), rows)
				if err != nil {
					t.Fatal(err)
				}
				c, err := m.Encode(x.F32(), rows)
				if err != nil {
					t.Fatal(err)
				}
				near(t, fmt.Sprintf("set %d trainer reconstruction", n), tensorOf(rows, m.Spec.Input, rec), want, golden.Atol)
				near(t, fmt.Sprintf("set %d trainer code", n), tensorOf(rows, m.Spec.Code, c), code, golden.Atol)
				for _, b := range bks {
					near(t, fmt.Sprintf("set %d %s model", n, b), runOn(t, b, full, x), want, golden.Atol)
					gotCode := runOn(t, b, enc, x)
					near(t, fmt.Sprintf("set %d %s encoder", n, b), gotCode, code, golden.Atol)
					near(t, fmt.Sprintf("set %d %s decoder", n, b), runOn(t, b, dec, code), want, golden.Atol)
					// decoder(encoder(x)) on the backend's own code.
					near(t, fmt.Sprintf("set %d %s decoder(encoder(x)) vs model(x)", n, b), runOn(t, b, dec, gotCode), runOn(t, b, full, x), golden.Atol)
				}
			}
		})
	}
}

func readOne(t *testing.T, dir, prefix string) *ops.Tensor {
	t.Helper()
	ts, err := verify.ReadTensors(dir, prefix)
	if err != nil || len(ts) != 1 {
		t.Fatalf("%s/%s_*.pb: %d tensors, %v", dir, prefix, len(ts), err)
	}
	return ts[0]
}

var (
	casesMu sync.Mutex
	cases   = map[models.Kind]*golden.Case{}
)

// tiny trains (once per test binary) the tiny model of kind.
func tiny(t *testing.T, kind models.Kind) *golden.Case {
	t.Helper()
	casesMu.Lock()
	defer casesMu.Unlock()
	if c, ok := cases[kind]; ok {
		return c
	}
	c, err := golden.Train(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	cases[kind] = c
	return c
}

// TestFreshExportsMatchTrainer exports freshly trained models of every kind
// (this machine's trainer, not the committed files) and compares every
// backend with the trainer's forward pass.
func TestFreshExportsMatchTrainer(t *testing.T) {
	bks := backends(t)
	for _, kind := range models.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			c := tiny(t, kind)
			s, err := export.Build(c.Model, export.Options{})
			if err != nil {
				t.Fatal(err)
			}
			x := golden.Inputs(kind, 1)
			rows := x.Shape[0]
			rec, _ := c.Model.Reconstruct(x.F32(), rows)
			code, _ := c.Model.Encode(x.F32(), rows)
			for _, b := range bks {
				near(t, b+" model", runOn(t, b, s.Model, x), tensorOf(rows, golden.Features, rec), golden.Atol)
				near(t, b+" encoder", runOn(t, b, s.Encoder, x), tensorOf(rows, c.Model.Spec.Code, code), golden.Atol)
				near(t, b+" decoder", runOn(t, b, s.Decoder, tensorOf(rows, c.Model.Spec.Code, code)), tensorOf(rows, golden.Features, rec), golden.Atol)
			}
		})
	}
}

// TestGraphStructure checks what the issue promises about the graphs:
// names, symbolic batch, versions, doc strings, Gemm(transB=1) per layer,
// no training-only operators, tied weights as initializers.
func TestGraphStructure(t *testing.T) {
	c := tiny(t, models.Deep) // tied, leaky-relu, hidden layer, minmax scaling
	s, err := export.Build(c.Model, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		gm      *graph.Model
		in, out string
		gemms   int
	}{{s.Model, "input", "reconstruction", 4}, {s.Encoder, "input", "code", 2}, {s.Decoder, "code", "reconstruction", 2}} {
		gm := tc.gm
		if gm.IRVersion != 8 || gm.Opset() != 17 {
			t.Errorf("%s: IR %d opset %d, want 8 and 17", gm.Graph.Name, gm.IRVersion, gm.Opset())
		}
		if gm.ProducerName != "latent" || gm.ProducerVersion == "" || gm.DocString == "" || gm.Graph.DocString == "" {
			t.Errorf("%s: producer %q %q, doc %q / %q", gm.Graph.Name, gm.ProducerName, gm.ProducerVersion, gm.DocString, gm.Graph.DocString)
		}
		for _, io := range []struct {
			vis  []graph.ValueInfo
			name string
		}{{gm.Graph.Inputs, tc.in}, {gm.Graph.Outputs, tc.out}} {
			if len(io.vis) != 1 || io.vis[0].Name != io.name || io.vis[0].DType != ops.Float32 ||
				len(io.vis[0].Shape) != 2 || io.vis[0].Shape[0].Param != "batch" || io.vis[0].DocString == "" {
				t.Errorf("%s: value %+v, want %s float32 [batch, n] with a doc string", gm.Graph.Name, io.vis, io.name)
			}
		}
		gemms := 0
		for _, n := range gm.Graph.Nodes {
			switch n.OpType {
			case "Gemm":
				gemms++
				if tb, _ := n.Int("transB", 0); tb != 1 {
					t.Errorf("%s: %s has transB %d", gm.Graph.Name, n.Label(), tb)
				}
			case "Dropout", "RandomNormalLike", "RandomUniformLike", "Bernoulli":
				t.Errorf("%s: training-only node %s", gm.Graph.Name, n.Label())
			}
		}
		if gemms != tc.gemms {
			t.Errorf("%s: %d Gemm nodes, want %d", gm.Graph.Name, gemms, tc.gemms)
		}
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
}

// TestOpsets exports at every supported opset: the IR version follows, and
// the native backend and ONNX Runtime (when present) still agree with the
// trainer. Opsets outside 13..21 are refused.
func TestOpsets(t *testing.T) {
	c := tiny(t, models.KSparse)
	x := golden.Inputs(models.KSparse, 1)
	rec, _ := c.Model.Reconstruct(x.F32(), x.Shape[0])
	want := map[int64]int64{13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}
	bks := backends(t)
	for opset := int64(export.MinOpset); opset <= export.MaxOpset; opset++ {
		s, err := export.Build(c.Model, export.Options{Opset: opset})
		if err != nil {
			t.Fatalf("opset %d: %v", opset, err)
		}
		if s.Model.Opset() != opset || s.Model.IRVersion != want[opset] {
			t.Errorf("opset %d: got opset %d IR %d, want IR %d", opset, s.Model.Opset(), s.Model.IRVersion, want[opset])
		}
		for _, b := range bks {
			near(t, fmt.Sprintf("opset %d on %s", opset, b), runOn(t, b, s.Model, x), tensorOf(x.Shape[0], golden.Features, rec), golden.Atol)
		}
	}
	for _, bad := range []int64{12, 22, -1} {
		if _, err := export.Build(c.Model, export.Options{Opset: bad}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("opset %d", bad)) {
			t.Errorf("opset %d: err = %v", bad, err)
		}
	}
}

// TestKSparseTies builds a k-sparse model whose code has exactly equal
// units: the graph must keep the lower indices like the trainer.
func TestKSparseTies(t *testing.T) {
	spec := models.NewKSparse(3, 5, 2)
	m, err := trainer.NewModel(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	// enc0.W rows 1, 2 and 4 identical, biases equal: units 1, 2, 4 tie.
	W := m.Params()[0].Data
	for k := 0; k < 3; k++ {
		W[2*3+k] = W[1*3+k]
		W[4*3+k] = W[1*3+k]
	}
	x := ops.FromFloat32([]int{3, 3}, []float32{1, 2, 3, -1, 0.5, 2, 0, 0, 0})
	code, err := m.Encode(x.F32(), 3)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := m.Reconstruct(x.F32(), 3)
	s, err := export.Build(m, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range backends(t) {
		got := runOn(t, b, s.Encoder, x)
		near(t, b+" code", got, tensorOf(3, 5, code), golden.Atol)
		for i, v := range got.F32() {
			if (v == 0) != (code[i] == 0) {
				t.Errorf("%s keeps other units than the trainer: code %v, trainer %v", b, got.F32(), code)
				break
			}
		}
		near(t, b+" reconstruction", runOn(t, b, s.Model, x), tensorOf(3, 3, rec), golden.Atol)
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
		if nz > 2 {
			t.Errorf("row %d keeps %d units, want at most 2", r, nz)
		}
		if code[r*5+1] != 0 && code[r*5+2] == 0 {
			tied = true
		}
	}
	if !tied {
		t.Errorf("no row had its tie resolved to the lower index: %v", code)
	}
}

// TestMetadata reads back every latent.* key.
func TestMetadata(t *testing.T) {
	c := tiny(t, models.Undercomplete)
	sum := export.SummaryOf(c.Result, c.Train.N, c.Train.D)
	thr := 0.125
	s, err := export.Build(c.Model, export.Options{Threshold: &thr, Training: &sum})
	if err != nil {
		t.Fatal(err)
	}
	for part, gm := range map[string]*graph.Model{"model": s.Model, "encoder": s.Encoder, "decoder": s.Decoder} {
		md, err := metadata.Read(gm)
		if err != nil {
			t.Fatal(err)
		}
		if md.Part != part || md.Spec.Kind != models.Undercomplete || md.Spec.Code != c.Model.Spec.Code {
			t.Errorf("%s: part %q spec %+v", part, md.Part, md.Spec)
		}
		if md.Scaler.Kind != c.Model.Scaler.Kind || !slices.Equal(md.Scaler.Offset, c.Model.Scaler.Offset) || !slices.Equal(md.Scaler.Scale, c.Model.Scaler.Scale) {
			t.Errorf("%s: scaler %+v, want %+v", part, md.Scaler, c.Model.Scaler)
		}
		if md.Threshold == nil || *md.Threshold != thr {
			t.Errorf("%s: threshold %v", part, md.Threshold)
		}
		last := c.Result.History[len(c.Result.History)-1]
		if md.Training == nil || md.Training.Epochs != 3 || md.Training.FinalLoss != last.Loss ||
			!slices.Equal(md.Training.DataShape, []int{golden.Rows, golden.Features}) {
			t.Errorf("%s: training %+v", part, md.Training)
		}
		for key, want := range map[string]string{"latent.kind": "undercomplete", "latent.loss": "mse", "latent.code_size": "3",
			"latent.input_size": "8", "latent.input_scaling": "minmax", "latent.input_scaling_applied": "in-graph", "latent.threshold": "0.125"} {
			if v, _ := gm.MetadataValue(key); v != want {
				t.Errorf("%s: %s = %q, want %q", part, key, v, want)
			}
		}
	}
	// No threshold until calibrated.
	s, _ = export.Build(c.Model, export.Options{})
	if _, ok := s.Model.MetadataValue("latent.threshold"); ok {
		t.Error("latent.threshold written without a calibrated threshold")
	}
	nan := math.NaN()
	if _, err := export.Build(c.Model, export.Options{Threshold: &nan}); err == nil || !strings.Contains(err.Error(), "threshold") {
		t.Errorf("NaN threshold: err = %v", err)
	}
}

// TestWriteAndImport writes the three files, checks nothing else is left
// in the folder, imports model.onnx back and continues training from it.
func TestWriteAndImport(t *testing.T) {
	c := tiny(t, models.Denoising)
	dir := filepath.Join(t.TempDir(), "out")
	// A stale model.onnx is replaced.
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "model.onnx"), []byte("stale"), 0o644)
	p, err := export.Write(context.Background(), dir, c.Model, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"decoder.onnx", "encoder.onnx", "model.onnx"}) {
		t.Errorf("folder holds %v, want exactly the three models", names)
	}
	m, md, err := export.Import(p.Model)
	if err != nil {
		t.Fatal(err)
	}
	if md.Spec.Kind != models.Denoising {
		t.Errorf("imported kind %s", md.Spec.Kind)
	}
	x := golden.Inputs(models.Denoising, 1)
	a, _ := c.Model.Reconstruct(x.F32(), x.Shape[0])
	b, _ := m.Reconstruct(x.F32(), x.Shape[0])
	if !slices.Equal(a, b) {
		t.Errorf("imported model reconstructs %v, original %v", b, a)
	}
	for i, p := range m.Params() {
		if !slices.Equal(p.Data, c.Model.Params()[i].Data) {
			t.Errorf("param %s differs after import", p.Name)
		}
	}
	// Continue training from the imported model.
	m2, res, err := trainer.Train(context.Background(), models.Spec{}, c.Train, trainer.Config{Epochs: 2, BatchSize: 16, LR: 1e-2, Seed: 5, Initial: m})
	if err != nil {
		t.Fatal(err)
	}
	if res.Epochs != 2 || slices.Equal(m2.Params()[0].Data, m.Params()[0].Data) {
		t.Errorf("continued training: %d epochs, weights changed: %v", res.Epochs, !slices.Equal(m2.Params()[0].Data, m.Params()[0].Data))
	}
	// A fresh model starts far worse than the imported one.
	if first, final := res.History[0].ReconLoss, c.Result.History[0].ReconLoss; first >= final {
		t.Errorf("first continued epoch loss %g not below the original first epoch %g", first, final)
	}

	// Refusals.
	if _, _, err := export.Import(p.Encoder); err == nil || !strings.Contains(err.Error(), "only the full model") {
		t.Errorf("import encoder.onnx: err = %v", err)
	}
	if _, _, err := export.Import(filepath.Join(goldenDir, "dense_gemm", "model.onnx")); err == nil || !strings.Contains(err.Error(), "latent.format_version") {
		t.Errorf("import a foreign model: err = %v", err)
	}
	if _, err := export.Write(context.Background(), filepath.Join(dir, "model.onnx", "sub"), c.Model, export.Options{}); err == nil {
		t.Error("writing under a file: no error")
	}
	if _, err := export.Write(context.Background(), dir, nil, export.Options{}); err == nil {
		t.Error("nil model: no error")
	}
}

// TestImportRejectsEdits changes an exported graph in ways import must
// notice.
func TestImportRejectsEdits(t *testing.T) {
	c := tiny(t, models.Deep)
	build := func() *graph.Model {
		s, err := export.Build(c.Model, export.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s.Model
	}
	gm := build()
	gm.Graph.Initializers["dec0.W"].F32()[0] += 1
	if _, _, err := export.FromGraph(gm); err == nil || !strings.Contains(err.Error(), "not the transpose") {
		t.Errorf("edited tied weights: err = %v", err)
	}
	gm = build()
	delete(gm.Graph.Initializers, "enc1.b")
	if _, _, err := export.FromGraph(gm); err == nil || !strings.Contains(err.Error(), "enc1.b missing") {
		t.Errorf("missing initializer: err = %v", err)
	}
	gm = build()
	gm.Graph.Initializers["enc0.W"] = ops.FromFloat32([]int{2}, []float32{1, 2})
	if _, _, err := export.FromGraph(gm); err == nil || !strings.Contains(err.Error(), "enc0.W has shape [2]") {
		t.Errorf("wrong initializer shape: err = %v", err)
	}
	gm = build()
	for i := range gm.Metadata {
		if gm.Metadata[i].Key == "latent.input_offset" {
			gm.Metadata[i].Value = "[1,2]"
		}
	}
	if _, _, err := export.FromGraph(gm); err == nil || !strings.Contains(err.Error(), "latent.input_offset") {
		t.Errorf("short offsets: err = %v", err)
	}
}

// TestActivationsAndBCE exports untrained models (random weights and
// biases) with every activation in every position, including a BCE output
// (the trainer computes logits, the graph a sigmoid) and custom alphas,
// and compares every backend with the trainer.
func TestActivationsAndBCE(t *testing.T) {
	bks := backends(t)
	for _, act := range models.Activations() {
		for _, loss := range []models.Loss{models.MSE, models.BCE} {
			spec := models.NewDeep(5, []int{4}, 3)
			spec.Activation, spec.CodeActivation = act, act
			spec.Loss = loss
			if loss == models.MSE {
				spec.OutputActivation = act
			}
			if act == models.LeakyRelu {
				spec.Alpha = 0.2
			}
			if act == models.Elu {
				spec.Alpha = 0.7
			}
			name := fmt.Sprintf("%s/%s", act, loss)
			m, err := trainer.NewModel(spec, 11)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, p := range m.Params() {
				if strings.HasSuffix(p.Name, ".b") {
					for i := range p.Data {
						p.Data[i] = float32(i%3) - 0.8
					}
				}
			}
			x := ops.FromFloat32([]int{2, 5}, []float32{-2, -0.5, 0, 0.5, 2, 1.5, -1, 3, -3, 0.25})
			rec, err := m.Reconstruct(x.F32(), 2)
			if err != nil {
				t.Fatal(err)
			}
			s, err := export.Build(m, export.Options{})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, b := range bks {
				near(t, name+" on "+b, runOn(t, b, s.Model, x), tensorOf(2, 5, rec), golden.Atol)
			}
		}
	}
}
