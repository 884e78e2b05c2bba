package operators_test

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTypeChecks: an input element type the operator's registration does
// not admit, or inputs of one type parameter with different types, is an
// error of the typed stage naming the node and the input; types the rules
// cannot see stay unchecked.
func TestTypeChecks(t *testing.T) {
	x := func(dt ops.DType, dims ...any) graph.ValueInfo { return tvi("x", dt, dims...) }
	for _, c := range []struct {
		name  string
		opset int64
		in    []graph.ValueInfo
		inits map[string]*ops.Tensor
		node  *graph.Node
		frags []string // nil: no error
	}{
		{"conv of int64", 13, []graph.ValueInfo{x(ops.Int64, 1, 1, 5, 5)}, map[string]*ops.Tensor{"W": ops.New(ops.Int64, 1, 1, 3, 3)},
			op("Conv", []string{"x", "W"}, []string{"y"}), []string{"node Conv -> y", "input 0 (x) is int64; Conv accepts float32, float64, float16"}},
		{"sigmoid of int32", 13, []graph.ValueInfo{x(ops.Int32, 4)}, nil,
			op("Sigmoid", []string{"x"}, []string{"y"}), []string{"node Sigmoid -> y", "input 0 (x) is int32"}},
		{"lstm sequence_lens int64", 14, []graph.ValueInfo{x(ops.Float32, 5, 1, 3), tvi("lens", ops.Int64, 1)},
			map[string]*ops.Tensor{"W": f32(1, 8, 3), "R": f32(1, 8, 2)},
			op("LSTM", []string{"x", "W", "R", "", "lens"}, []string{"Y"}, aInt("hidden_size", 2)), []string{"input 4 (lens) is int64; LSTM accepts int32"}},
		{"add float32 and float64", 14, []graph.ValueInfo{x(ops.Float32, 4), tvi("z", ops.Float64, 4)}, nil,
			op("Add", []string{"x", "z"}, []string{"y"}), []string{"node Add -> y", "inputs 0 (x) and 1 (z) must have the same element type, have float32 and float64"}},
		{"gemm mixed", 13, []graph.ValueInfo{x(ops.Float32, 2, 3)}, map[string]*ops.Tensor{"W": ops.New(ops.Float64, 3, 4)},
			op("Gemm", []string{"x", "W"}, []string{"y"}), []string{"node Gemm -> y", "same element type"}},
		{"where branches", 16, []graph.ValueInfo{tvi("c", ops.Bool, 2), x(ops.Float32, 2), tvi("z", ops.Int64, 2)}, nil,
			op("Where", []string{"c", "x", "z"}, []string{"y"}), []string{"node Where -> y", "same element type"}},
		{"pow exponent may differ", 15, []graph.ValueInfo{x(ops.Float32, 2), tvi("e", ops.Int64, 2)}, nil,
			op("Pow", []string{"x", "e"}, []string{"y"}), nil},
		{"abs of int64", 13, []graph.ValueInfo{x(ops.Int64, 2)}, nil,
			op("Abs", []string{"x"}, []string{"y"}), nil},
		{"unknown type", 13, []graph.ValueInfo{{Name: "x"}}, map[string]*ops.Tensor{"W": ops.New(ops.Float32, 1, 1, 3, 3)},
			op("Conv", []string{"x", "W"}, []string{"y"}), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := operators.InferShapes(model(c.opset, c.in, c.inits, c.node))
			if c.frags == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, f := range c.frags {
				assert.Contains(t, err.Error(), f)
			}
		})
	}
}

// TestRegistry checks the registration API the kernels use: lookups by
// since-version, rule-only operators, and what Supported and Operators
// report.
func TestRegistry(t *testing.T) {
	const dom = "latent.registrytest"
	rule := func(*operators.InferContext, *graph.Node, []graph.ValueInfo) ([]graph.ValueInfo, error) {
		return nil, nil
	}
	build := func(*graph.Node, int64) (operators.Kernel, error) { return nil, nil }
	operators.Register(operators.Op{Domain: dom, Type: "Both", Infer: rule, Build: build}, 1, 5)
	operators.Register(operators.Op{Domain: dom, Type: "RuleOnly", Infer: rule}, 3)

	op, err := operators.Lookup(dom, "Both", 4)
	require.NoError(t, err)
	assert.Equal(t, "Both", op.Type)
	_, err = operators.Lookup(dom, "Both", 0)
	assert.EqualError(t, err, `operator Both (domain "latent.registrytest") is not defined at opset 0 (earliest supported: 1)`)
	_, err = operators.Lookup(dom, "Neither", 9)
	assert.EqualError(t, err, `unsupported operator Neither in domain "latent.registrytest"`)

	_, err = operators.KernelBuilder(dom, "RuleOnly", 3)
	assert.EqualError(t, err, `unsupported operator RuleOnly in domain "latent.registrytest": no native kernel`)
	assert.True(t, operators.Supported(dom, "Both"))
	assert.False(t, operators.Supported(dom, "RuleOnly"))
	assert.Contains(t, operators.Operators(), dom+"/Both")
	assert.NotContains(t, operators.Operators(), dom+"/RuleOnly")

	assert.PanicsWithValue(t, "operators: latent.registrytest/Both since 5 registered twice", func() {
		operators.Register(operators.Op{Domain: dom, Type: "Both", Build: build}, 5)
	})
	assert.Panics(t, func() { operators.Register(operators.Op{Domain: dom, Type: "Empty"}, 1) }, "neither rule nor kernel")
	assert.Panics(t, func() { operators.Register(operators.Op{Domain: dom, Type: "NoVersion", Build: build}) }, "no since-version")
}
