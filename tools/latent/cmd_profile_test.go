package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
)

const profileModel = zooDir + "/mobilenet_v3_small-dynamo/model.onnx"

// TestProfileTable profiles the small MobileNetV3 copy: the kinds it must
// contain (its depthwise convolutions with their fused ReLU and HardSwish,
// the SE block's HardSigmoid fused into its 1×1 convolution), shares that add up to 100%, and the slowest-node
// list with shapes.
func TestProfileTable(t *testing.T) {
	code, out, errs := runCLI("profile", profileModel, "--batch", "2", "--runs", "2", "--warmup", "1", "--top", "5")
	require.Equal(t, exitOK, code, "stderr %s", errs)
	assert.Contains(t, out, "batch 2, threads 1")
	for _, k := range []string{"| Conv depthwise 3x3/2 +Relu |", "| Conv depthwise 5x5 +HardSwish |", "| Conv 1x1 ", "| Conv 1x1 +HardSigmoid |", "| Gemm "} {
		assert.Contains(t, out, k)
	}
	rows := regexp.MustCompile(`(?m)^\| ([^|#]+?) \| (\d+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \|$`).FindAllStringSubmatch(out, -1)
	require.NotEmpty(t, rows, out)
	var pct float64
	nodes := 0
	for _, r := range rows {
		v, err := strconv.ParseFloat(r[5], 64)
		require.NoError(t, err)
		pct += v
		n, _ := strconv.Atoi(r[2])
		nodes += n
	}
	assert.InDelta(t, 100, pct, 0.5, "kind shares add up to 100%%")
	m := regexp.MustCompile(`; (\d+) nodes after optimisation`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Equal(t, m[1], strconv.Itoa(nodes), "every node counted in one kind")
	assert.Contains(t, out, "slowest 5 nodes:")
	assert.Regexp(t, `(?m)^\| \d+ \| [^|]+ \| [^|]+ \| 2x\S+( \S+)* → 2x\S+ \| [0-9.]+ \| [0-9.]+ \|$`, out)
}

// TestProfileJSONAndCPUProfile: one JSON object per node with shares that
// add up to 1, and a CPU profile file in pprof's (gzip) format.
func TestProfileJSONAndCPUProfile(t *testing.T) {
	cpu := filepath.Join(t.TempDir(), "cpu.out")
	code, out, errs := runCLI("profile", zooDir+"/conv2d_ae-dynamo/model.onnx", "--batch", "3", "--runs", "3",
		"--warmup", "0", "--json", "--cpuprofile", cpu)
	require.Equal(t, exitOK, code, "stderr %s", errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var share float64
	for i, l := range lines {
		var p nodeProfile
		require.NoError(t, jsonStrict(l, &p), l)
		assert.Equal(t, i, p.Index)
		assert.NotEmpty(t, p.Kind)
		assert.GreaterOrEqual(t, p.US, 0.0)
		share += p.Share
		if i == 0 {
			assert.Equal(t, []string{"3x3x32x32", "4x3x3x3", "4"}, p.Inputs, "the first conv reads the batch-3 input")
		}
	}
	assert.InDelta(t, 1, share, 1e-9)
	assert.Contains(t, lines[len(lines)-1], `"output":"3x3x32x32"`, "the last node writes the reconstruction")
	b, err := os.ReadFile(cpu)
	require.NoError(t, err)
	require.Greater(t, len(b), 2)
	assert.Equal(t, []byte{0x1f, 0x8b}, b[:2], "a gzipped pprof profile")
}

func TestProfileUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"profile"}, "missing MODEL argument"},
		{[]string{"profile", profileModel, "--batch", "0"}, "--batch and --runs must be at least 1"},
		{[]string{"profile", profileModel, "--runs", "0"}, "--batch and --runs must be at least 1"},
	} {
		code, _, errs := runCLI(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Contains(t, errs, c.want, "%v", c.args)
	}
	code, _, errs := runCLI("profile", "no/such/model.onnx")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, "no/such/model.onnx")
}

// TestNodeKind names convolutions by their kernel path and fused nodes by
// what they absorbed, from hand-made steps.
func TestNodeKind(t *testing.T) {
	conv := func(op string, x, w []int, attrs map[string]*graph.Attr) native.StepTiming {
		return native.StepTiming{Node: &graph.Node{OpType: op, Attrs: attrs},
			In: []*ops.Tensor{ops.New(ops.Float32, x...), ops.New(ops.Float32, w...)}}
	}
	ints := func(name string, v ...int64) *graph.Attr {
		return &graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
	}
	group := func(g int64) *graph.Attr { return &graph.Attr{Name: "group", Type: graph.AttrInt, I: g} }
	act := func(a string) *graph.Attr {
		return &graph.Attr{Name: "activation", Type: graph.AttrString, S: []byte(a)}
	}
	for _, c := range []struct {
		step native.StepTiming
		want string
	}{
		{conv("Conv", []int{2, 8, 9, 9}, []int{8, 1, 3, 3}, map[string]*graph.Attr{"group": group(8), "strides": ints("strides", 2, 2)}), "Conv depthwise 3x3/2"},
		{conv("FusedConv", []int{2, 8, 9, 9}, []int{8, 1, 5, 5}, map[string]*graph.Attr{"group": group(8), "activation": act("HardSwish")}), "Conv depthwise 5x5 +HardSwish"},
		{conv("Conv", []int{2, 8, 9, 9}, []int{8, 2, 3, 3}, map[string]*graph.Attr{"group": group(4)}), "Conv grouped 3x3"},
		{conv("Conv", []int{2, 8, 9, 9}, []int{16, 8, 1, 1}, map[string]*graph.Attr{"strides": ints("strides", 2, 2)}), "Conv 1x1/2"},
		{conv("FusedConv", []int{2, 8, 9, 9}, []int{16, 8, 7, 7}, map[string]*graph.Attr{"activation": act("Relu")}), "Conv 7x7 +Relu"},
		{conv("Conv", []int{2, 8, 30}, []int{16, 8, 5}, nil), "Conv 1d 5"},
		{conv("ConvTranspose", []int{2, 8, 30}, []int{8, 4, 4}, map[string]*graph.Attr{"strides": ints("strides", 2)}), "ConvTranspose 1d 4/2"},
		{native.StepTiming{Node: &graph.Node{OpType: "FusedGemm", Attrs: map[string]*graph.Attr{"matmul": {Type: graph.AttrInt, I: 1}, "activation": act("Relu")}}}, "MatMul+Add +Relu"},
		{native.StepTiming{Node: &graph.Node{OpType: "FusedGemm", Attrs: map[string]*graph.Attr{}}}, "Gemm"},
		{native.StepTiming{Node: &graph.Node{OpType: "MatMul"}, In: []*ops.Tensor{ops.New(ops.Float32, 2, 4, 8, 16), ops.New(ops.Float32, 2, 4, 16, 8)}}, "MatMul batched"},
		{native.StepTiming{Node: &graph.Node{OpType: "MatMul"}, In: []*ops.Tensor{ops.New(ops.Float32, 2, 8, 16), ops.New(ops.Float32, 16, 8)}}, "MatMul"},
		{native.StepTiming{Node: &graph.Node{OpType: "Erf"}}, "Erf"},
	} {
		assert.Equal(t, c.want, nodeKind(c.step))
	}
	assert.Equal(t, "–", shapeString(nil))
	assert.Equal(t, "scalar", shapeString(ops.New(ops.Float32)))
}

// jsonStrict decodes one JSON object, refusing unknown fields.
func jsonStrict(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
