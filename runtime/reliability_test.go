package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

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
	if err != nil {
		t.Fatal(err)
	}
	m, err := graph.Decode(data, "")
	if err != nil {
		t.Fatal(err)
	}
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
			if err != nil {
				t.Fatalf("default limits: %v", err)
			}
			s.Close()
			for _, lim := range []graph.Limits{{MaxNodes: 1}, {MaxTensorBytes: 16}} {
				if _, err := open.open(runtime.WithLimits(lim)); !errors.Is(err, graph.ErrLimit) {
					t.Errorf("limits %+v: got %v, want graph.ErrLimit", lim, err)
				}
			}
			if open.name != "OpenModel" {
				_, err := open.open(runtime.WithLimits(graph.Limits{MaxModelBytes: int64(len(data)) - 1}))
				if !errors.Is(err, graph.ErrLimit) {
					t.Errorf("model one byte over the limit: got %v", err)
				}
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
			t.Fatalf("CI is set but ONNX Runtime is unavailable: %v", err)
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
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rng := rand.New(rand.NewPCG(64, 64))
			const nInputs = 16
			inputs := make([]*ops.Tensor, nInputs)
			want := make([][]*ops.Tensor, nInputs)
			for i := range inputs {
				inputs[i], _ = randInput(rng, 1+i%6*5, 16)
				if want[i], err = s.RunOrdered(context.Background(), []*ops.Tensor{inputs[i]}); err != nil {
					t.Fatal(err)
				}
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
				t.Fatal(err)
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
	if err != nil {
		t.Fatal(err)
	}
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
		if err != nil {
			t.Fatalf("%s: %v", backend, err)
		}
		got, err := s.Run(context.Background(), map[string]*ops.Tensor{"x": x})
		s.Close()
		if err != nil {
			t.Fatalf("%s: NaN/Inf input refused or crashed: %v", backend, err)
		}
		results[backend] = got
		at := func(op string, i int) float32 {
			for k, o := range outs {
				if o == op {
					return got[k].F32()[i]
				}
			}
			t.Fatalf("no output %s", op)
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
			{"Sigmoid(-Inf) is 0", at("Sigmoid", 5) == 0},
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
			if !c.ok {
				t.Errorf("%s: %s does not hold", backend, c.what)
			}
		}
	}
	ort, ok := results["ort"]
	if !ok {
		return
	}
	for k, op := range outs {
		a, b := results["native"][k].F32(), ort[k].F32()
		for i := range b {
			na, nb := a[i] != a[i], b[i] != b[i]
			if op == "Erf" && x.F32()[i] != x.F32()[i] {
				// Known divergence: ORT's Erf turns NaN into 1; latent
				// keeps the NaN rather than hide it (RELIABILITY.md).
				if !na || b[i] != 1 {
					t.Errorf("Erf(NaN): native %v, ORT %v; the recorded divergence (NaN vs 1) changed", a[i], b[i])
				}
				continue
			}
			switch {
			case na || nb:
				if na != nb {
					t.Errorf("%s[%d]: native %v, ORT %v", op, i, a[i], b[i])
				}
			case math.IsInf(float64(b[i]), 0) || math.IsInf(float64(a[i]), 0):
				if a[i] != b[i] {
					t.Errorf("%s[%d]: native %v, ORT %v", op, i, a[i], b[i])
				}
			case math.Abs(float64(a[i]-b[i])) > 1e-6*math.Max(1, math.Abs(float64(b[i]))):
				t.Errorf("%s[%d]: native %v, ORT %v", op, i, a[i], b[i])
			}
		}
	}
}
