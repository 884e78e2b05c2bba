package kernels

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// floatInputs constrains every input of an operator to the float types.
var floatInputs = []operators.TypeSet{operators.FloatTypes}

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

func one(v graph.ValueInfo) []graph.ValueInfo { return []graph.ValueInfo{v} }

func input(in []graph.ValueInfo, i int) graph.ValueInfo {
	if i < len(in) {
		return in[i]
	}
	return graph.ValueInfo{}
}

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

// --- simple propagation ---

func inferSame(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	return one(graph.ValueInfo{DType: x.DType, Shape: append(graph.Shape(nil), x.Shape...), HasShape: operators.RankKnown(x)}), nil
}

func inferSameBool(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err == nil {
		out[0].DType = ops.Bool
	}
	return out, err
}

// --- broadcasting ---

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
