package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
)

// elementwiseFuzzOps are the operators of elementwise.go, compare.go, unary.go, reduce.go, cast.go and strings.go.
var elementwiseFuzzOps = []string{
	"StringConcat", "StringSplit", "StringNormalizer", "RegexFullMatch",
	"Add", "Sub", "Mul", "Div", "Pow", "PRelu", "Max", "Min", "Sum", "Mean", "Equal", "Greater", "Less",
	"GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor", "Where", "Abs", "Neg", "Exp", "Log", "Sqrt",
	"Reciprocal", "Sigmoid", "Tanh", "Floor", "Ceil", "Relu", "Erf", "Sign", "LeakyRelu", "Elu", "Selu",
	"HardSigmoid", "Softplus", "Softsign", "Not", "Clip", "Cos", "Sin", "Tan", "Acos", "Asin", "Atan", "Cosh", "Sinh", "Acosh", "Asinh", "Atanh", "Round", "Celu", "ThresholdedRelu",
	"Shrink", "HardSwish", "Mish", "Gelu", "IsNaN", "IsInf", "Mod", "BitShift", "Cast", "CastLike",
	"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1",
	"ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ArgMax", "ArgMin", "CumSum", "CumProd",
	"BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "Swish", "SwiGLU", "BitCast",
}

// elementwiseFuzzTensor returns a small random tensor of any dtype, rank 0..4 and
// dims 0..3 (sometimes sharing dims so broadcasting works), with values
// that include zeros, extremes and NaN. One in 40 is malformed: its data
// does not match its dtype or its shape.
func elementwiseFuzzTensor(r *rand.Rand) *ops.Tensor {
	dts := []ops.DType{ops.Float32, ops.Float32, ops.Float64, ops.Float16, ops.Int64, ops.Int32, ops.Int8, ops.Uint8, ops.Bool}
	dt := dts[r.IntN(len(dts))]
	if r.IntN(4) == 0 { // any element type, the narrow and string ones included
		all := ops.DTypes()
		dt = all[r.IntN(len(all))]
	}
	shape := make([]int, r.IntN(5))
	for i := range shape {
		shape[i] = []int{0, 1, 1, 2, 3, 3}[r.IntN(6)]
	}
	t := ops.New(dt, shape...)
	val := func() float64 {
		switch r.IntN(10) {
		case 0:
			return 0
		case 1:
			return math.NaN()
		case 2:
			return math.Inf(1 - 2*r.IntN(2))
		case 3:
			return float64(math.MinInt64)
		}
		return float64(r.IntN(9) - 4)
	}
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(val())
		}
	case []float64:
		for i := range d {
			d[i] = val()
		}
	case []uint16:
		for i := range d {
			d[i] = uint16(r.Uint32())
		}
	case []int64:
		for i := range d {
			d[i] = []int64{0, -1, 1, 2, 3, math.MinInt64, math.MaxInt64, -4}[r.IntN(8)]
		}
	case []int32:
		for i := range d {
			d[i] = []int32{0, -1, 1, 2, math.MinInt32, math.MaxInt32}[r.IntN(6)]
		}
	case []int8:
		for i := range d {
			d[i] = int8(r.IntN(256))
		}
	case []uint8:
		for i := range d {
			d[i] = uint8(r.IntN(256))
		}
	case []bool:
		for i := range d {
			d[i] = r.IntN(2) == 0
		}
	case []int16:
		for i := range d {
			d[i] = int16(r.Uint32())
		}
	case []uint32:
		for i := range d {
			d[i] = r.Uint32()
		}
	case []uint64:
		for i := range d {
			d[i] = r.Uint64()
		}
	case []string:
		for i := range d {
			d[i] = []string{"", "a", "a b", " ", "1.5", "NaN", "é"}[r.IntN(7)]
		}
	}
	switch r.IntN(40) {
	case 0:
		t.Data = []int64{1, 2}
	case 1:
		t.Shape = append(t.Shape, 5)
	}
	return t
}

// stringFuzzTensor is a small string tensor of rank 1 or 2 (StringNormalizer
// takes [C] and [1, C]).
func stringFuzzTensor(r *rand.Rand) *ops.Tensor {
	shape := [][]int{{3}, {1, 2}, {2, 2}, {0}, {1}}[r.IntN(5)]
	t := ops.New(ops.String, shape...)
	for i := range t.Str() {
		t.Str()[i] = []string{"", "a", "a b", " x  y ", "MONDAY", "é"}[r.IntN(6)]
	}
	return t
}

// elementwiseFuzzAttrs returns random attributes with the names these operators use.
func elementwiseFuzzAttrs(r *rand.Rand) []*graph.Attr {
	return fuzzAttrs(r, fuzzAttrSpec{
		names: []string{"alpha", "beta", "gamma", "axis", "axes", "keepdims", "noop_with_empty_axes",
			"select_last_index", "to", "min", "max", "broadcast", "fmod", "direction", "approximate",
			"exclusive", "reverse", "lambd", "bias", "detect_negative", "detect_positive"},
		oneIn: 5,
		ints:  13,
		strs:  []string{"LEFT", "RIGHT", "tanh", "none", "FLOAT", "INT64", "x"},
	})
}

// TestElemOpsNeverPanic feeds random, often invalid inputs and attributes
// to every operator of these files at several opsets: each call returns
// well-formed outputs or an error naming the node, never a panic.
func TestElemOpsNeverPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 3))
	opsets := []int64{1, 6, 7, 9, 11, 12, 13, 14, 16, 18, 20, 21, 24, 26, 28}
	succeeded := map[string]int{}
	for it := 0; it < 30000; it++ {
		op := elementwiseFuzzOps[r.IntN(len(elementwiseFuzzOps))]
		opset := opsets[r.IntN(len(opsets))]
		b, err := operators.KernelBuilder("", op, opset)
		if err != nil {
			// Operators newer than the opset drawn run at the newest one.
			opset = opsets[len(opsets)-1]
			if b, err = operators.KernelBuilder("", op, opset); err != nil {
				continue
			}
		}
		nIn := r.IntN(4)
		names := make([]string, nIn)
		in := make([]*ops.Tensor, nIn)
		base := elementwiseFuzzTensor(r)
		if strings.HasPrefix(op, "String") || op == "RegexFullMatch" {
			if r.IntN(3) > 0 { // mostly strings, so the calls can succeed
				base = stringFuzzTensor(r)
			}
		} else if op == "Where" && r.IntN(2) == 0 {
			// A bool first input (the condition), which X and Y may share.
			c := ops.New(ops.Bool, base.Shape...)
			for i := range c.B() {
				c.B()[i] = r.IntN(2) == 0
			}
			base = c
		} else if (op == "BitShift" || strings.HasPrefix(op, "Bitwise")) && r.IntN(2) == 0 {
			u := ops.New(ops.Uint8, base.Shape...)
			for i := range u.U8() {
				u.U8()[i] = uint8(r.IntN(256))
			}
			base = u
		}
		for i := range in {
			names[i] = fmt.Sprintf("in%d", i)
			switch r.IntN(6) {
			case 0:
				names[i] = "" // omitted optional input
			case 1, 2:
				in[i] = elementwiseFuzzTensor(r)
			default:
				// Same dtype and shape as the first: these calls often succeed.
				in[i] = base
			}
		}
		if (op == "CumSum" || op == "CumProd") && nIn > 1 && r.IntN(2) == 0 {
			in[1], names[1] = ops.FromInt64(nil, []int64{int64(r.IntN(3) - 1)}), "axis"
		}
		n := newNodeInputs(op, names, elementwiseFuzzAttrs(r)...)
		if op == "BitShift" && r.IntN(2) == 0 {
			n.Attrs["direction"] = &graph.Attr{Name: "direction", Type: graph.AttrString, S: []byte("LEFT")}
			n.AttrOrder = append(n.AttrOrder, "direction")
		}
		if fuzzCall(t, b, n, opset, in, true) {
			succeeded[op]++
		}
	}
	for _, op := range elementwiseFuzzOps {
		assert.NotEqual(t, 0, succeeded[op], "%s never ran successfully on random inputs", op)
	}
}
