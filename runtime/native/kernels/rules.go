package kernels

// What the operators' shape rules share (each rule lives beside its
// kernel, in its family's file): building ValueInfos, required inputs,
// the same-shape and broadcasting rules, and the element-type checks.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// floatInputs constrains every input of an operator to the float types.
var floatInputs = []operators.TypeSet{operators.FloatTypes}

// anyFloatTypes are the float types the newer operators admit: bfloat16
// besides latent's compute types (kernels widen it to float32).
var anyFloatTypes = operators.TypeSet{ops.Float32, ops.Float64, ops.Float16, ops.BFloat16}

// anyFloatInputs constrains every input of an operator to anyFloatTypes.
var anyFloatInputs = []operators.TypeSet{anyFloatTypes}

// ranked is a value of element type dt and shape s.
func ranked(dt ops.DType, s graph.Shape) graph.ValueInfo {
	if s == nil {
		s = graph.Shape{}
	}
	return graph.ValueInfo{DType: dt, Shape: s, HasShape: true}
}

// rankOnly is a value of known rank r whose dimensions are all unknown.
func rankOnly(dt ops.DType, r int64) graph.ValueInfo {
	s := make(graph.Shape, r)
	for i := range s {
		s[i] = operators.UnknownDim
	}
	return ranked(dt, s)
}

// one is a rule's result for a node with one output.
func one(v graph.ValueInfo) []graph.ValueInfo { return []graph.ValueInfo{v} }

// input returns in[i], or an unknown value past the end.
func input(in []graph.ValueInfo, i int) graph.ValueInfo {
	if i < len(in) {
		return in[i]
	}
	return graph.ValueInfo{}
}

// needInputs checks that the first k inputs are present.
func needInputs(n *graph.Node, in []graph.ValueInfo, k int) error {
	if len(in) < k {
		return fmt.Errorf("needs %d inputs, has %d", k, len(in))
	}
	for i := 0; i < k; i++ {
		if in[i].Name == "" {
			return fmt.Errorf("input %d is required", i)
		}
	}
	return nil
}

// inferSame is the rule of operators whose output has the type and shape
// of their first input (the unary elementwise operators, normalisations,
// Softmax …).
func inferSame(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	return one(graph.ValueInfo{DType: x.DType, Shape: append(graph.Shape(nil), x.Shape...), HasShape: operators.RankKnown(x)}), nil
}

// inferSameBool is inferSame with a bool output (IsNaN, IsInf).
func inferSameBool(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err == nil {
		out[0].DType = ops.Bool
	}
	return out, err
}

// broadcastInputs is the numpy broadcast of the present inputs' shapes;
// ok is false when a rank is unknown.
func broadcastInputs(in []graph.ValueInfo) (graph.Shape, bool, error) {
	shapes := make([]graph.Shape, 0, len(in))
	for _, v := range in {
		if v.Name == "" {
			continue
		}
		if !operators.RankKnown(v) {
			return nil, false, nil
		}
		shapes = append(shapes, v.Shape)
	}
	s, err := operators.BroadcastShapes(shapes...)
	return s, err == nil, err
}

// --- linear algebra ---

// --- convolution and pooling ---

// --- shape manipulation ---

// sameElemType checks that the present inputs of known type share one
// element type (an operator's type parameter T).
func sameElemType(in []graph.ValueInfo) error {
	first := -1
	for i, v := range in {
		if v.Name == "" || v.DType == ops.Invalid {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		if v.DType != in[first].DType {
			return fmt.Errorf("inputs %d (%s) and %d (%s) must have the same element type, have %v and %v", first, in[first].Name, i, v.Name, in[first].DType, v.DType)
		}
	}
	return nil
}

// scaledDim is d·k, unknown when d is not a known size.
func scaledDim(d graph.Dim, k int64) graph.Dim {
	if !d.Known() {
		return operators.UnknownDim
	}
	return operators.KnownDim(d.Value * k)
}

// dividedDim is d/k, unknown when d is not a known size; a known size
// that k does not divide is an error.
func dividedDim(d graph.Dim, k int64, what string) (graph.Dim, error) {
	if !d.Known() {
		return operators.UnknownDim, nil
	}
	if k <= 0 || d.Value%k != 0 {
		return graph.Dim{}, fmt.Errorf("%s %d is not a multiple of %d", what, d.Value, k)
	}
	return operators.KnownDim(d.Value / k), nil
}

// withDType is v with element type dt (the integer and quantised
// operators reuse the float rules' geometry over inputs of other types).
func withDType(v graph.ValueInfo, dt ops.DType) graph.ValueInfo {
	v.DType = dt
	return v
}
