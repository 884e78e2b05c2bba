package native

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// ewONNXOps are the operators of k_elem*.go, k_reduce.go and k_cast.go
// whose ONNX backend node tests (test_<op>*) run here.
var ewONNXOps = []string{
	"abs", "add", "sub", "mul", "div", "neg", "exp", "log", "sqrt", "pow", "reciprocal",
	"max", "min", "sum", "mean", "clip", "relu", "leakyrelu", "prelu", "elu", "selu",
	"sigmoid", "hardsigmoid", "tanh", "softplus", "softsign", "erf", "equal", "greater",
	"less", "not", "where", "cast", "castlike", "reduce", "and", "or", "xor", "floor", "ceil", "sign",
	"cos", "sin", "tan", "acos", "asin", "atan", "cosh", "sinh", "acosh", "asinh", "atanh", "round",
	"celu", "thresholdedrelu", "shrink", "hardswish", "mish", "gelu", "isnan", "isinf", "mod", "bitshift",
	"argmax", "argmin", "cumsum",
}

// ewONNXOthers are matched by a prefix above but test other operators.
var ewONNXOthers = []string{"test_maxpool", "test_maxunpool", "test_mean_variance", "test_logsoftmax", "test_expand"}

func TestONNXElementwiseConformance(t *testing.T) {
	entries, err := os.ReadDir(tkONNXNodeDir)
	if err != nil {
		t.Skipf("ONNX node tests not installed (%v): apt-get install libonnx-testdata", err)
	}
	var cases []string
	for _, e := range entries {
		name := e.Name()
		other := false
		for _, o := range ewONNXOthers {
			other = other || strings.HasPrefix(name, o)
		}
		if other {
			continue
		}
		for _, op := range ewONNXOps {
			rest, ok := strings.CutPrefix(name, "test_"+op)
			if ok && (rest == "" || rest[0] == '_' || (op == "reduce") || (op == "and" || op == "or" || op == "xor") && rest[0] >= '0' && rest[0] <= '9') {
				cases = append(cases, name)
				break
			}
		}
	}
	sort.Strings(cases)
	if len(cases) < 280 {
		t.Fatalf("found only %d node tests for the elementwise operators in %s", len(cases), tkONNXNodeDir)
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) { ewRunNodeTest(t, filepath.Join(tkONNXNodeDir, name)) })
	}
}

func ewRunNodeTest(t *testing.T, dir string) {
	m, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, vs := range [][]graph.ValueInfo{m.Graph.Inputs, m.Graph.Outputs} {
		for _, v := range vs {
			if v.DType == ops.Invalid {
				t.Skipf("value %s has type %s, which latent does not compute with", v.Name, graph.ElemTypeName(v.ElemTypeCode))
			}
		}
	}
	p, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		t.Fatalf("no test_data_set_* in %s", dir)
	}
	for _, set := range sets {
		var inputs []*ops.Tensor
		for i := range m.Graph.Inputs {
			_, x, err := graph.ReadTensorFile(filepath.Join(set, "input_"+strconv.Itoa(i)+".pb"))
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, x)
		}
		outs, err := p.Run(context.Background(), inputs)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(set), err)
		}
		for i, got := range outs {
			_, want, err := graph.ReadTensorFile(filepath.Join(set, "output_"+strconv.Itoa(i)+".pb"))
			if err != nil {
				t.Fatal(err)
			}
			// Cast results are exact (one rounding), so demand identical bits.
			exact := strings.Contains(filepath.Base(dir), "cast")
			if msg := ewCompare(got, want, exact); msg != "" {
				t.Errorf("%s output %d (%s): %s", filepath.Base(set), i, m.Graph.Outputs[i].Name, msg)
			}
		}
	}
}

// ewCompare checks type and shape exactly and values within a tolerance
// suited to the element type (floats), exactly otherwise. NaN matches NaN.
func ewCompare(got, want *ops.Tensor, exact bool) string {
	if got.DType != want.DType || !ops.SameShape(got.Shape, want.Shape) {
		return "got " + got.String() + ", want " + want.String()
	}
	g, w := ewFloats(got), ewFloats(want)
	tol := 0.0
	switch got.DType {
	case ops.Float32:
		tol = 1e-5
	case ops.Float64:
		tol = 1e-12
	case ops.Float16:
		tol = 1e-3
	}
	if exact {
		tol = 0
	}
	for i := range w {
		if math.IsNaN(w[i]) && math.IsNaN(g[i]) {
			continue
		}
		if g[i] == w[i] {
			continue
		}
		if d := math.Abs(g[i] - w[i]); !(d <= tol*(1+math.Abs(w[i]))) {
			return "element " + strconv.Itoa(i) + ": got " + strconv.FormatFloat(g[i], 'g', -1, 64) +
				", want " + strconv.FormatFloat(w[i], 'g', -1, 64)
		}
	}
	return ""
}

func ewFloats(t *ops.Tensor) []float64 {
	f := ops.New(ops.Float64, t.Shape...)
	if t.DType == ops.Bool {
		for i, b := range t.B() {
			if b {
				f.F64()[i] = 1
			}
		}
		return f.F64()
	}
	if err := ops.Cast(f, t); err != nil {
		panic(err)
	}
	return f.F64()
}
