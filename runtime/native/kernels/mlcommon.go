package kernels

// What the ai.onnx.ml operators share: their domain, the features matrix
// view of an input (a 1-D X is one row), conversions of numeric inputs to
// float64, attributes given as a list or as a tensor (the opset-3 and
// opset-4 `*_as_tensor` / `*_tensor` forms) and the post-evaluation
// transforms of the linear, SVM and tree models (NONE, LOGISTIC, SOFTMAX,
// SOFTMAX_ZERO, PROBIT).

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// mlDomain is the ONNX-ML operator domain skl2onnx and onnxmltools emit.
const mlDomain = "ai.onnx.ml"

// mlNumeric are the feature types the ML models accept (T1 of the spec).
var mlNumeric = operators.TypeSet{ops.Float32, ops.Float64, ops.Int64, ops.Int32}

// registerML registers op in the ai.onnx.ml domain.
func registerML(op operators.Op, since ...int64) {
	op.Domain = mlDomain
	operators.Register(op, since...)
}

// mlRows views x as a [rows, cols] feature matrix: a 1-D X is one sample,
// a 2-D X one sample per row.
func mlRows(n *graph.Node, x *ops.Tensor) (rows, cols int, err error) {
	switch x.Rank() {
	case 1:
		return 1, x.Shape[0], nil
	case 2:
		return x.Shape[0], x.Shape[1], nil
	}
	return 0, 0, fmt.Errorf("node %s: input X must be [N, C] or [C], got %s", n.Label(), ops.ShapeString(x.Shape))
}

// mlFloat64s returns x's numeric elements as float64: float64 data as it
// is (callers must not write it), other types converted exactly (int64
// beyond 2^53 rounds).
func mlFloat64s(n *graph.Node, x *ops.Tensor) ([]float64, error) {
	switch d := x.Data.(type) {
	case []float64:
		return d, nil
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out, nil
	case []int64:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out, nil
	case []int32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("node %s: input X is %s, want float, double, int64 or int32", n.Label(), x.DType)
}

// floatsOrTensor reads an attribute given either as floats (name) or as a
// float/double tensor (name+"_as_tensor", TreeEnsemble* opset 3), as
// float64. It returns nil when neither is present.
func floatsOrTensor(n *graph.Node, name string) ([]float64, error) {
	if n.Has(name + "_as_tensor") {
		t, err := n.Tensor(name + "_as_tensor")
		if err != nil {
			return nil, err
		}
		return attrTensorFloat64s(n, name+"_as_tensor", t)
	}
	fs, err := n.Floats(name, nil)
	if err != nil || fs == nil {
		return nil, err
	}
	out := make([]float64, len(fs))
	for i, v := range fs {
		out[i] = float64(v)
	}
	return out, nil
}

// attrTensorFloat64s returns a float, double or float16 tensor attribute's
// elements as float64.
func attrTensorFloat64s(n *graph.Node, name string, t *ops.Tensor) ([]float64, error) {
	if t == nil {
		return nil, nil
	}
	switch t.DType {
	case ops.Float32, ops.Float64, ops.Float16:
		out := ops.New(ops.Float64, t.Shape...)
		if err := ops.Cast(out, t); err != nil {
			return nil, fmt.Errorf("node %s: attribute %s: %w", n.Label(), name, err)
		}
		return out.F64(), nil
	}
	return nil, fmt.Errorf("node %s: attribute %s is a %s tensor, want float or double", n.Label(), name, t.DType)
}

// postTransform is the transform the ML models apply to their scores.
type postTransform uint8

const (
	postNone postTransform = iota
	postLogistic
	postSoftmax
	postSoftmaxZero
	postProbit
)

// postTransformAttr reads the string post_transform attribute.
func postTransformAttr(n *graph.Node) (postTransform, error) {
	return enumAttr(n, "post_transform", "NONE",
		enumChoice[postTransform]{"NONE", postNone}, enumChoice[postTransform]{"LOGISTIC", postLogistic},
		enumChoice[postTransform]{"SOFTMAX", postSoftmax}, enumChoice[postTransform]{"SOFTMAX_ZERO", postSoftmaxZero},
		enumChoice[postTransform]{"PROBIT", postProbit})
}

// apply transforms one sample's scores in place.
func (p postTransform) apply(s []float64) {
	switch p {
	case postLogistic:
		for i, v := range s {
			s[i] = logistic(v)
		}
	case postSoftmax:
		softmaxF64(s, false)
	case postSoftmaxZero:
		softmaxF64(s, true)
	case postProbit:
		for i, v := range s {
			s[i] = probit(v)
		}
	}
}

func logistic(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

// probit is the inverse of the standard normal CDF: √2·erfinv(2v−1).
// (ONNX Runtime uses a three-digit approximation of erfinv; this is exact.)
func probit(v float64) float64 { return math.Sqrt2 * math.Erfinv(2*v-1) }

// softmaxF64 is a softmax over s; with zero, elements equal to 0 stay 0
// and do not count in the sum (SOFTMAX_ZERO).
func softmaxF64(s []float64, zero bool) {
	m := math.Inf(-1)
	for _, v := range s {
		if !(zero && v == 0) && v > m {
			m = v
		}
	}
	sum := 0.0
	for i, v := range s {
		if zero && v == 0 {
			continue
		}
		s[i] = math.Exp(v - m)
		sum += s[i]
	}
	if sum == 0 {
		return
	}
	for i := range s {
		s[i] /= sum
	}
}

// classLabels reads classlabels_strings or classlabels_ints/int64s (the
// attribute is spelt classlabels_ints by the linear and SVM models and
// classlabels_int64s by the tree ensembles and ZipMap).
type classLabels struct {
	strs []string
	ints []int64
}

func classLabelsAttr(n *graph.Node, intsName string) (classLabels, error) {
	strs, err := n.Strings("classlabels_strings", nil)
	if err != nil {
		return classLabels{}, err
	}
	ints, err := n.Ints(intsName, nil)
	if err != nil {
		return classLabels{}, err
	}
	if len(strs) > 0 && len(ints) > 0 {
		return classLabels{}, fmt.Errorf("node %s: both classlabels_strings and %s are set", n.Label(), intsName)
	}
	return classLabels{strs, ints}, nil
}

func (c classLabels) count() int { return max(len(c.strs), len(c.ints)) }

func (c classLabels) dtype() ops.DType {
	if c.strs != nil {
		return ops.String
	}
	return ops.Int64
}

// newLabels returns the label output for rows samples.
func (c classLabels) newLabels(env *operators.Env, rows int) *ops.Tensor {
	return env.New(c.dtype(), rows)
}

// set writes label k (or the int value v when the model has no label of
// that index, the binary models' 0/1) into out[i].
func (c classLabels) set(out *ops.Tensor, i, k int, v int64) {
	if c.strs != nil {
		if k >= 0 && k < len(c.strs) {
			out.Str()[i] = c.strs[k]
		} else {
			out.Str()[i] = fmt.Sprint(v)
		}
		return
	}
	if k >= 0 && k < len(c.ints) {
		out.I64()[i] = c.ints[k]
	} else {
		out.I64()[i] = v
	}
}

// classifierOutputs is the rule of the classifiers: labels [N] of the
// label type, scores [N, e] float.
func classifierOutputs(n *graph.Node, in []graph.ValueInfo, labels ops.DType, e graph.Dim) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	rows, err := rowsOf(in[0])
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{ranked(labels, graph.Shape{rows}), ranked(ops.Float32, graph.Shape{rows, e})}, nil
}

// rowsOf is the N dimension of a features input (1 for a 1-D X).
func rowsOf(x graph.ValueInfo) (graph.Dim, error) {
	if !operators.RankKnown(x) {
		return operators.UnknownDim, nil
	}
	switch len(x.Shape) {
	case 1:
		return operators.KnownDim(1), nil
	case 2:
		return x.Shape[0], nil
	}
	return graph.Dim{}, fmt.Errorf("input X must be [N, C] or [C], has rank %d", len(x.Shape))
}
