package ort

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireORT skips (or, under CI, fails) when the library cannot be loaded.
func requireORT(t *testing.T) {
	t.Helper()
	testenv.Need(t, "ONNX Runtime (run `"+InstallCommand+"`)", Available())
}

// testIO declares a graph input or output; dims < 0 become the symbolic
// dimension "batch".
type testIO struct {
	name string
	elem int32
	dims []int64
}

// buildModel serialises a ModelProto with the given nodes (already encoded
// NodeProtos), inputs and outputs. It writes protobuf by hand so the test
// depends only on the ONNX field numbers, not on latent's encoder.
func buildModel(opset int64, nodes [][]byte, ins, outs []testIO) []byte {
	vi := func(io testIO) []byte {
		var tt []byte
		tt = appendVarintField(tt, tensorElem, uint64(io.elem))
		if io.dims != nil {
			var shape []byte
			for _, d := range io.dims {
				var dim []byte
				if d < 0 {
					dim = appendStringField(nil, 2, "batch") // dim_param
				} else {
					dim = appendVarintField(nil, 1, uint64(d)) // dim_value
				}
				shape = appendBytesField(shape, 1, dim)
			}
			tt = appendBytesField(tt, 2, shape)
		}
		b := appendStringField(nil, valueInfoName, io.name)
		return appendBytesField(b, valueInfoType, appendBytesField(nil, typeTensor, tt))
	}
	var g []byte
	for _, n := range nodes {
		g = appendBytesField(g, graphNode, n)
	}
	g = appendStringField(g, 2, "test") // name
	for _, in := range ins {
		g = appendBytesField(g, 11, vi(in))
	}
	for _, o := range outs {
		g = appendBytesField(g, graphOutput, vi(o))
	}
	var m []byte
	m = appendVarintField(m, 1, 8) // ir_version
	m = appendStringField(m, 2, "latent-test")
	m = appendBytesField(m, modelGraph, g)
	op := appendStringField(nil, opsetDomain, "")
	op = appendVarintField(op, opsetVersion, uint64(opset))
	m = appendBytesField(m, modelOpsetImport, op)
	return m
}

func compile(t *testing.T, raw []byte, ins, outs []testIO) runtime.Executable {
	t.Helper()
	m := &graph.Model{Raw: raw, Graph: &graph.Graph{}}
	for _, in := range ins {
		m.Graph.Inputs = append(m.Graph.Inputs, graph.ValueInfo{Name: in.name})
	}
	for _, o := range outs {
		m.Graph.Outputs = append(m.Graph.Outputs, graph.ValueInfo{Name: o.name})
	}
	b, err := runtime.LookupBackend("ort")
	require.NoError(t, err)
	x, err := b.Compile(context.Background(), m, runtime.Config{IntraOpThreads: 1, Optimize: true})
	require.NoError(t, err, "compile")
	t.Cleanup(func() { x.Close() })
	return x
}

func TestAddDynamicBatchAndTwoOutputs(t *testing.T) {
	requireORT(t)
	ins := []testIO{{"x", elemFloat, []int64{-1, 3}}, {"y", elemFloat, []int64{-1, 3}}}
	outs := []testIO{{"sum", elemFloat, []int64{-1, 3}}, {"prod", elemFloat, []int64{-1, 3}}}
	raw := buildModel(17, [][]byte{
		node("Add", []string{"x", "y"}, "sum", nil),
		node("Mul", []string{"x", "y"}, "prod", nil),
	}, ins, outs)
	x := compile(t, raw, ins, outs)
	for _, n := range []int{1, 2, 5} {
		a := make([]float32, n*3)
		b := make([]float32, n*3)
		for i := range a {
			a[i] = float32(i) - 2.5
			b[i] = 0.5 * float32(i*i)
		}
		// A cancellable context takes the RunOptions path.
		ctx, cancel := context.WithCancel(context.Background())
		if n == 2 {
			ctx = context.Background()
		}
		got, err := x.Run(ctx, []*ops.Tensor{ops.FromFloat32([]int{n, 3}, a), ops.FromFloat32([]int{n, 3}, b)})
		cancel()
		require.NoError(t, err, "batch %d", n)
		require.Len(t, got, 2, "batch %d: %d outputs, want 2", n, len(got))
		for k, o := range got {
			require.Equal(t, ops.Float32, o.DType, "batch %d output %d", n, k)
			require.Equal(t, []int{n, 3}, o.Shape, "batch %d output %d", n, k)
			for i, v := range o.F32() {
				want := a[i] + b[i]
				if k == 1 {
					want = a[i] * b[i]
				}
				require.Equal(t, want, v, "batch %d output %d [%d] = %v, want %v", n, k, i, v, want)
			}
		}
	}
}

func TestIdentityEveryDType(t *testing.T) {
	requireORT(t)
	cases := []struct {
		elem int32
		in   *ops.Tensor
	}{
		{1, ops.FromFloat32([]int{2, 2}, []float32{1.5, -2, float32(math.Inf(1)), 3e-7})},
		{11, ops.FromFloat64([]int{3}, []float64{math.Pi, -1e300, 0})},
		// 1.0, -2.0, 65504 (max), smallest subnormal, -0
		{10, &ops.Tensor{DType: ops.Float16, Shape: []int{5}, Data: []uint16{0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000}}},
		{7, ops.FromInt64([]int{2, 1}, []int64{math.MaxInt64, -7})},
		{6, ops.FromInt32([]int{2}, []int32{math.MinInt32, 9})},
		{3, &ops.Tensor{DType: ops.Int8, Shape: []int{3}, Data: []int8{-128, 0, 127}}},
		{2, &ops.Tensor{DType: ops.Uint8, Shape: []int{2}, Data: []uint8{0, 255}}},
		{9, ops.FromBool([]int{1, 3}, []bool{true, false, true})},
		// rank 0
		{1, ops.Scalar(4.25)},
		{7, ops.FromInt64(nil, []int64{42})},
	}
	for _, c := range cases {
		t.Run(c.in.DType.String()+"_rank"+string(rune('0'+len(c.in.Shape))), func(t *testing.T) {
			dims := make([]int64, len(c.in.Shape))
			for i, d := range c.in.Shape {
				dims[i] = int64(d)
			}
			ins := []testIO{{"x", c.elem, dims}}
			outs := []testIO{{"y", c.elem, dims}}
			x := compile(t, buildModel(17, [][]byte{node("Identity", []string{"x"}, "y", nil)}, ins, outs), ins, outs)
			got, err := x.Run(context.Background(), []*ops.Tensor{c.in})
			require.NoError(t, err)
			require.Equal(t, ops.ShapeString(c.in.Shape), ops.ShapeString(got[0].Shape), "shape")
			require.Equal(t, c.in.DType, got[0].DType, "got %v %v, want %v %v", got[0].DType, got[0].Data, c.in.DType, c.in.Data)
			require.Equal(t, c.in.Data, got[0].Data, "got %v %v, want %v %v", got[0].DType, got[0].Data, c.in.DType, c.in.Data)
		})
	}
}

func TestScalarAndEmptyOutputs(t *testing.T) {
	requireORT(t)
	ins := []testIO{{"x", elemFloat, []int64{-1, 4}}}
	outs := []testIO{{"s", elemFloat, []int64{}}, {"e", elemFloat, nil}}
	// ReduceSum (opset 13: axes as input, absent = all axes) with keepdims=0
	// gives a scalar; Slice of zero rows gives an empty tensor.
	starts := constantNode("starts", []int64{0})
	ends := constantNode("ends", []int64{0})
	raw := buildModel(13, [][]byte{
		node("ReduceSum", []string{"x"}, "s", attrInt("keepdims", 0)),
		starts, ends,
		node("Slice", []string{"x", "starts", "ends"}, "e", nil),
	}, ins, outs)
	x := compile(t, raw, ins, outs)
	in := ops.FromFloat32([]int{2, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8.5})
	got, err := x.Run(context.Background(), []*ops.Tensor{in})
	require.NoError(t, err)
	require.Len(t, got[0].Shape, 0, "sum: shape %v data %v, want scalar 36.5", got[0].Shape, got[0].Data)
	require.EqualValues(t, 36.5, got[0].F32()[0], "sum: shape %v data %v, want scalar 36.5", got[0].Shape, got[0].Data)
	require.Equal(t, []int{0, 4}, got[1].Shape, "slice")
	require.Empty(t, got[1].F32(), "slice")
}

func constantNode(out string, vals []int64) []byte {
	tb := appendVarintField(nil, tensorDims, uint64(len(vals)))
	tb = appendVarintField(tb, tensorDataType, elemInt64)
	for _, v := range vals {
		tb = appendVarintField(tb, tensorInt64, uint64(v))
	}
	a := appendStringField(nil, attrName, "value")
	a = appendBytesField(a, attrT, tb)
	a = appendVarintField(a, attrType, attrTypeTensor)
	return node("Constant", nil, out, a)
}

func TestConcurrentRun(t *testing.T) {
	requireORT(t)
	ins := []testIO{{"x", elemFloat, []int64{-1}}}
	outs := []testIO{{"y", elemFloat, []int64{-1}}}
	x := compile(t, buildModel(17, [][]byte{node("Mul", []string{"x", "x"}, "y", nil)}, ins, outs), ins, outs)
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for it := 0; it < 20; it++ {
				n := 1 + (g+it)%7
				in := make([]float32, n)
				for i := range in {
					in[i] = float32(g*100 + i)
				}
				got, err := x.Run(context.Background(), []*ops.Tensor{ops.FromFloat32([]int{n}, in)})
				if err != nil {
					errs <- err.Error()
					return
				}
				for i, v := range got[0].F32() {
					if v != in[i]*in[i] {
						errs <- "wrong square"
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		require.Empty(t, e)
	}
}

func TestRunErrors(t *testing.T) {
	requireORT(t)
	ins := []testIO{{"x", elemFloat, []int64{-1, 2}}}
	outs := []testIO{{"y", elemFloat, []int64{-1, 2}}}
	x := compile(t, buildModel(17, [][]byte{node("Relu", []string{"x"}, "y", nil)}, ins, outs), ins, outs)
	ctx := context.Background()
	_, err := x.Run(ctx, nil)
	assert.ErrorContains(t, err, "got 0 inputs", "no inputs")
	bad := &ops.Tensor{DType: ops.Float32, Shape: []int{2, 2}, Data: []float32{1}}
	_, err = x.Run(ctx, []*ops.Tensor{bad})
	assert.ErrorContains(t, err, `input "x"`, "short data")
	// Wrong rank: ONNX Runtime rejects it; the error must name the input.
	_, err = x.Run(ctx, []*ops.Tensor{ops.FromFloat32([]int{4}, make([]float32, 4))})
	assert.ErrorContains(t, err, "x", "wrong rank")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = x.Run(cctx, []*ops.Tensor{ops.FromFloat32([]int{1, 2}, []float32{1, 2})})
	assert.Error(t, err, "cancelled context: no error")
	x.Close()
	_, err = x.Run(ctx, []*ops.Tensor{ops.FromFloat32([]int{1, 2}, []float32{1, 2})})
	assert.ErrorContains(t, err, "closed", "after Close")
}

func TestCompileErrors(t *testing.T) {
	requireORT(t)
	b, err := runtime.LookupBackend("ort")
	require.NoError(t, err)
	_, err = b.Compile(context.Background(), &graph.Model{}, runtime.Config{})
	assert.ErrorContains(t, err, "Model.Raw", "no bytes")
	_, err = b.Compile(context.Background(), &graph.Model{Raw: []byte("not a model")}, runtime.Config{})
	assert.Error(t, err, "garbage bytes: no error")
}

func TestFindLibrary(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.so")
	_, err := findLibrary([]string{missing})
	require.Error(t, err, "err = %v; want the path, version and install command", err)
	require.Contains(t, err.Error(), missing, "err = %v; want the path, version and install command", err)
	require.Contains(t, err.Error(), InstallCommand, "err = %v; want the path, version and install command", err)
	require.Contains(t, err.Error(), ORTVersion, "err = %v; want the path, version and install command", err)
	lib := filepath.Join(dir, "lib.so")
	require.NoError(t, os.WriteFile(lib, []byte("x"), 0o644))
	p, err := findLibrary([]string{missing, dir, lib})
	require.NoError(t, err)
	require.Equal(t, lib, p, "findLibrary skips the missing file and the directory")
}

func TestCandidatePaths(t *testing.T) {
	t.Setenv(LibraryEnv, "/opt/ort.so")
	t.Setenv("XDG_CACHE_HOME", "/c")
	want := []string{"/opt/ort.so", "/c/latent/ort/" + ORTVersion + "/libonnxruntime.so.1"}
	require.Equal(t, want, CandidatePaths())
}

func TestWrapOutputsOldOpset(t *testing.T) {
	raw := buildModel(5, [][]byte{node("Relu", []string{"x"}, "y", nil)}, []testIO{{"x", elemFloat, nil}}, []testIO{{"y", elemFloat, nil}})
	_, err := wrapOutputs(raw, false)
	require.ErrorIs(t, err, errNoRewrite, "opset 5")
	_, err = wrapOutputs([]byte{0xff}, false)
	require.Error(t, err, "garbage: no error")
	w, err := wrapOutputs(buildModel(17, [][]byte{node("Relu", []string{"x"}, "y", nil)}, []testIO{{"x", elemFloat16, nil}}, []testIO{{"y", elemFloat16, nil}}), false)
	require.NoError(t, err)
	require.EqualValues(t, elemFloat16, w.elem[0], "wrapped = %+v", w)
	require.Len(t, w.flat, 1, "wrapped = %+v", w)
	require.Len(t, w.shape, 1, "wrapped = %+v", w)
	// The graph must now end with Cast, Shape and Reshape nodes.
	var ops []string
	eachField(w.model, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num == modelGraph {
			eachField(v, func(n protowire.Number, _ protowire.Type, nb []byte, _ uint64) error {
				if n == graphNode {
					eachField(nb, func(k protowire.Number, _ protowire.Type, s []byte, _ uint64) error {
						if k == nodeOpType {
							ops = append(ops, string(s))
						}
						return nil
					})
				}
				return nil
			})
		}
		return nil
	})
	require.Equal(t, []string{"Relu", "Constant", "Cast", "Shape", "Reshape"}, ops)
}

func TestModelWithoutInputs(t *testing.T) {
	requireORT(t)
	outs := []testIO{{"c", elemInt64, []int64{3}}}
	x := compile(t, buildModel(17, [][]byte{constantNode("c", []int64{4, -5, 6})}, nil, outs), nil, outs)
	for i := 0; i < 2; i++ {
		got, err := x.Run(context.Background(), nil)
		require.NoError(t, err)
		require.Equal(t, []int{3}, got[0].Shape)
		require.Equal(t, []int64{4, -5, 6}, got[0].I64())
	}
}

func TestSequenceOutputIsAnError(t *testing.T) {
	requireORT(t)
	ins := []testIO{{"x", elemFloat, []int64{2}}}
	// The output is declared as a sequence: it must be fetched unwrapped and
	// rejected with a clear error, not break the session.
	seqOut := appendStringField(nil, valueInfoName, "s")
	elem := appendBytesField(nil, typeTensor, appendVarintField(nil, tensorElem, elemFloat))
	seqType := appendBytesField(nil, 4, appendBytesField(nil, 1, elem)) // TypeProto.sequence_type.elem_type
	seqOut = appendBytesField(seqOut, valueInfoType, seqType)
	raw := buildModel(17, [][]byte{node("SequenceConstruct", []string{"x", "x"}, "s", nil)}, ins, nil)
	raw = injectOutput(raw, seqOut)
	x := compile(t, raw, ins, []testIO{{"s", 0, nil}})
	_, err := x.Run(context.Background(), []*ops.Tensor{ops.FromFloat32([]int{2}, []float32{1, 2})})
	require.ErrorContains(t, err, `output "s"`)
}

// injectOutput appends a raw ValueInfoProto to the graph outputs.
func injectOutput(model, vi []byte) []byte { return injectGraphField(model, graphOutput, vi) }

func TestOverridableInitializer(t *testing.T) {
	requireORT(t)
	ins := []testIO{{"x", elemFloat, []int64{2}}, {"W", elemFloat, []int64{2}}}
	outs := []testIO{{"y", elemFloat, []int64{2}}}
	raw := buildModel(9, [][]byte{node("Add", []string{"x", "W"}, "y", nil)}, ins, outs)
	// Add initializer W = {10, 20} (TensorProto: dims 1, data_type 2,
	// float_data 4, name 8) and mark the model IR 3, where initializers
	// listed as inputs are overridable.
	var init []byte
	init = appendVarintField(init, tensorDims, 2)
	init = appendVarintField(init, tensorDataType, elemFloat)
	init = protowire.AppendTag(init, 4, protowire.Fixed32Type)
	init = protowire.AppendFixed32(init, math.Float32bits(10))
	init = protowire.AppendTag(init, 4, protowire.Fixed32Type)
	init = protowire.AppendFixed32(init, math.Float32bits(20))
	init = appendStringField(init, 8, "W")
	raw = injectGraphField(raw, 5, init)
	t.Run("ir8", func(t *testing.T) { testOverridable(t, raw, 8) })
	t.Run("ir3", func(t *testing.T) {
		testOverridable(t, appendVarintField(raw, 1, 3), 3) // the last ir_version field wins
	})
}

func testOverridable(t *testing.T, raw []byte, ir int64) {
	m := &graph.Model{Raw: raw, IRVersion: ir, Graph: &graph.Graph{
		Inputs:           []graph.ValueInfo{{Name: "x"}},
		Outputs:          []graph.ValueInfo{{Name: "y"}},
		OverridableInits: []graph.ValueInfo{{Name: "W"}},
		Initializers:     map[string]*ops.Tensor{"W": ops.FromFloat32([]int{2}, []float32{10, 20})},
	}}
	b, err := runtime.LookupBackend("ort")
	require.NoError(t, err)
	x, err := b.Compile(context.Background(), m, runtime.Config{})
	require.NoError(t, err)
	defer x.Close()
	in := ops.FromFloat32([]int{2}, []float32{1, 2})
	for _, c := range []struct {
		inputs []*ops.Tensor
		want   []float32
	}{
		{[]*ops.Tensor{in}, []float32{11, 22}},
		{[]*ops.Tensor{in, nil}, []float32{11, 22}},
		{[]*ops.Tensor{in, ops.FromFloat32([]int{2}, []float32{-1, -2})}, []float32{0, 0}},
	} {
		got, err := x.Run(context.Background(), c.inputs)
		if ir < 4 && len(c.inputs) == 2 && c.inputs[1] != nil {
			assert.ErrorContains(t, err, `initializer "W" cannot be overridden`, "IR %d override", ir)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, c.want, got[0].F32(), "%d inputs: got %v, want %v", len(c.inputs), got[0].F32(), c.want)
	}
}

// injectGraphField appends a raw field to the model's GraphProto.
func injectGraphField(model []byte, num protowire.Number, v []byte) []byte {
	var out []byte
	rest := model
	for len(rest) > 0 {
		n0, typ, n := protowire.ConsumeTag(rest)
		m := protowire.ConsumeFieldValue(n0, typ, rest[n:])
		if n0 == modelGraph {
			g, _ := protowire.ConsumeBytes(rest[n:])
			g = appendBytesField(append([]byte(nil), g...), num, v)
			out = appendBytesField(out, modelGraph, g)
		} else {
			out = append(out, rest[:n+m]...)
		}
		rest = rest[n+m:]
	}
	return out
}
