package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ortCase is one single-node model run on both backends.
type ortCase struct {
	op    string
	opset int64
	attrs []*graph.Attr
	in    []*ops.Tensor
	names []string // input names ("" omits an optional input)
	out   ops.DType
}

// TestElementwiseAgainstORT runs random broadcasting shapes, dtypes and
// attribute variants of the elementwise, cast and reduce operators through
// the native backend and ONNX Runtime and compares the outputs.
func TestElementwiseAgainstORT(t *testing.T) {
	requireORT(t)
	rng := rand.New(rand.NewPCG(51, 52))
	var cases []ortCase
	bin := func(op string, opset int64, dt, out ops.DType, positiveB bool) {
		for k := 0; k < 6; k++ {
			as, bs := ortShapes(rng)
			b := ortRand(rng, dt, bs)
			if positiveB {
				b = ortPositive(rng, dt, bs)
			}
			cases = append(cases, ortCase{op: op, opset: opset, in: []*ops.Tensor{ortRand(rng, dt, as), b}, names: []string{"a", "b"}, out: out})
		}
	}
	for _, dt := range []ops.DType{ops.Float32, ops.Float64, ops.Int64, ops.Int32} {
		for _, op := range []string{"Add", "Sub", "Mul"} {
			bin(op, 14, dt, dt, false)
		}
		bin("Div", 14, dt, dt, true)
		bin("Max", 13, dt, dt, false)
		bin("Min", 13, dt, dt, false)
		for _, op := range []string{"Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual"} {
			bin(op, 16, dt, ops.Bool, false)
		}
	}
	bin("Add", 14, ops.Float16, ops.Float16, false)
	bin("Mul", 14, ops.Uint8, ops.Uint8, false)
	bin("Div", 14, ops.Int8, ops.Int8, true)
	bin("Sum", 13, ops.Float32, ops.Float32, false)
	bin("Mean", 13, ops.Float32, ops.Float32, false)
	bin("Mod", 13, ops.Int64, ops.Int64, true)
	// Negative divisors: integer Div truncates toward zero in both backends,
	// and Mod (fmod=0) takes the divisor's sign.
	for _, dt := range []ops.DType{ops.Int64, ops.Int32} {
		for k := 0; k < 4; k++ {
			as, bs := ortShapes(rng)
			b := ortPositive(rng, dt, bs)
			neg := ops.New(dt, bs...)
			err := ops.Binary(ops.OpSub, neg, ops.New(dt), b)
			require.NoError(t, err, err)
			for _, op := range []string{"Div", "Mod"} {
				cases = append(cases, ortCase{op: op, opset: 14, names: []string{"a", "b"}, out: dt,
					in: []*ops.Tensor{ortRand(rng, dt, as), neg}})
			}
		}
	}
	cases = append(cases, ortCase{op: "Mod", opset: 13, attrs: []*graph.Attr{ortInt("fmod", 1)}, names: []string{"a", "b"},
		out: ops.Float32, in: []*ops.Tensor{ortRand(rng, ops.Float32, []int{3, 4}), ortPositive(rng, ops.Float32, []int{4})}})
	for k := 0; k < 6; k++ {
		as, bs := ortShapes(rng)
		_, cs := ortShapes(rng)
		cases = append(cases, ortCase{op: "Where", opset: 16, names: []string{"c", "x", "y"}, out: ops.Float32,
			in: []*ops.Tensor{ortRand(rng, ops.Bool, cs), ortRand(rng, ops.Float32, as), ortRand(rng, ops.Float32, bs)}})
		x := ortRand(rng, ops.Float32, as)
		cases = append(cases, ortCase{op: "Pow", opset: 15, names: []string{"a", "b"}, out: ops.Float32,
			in: []*ops.Tensor{ortPositive(rng, ops.Float32, as), ortRand(rng, ops.Float32, bs)}})
		cases = append(cases, ortCase{op: "Pow", opset: 15, names: []string{"a", "b"}, out: ops.Float32,
			in: []*ops.Tensor{x, ops.FromInt64(nil, []int64{int64(rng.IntN(4))})}})
	}
	for _, op := range []string{"Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Relu", "Sigmoid", "Tanh",
		"Softplus", "Softsign", "Erf", "Floor", "Ceil", "Sign", "Round", "Cos", "Sin", "Atan", "Sinh", "Elu", "Selu",
		"HardSigmoid", "LeakyRelu", "HardSwish"} {
		for _, dt := range []ops.DType{ops.Float32, ops.Float64} {
			if dt == ops.Float64 && !ortHasF64[op] {
				continue // ONNX Runtime's CPU provider has float32 kernels only
			}
			shape, _ := ortShapes(rng)
			x := ortRand(rng, dt, shape)
			if op == "Log" || op == "Sqrt" {
				x = ortPositive(rng, dt, shape)
			}
			cases = append(cases, ortCase{op: op, opset: 17, names: []string{"x"}, in: []*ops.Tensor{x}, out: dt})
		}
	}
	cases = append(cases,
		ortCase{op: "LeakyRelu", opset: 16, attrs: []*graph.Attr{ortFloat("alpha", 0.3)}, names: []string{"x"}, in: []*ops.Tensor{ortRand(rng, ops.Float32, []int{3, 4})}, out: ops.Float32},
		ortCase{op: "Elu", opset: 6, attrs: []*graph.Attr{ortFloat("alpha", 0.7)}, names: []string{"x"}, in: []*ops.Tensor{ortRand(rng, ops.Float32, []int{3, 4})}, out: ops.Float32},
		ortCase{op: "PRelu", opset: 16, names: []string{"x", "s"}, in: []*ops.Tensor{ortRand(rng, ops.Float32, []int{2, 3, 4}), ortRand(rng, ops.Float32, []int{3, 1})}, out: ops.Float32},
		ortCase{op: "Clip", opset: 13, names: []string{"x", "lo", "hi"}, in: []*ops.Tensor{ortRand(rng, ops.Float32, []int{5, 4}), ops.Scalar(-1), ops.Scalar(2)}, out: ops.Float32},
		ortCase{op: "Clip", opset: 13, names: []string{"x", "", "hi"}, in: []*ops.Tensor{ortRand(rng, ops.Int64, []int{5, 4}), nil, ops.FromInt64(nil, []int64{3})}, out: ops.Int64},
		ortCase{op: "Clip", opset: 6, attrs: []*graph.Attr{ortFloat("min", -0.5)}, names: []string{"x"}, in: []*ops.Tensor{ortRand(rng, ops.Float32, []int{7})}, out: ops.Float32},
	)
	for _, from := range []ops.DType{ops.Float32, ops.Float64, ops.Float16, ops.Int64, ops.Int32, ops.Int8, ops.Uint8, ops.Bool} {
		for _, to := range []ops.DType{ops.Float32, ops.Float64, ops.Float16, ops.Int64, ops.Int32, ops.Int8, ops.Uint8, ops.Bool} {
			x := ortRand(rng, from, []int{4, 5})
			cases = append(cases, ortCase{op: "Cast", opset: 19, attrs: []*graph.Attr{ortInt("to", int64(graph.ElemTypeOf(to)))},
				names: []string{"x"}, in: []*ops.Tensor{x}, out: to})
		}
	}
	for _, op := range []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSumExp"} {
		for _, dt := range []ops.DType{ops.Float32, ops.Float64, ops.Int64} {
			if dt == ops.Int64 && (op == "ReduceL2" || op == "ReduceLogSumExp" || op == "ReduceL1" || op == "ReduceProd") {
				continue
			}
			for k := 0; k < 3; k++ {
				shape := []int{1 + rng.IntN(3), 1 + rng.IntN(4), 1 + rng.IntN(5)}
				var axes []int64
				for a := range shape {
					if rng.IntN(2) == 0 {
						axes = append(axes, int64(a-len(shape)*rng.IntN(2)))
					}
				}
				keep := ortInt("keepdims", int64(rng.IntN(2)))
				x := ortRand(rng, dt, shape)
				if len(axes) > 0 {
					attrOpset := int64(13) // the last opset with axes as an attribute
					if op == "ReduceSum" {
						attrOpset = 11
					}
					cases = append(cases, ortCase{op: op, opset: attrOpset, attrs: []*graph.Attr{keep, {Name: "axes", Type: graph.AttrInts, Ints: axes}},
						names: []string{"x"}, in: []*ops.Tensor{x}, out: dt})
				}
				c := ortCase{op: op, opset: 18, attrs: []*graph.Attr{keep}, names: []string{"x", "axes"}, out: dt,
					in: []*ops.Tensor{x, ops.FromInt64([]int{len(axes)}, axes)}}
				if len(axes) == 0 {
					c.names, c.in = c.names[:1], c.in[:1]
				}
				cases = append(cases, c)
			}
		}
	}
	// noop_with_empty_axes with no axes: what each reduction does to single elements.
	for _, op := range []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp"} {
		opset := int64(18)
		if op == "ReduceSum" {
			opset = 13
		}
		x := ortRand(rng, ops.Float32, []int{2, 3}) // signs show whether |x| or x² is applied
		if op == "ReduceLogSum" {
			x = ortPositive(rng, ops.Float32, []int{2, 3})
		}
		cases = append(cases, ortCase{op: op, opset: opset, attrs: []*graph.Attr{ortInt("noop_with_empty_axes", 1)},
			names: []string{"x"}, in: []*ops.Tensor{x}, out: ops.Float32})
	}
	for _, op := range []string{"ArgMax", "ArgMin"} {
		for k := 0; k < 3; k++ {
			shape := []int{2, 3, 4}
			cases = append(cases, ortCase{op: op, opset: 13, out: ops.Int64, names: []string{"x"},
				attrs: []*graph.Attr{ortInt("axis", int64(rng.IntN(3))), ortInt("keepdims", int64(rng.IntN(2))), ortInt("select_last_index", int64(rng.IntN(2)))},
				in:    []*ops.Tensor{ortRand(rng, ops.Int32, shape)}})
		}
	}
	for i, c := range cases {
		t.Run(strconv.Itoa(i)+"_"+c.op, func(t *testing.T) { ortCheck(t, c) })
	}
}

func ortCheck(t *testing.T, c ortCase) {
	t.Helper()
	m, feed := oneNodeModel(c.op, c.opset, c.attrs, c.names, c.in, []ops.DType{c.out}, false)
	native, ort := runNativeAndORT(t, m, feed, fmt.Sprintf("%s%v", c.op, m.Graph.Nodes[0].AttrOrder))
	got, want := native[0], ort[0]
	require.Equal(t, want.DType, got.DType, "%s: element type, native against ORT", c.op)
	require.Equal(t, ops.ShapeString(want.Shape), ops.ShapeString(got.Shape), "%s: shape, native against ORT", c.op)
	tol := map[ops.DType]float64{ops.Float32: 2e-6, ops.Float64: 1e-12, ops.Float16: 1e-3}[got.DType]
	i, a, b := firstMismatch(got, want, tol)
	assert.Negative(t, i, "%s%v %v: element %d: native %v, ORT %v", c.op, m.Graph.Nodes[0].AttrOrder, ortShapesOf(c.in), i, a, b)
}

// ortHasF64 lists the unary operators ONNX Runtime implements for float64.
var ortHasF64 = map[string]bool{"Abs": true, "Neg": true, "Exp": true, "Log": true, "Sqrt": true,
	"Reciprocal": true, "Relu": true, "Sigmoid": true, "Tanh": true, "Floor": true, "Ceil": true}

func ortShapesOf(ts []*ops.Tensor) string {
	s := ""
	for _, t := range ts {
		s += fmt.Sprint(t) + " "
	}
	return s
}

// ortShapes returns two random shapes that broadcast together.
func ortShapes(rng *rand.Rand) ([]int, []int) {
	rank := rng.IntN(4)
	full := make([]int, rank)
	for i := range full {
		full[i] = 1 + rng.IntN(4)
	}
	pick := func() []int {
		r := rng.IntN(rank + 1)
		s := append([]int{}, full[rank-r:]...)
		for i := range s {
			if rng.IntN(3) == 0 {
				s[i] = 1
			}
		}
		return s
	}
	return pick(), pick()
}

func ortRand(rng *rand.Rand, dt ops.DType, shape []int) *ops.Tensor {
	if dt == ops.Float16 && len(shape) == 0 {
		shape = []int{1} // the ort backend cannot feed float16 scalars
	}
	f := ops.New(ops.Float64, shape...)
	for i := range f.F64() {
		f.F64()[i] = math.Round((rng.Float64()*8-4)*100) / 100
		if dt != ops.Float32 && dt != ops.Float64 && dt != ops.Float16 {
			f.F64()[i] = math.Round(f.F64()[i] * 10)
		}
		if dt == ops.Uint8 {
			f.F64()[i] = math.Abs(f.F64()[i])
		}
	}
	return ortConvert(f, dt)
}

func ortPositive(rng *rand.Rand, dt ops.DType, shape []int) *ops.Tensor {
	f := ops.New(ops.Float64, shape...)
	for i := range f.F64() {
		f.F64()[i] = 0.5 + math.Round(rng.Float64()*400)/100
		if dt != ops.Float32 && dt != ops.Float64 && dt != ops.Float16 {
			f.F64()[i] = math.Ceil(f.F64()[i] * 2)
		}
	}
	return ortConvert(f, dt)
}

func ortConvert(f *ops.Tensor, dt ops.DType) *ops.Tensor {
	if dt == ops.Bool {
		b := ops.New(ops.Bool, f.Shape...)
		for i, v := range f.F64() {
			b.B()[i] = v > 0
		}
		return b
	}
	t := ops.New(dt, f.Shape...)
	if err := ops.Cast(t, f); err != nil {
		panic(err)
	}
	return t
}

func ortInt(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}
func ortFloat(name string, v float32) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrFloat, F: v}
}
