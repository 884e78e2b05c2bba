package export_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/verify"
	"github.com/latent-ml/latent/trainer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const interop = "../testdata/interop"

// TestFromMLPFixtures imports dense autoencoders written by PyTorch's two
// exporters (Gemm layers) and by skl2onnx (Cast, MatMul+Add, Reshape), and
// checks that the trainer model reproduces the framework's recorded
// outputs: the weights, their orientation and the activations all came
// across.
func TestFromMLPFixtures(t *testing.T) {
	for _, c := range []struct {
		dir                 string
		kind                models.Kind
		hidden              []int
		code                int
		act, codeAct, outAc models.Activation
	}{
		{"pytorch/dense_ae-dynamo", models.Deep, []int{8}, 4, models.Relu, models.Relu, models.Sigmoid},
		{"pytorch/dense_ae-torchscript", models.Deep, []int{8}, 4, models.Relu, models.Relu, models.Sigmoid},
		{"pytorch/recommender_ae-dynamo", models.Deep, []int{10}, 6, models.Selu, models.Selu, models.Identity},
		{"pytorch/recommender_ae-torchscript", models.Deep, []int{10}, 6, models.Selu, models.Selu, models.Identity},
		{"sklearn/mlp_regressor_ae", models.Deep, []int{8}, 3, models.Tanh, models.Tanh, models.Identity},
	} {
		t.Run(c.dir, func(t *testing.T) {
			dir := filepath.Join(interop, c.dir)
			m, md, err := export.ImportFile(filepath.Join(dir, "model.onnx"))
			require.NoError(t, err)
			assert.Nil(t, md, "metadata %+v for a model latent did not write", md)
			s := m.Spec
			assert.Equal(t, c.kind, s.Kind, "kind")
			assert.Equal(t, c.hidden, s.Hidden, "hidden widths")
			assert.Equal(t, c.code, s.Code, "code width")
			assert.Equal(t, []models.Activation{c.act, c.codeAct, c.outAc}, []models.Activation{s.Activation, s.CodeActivation, s.OutputActivation}, "hidden, code and output activations")
			checkAgainstFixture(t, m, dir)
		})
	}
}

// checkAgainstFixture compares the trainer's reconstruction with every
// recorded data set in dir (atol 1e-4, like the runtime interop test).
func checkAgainstFixture(t *testing.T, m *trainer.Model, dir string) {
	t.Helper()
	sets, err := verify.DataSets(dir)
	require.NoError(t, err, "data sets in %s", dir)
	require.NotEmpty(t, sets, "data sets in %s", dir)
	for _, set := range sets {
		in, err := verify.ReadTensors(set, "input")
		require.NoError(t, err)
		want, err := verify.ReadTensors(set, "output")
		require.NoError(t, err)
		rows := in[0].Shape[0]
		got, err := m.Reconstruct(in[0].F32(), rows)
		require.NoError(t, err)
		r := verify.CompareTensors("reconstruction", ops.FromFloat32(want[0].Shape, got), want[0], 1e-4, 0)
		assert.True(t, r.Pass, "%s: trainer reconstruction differs from the framework's: %s %d failures, max abs %g", filepath.Base(set), r.Mismatch, r.Failures, r.MaxAbs)
	}
}

// TestFineTuneTorchModel is the round trip of the interop issue: a
// PyTorch-exported dense autoencoder imports into the trainer, trains on
// (its loss falls below the imported weights' loss) and exports again; the
// new model.onnx imports back with the trained weights and runs on the
// native backend with the trainer's outputs.
func TestFineTuneTorchModel(t *testing.T) {
	ctx := context.Background()
	m0, _, err := export.ImportFile(filepath.Join(interop, "pytorch", "dense_ae-dynamo", "model.onnx"))
	require.NoError(t, err)
	// Data on a 2-D manifold in [0,1]^16 that the 16-8-4-8-16 model can learn.
	const n, d = 256, 16
	x := make([]float32, n*d)
	for i := 0; i < n; i++ {
		a, b := float64(i%16)/15, float64(i/16)/15
		for j := 0; j < d; j++ {
			x[i*d+j] = float32(0.5 + 0.4*math.Sin(3*a*float64(j+1)/d+2*b))
		}
	}
	ds := &data.Dataset{N: n, D: d, X: x, Source: "manifold"}
	before := mse(t, m0, x, n)
	m1, res, err := trainer.Train(ctx, models.Spec{}, ds, trainer.Config{Epochs: 20, BatchSize: 32, LR: 1e-2, Seed: 1,
		Scaling: data.NoScaling, Initial: m0})
	require.NoError(t, err)
	after := mse(t, m1, x, n)
	assert.Less(t, after, 0.5*before, "fine-tuning for %d epochs at least halves the imported model's MSE", res.Epochs)
	dir := t.TempDir()
	paths, err := export.Write(ctx, dir, m1, export.Options{})
	require.NoError(t, err)
	m2, md, err := export.ImportFile(paths.Model)
	require.NoError(t, err)
	require.NotNil(t, md, "re-exported model metadata %+v, want latent.kind deep", md)
	require.Equal(t, models.Deep, md.Spec.Kind, "re-exported model metadata %+v, want latent.kind deep", md)
	for i, p := range m1.Params() {
		q := m2.Params()[i]
		assert.Equal(t, p.Name, q.Name, "parameter %d", i)
		assert.Equal(t, p.Data, q.Data, "parameter %s did not survive export and import", p.Name)
	}
	s, err := runtime.Open(paths.Model, runtime.WithBackend("native"))
	require.NoError(t, err)
	defer s.Close()
	out, err := s.Run(ctx, map[string]*ops.Tensor{export.InputName: ops.FromFloat32([]int{n, d}, x)})
	require.NoError(t, err)
	want, err := m1.Reconstruct(x, n)
	require.NoError(t, err)
	r := verify.CompareTensors("reconstruction", out[0], ops.FromFloat32([]int{n, d}, want), 1e-5, 0)
	assert.True(t, r.Pass, "exported fine-tuned model on native differs from the trainer: max abs %g", r.MaxAbs)
}

func mse(t *testing.T, m *trainer.Model, x []float32, rows int) float64 {
	t.Helper()
	y, err := m.Reconstruct(x, rows)
	require.NoError(t, err)
	var s float64
	for i := range x {
		e := float64(y[i] - x[i])
		s += e * e
	}
	return s / float64(len(x))
}

// TestFromMLPRejects checks that models outside the dense-MLP pattern get an
// error naming what does not fit, never a panic or a wrong model.
func TestFromMLPRejects(t *testing.T) {
	load := func(t *testing.T, rel string) *graph.Model {
		t.Helper()
		gm, err := graph.DecodeFile(filepath.Join(interop, rel, "model.onnx"))
		require.NoError(t, err)
		return gm
	}
	nodeOf := func(gm *graph.Model, op string, nth int) *graph.Node {
		for _, n := range gm.Graph.Nodes {
			if n.OpType == op {
				if nth == 0 {
					return n
				}
				nth--
			}
		}
		require.Failf(t, "node missing", "no %s #%d", op, nth)
		return nil
	}
	for _, c := range []struct {
		name   string
		model  func(t *testing.T) *graph.Model
		errHas []string
	}{
		{"conv", func(t *testing.T) *graph.Model { return load(t, "pytorch/conv_ae-torchscript") }, []string{"input", "shape"}},
		{"vae", func(t *testing.T) *graph.Model { return load(t, "pytorch/vae-dynamo") }, []string{"exactly one output", "mu"}},
		{"flatten", func(t *testing.T) *graph.Model { return load(t, "pytorch/deep_flatten_ae-dynamo") }, []string{"input", "fixed feature count"}},
		{"mixed hidden activations", func(t *testing.T) *graph.Model {
			gm := load(t, "pytorch/dense_ae-torchscript")
			nodeOf(gm, "Relu", 2).OpType = "Tanh" // decoder hidden layer
			return gm
		}, []string{"hidden activation tanh differs from relu"}},
		{"weight from data", func(t *testing.T) *graph.Model {
			gm := load(t, "pytorch/dense_ae-torchscript")
			g := nodeOf(gm, "Gemm", 1)
			g.Inputs[1] = g.Inputs[0] // W is the activations, not a constant
			return gm
		}, []string{"Gemm", "not a constant float32 matrix"}},
		{"odd layer count", func(t *testing.T) *graph.Model {
			gm := load(t, "sklearn/mlp_regressor_ae")
			// End the graph after the third layer: widths 12-8-3-8.
			g := gm.Graph
			last, mm, add := nodeOf(gm, "Tanh", 2), nodeOf(gm, "MatMul", 3), nodeOf(gm, "Add", 3)
			g.Nodes = slices.DeleteFunc(g.Nodes, func(n *graph.Node) bool {
				return n.OpType == "Reshape" || n == mm || n == add
			})
			g.Outputs[0].Name = last.Outputs[0]
			return gm
		}, []string{"3 linear layers", "[12 8 3 8]"}},
		{"not mirrored", func(t *testing.T) *graph.Model {
			gm := load(t, "pytorch/dense_ae-torchscript")
			// First hidden layer 6 wide instead of 8: widths 16-6-4-8-16.
			g0, g1 := nodeOf(gm, "Gemm", 0), nodeOf(gm, "Gemm", 1)
			inits := gm.Graph.Initializers
			inits[g0.Inputs[1]] = ops.FromFloat32([]int{6, 16}, make([]float32, 96))
			inits[g0.Inputs[2]] = ops.FromFloat32([]int{6}, make([]float32, 6))
			inits[g1.Inputs[1]] = ops.FromFloat32([]int{4, 6}, make([]float32, 24))
			return gm
		}, []string{"not mirrored", "[16 6 4 8 16]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := export.FromMLP(c.model(t))
			require.Error(t, err, "imported as %+v, want an error", m)
			t.Log(err)
			for _, s := range c.errHas {
				assert.Contains(t, err.Error(), s, "error %q does not mention %q", err, s)
			}
		})
	}
}

// TestFromMLPLayouts covers the layer forms the fixtures do not: Gemm with
// transB = 0 and non-unit alpha/beta, a weight given as Transpose of an
// initializer, and MatMul whose bias Add has the bias first. The imported
// trainer model must compute what the native runtime computes from the
// same graph.
func TestFromMLPLayouts(t *testing.T) {
	const in, hid = 5, 3
	r := func(n int, seed float64) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(math.Sin(seed*float64(i+1)) * 0.8)
		}
		return out
	}
	f32 := func(shape []int, seed float64) *ops.Tensor {
		return ops.FromFloat32(shape, r(ops.NumElements(shape), seed))
	}
	attrI := func(name string, v int64) *graph.Attr { return &graph.Attr{Name: name, Type: graph.AttrInt, I: v} }
	attrF := func(name string, v float32) *graph.Attr { return &graph.Attr{Name: name, Type: graph.AttrFloat, F: v} }
	inits := map[string]*ops.Tensor{
		"W0":  f32([]int{in, hid}, 1.3), // [in,out]: transB = 0
		"b0":  f32([]int{1, hid}, 2.1),
		"W1t": f32([]int{in, hid}, 0.7), // Transpose → [hid,in] = [in-side,out-side] of MatMul
		"b1":  f32([]int{in}, 3.7),
	}
	dim := func(n int64) graph.Dim { return graph.Dim{Value: n} }
	gm := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, Graph: &graph.Graph{
		Name:         "layouts",
		Inputs:       []graph.ValueInfo{{Name: "x", DType: ops.Float32, HasShape: true, Shape: graph.Shape{{Value: -1, Param: "batch"}, dim(in)}}},
		Outputs:      []graph.ValueInfo{{Name: "y", DType: ops.Float32, HasShape: true, Shape: graph.Shape{{Value: -1, Param: "batch"}, dim(in)}}},
		Initializers: inits,
		InitOrder:    []string{"W0", "b0", "W1t", "b1"},
		Nodes: []*graph.Node{
			{Name: "g0", OpType: "Gemm", Inputs: []string{"x", "W0", "b0"}, Outputs: []string{"h0"},
				Attrs: map[string]*graph.Attr{"transB": attrI("transB", 0), "alpha": attrF("alpha", 0.5), "beta": attrF("beta", 2)}},
			{Name: "a0", OpType: "Tanh", Inputs: []string{"h0"}, Outputs: []string{"h1"}},
			{Name: "t1", OpType: "Transpose", Inputs: []string{"W1t"}, Outputs: []string{"W1"},
				Attrs: map[string]*graph.Attr{"perm": {Name: "perm", Type: graph.AttrInts, Ints: []int64{1, 0}}}},
			{Name: "m1", OpType: "MatMul", Inputs: []string{"h1", "W1"}, Outputs: []string{"h2"}},
			{Name: "add1", OpType: "Add", Inputs: []string{"b1", "h2"}, Outputs: []string{"h3"}},
			{Name: "a1", OpType: "Sigmoid", Inputs: []string{"h3"}, Outputs: []string{"y"}},
		},
	}}
	for _, n := range gm.Graph.Nodes {
		for k := range n.Attrs {
			n.AttrOrder = append(n.AttrOrder, k)
		}
		slices.Sort(n.AttrOrder)
	}
	m, err := export.FromMLP(gm)
	require.NoError(t, err)
	assert.Equal(t, models.Undercomplete, m.Spec.Kind)
	assert.Equal(t, hid, m.Spec.Code)
	assert.Equal(t, models.Tanh, m.Spec.CodeActivation)
	assert.Equal(t, models.Sigmoid, m.Spec.OutputActivation)
	const rows = 4
	x := r(rows*in, 0.37)
	want, err := m.Reconstruct(x, rows)
	require.NoError(t, err)
	s, err := runtime.OpenModel(gm, runtime.WithBackend("native"))
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Run(context.Background(), map[string]*ops.Tensor{"x": ops.FromFloat32([]int{rows, in}, x)})
	require.NoError(t, err)
	rep := verify.CompareTensors("y", got[0], ops.FromFloat32([]int{rows, in}, want), 1e-6, 0)
	assert.True(t, rep.Pass, "imported model differs from the graph run natively: %s max abs %g", rep.Mismatch, rep.MaxAbs)
}
