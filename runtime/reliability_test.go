package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/onnxpb"
	"github.com/latent-ml/latent/runtime/ort"
)

const denseAE = "../testdata/models/dense-ae/model.onnx"

// Every way of opening a model honours WithLimits, and the error wraps
// graph.ErrLimit.
func TestOpenLimits(t *testing.T) {
	data, err := os.ReadFile(denseAE)
	require.NoError(t, err)
	m, err := graph.Decode(data, "")
	require.NoError(t, err)
	for _, open := range []struct {
		name string
		open func(...runtime.Option) (*runtime.Session, error)
	}{
		{"Open", func(o ...runtime.Option) (*runtime.Session, error) { return runtime.Open(denseAE, o...) }},
		{"OpenBytes", func(o ...runtime.Option) (*runtime.Session, error) { return runtime.OpenBytes(data, o...) }},
		{"OpenReader", func(o ...runtime.Option) (*runtime.Session, error) {
			return runtime.OpenReader(bytes.NewReader(data), o...)
		}},
		{"OpenModel", func(o ...runtime.Option) (*runtime.Session, error) { return runtime.OpenModel(m, o...) }},
	} {
		t.Run(open.name, func(t *testing.T) {
			s, err := open.open()
			require.NoError(t, err, "default limits")
			s.Close()
			for _, lim := range []graph.Limits{{MaxNodes: 1}, {MaxTensorBytes: 16}} {
				_, err := open.open(runtime.WithLimits(lim))
				assert.ErrorIs(t, err, graph.ErrLimit, "limits %+v", lim)
			}
			if open.name != "OpenModel" {
				_, err := open.open(runtime.WithLimits(graph.Limits{MaxModelBytes: int64(len(data)) - 1}))
				assert.ErrorIs(t, err, graph.ErrLimit, "model one byte over the limit")
			}
		})
	}
}

// backendsUnderTest returns the backends available here: native always,
// ONNX Runtime when its library loads (required under CI).
func backendsUnderTest(t *testing.T) []string {
	t.Helper()
	if err := ort.Available(); err != nil {
		if os.Getenv("CI") != "" {
			require.NoError(t, err, "CI is set but ONNX Runtime is unavailable")
		}
		t.Logf("ONNX Runtime unavailable, native backend only (run `%s`): %v", ort.InstallCommand, err)
		return []string{"native"}
	}
	return []string{"native", "ort"}
}

// Session.Run from 64 goroutines at once, with mixed batch sizes, returns
// exactly what serial runs of the same inputs return, on every backend.
// Run under -race: go test -race ./runtime -run TestRun64Goroutines
func TestRun64Goroutines(t *testing.T) {
	for _, backend := range backendsUnderTest(t) {
		t.Run(backend, func(t *testing.T) {
			s, err := runtime.Open(denseAE, runtime.WithBackend(backend))
			require.NoError(t, err)
			defer s.Close()
			rng := rand.New(rand.NewPCG(64, 64))
			const nInputs = 16
			inputs := make([]*ops.Tensor, nInputs)
			want := make([][]*ops.Tensor, nInputs)
			for i := range inputs {
				inputs[i], _ = randInput(rng, 1+i%6*5, 16)
				want[i], err = s.RunOrdered(context.Background(), []*ops.Tensor{inputs[i]})
				require.NoError(t, err)
			}
			const goroutines, runs = 64, 6
			var wg sync.WaitGroup
			errc := make(chan error, goroutines)
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for r := 0; r < runs; r++ {
						i := (g*5 + r*3) % nInputs
						got, err := s.RunOrdered(context.Background(), []*ops.Tensor{inputs[i]})
						if err != nil {
							errc <- fmt.Errorf("goroutine %d run %d: %w", g, r, err)
							return
						}
						if err := sameBits(got, want[i]); err != nil {
							errc <- fmt.Errorf("goroutine %d, input %d: %w", g, i, err)
							return
						}
					}
				}(g)
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				require.NoError(t, err)
			}
		})
	}
}

// sameBits compares float32 outputs bit for bit (NaNs by pattern).
func sameBits(got, want []*ops.Tensor) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d outputs, want %d", len(got), len(want))
	}
	for o := range got {
		if !ops.SameShape(got[o].Shape, want[o].Shape) {
			return fmt.Errorf("output %d shape %v, serial %v", o, got[o].Shape, want[o].Shape)
		}
		a, b := got[o].F32(), want[o].F32()
		for j := range b {
			if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
				return fmt.Errorf("output %d [%d]: %v, serial %v", o, j, a[j], b[j])
			}
		}
	}
	return nil
}

// nanModel applies a set of common autoencoder operators to one input:
// each output is one operator, so a difference names the operator.
func nanModel(t *testing.T) ([]byte, []string) {
	b := newBuilder("nan", 7)
	b.input("x", 3, 4)
	b.param("W", 1, 4, 2)
	b.floats("bias", 0.5, -0.5)
	b.floats("lo", -1)
	b.floats("hi", 1)
	var outs []string
	unary := []string{"Relu", "Sigmoid", "Tanh", "Exp", "Abs", "Neg", "Sqrt", "Log", "Softplus", "Elu", "Selu", "Floor", "Sign", "Identity", "Erf", "HardSigmoid"}
	for _, op := range unary {
		b.node(op, []string{"x"}, []string{op})
		outs = append(outs, op)
	}
	b.node("LeakyRelu", []string{"x"}, []string{"LeakyRelu"}, aFloat("alpha", 0.1))
	b.node("Softmax", []string{"x"}, []string{"Softmax"}, aInt("axis", 1))
	b.node("Gemm", []string{"x", "W", "bias"}, []string{"Gemm"})
	b.node("MatMul", []string{"x", "W"}, []string{"MatMul"})
	b.node("Add", []string{"x", "x"}, []string{"Add"})
	b.node("Mul", []string{"x", "x"}, []string{"Mul"})
	b.node("Sub", []string{"x", "x"}, []string{"Sub"})
	b.node("Div", []string{"x", "x"}, []string{"Div"})
	b.node("ReduceSum", []string{"x"}, []string{"ReduceSum"}, aInts("axes", 1))
	b.node("ReduceMean", []string{"x"}, []string{"ReduceMean"}, aInts("axes", 1))
	b.node("Clip", []string{"x", "lo", "hi"}, []string{"Clip"})
	b.node("Max", []string{"x", "lo"}, []string{"Max"})
	b.node("Min", []string{"x", "hi"}, []string{"Min"})
	b.node("ReduceMax", []string{"x"}, []string{"ReduceMax"}, aInts("axes", 1))
	outs = append(outs, "LeakyRelu", "Softmax", "Gemm", "MatMul", "Add", "Mul", "Sub", "Div", "ReduceSum", "ReduceMean",
		"Clip", "Max", "Min", "ReduceMax")
	for _, o := range outs {
		b.g.Output = append(b.g.Output, valueInfo(o, onnxpb.TensorProto_FLOAT))
	}
	m := &onnxpb.ModelProto{IrVersion: proto.Int64(7),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(12)}}, Graph: b.g}
	// Clip's scalar bounds must be 0-D.
	for _, init := range b.g.Initializer {
		if init.GetName() == "lo" || init.GetName() == "hi" {
			init.Dims = nil
		}
	}
	data, err := proto.Marshal(m)
	require.NoError(t, err)
	return data, outs
}

// NaN and ±Inf inputs are neither a crash nor hidden: they propagate
// through the common autoencoder operators exactly as on ONNX Runtime
// (NaN where ORT has NaN, the same infinities, the same finite values to
// 1e-6), and hand-checked values hold on every backend.
func TestNaNInfPropagation(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	x := ops.FromFloat32([]int{3, 4}, []float32{
		nan, 1, -2, 0.5,
		inf, -inf, 0, 3,
		-1, 2, 0.25, -inf,
	})
	data, outs := nanModel(t)
	results := map[string][]*ops.Tensor{}
	for _, backend := range backendsUnderTest(t) {
		s, err := runtime.OpenBytes(data, runtime.WithBackend(backend))
		require.NoError(t, err, backend)
		got, err := s.Run(context.Background(), map[string]*ops.Tensor{"x": x})
		s.Close()
		require.NoError(t, err, "%s: NaN/Inf input refused or crashed", backend)
		results[backend] = got
		at := func(op string, i int) float32 {
			for k, o := range outs {
				if o == op {
					return got[k].F32()[i]
				}
			}
			require.Failf(t, "no output", "%s", op)
			return 0
		}
		isNaN := func(v float32) bool { return v != v }
		checks := []struct {
			what string
			ok   bool
		}{
			{"Relu(NaN) is NaN", isNaN(at("Relu", 0))},
			{"Relu(+Inf) is +Inf", at("Relu", 4) == inf},
			{"Relu(-Inf) is 0", at("Relu", 5) == 0},
			{"Sigmoid(+Inf) is 1", at("Sigmoid", 4) == 1},
			// The vectorised sigmoid clamps its exponent, giving a
			// denormal (4e-39) rather than 0: within float32's smallest
			// normal number of the exact value.
			{"Sigmoid(-Inf) is 0 (to 1.2e-38)", at("Sigmoid", 5) >= 0 && at("Sigmoid", 5) < 1.2e-38},
			{"Sigmoid(NaN) is NaN", isNaN(at("Sigmoid", 0))},
			{"Tanh(-Inf) is -1", at("Tanh", 5) == -1},
			{"Exp(-Inf) is 0", at("Exp", 5) == 0},
			{"Sqrt(-2) is NaN", isNaN(at("Sqrt", 2))},
			{"Log(0) is -Inf", at("Log", 6) == -inf},
			{"Gemm row with NaN is NaN", isNaN(at("Gemm", 0)) && isNaN(at("Gemm", 1))},
			{"Softmax row with NaN is NaN", isNaN(at("Softmax", 1))},
			{"Sub(Inf, Inf) is NaN", isNaN(at("Sub", 4))},
			{"Div(0, 0) is NaN", isNaN(at("Div", 6))},
			{"ReduceSum of a row with NaN is NaN", isNaN(at("ReduceSum", 0))},
			{"ReduceSum of +Inf and -Inf is NaN", isNaN(at("ReduceSum", 1))},
			{"ReduceSum of finite values and -Inf is -Inf", at("ReduceSum", 2) == -inf},
		}
		for _, c := range checks {
			assert.True(t, c.ok, "%s: %s does not hold", backend, c.what)
		}
	}
	ort, ok := results["ort"]
	if !ok {
		return
	}
	for k, op := range outs {
		a, b := results["native"][k].F32(), ort[k].F32()
		for i := range b {
			// Erf(NaN) included: ONNX Runtime up to 1.24 returned 1 there,
			// 1.31 keeps the NaN as latent does.
			na, nb := a[i] != a[i], b[i] != b[i]
			switch {
			case na || nb:
				assert.Equal(t, na, nb, "%s[%d]: native %v, ORT %v", op, i, a[i], b[i])
			case math.IsInf(float64(b[i]), 0) || math.IsInf(float64(a[i]), 0):
				assert.Equal(t, b[i], a[i], "%s[%d]", op, i)
			default:
				assert.InDelta(t, b[i], a[i], 1e-6*math.Max(1, math.Abs(float64(b[i]))), "%s[%d]", op, i)
			}
		}
	}
}

// Absurd attributes and shape data (negative or zero strides, zero
// kernels, huge pads, shapes whose product is astronomical) are errors
// naming the node, raised before anything of the absurd size is
// allocated; never a panic.
func TestAbsurdAttributes(t *testing.T) {
	huge := int64(1) << 40
	cases := []struct {
		name string
		op   string
		ins  []string
		init func(b *builder)
		attr []*onnxpb.AttributeProto
	}{
		{"conv negative stride", "Conv", []string{"x", "W"}, nil, []*onnxpb.AttributeProto{aInts("strides", -1, 1)}},
		{"conv zero stride", "Conv", []string{"x", "W"}, nil, []*onnxpb.AttributeProto{aInts("strides", 0, 1)}},
		{"conv zero kernel", "Conv", []string{"x", "W"}, nil, []*onnxpb.AttributeProto{aInts("kernel_shape", 0, 0)}},
		{"conv zero dilation", "Conv", []string{"x", "W"}, nil, []*onnxpb.AttributeProto{aInts("dilations", 0, 1)}},
		{"conv huge pads", "Conv", []string{"x", "W"}, nil, []*onnxpb.AttributeProto{aInts("pads", huge, huge, huge, huge)}},
		{"conv negative pads", "Conv", []string{"x", "W"}, nil, []*onnxpb.AttributeProto{aInts("pads", -5, 0, 0, 0)}},
		{"conv group 0", "Conv", []string{"x", "W"}, nil, []*onnxpb.AttributeProto{aInt("group", 0)}},
		{"conv group 3", "Conv", []string{"x", "W"}, nil, []*onnxpb.AttributeProto{aInt("group", 3)}},
		{"conv transpose huge stride", "ConvTranspose", []string{"x", "W"}, nil, []*onnxpb.AttributeProto{aInts("strides", huge, huge)}},
		{"conv transpose huge output padding", "ConvTranspose", []string{"x", "W"}, nil, []*onnxpb.AttributeProto{aInts("output_padding", huge, huge)}},
		{"maxpool zero kernel", "MaxPool", []string{"x"}, nil, []*onnxpb.AttributeProto{aInts("kernel_shape", 0, 0)}},
		{"maxpool negative stride", "MaxPool", []string{"x"}, nil, []*onnxpb.AttributeProto{aInts("kernel_shape", 2, 2), aInts("strides", -2, -2)}},
		{"maxpool huge pads", "MaxPool", []string{"x"}, nil, []*onnxpb.AttributeProto{aInts("kernel_shape", 2, 2), aInts("pads", huge, huge, huge, huge)}},
		{"averagepool kernel larger than input", "AveragePool", []string{"x"}, nil, []*onnxpb.AttributeProto{aInts("kernel_shape", 100, 100)}},
		{"pad huge", "Pad", []string{"x", "p"}, func(b *builder) { b.ints("p", 0, 0, huge, huge, 0, 0, huge, huge) }, nil},
		{"resize huge scales", "Resize", []string{"x", "", "s"}, func(b *builder) { b.floats("s", 1, 1, 1e9, 1e9) }, nil},
		{"tile huge repeats", "Tile", []string{"x", "r"}, func(b *builder) { b.ints("r", 1, 1, 1<<20, 1<<20) }, nil},
		{"expand huge shape", "Expand", []string{"x", "r"}, func(b *builder) { b.ints("r", 1<<20, 1<<20, 8, 8) }, nil},
		{"reshape two -1", "Reshape", []string{"x", "r"}, func(b *builder) { b.ints("r", -1, -1) }, nil},
		{"reshape negative", "Reshape", []string{"x", "r"}, func(b *builder) { b.ints("r", -4, 16) }, nil},
		{"transpose bad perm", "Transpose", []string{"x"}, nil, []*onnxpb.AttributeProto{aInts("perm", 0, 0, 1, 2)}},
		{"softmax axis out of range", "Softmax", []string{"x"}, nil, []*onnxpb.AttributeProto{aInt("axis", 10)}},
		{"concat axis out of range", "Concat", []string{"x", "x"}, nil, []*onnxpb.AttributeProto{aInt("axis", 99)}},
		{"flatten axis out of range", "Flatten", []string{"x"}, nil, []*onnxpb.AttributeProto{aInt("axis", -9)}},
		{"gather index out of range", "Gather", []string{"x", "r"}, func(b *builder) { b.ints("r", 5) }, nil},
		{"split sizes do not add up", "Split", []string{"x", "r"}, func(b *builder) { b.ints("r", 1, 1) }, []*onnxpb.AttributeProto{aInt("axis", 2)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBuilder("absurd", 3)
			b.input("x", 1, 1, 8, 8)
			b.param("W", 1, 1, 1, 3, 3)
			if c.init != nil {
				c.init(b)
			}
			b.node(c.op, c.ins, []string{"y"}, c.attr...)
			b.output("y")
			m := &onnxpb.ModelProto{IrVersion: proto.Int64(8),
				OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}}, Graph: b.g}
			data, err := proto.Marshal(m)
			require.NoError(t, err)
			var before, after goruntime.MemStats
			goruntime.ReadMemStats(&before)
			err = openAndRun(data, ops.New(ops.Float32, 1, 1, 8, 8))
			goruntime.ReadMemStats(&after)
			node := c.op + "_0"
			require.Error(t, err, "%s accepted", c.name)
			t.Log(err)
			assert.Contains(t, err.Error(), node, "the error names the node")
			assert.NotContains(t, err.Error(), "PANIC")
			assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "bytes allocated before refusing")
		})
	}
}

// openAndRun opens data on the native backend and runs it once on x,
// turning a panic into a test-visible error.
func openAndRun(data []byte, x *ops.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v", r)
		}
	}()
	s, err := runtime.OpenBytes(data)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.Run(context.Background(), map[string]*ops.Tensor{"x": x})
	return err
}

// The tensor-size cap also holds while running: an input batch that makes
// an intermediate exceed it fails with an error wrapping graph.ErrLimit
// and naming the node, and smaller batches still run.
func TestRunTensorLimit(t *testing.T) {
	s, err := runtime.Open(denseAE, runtime.WithLimits(graph.Limits{MaxTensorBytes: 4096}))
	require.NoError(t, err)
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	small, _ := randInput(rng, 4, 16)
	_, err = s.RunOrdered(context.Background(), []*ops.Tensor{small})
	require.NoError(t, err, "batch 4")
	big, _ := randInput(rng, 1000, 16)
	_, err = s.RunOrdered(context.Background(), []*ops.Tensor{big})
	require.ErrorIs(t, err, graph.ErrLimit, "batch 1000 under a 4096-byte cap")
	assert.Contains(t, err.Error(), "node", "the error names the node")
	t.Log(err)
}
