package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/onnxpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

const (
	exampleModel = "../../testdata/models/dense-ae/model.onnx"
	exampleSet   = "../../testdata/models/dense-ae/test_data_set_0"
)

// latent runs the CLI in-process.
func latent(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func readTensor(t *testing.T, path string) (string, *ops.Tensor) {
	t.Helper()
	name, ten, err := graph.ReadTensorFile(path)
	require.NoError(t, err)
	return name, ten
}

func TestRunWritesGoldenOutputs(t *testing.T) {
	runAndCheckGolden(t, "native")
}

// The same command on ONNX Runtime (skipped without the library outside CI).
func TestRunOnORT(t *testing.T) {
	requireORT(t)
	runAndCheckGolden(t, "ort")
}

func runAndCheckGolden(t *testing.T, backend string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "new", "out")
	code, stdout, stderr := latent(t, "run", exampleModel, "--inputs", exampleSet, "--outputs", out, "--backend", backend)
	require.Equal(t, 0, code, "stderr: %s", stderr)
	for i, name := range []string{"reconstruction", "code"} {
		file := fmt.Sprintf("output_%d.pb", i)
		gotName, got := readTensor(t, filepath.Join(out, file))
		_, want := readTensor(t, filepath.Join(exampleSet, file))
		assert.Equal(t, name, gotName, "%s tensor name", file)
		require.Equal(t, ops.Float32, got.DType, "%s: got %v, want %v", name, got, want)
		require.True(t, ops.SameShape(got.Shape, want.Shape), "%s: got %v, want %v", name, got, want)
		for j, w := range want.F32() {
			require.InDelta(t, w, got.F32()[j], 1e-5+1e-4*math.Abs(float64(w)), "%s[%d] vs golden", name, j)
		}
		assert.Contains(t, stdout, name+"\tfloat32[3 ", "summary lacks %s", name)
	}
}

// writeModel encodes a modified copy of the example model into dir.
func writeModel(t *testing.T, dir string, edit func(p *onnxpb.ModelProto)) string {
	t.Helper()
	data, err := os.ReadFile(exampleModel)
	require.NoError(t, err)
	var p onnxpb.ModelProto
	require.NoError(t, proto.Unmarshal(data, &p))
	edit(&p)
	b, err := proto.Marshal(&p)
	require.NoError(t, err)
	path := filepath.Join(dir, "model.onnx")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

func writeInput(t *testing.T, dir string, ten *ops.Tensor) string {
	t.Helper()
	in := filepath.Join(dir, "in")
	require.NoError(t, os.MkdirAll(in, 0o755))
	require.NoError(t, graph.WriteTensorFile(filepath.Join(in, "input_0.pb"), "input", ten))
	return in
}

func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(exampleModel)
	require.NoError(t, err)
	truncated := filepath.Join(dir, "truncated.onnx")
	os.WriteFile(truncated, good[:len(good)*2/3], 0o644)
	notONNX := filepath.Join(dir, "notonnx.onnx")
	os.WriteFile(notONNX, []byte("{\"this\": \"is json\"}\n"), 0o644)

	unknownOp := writeModel(t, t.TempDir(), func(p *onnxpb.ModelProto) {
		p.Graph.Node[1].OpType = proto.String("Frobnicate")
	})
	badInit := writeModel(t, t.TempDir(), func(p *onnxpb.ModelProto) {
		p.Graph.Initializer[0].Dims = []int64{8, 17} // data holds 8*16 floats
	})
	emptyDir := t.TempDir()
	wrongShape := writeInput(t, t.TempDir(), ops.New(ops.Float32, 3, 5))
	wrongDType := writeInput(t, t.TempDir(), ops.New(ops.Float64, 3, 16))
	wrongRank := writeInput(t, t.TempDir(), ops.New(ops.Float32, 48))

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"truncated model", []string{"run", truncated, "--inputs", exampleSet}, 1, "truncated.onnx"},
		{"not onnx", []string{"run", notONNX, "--inputs", exampleSet}, 1, "notonnx.onnx"},
		{"missing model", []string{"run", filepath.Join(dir, "nope.onnx"), "--inputs", exampleSet}, 1, "nope.onnx"},
		{"unknown operator", []string{"run", unknownOp, "--inputs", exampleSet}, 1, `unsupported operator Frobnicate in domain "ai.onnx"`},
		{"initializer dims vs data", []string{"run", badInit, "--inputs", exampleSet}, 1, "enc0.weight"},
		{"missing input", []string{"run", exampleModel, "--inputs", emptyDir}, 1, `missing input "input"`},
		{"wrong shape", []string{"run", exampleModel, "--inputs", wrongShape}, 1, `input "input": expected shape [batch,16], got [3 5]`},
		{"wrong rank", []string{"run", exampleModel, "--inputs", wrongRank}, 1, `input "input": expected shape [batch,16], got [48]`},
		{"wrong dtype", []string{"run", exampleModel, "--inputs", wrongDType}, 1, `input "input": expected float32, got float64`},
		{"inputs not a dir", []string{"run", exampleModel, "--inputs", exampleModel}, 1, "not a directory"},
		{"unknown backend", []string{"run", exampleModel, "--inputs", exampleSet, "--backend", "tpu"}, 1, `unknown backend "tpu"`},
		{"no model", []string{"run", "--inputs", exampleSet}, 2, "missing MODEL argument"},
		{"no inputs flag", []string{"run", exampleModel}, 2, "--inputs DIR is required"},
		{"bad flag", []string{"run", exampleModel, "--frob"}, 2, "frob"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := latent(t, c.args...)
			assert.Equal(t, c.code, code, stderr)
			assert.Contains(t, stderr, c.want)
			assert.NotContains(t, stderr, "panic")
			assert.NotContains(t, stderr, "goroutine ")
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}
}

func TestInspect(t *testing.T) {
	code, stdout, stderr := latent(t, "inspect", exampleModel)
	require.Equal(t, 0, code, stderr)
	// 16*8+8 + 8*4+4 + 4*8+8 + 8*16+16 = 356 parameters.
	for _, want := range []string{
		"ir_version: 8", "ai.onnx=17", "latent-mkexample", "input                float32[batch,16]",
		"reconstruction       float32[batch,16]", "code                 float32[batch,4]",
		"operators (7 nodes)", "Gemm                 4", "parameters: 356 in 8 initializers",
		"latent.kind = dense-ae",
	} {
		assert.Contains(t, stdout, want, "inspect output")
	}

	code, stdout, stderr = latent(t, "inspect", "--json", exampleModel)
	require.Equal(t, 0, code, "--json: %s", stderr)
	var r modelReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &r), "--json output is not JSON:\n%s", stdout)
	assert.EqualValues(t, 356, r.Parameters, "parameters")
	assert.EqualValues(t, 17, r.Opsets["ai.onnx"], "ai.onnx opset")
	if assert.Len(t, r.Inputs, 1, "inputs") {
		assert.Equal(t, "[batch,16]", r.Inputs[0].Shape, "input shape")
	}
	if assert.NotEmpty(t, r.Operators, "operators") {
		assert.Equal(t, "Gemm", r.Operators[0].Op, "most frequent operator")
		assert.Equal(t, 4, r.Operators[0].Count, "Gemm count")
		assert.True(t, r.Operators[0].Native, "Gemm has a native kernel")
	}
	assert.Equal(t, "dense-ae", r.Metadata["latent.kind"], "metadata latent.kind")

	unknownOp := writeModel(t, t.TempDir(), func(p *onnxpb.ModelProto) {
		p.Graph.Node[1].OpType = proto.String("Frobnicate")
	})
	code, stdout, stderr = latent(t, "inspect", unknownOp)
	assert.Equal(t, 0, code, "inspect of a model with an unknown op: %s", stderr)
	assert.Contains(t, stdout, "Frobnicate")
	assert.Contains(t, stdout, "(no native kernel)")

	bad := filepath.Join(t.TempDir(), "bad.onnx")
	os.WriteFile(bad, []byte("garbage\xff"), 0o644)
	code, _, stderr = latent(t, "inspect", bad)
	assert.Equal(t, 1, code, "inspect garbage: %s", stderr)
	assert.Contains(t, stderr, "bad.onnx", "inspect garbage")
	code, _, _ = latent(t, "inspect")
	assert.Equal(t, 2, code, "inspect without model")
}

func TestInspectOperators(t *testing.T) {
	code, stdout, stderr := latent(t, "inspect", "--operators")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	have := map[string]bool{}
	for _, l := range lines {
		have[l] = true
	}
	// The example model's operators must be listed.
	for _, op := range []string{"ai.onnx/Gemm", "ai.onnx/Relu", "ai.onnx/Sigmoid"} {
		assert.True(t, have[op], "--operators lacks %s", op)
	}
	code, _, _ = latent(t, "inspect", "--operators", exampleModel)
	assert.Equal(t, 2, code, "--operators with a model")
}

// TestEveryONNXTestModel runs inspect and run over every model of the ONNX
// backend-test data: each must either succeed or fail with a one-line
// error (exit 1), never panic or exit otherwise.
func TestEveryONNXTestModel(t *testing.T) {
	const root = "/usr/share/libonnx-testdata/data"
	models, _ := filepath.Glob(filepath.Join(root, "*", "*", "model.onnx"))
	if len(models) == 0 {
		if os.Getenv("CI") != "" {
			require.FailNowf(t, "no ONNX test models under CI", "none under %s: run `bash tools/setup.sh`", root)
		}
		t.Skipf("no ONNX test models under %s (installed by `bash tools/setup.sh`)", root)
	}
	if testing.Short() {
		models = models[:len(models)/10]
	}
	ran := 0
	for _, m := range models {
		code, _, stderr := latent(t, "inspect", m)
		if code != 0 {
			assert.Equal(t, 1, code, "inspect %s: %s", m, stderr)
			assert.True(t, strings.HasPrefix(stderr, "latent inspect: "), "inspect %s: error lacks the command prefix: %q", m, stderr)
		}
		set := filepath.Join(filepath.Dir(m), "test_data_set_0")
		if _, err := os.Stat(set); err != nil {
			continue
		}
		code, stdout, stderr := latent(t, "run", m, "--inputs", set, "--outputs", t.TempDir())
		switch code {
		case 0:
			ran++
			assert.Contains(t, stdout, "wrote ", "run %s: no summary", m)
		case 1:
			assert.True(t, strings.HasPrefix(stderr, "latent run: "), "run %s: error lacks the command prefix: %q", m, stderr)
			assert.NotContains(t, strings.TrimSpace(stderr), "\n", "run %s: error is not one line", m)
		default:
			assert.Failf(t, "run exited neither 0 nor 1", "run %s: exit %d: %s", m, code, stderr)

		}
	}
	t.Logf("%d models inspected, %d ran", len(models), ran)
}

func TestInspectOptimized(t *testing.T) {
	code, stdout, stderr := latent(t, "inspect", exampleModel, "--optimized")
	require.Equal(t, 0, code, stderr)
	// Three Gemm+activation pairs fuse; the linear code layer stays a Gemm.
	for _, want := range []string{"operators (4 nodes)", "latent.native/FusedGemm 3", "Gemm                    1"} {
		assert.Contains(t, stdout, want)
	}
	// What each pass did, in order: only fuse-layers changes this model.
	assert.Regexp(t, `(?s)passes \(nodes, initializers\):\n  remove-passthrough +7 -> 7 .*\n  fold-constants .*\n  fold-affine .*\n  fold-batchnorm .*\n  fuse-gelu .*\n  fuse-softmax .*\n  fuse-layers +7 -> 4 .*\n  prepack-weights +4 -> 4 `, stdout)

	code, stdout, stderr = latent(t, "inspect", exampleModel, "--optimized", "--json")
	require.Equal(t, 0, code, stderr)
	var r struct {
		Nodes  int `json:"nodes"`
		Passes []struct {
			Name        string `json:"name"`
			NodesBefore int    `json:"nodes_before"`
			NodesAfter  int    `json:"nodes_after"`
		} `json:"passes"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	require.Len(t, r.Passes, 9)
	assert.Equal(t, "fuse-layers", r.Passes[6].Name)
	assert.Equal(t, 7, r.Passes[6].NodesBefore)
	assert.Equal(t, 4, r.Passes[6].NodesAfter)
	assert.Equal(t, 4, r.Nodes)

	// Without fusion the graph keeps its seven nodes, and the pass is not listed.
	code, stdout, stderr = latent(t, "inspect", exampleModel, "--optimized", "--disable-pass", "fuse-layers, prepack-weights")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "operators (7 nodes)")
	assert.NotContains(t, stdout, "fuse-layers")
	assert.NotContains(t, stdout, "FusedGemm")

	code, _, stderr = latent(t, "inspect", exampleModel, "--optimized", "--disable-pass", "fuse-everything")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unknown pass "fuse-everything"`)
	code, _, stderr = latent(t, "inspect", exampleModel, "--disable-pass", "fuse-layers")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--disable-pass needs --optimized")

	unknownOp := writeModel(t, t.TempDir(), func(p *onnxpb.ModelProto) {
		p.Graph.Node[1].OpType = proto.String("Frobnicate")
	})
	code, _, stderr = latent(t, "inspect", unknownOp, "--optimized")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "unsupported operator Frobnicate")
}

// TestInspectPasses lists the optimiser's passes in the order they run.
func TestInspectPasses(t *testing.T) {
	code, stdout, stderr := latent(t, "inspect", "--passes")
	require.Equal(t, 0, code, stderr)
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		f := strings.Fields(l)
		require.Greater(t, len(f), 1, "a pass without a description: %q", l)
		names = append(names, f[0])
	}
	assert.Equal(t, []string{"remove-passthrough", "fold-constants", "fold-affine", "fold-batchnorm", "fuse-gelu", "fuse-softmax", "fuse-layers", "fuse-channel-scale", "prepack-weights"}, names)
	code, _, _ = latent(t, "inspect", "--passes", exampleModel)
	assert.Equal(t, 2, code)
}

// Values print by DType: uint16 is not float16, the 8-bit floats print
// their value, not their bits.
func TestSummarizeElementTypes(t *testing.T) {
	cases := []struct {
		t    *ops.Tensor
		want string
	}{
		{&ops.Tensor{DType: ops.Uint16, Shape: []int{2}, Data: []uint16{15360, 7}}, "[15360 7]"},
		{&ops.Tensor{DType: ops.Float16, Shape: []int{1}, Data: []uint16{15360}}, "[1]"},
		{&ops.Tensor{DType: ops.BFloat16, Shape: []int{1}, Data: []uint16{0xC020}}, "[-2.5]"},
		{&ops.Tensor{DType: ops.Float8E4M3FN, Shape: []int{2}, Data: []uint8{0x7E, 0x38}}, "[448 1]"},
		{&ops.Tensor{DType: ops.Uint8, Shape: []int{1}, Data: []uint8{0x7E}}, "[126]"},
		{&ops.Tensor{DType: ops.Int4, Shape: []int{2}, Data: []int8{-8, 7}}, "[-8 7]"},
		{&ops.Tensor{DType: ops.Uint64, Shape: []int{1}, Data: []uint64{1 << 63}}, "[9223372036854775808]"},
		{&ops.Tensor{DType: ops.String, Shape: []int{2}, Data: []string{"a b", ""}}, `["a b" ""]`},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, summarize(c.t, 8), "%v", c.t)
	}
}

// A model with a sequence input and sequence and optional outputs:
// `latent run` reads the SequenceProto input file by the declared type and
// writes SequenceProto and OptionalProto output files, as onnx's backend
// tests lay them out.
func TestRunSequencesAndOptionals(t *testing.T) {
	seqF := graph.SequenceInfo("s", graph.ValueInfo{DType: ops.Float32})
	g := &graph.Graph{
		Name:   "seq",
		Inputs: []graph.ValueInfo{seqF, {Name: "x", DType: ops.Float32, Shape: graph.ShapeOf(2), HasShape: true}},
		Outputs: []graph.ValueInfo{
			graph.SequenceInfo("longer", graph.ValueInfo{DType: ops.Float32}),
			graph.OptionalInfo("last", graph.ValueInfo{DType: ops.Float32}),
			{Name: "n", DType: ops.Int64},
		},
		Nodes: []*graph.Node{
			{OpType: "SequenceInsert", Inputs: []string{"s", "x"}, Outputs: []string{"longer"}},
			{OpType: "SequenceAt", Inputs: []string{"longer", "minus1"}, Outputs: []string{"at"}},
			{OpType: "Optional", Inputs: []string{"at"}, Outputs: []string{"last"}},
			{OpType: "SequenceLength", Inputs: []string{"longer"}, Outputs: []string{"n"}},
		},
		Initializers: map[string]*ops.Tensor{"minus1": ops.FromInt64(nil, []int64{-1})},
		InitOrder:    []string{"minus1"},
	}
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 16}, Graph: g}
	dir := t.TempDir()
	raw, err := graph.Encode(m)
	require.NoError(t, err)
	model := filepath.Join(dir, "model.onnx")
	require.NoError(t, os.WriteFile(model, raw, 0o644))
	in := filepath.Join(dir, "in")
	require.NoError(t, os.MkdirAll(in, 0o755))
	s := graph.TensorSequence(ops.Float32, ops.FromFloat32([]int{3}, []float32{1, 2, 3}))
	require.NoError(t, graph.WriteValueFile(filepath.Join(in, "input_0.pb"), "s", s))
	require.NoError(t, graph.WriteTensorFile(filepath.Join(in, "input_1.pb"), "x", ops.FromFloat32([]int{2}, []float32{7, 8})))

	out := filepath.Join(dir, "out")
	code, stdout, stderr := latent(t, "run", model, "--inputs", in, "--outputs", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "longer\tsequence(2: float32[3], float32[2])\t[[1 2 3] [7 8]]")
	assert.Contains(t, stdout, "last\toptional(float32[2])\t[7 8]")
	assert.Contains(t, stdout, "n\tint64[]\t[2]")

	longer, err := graph.ReadValueFile(filepath.Join(out, "output_0.pb"), g.Outputs[0])
	require.NoError(t, err)
	require.Len(t, longer.Elems, 2)
	assert.Equal(t, []float32{7, 8}, longer.Elems[1].Tensor.F32())
	last, err := graph.ReadValueFile(filepath.Join(out, "output_1.pb"), g.Outputs[1])
	require.NoError(t, err)
	require.NotNil(t, last.Elem)
	assert.Equal(t, []float32{7, 8}, last.Elem.Tensor.F32())

	// A TensorProto where the model declares a sequence: one line naming
	// the input.
	require.NoError(t, graph.WriteTensorFile(filepath.Join(in, "input_0.pb"), "s", ops.FromFloat32([]int{1}, []float32{1})))
	code, _, stderr = latent(t, "run", model, "--inputs", in)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `read input 0 (s)`)
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, stderr)
}
