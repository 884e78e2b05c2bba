package verify

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func f32(shape []int, v ...float32) *ops.Tensor { return ops.FromFloat32(shape, v) }

func TestCompareTensorsWithinAndBeyond(t *testing.T) {
	want := f32([]int{2, 2}, 1, 100, -3, 0)
	// Errors: 5e-6 (abs bound 1e-5+1e-4), 0.009 (bound 1e-5+1e-2), 0, 0.
	got := f32([]int{2, 2}, 1+5e-6, 100.009, -3, 0)
	r := CompareTensors("y", got, want, 1e-5, 1e-4)
	require.True(t, r.Pass, "within tolerance reported as %+v", r)
	assert.Zero(t, r.Failures)
	assert.Empty(t, r.Mismatch)
	assert.InDelta(t, 0.009, r.MaxAbs, 1e-5)
	// The relative error counts where rtol governs, |want| >= atol/rtol =
	// 0.1: 1, 100 and -3, not 0.
	assert.InDelta(t, 9e-5, r.MaxRel, 1e-7)
	assert.Equal(t, 3, r.RelElements)
	// The element using most of its allowance is [0 1]: 0.009/0.01001 =
	// 0.9, versus [0 0]: 5e-6/1.0001e-4 = 0.05.
	assert.Equal(t, []int{0, 1}, r.Worst)

	// [1 0] off by 1e-3 with |want| 3: bound 3.1e-4 -> fails; [1 1] 0 vs
	// 1e-6 passes (atol) and, being below atol/rtol, leaves the relative
	// error alone (1e-6 against 0 would make it +Inf).
	got = f32([]int{2, 2}, 1, 100, -3.001, 1e-6)
	r = CompareTensors("y", got, want, 1e-5, 1e-4)
	require.False(t, r.Pass)
	assert.Equal(t, 1, r.Failures)
	assert.Equal(t, []int{1, 0}, r.Worst)
	assert.Equal(t, float32(-3.001), float32(r.Got))
	assert.Equal(t, -3.0, r.Want)
	assert.InDelta(t, 1e-3/3, r.MaxRel, 1e-7)
}

// The table prints a relative error only where one was measured: "-" for
// rtol 0, integer outputs and references below atol/rtol, never "+Inf"
// beside "ok".
func TestWriteTableRelativeError(t *testing.T) {
	small := CompareTensors("small", f32([]int{2}, 1e-7, 0), f32([]int{2}, 0, 0), 1e-5, 1e-4)
	large := CompareTensors("large", ops.FromFloat64([]int{2}, []float64{2.0001, 0}), ops.FromFloat64([]int{2}, []float64{2, 0}), 1e-5, 1e-4)
	ints := CompareTensors("ints", ops.FromInt64([]int{1}, []int64{3}), ops.FromInt64([]int{1}, []int64{3}), 1e-5, 1e-4)
	inf := CompareTensors("inf", f32([]int{1}, float32(math.Inf(1))), f32([]int{1}, 1), 1e-5, 1e-4)
	require.True(t, small.Pass)
	require.True(t, large.Pass)
	require.True(t, ints.Pass)
	require.False(t, inf.Pass)
	rep := &Report{Model: "m.onnx", Candidate: "native", Reference: "ort", Atol: 1e-5, Rtol: 1e-4,
		Outputs: []OutputReport{small, large, ints, inf}}
	var b bytes.Buffer
	require.NoError(t, rep.WriteTable(&b))
	rows := map[string][]string{}
	for _, line := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	// Columns: output dtype shape max-abs max-rel worst got want result.
	assert.Equal(t, "-", rows["small"][4], b.String())
	assert.Equal(t, "ok", rows["small"][len(rows["small"])-1])
	assert.Equal(t, "5e-05", rows["large"][4])
	assert.Equal(t, "-", rows["ints"][4])
	assert.Equal(t, "+Inf", rows["inf"][4])
	assert.Equal(t, "FAIL", rows["inf"][len(rows["inf"])-3])
}

func TestCompareTensorsWorstIndexIsMultiDim(t *testing.T) {
	want := ops.New(ops.Float64, 2, 3, 4)
	got := ops.New(ops.Float64, 2, 3, 4)
	got.F64()[17] = 1 // 17 = 1*12 + 1*4 + 1
	r := CompareTensors("y", got, want, 1e-5, 1e-4)
	assert.False(t, r.Pass)
	assert.Equal(t, []int{1, 1, 1}, r.Worst, "worst element")
	assert.Equal(t, 1.0, r.MaxAbs, "max abs")
}

func TestCompareTensorsSpecialValues(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	cases := []struct {
		name      string
		got, want *ops.Tensor
		pass      bool
		mismatch  string
	}{
		{"same NaN positions", f32([]int{3}, 1, nan, inf), f32([]int{3}, 1, nan, inf), true, ""},
		{"NaN moved", f32([]int{2}, nan, 1), f32([]int{2}, 1, nan), false, "NaN positions differ"},
		{"Inf vs finite", f32([]int{1}, inf), f32([]int{1}, 1e30), false, ""},
		{"opposite Inf", f32([]int{1}, inf), f32([]int{1}, -inf), false, ""},
		{"dtype", ops.FromFloat64([]int{1}, []float64{1}), f32([]int{1}, 1), false, "dtype float64, want float32"},
		{"shape", f32([]int{1, 2}, 1, 2), f32([]int{2, 1}, 1, 2), false, "shape [1 2], want [2 1]"},
		{"rank-0 equal", f32(nil, 2), f32(nil, 2), true, ""},
		{"empty", f32([]int{0, 3}), f32([]int{0, 3}), true, ""},
		// 2^60 and 2^60+1 are the same float64: ints must be compared exactly.
		{"int64 exact", ops.FromInt64([]int{1}, []int64{1<<60 + 1}), ops.FromInt64([]int{1}, []int64{1 << 60}), false, ""},
		{"int32 off by one", ops.FromInt32([]int{2}, []int32{5, 7}), ops.FromInt32([]int{2}, []int32{5, 6}), false, ""},
		{"bool", ops.FromBool([]int{2}, []bool{true, false}), ops.FromBool([]int{2}, []bool{true, false}), true, ""},
		// float16 1.0 vs 1.0009765625 (next half): 9.8e-4 > 1.01e-4.
		{"float16", &ops.Tensor{DType: ops.Float16, Shape: []int{1}, Data: []uint16{0x3c01}}, &ops.Tensor{DType: ops.Float16, Shape: []int{1}, Data: []uint16{0x3c00}}, false, ""},
	}
	for _, c := range cases {
		r := CompareTensors("y", c.got, c.want, 1e-5, 1e-4)
		assert.Equal(t, c.pass, r.Pass, "%s: pass = %v, want %v (%+v)", c.name, r.Pass, c.pass, r)
		if c.mismatch != "" {
			assert.Contains(t, r.Mismatch, c.mismatch, c.name)
		}
	}
}

func TestRandomInputs(t *testing.T) {
	decl := []graph.ValueInfo{
		{Name: "x", DType: ops.Float32, HasShape: true, Shape: graph.Shape{{Param: "batch"}, {Value: 4}}},
		{Name: "ids", DType: ops.Int64, HasShape: true, Shape: graph.Shape{{Value: -1}}},
		{Name: "m", DType: ops.Bool, HasShape: true, Shape: graph.Shape{{Value: 2}, {Value: 3}}},
		{Name: "h", DType: ops.Float16, HasShape: true, Shape: graph.Shape{}},
		{Name: "u", DType: ops.Uint8, HasShape: true, Shape: graph.Shape{{Value: 64}}},
		{Name: "i", DType: ops.Int8, HasShape: true, Shape: graph.Shape{{Value: 64}}},
	}
	a, err := RandomInputs(decl, 5, 7)
	require.NoError(t, err)
	b, err := RandomInputs(decl, 5, 7)
	require.NoError(t, err)
	c, err := RandomInputs(decl, 5, 8)
	require.NoError(t, err)
	assert.Equal(t, b, a, "same seed gave different inputs")
	assert.NotEqual(t, c[0].Data, a[0].Data, "different seeds gave identical float inputs")
	wantShapes := [][]int{{5, 4}, {5}, {2, 3}, {}, {64}, {64}}
	for i, s := range wantShapes {
		assert.Equal(t, ops.ShapeString(s), ops.ShapeString(a[i].Shape), "input %s: shape", decl[i].Name)
		assert.Equal(t, decl[i].DType, a[i].DType, "input %s: element type", decl[i].Name)
		assert.Equal(t, ops.NumElements(s), sliceLen(a[i]), "input %s holds %d elements, want %d", decl[i].Name, sliceLen(a[i]), ops.NumElements(s))
	}
	assert.GreaterOrEqual(t, slices.Min(a[0].F32()), float32(-1), "float32 inputs in [-1, 1)")
	assert.Less(t, slices.Max(a[0].F32()), float32(1), "float32 inputs in [-1, 1)")
	assert.GreaterOrEqual(t, slices.Min(a[1].I64()), int64(0), "int64 inputs in [0, 10)")
	assert.Less(t, slices.Max(a[1].I64()), int64(10), "int64 inputs in [0, 10)")
	assert.GreaterOrEqual(t, slices.Min(a[5].I8()), int8(-10), "int8 inputs in [-10, 10]")
	assert.LessOrEqual(t, slices.Max(a[5].I8()), int8(10), "int8 inputs in [-10, 10]")
	_, err = RandomInputs([]graph.ValueInfo{{Name: "noshape", DType: ops.Float32}}, 1, 1)
	assert.ErrorContains(t, err, "noshape", "input without shape")
}

func sliceLen(t *ops.Tensor) int {
	return reflect.ValueOf(t.Data).Len()
}

func TestDataSetRoundTripAndOrder(t *testing.T) {
	dir := t.TempDir()
	in := []*ops.Tensor{f32([]int{2}, 1, 2), ops.FromInt64([]int{1}, []int64{9})}
	out := []*ops.Tensor{ops.FromBool([]int{2}, []bool{true, false})}
	for _, n := range []string{"test_data_set_10", "test_data_set_2", "test_data_set_0"} {
		require.NoError(t, WriteDataSet(filepath.Join(dir, n), []string{"a", "b"}, in, []string{"y"}, out))
	}
	os.Mkdir(filepath.Join(dir, "test_data_set_x"), 0o755)
	os.WriteFile(filepath.Join(dir, "test_data_set_3"), nil, 0o644) // a file, not a set
	sets, err := DataSets(dir)
	require.NoError(t, err)
	var names []string
	for _, s := range sets {
		names = append(names, filepath.Base(s))
	}
	require.Equal(t, []string{"test_data_set_0", "test_data_set_2", "test_data_set_10"}, names, "DataSets in numeric order")
	gotIn, err := ReadTensors(sets[1], "input")
	require.NoError(t, err)
	gotOut, err := ReadTensors(sets[1], "output")
	require.NoError(t, err)
	require.Equal(t, in, gotIn, "round trip: %v %v, want %v %v", gotIn, gotOut, in, out)
	require.Equal(t, out, gotOut, "round trip: %v %v, want %v %v", gotIn, gotOut, in, out)
	// A gap in the numbering is an error, not a silent truncation.
	os.Remove(filepath.Join(sets[1], "input_0.pb"))
	_, err = ReadTensors(sets[1], "input")
	require.ErrorContains(t, err, "input_0.pb", "gap")
	require.Error(t, WriteDataSet(dir, []string{"a"}, in, nil, nil), "name/tensor count mismatch accepted")
}

func TestCheckInputs(t *testing.T) {
	decl := []graph.ValueInfo{{Name: "x", DType: ops.Float32, HasShape: true, Shape: graph.Shape{{Param: "batch"}, {Value: 3}}}}
	require.NoError(t, CheckInputs(decl, []*ops.Tensor{f32([]int{7, 3}, make([]float32, 21)...)}), "valid input")
	for _, c := range []struct {
		in   []*ops.Tensor
		want string
	}{
		{nil, "got 0 inputs, the model takes 1 (x)"},
		{[]*ops.Tensor{ops.FromInt64([]int{1, 3}, make([]int64, 3))}, `input "x": element type int64`},
		{[]*ops.Tensor{f32([]int{3}, 1, 2, 3)}, `input "x": shape [3] has rank 1`},
		{[]*ops.Tensor{f32([]int{1, 2}, 1, 2)}, "(dimension 1)"},
	} {
		assert.ErrorContains(t, CheckInputs(decl, c.in), c.want)
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{{Atol: -1}, {Rtol: math.NaN()}, {Batch: -2}} {
		_, err := Compare(context.Background(), "unused.onnx", nil, o)
		assert.Error(t, err, "options %+v accepted", o)
	}
	o := Options{}
	require.NoError(t, o.normalise())
	assert.Equal(t, Options{Atol: DefaultAtol, Rtol: DefaultRtol, Batch: 1, Candidate: "native", Reference: "ort"}, o, "defaults")
}

// perturbed is a test backend: ONNX Runtime with one output element
// shifted, so Compare must find exactly that element.
type perturbed struct{}

const (
	perturbIndex = 5
	perturbDelta = 1e-3
)

func (perturbed) Name() string { return "ort-perturbed" }
func (perturbed) Compile(ctx context.Context, m *graph.Model, cfg runtime.Config) (runtime.Executable, error) {
	b, err := runtime.LookupBackend("ort")
	if err != nil {
		return nil, err
	}
	x, err := b.Compile(ctx, m, cfg)
	if err != nil {
		return nil, err
	}
	return perturbedExec{x}, nil
}

type perturbedExec struct{ runtime.Executable }

func (p perturbedExec) Run(ctx context.Context, in []*ops.Tensor) ([]*ops.Tensor, error) {
	out, err := p.Executable.Run(ctx, in)
	if err == nil {
		out[len(out)-1].F32()[perturbIndex] += perturbDelta
	}
	return out, err
}

func init() {
	runtime.RegisterBackend("ort-perturbed", func() runtime.Backend { return perturbed{} })
}

func requireORT(t *testing.T) {
	t.Helper()
	testenv.Need(t, "ONNX Runtime (run `"+ort.InstallCommand+"`)", ort.Available())
}

const denseModel = "../../testdata/golden/dense_gemm/model.onnx"

func TestCompareFindsPerturbedElement(t *testing.T) {
	requireORT(t)
	ctx := context.Background()
	// reconstruction is [batch, 8]: flat index 5 with batch 3 is [0 5].
	rep, err := Compare(ctx, denseModel, nil, Options{Candidate: "ort-perturbed", Reference: "ort", Batch: 3, Seed: 4})
	require.NoError(t, err)
	require.False(t, rep.Pass, "report pass=%v outputs=%d, want a failure over 2 outputs", rep.Pass, len(rep.Outputs))
	require.Len(t, rep.Outputs, 2, "report pass=%v outputs=%d, want a failure over 2 outputs", rep.Pass, len(rep.Outputs))
	code, recon := rep.Outputs[0], rep.Outputs[1]
	require.True(t, code.Pass, "untouched output: %+v", code)
	require.EqualValues(t, 0, code.MaxAbs, "untouched output: %+v", code)
	assert.Equal(t, "code", code.Name, "untouched output: %+v", code)
	assert.False(t, recon.Pass, "perturbed output")
	assert.Equal(t, 1, recon.Failures, "perturbed output: failures")
	assert.Equal(t, []int{0, 5}, recon.Worst, "perturbed output: worst element")
	assert.Equal(t, []int{3, 8}, recon.Shape, "perturbed output: shape")
	assert.InDelta(t, perturbDelta, recon.MaxAbs, 1e-6, "max abs %g, want %g", recon.MaxAbs, perturbDelta)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteTable(&buf))
	for _, s := range []string{"reconstruction", "[0 5]", "FAIL (1 elements)", "FAIL: 2 output(s)"} {
		assert.Contains(t, buf.String(), s, "table lacks %q:\n%s", s, buf.String())
	}

	// A looser tolerance accepts the same difference.
	rep, err = Compare(ctx, denseModel, rep.Inputs, Options{Candidate: "ort-perturbed", Reference: "ort", Atol: 2e-3})
	require.NoError(t, err)
	assert.True(t, rep.Pass, "atol 2e-3 should pass a 1e-3 difference: %+v", rep.Outputs)
	// Given inputs are checked against the model.
	_, err = Compare(ctx, denseModel, []*ops.Tensor{f32([]int{1, 3}, 1, 2, 3)}, Options{Reference: "ort", Candidate: "ort"})
	assert.ErrorContains(t, err, `input "input"`, "bad input")
	_, err = Compare(ctx, denseModel, nil, Options{Candidate: "nope"})
	assert.ErrorContains(t, err, "unknown backend", "unknown backend")
	_, err = Compare(ctx, "missing.onnx", nil, Options{})
	assert.ErrorContains(t, err, "missing.onnx", "missing model")
}

func TestLoadTolerance(t *testing.T) {
	dir := t.TempDir()
	tol, err := LoadTolerance(dir)
	require.NoError(t, err, "no file: %+v, %v; want the defaults", tol, err)
	require.Equal(t, DefaultAtol, tol.Atol, "no file: %+v, %v; want the defaults", tol, err)
	require.Equal(t, DefaultRtol, tol.Rtol, "no file: %+v, %v; want the defaults", tol, err)
	p := filepath.Join(dir, ToleranceFile)
	for _, c := range []struct {
		json, want string
	}{
		{`{"atol": 1e-3, "rtol": 1e-3}`, "need a reason"},
		{`{"atol": -1, "rtol": 1e-3, "reason": "x"}`, "negative"},
		{`{"atol": 1e-3, "rtl": 1e-3, "reason": "x"}`, "unknown field"},
	} {
		os.WriteFile(p, []byte(c.json), 0o644)
		_, err := LoadTolerance(dir)
		assert.ErrorContains(t, err, c.want, "%s", c.json)
	}
	require.NoError(t, os.WriteFile(p, []byte(`{"atol": 2e-3, "rtol": 1e-3, "reason": "float16"}`), 0o644))
	tol, err = LoadTolerance(dir)
	require.NoError(t, err, "valid file")
	assert.Equal(t, 2e-3, tol.Atol, "valid file")
	assert.Equal(t, 1e-3, tol.Rtol, "valid file")
}
