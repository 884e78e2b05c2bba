package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// mlNode builds an ai.onnx.ml node with attributes given as name/value
// pairs ([]string values become a strings attribute, *ops.Tensor a tensor).
func mlNode(op string, nIn, nOut int, kv ...any) *graph.Node {
	var plain []any
	var extra []*graph.Attr
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		switch v := kv[i+1].(type) {
		case []string:
			a := &graph.Attr{Name: name, Type: graph.AttrStrings}
			for _, s := range v {
				a.Strings = append(a.Strings, []byte(s))
			}
			extra = append(extra, a)
		case *ops.Tensor:
			extra = append(extra, &graph.Attr{Name: name, Type: graph.AttrTensor, T: v})
		default:
			plain = append(plain, name, v)
		}
	}
	n := newNodeKV(op, nIn, nOut, plain...)
	n.Domain = mlDomain
	for _, a := range extra {
		n.Attrs[a.Name] = a
		n.AttrOrder = append(n.AttrOrder, a.Name)
	}
	return n
}

// runML compiles n at the given ai.onnx.ml opset and runs it.
func runML(n *graph.Node, opset int64, in ...*ops.Tensor) ([]*ops.Tensor, error) {
	op, err := operators.Lookup(mlDomain, n.OpType, opset)
	if err != nil {
		return nil, err
	}
	k, err := op.Build(n, opset)
	if err != nil {
		return nil, err
	}
	return k(&operators.Env{}, in)
}

func mustML(t *testing.T, n *graph.Node, opset int64, in ...*ops.Tensor) []*ops.Tensor {
	t.Helper()
	out, err := runML(n, opset, in...)
	require.NoError(t, err, n.OpType)
	return out
}

func strTensor(shape []int, v ...string) *ops.Tensor {
	return &ops.Tensor{DType: ops.String, Shape: shape, Data: v}
}

// The preprocessing operators on hand-worked values.
func TestMLPreprocessing(t *testing.T) {
	x := ops.FromFloat32([]int{2, 3}, []float32{1, -2, 3, 0, 0, 0})
	y := mustML(t, mlNode("Scaler", 1, 1, "offset", []float32{1, 0, -1}, "scale", []float32{2}), 1, x)[0]
	checkFloats(t, "Scaler", y, []int{2, 3}, 0, -4, 8, -2, 0, 2)

	y = mustML(t, mlNode("Normalizer", 1, 1, "norm", "L1"), 1, x)[0]
	checkFloats(t, "Normalizer L1", y, []int{2, 3}, 1.0/6, -2.0/6, 3.0/6, 0, 0, 0)
	y = mustML(t, mlNode("Normalizer", 1, 1, "norm", "L2"), 1, x)[0]
	r := float32(math.Sqrt(14))
	checkFloats(t, "Normalizer L2", y, []int{2, 3}, 1/r, -2/r, 3/r, 0, 0, 0)
	y = mustML(t, mlNode("Normalizer", 1, 1, "norm", "MAX"), 1, x)[0]
	checkFloats(t, "Normalizer MAX", y, []int{2, 3}, 1.0/3, -2.0/3, 1, 0, 0, 0)

	nan := float32(math.NaN())
	xn := ops.FromFloat32([]int{2, 2}, []float32{nan, 1, 2, nan})
	y = mustML(t, mlNode("Imputer", 1, 1, "imputed_value_floats", []float32{7, 8}, "replaced_value_float", nan), 1, xn)[0]
	checkFloats(t, "Imputer NaN", y, []int{2, 2}, 7, 1, 2, 8)
	xi := ops.FromInt64([]int{3}, []int64{0, 5, 0})
	y = mustML(t, mlNode("Imputer", 1, 1, "imputed_value_int64s", []int64{-1}), 1, xi)[0]
	assert.Equal(t, []int64{-1, 5, -1}, y.I64())

	y = mustML(t, mlNode("Binarizer", 1, 1, "threshold", float32(0.5)), 1, ops.FromFloat64([]int{3}, []float64{0.5, 0.6, -1}))[0]
	assert.Equal(t, []float64{0, 1, 0}, y.F64())

	y = mustML(t, mlNode("OneHotEncoder", 1, 1, "cats_strings", []string{"a", "b", "c"}), 1, strTensor([]int{1, 2}, "c", "z"))[0]
	assert.Equal(t, []int{1, 2, 3}, y.Shape)
	assert.Equal(t, []float32{0, 0, 1, 0, 0, 0}, y.F32())
	y = mustML(t, mlNode("OneHotEncoder", 1, 1, "cats_int64s", []int64{3, 1}), 1, ops.FromFloat32([]int{2}, []float32{1.7, 3}))[0]
	assert.Equal(t, []float32{0, 1, 1, 0}, y.F32(), "floats truncate to int64")
	_, err := runML(mlNode("OneHotEncoder", 1, 1, "cats_int64s", []int64{3}, "zeros", 0), 1, ops.FromInt64([]int{1}, []int64{4}))
	assert.ErrorContains(t, err, "value 4 is in no category and zeros=0")

	y = mustML(t, mlNode("ArrayFeatureExtractor", 2, 1), 1, ops.FromFloat32([]int{4}, []float32{10, 11, 12, 13}), ops.FromInt64([]int{2}, []int64{3, 0}))[0]
	assert.Equal(t, []int{1, 2}, y.Shape)
	assert.Equal(t, []float32{13, 10}, y.F32())
	_, err = runML(mlNode("ArrayFeatureExtractor", 2, 1), 1, ops.FromFloat32([]int{2}, []float32{1, 2}), ops.FromInt64([]int{1}, []int64{2}))
	assert.ErrorContains(t, err, "index 2 out of range [0, 2)")
}

// LabelEncoder at opsets 1, 2 and 4: both directions of opset 1, float
// keys with NaN, defaults, and the tensor attributes of opset 4.
func TestMLLabelEncoder(t *testing.T) {
	n1 := mlNode("LabelEncoder", 1, 1, "classes_strings", []string{"x", "y"}, "default_int64", int64(-7), "default_string", "none")
	assert.Equal(t, []int64{1, -7, 0}, mustML(t, n1, 1, strTensor([]int{3}, "y", "q", "x"))[0].I64())
	assert.Equal(t, []string{"y", "none"}, mustML(t, n1, 1, ops.FromInt64([]int{2}, []int64{1, 5}))[0].Str())

	nan := float32(math.NaN())
	n2 := mlNode("LabelEncoder", 1, 1, "keys_floats", []float32{1.5, nan}, "values_strings", []string{"a", "nan"})
	assert.Equal(t, []string{"nan", "a", "_Unused"}, mustML(t, n2, 2, ops.FromFloat32([]int{3}, []float32{nan, 1.5, 2}))[0].Str())
	n2 = mlNode("LabelEncoder", 1, 1, "keys_int64s", []int64{4, 5}, "values_floats", []float32{0.5, 0.25})
	y := mustML(t, n2, 2, ops.FromInt64([]int{3}, []int64{5, 6, 4}))[0]
	assert.Equal(t, []float32{0.25, 0, 0.5}, y.F32())
	assert.True(t, math.Signbit(float64(y.F32()[1])), "the default float is -0.0")

	n4 := mlNode("LabelEncoder", 1, 1, "keys_tensor", ops.FromInt32([]int{2}, []int32{1, 2}),
		"values_tensor", ops.FromFloat64([]int{2}, []float64{10, 20}), "default_tensor", ops.FromFloat64([]int{1}, []float64{-1}))
	assert.Equal(t, []float64{20, -1, 10}, mustML(t, n4, 4, ops.FromInt32([]int{3}, []int32{2, 3, 1}))[0].F64())
	_, err := runML(mlNode("LabelEncoder", 1, 1, "keys_int64s", []int64{1}, "values_int64s", []int64{1, 2}), 2)
	assert.ErrorContains(t, err, "1 keys but 2 values")
}

// A two-tree regressor, its aggregations, and the opset-5 TreeEnsemble
// with a set-membership split, against sums worked by hand.
func TestMLTrees(t *testing.T) {
	// Tree 0: x0 <= 1 ? leaf 1 (w 10) : leaf 2 (w 20). Tree 1: x1 < 0 ? leaf
	// 1 (w 1) : leaf 2 (w 3); NaN in x1 goes to the true branch.
	attrs := []any{
		"nodes_treeids", []int64{0, 0, 0, 1, 1, 1}, "nodes_nodeids", []int64{0, 1, 2, 0, 1, 2},
		"nodes_featureids", []int64{0, 0, 0, 1, 0, 0}, "nodes_values", []float32{1, 0, 0, 0, 0, 0},
		"nodes_modes", []string{"BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LT", "LEAF", "LEAF"},
		"nodes_truenodeids", []int64{1, 0, 0, 1, 0, 0}, "nodes_falsenodeids", []int64{2, 0, 0, 2, 0, 0},
		"nodes_missing_value_tracks_true", []int64{0, 0, 0, 1, 0, 0},
		"target_treeids", []int64{0, 0, 1, 1}, "target_nodeids", []int64{1, 2, 1, 2}, "target_ids", []int64{0, 0, 0, 0},
		"target_weights", []float32{10, 20, 1, 3},
	}
	x := ops.FromFloat32([]int{3, 2}, []float32{1, -1, 2, 5, 0, float32(math.NaN())})
	for agg, want := range map[string][]float32{"SUM": {11, 23, 11}, "AVERAGE": {5.5, 11.5, 5.5}, "MIN": {1, 3, 1}, "MAX": {10, 20, 10}} {
		n := mlNode("TreeEnsembleRegressor", 1, 1, append(attrs, "aggregate_function", agg, "base_values", []float32{100})...)
		y := mustML(t, n, 3, x)[0]
		for i := range want {
			want[i] += 100
		}
		checkFloats(t, agg, y, []int{3, 1}, want...)
	}

	// TreeEnsemble: node 0 splits x0 in {1, 3} (true: leaf 0, w 5); else
	// node 1: x1 > 2 (true: leaf 1, w 7; false: leaf 2, w -1).
	u8 := &ops.Tensor{DType: ops.Uint8, Shape: []int{2}, Data: []uint8{6, 3}}
	nan := math.NaN()
	te := mlNode("TreeEnsemble", 1, 1, "tree_roots", []int64{0}, "nodes_featureids", []int64{0, 1},
		"nodes_splits", ops.FromFloat64([]int{2}, []float64{0, 2}), "nodes_modes", u8,
		"nodes_truenodeids", []int64{0, 1}, "nodes_trueleafs", []int64{1, 1},
		"nodes_falsenodeids", []int64{1, 2}, "nodes_falseleafs", []int64{0, 1},
		"membership_values", ops.FromFloat64([]int{3}, []float64{1, 3, nan}),
		"leaf_targetids", []int64{0, 0, 0}, "leaf_weights", ops.FromFloat64([]int{3}, []float64{5, 7, -1}))
	y := mustML(t, te, 5, ops.FromFloat64([]int{3, 2}, []float64{3, 0, 2, 3, 2, 2}))[0]
	assert.Equal(t, []float64{5, 7, -1}, y.F64())
}

// SVMRegressor with an RBF kernel and OneClassSVM's ±1, and ZipMap.
func TestMLSVMAndZipMap(t *testing.T) {
	n := mlNode("SVMRegressor", 1, 1, "kernel_type", "RBF", "kernel_params", []float32{0.5, 0, 3},
		"support_vectors", []float32{0, 0, 1, 1}, "n_supports", int64(2), "coefficients", []float32{2, -1}, "rho", []float32{0.25})
	x := ops.FromFloat32([]int{1, 2}, []float32{1, 0})
	want := 2*math.Exp(-0.5*1) - math.Exp(-0.5*1) + 0.25
	checkFloats(t, "SVR", mustML(t, n, 1, x)[0], []int{1, 1}, float32(want))
	n.Attrs["one_class"] = attrOf("one_class", int64(1))
	checkFloats(t, "one class", mustML(t, n, 1, x)[0], []int{1, 1}, 1)

	zm := mlNode("ZipMap", 1, 1, "classlabels_int64s", []int64{4, 9})
	op, err := operators.Lookup(mlDomain, "ZipMap", 1)
	require.NoError(t, err)
	k, err := op.BuildValues(zm, 1)
	require.NoError(t, err)
	out, err := k(&operators.Env{}, []*graph.Value{graph.TensorOf(ops.FromFloat32([]int{2, 2}, []float32{0.25, 0.75, 1, 0}))})
	require.NoError(t, err)
	require.Len(t, out[0].Elems, 2)
	m := out[0].Elems[1]
	assert.Equal(t, graph.MapValue, m.Kind)
	assert.Equal(t, []int64{4, 9}, m.Keys.I64())
	assert.Equal(t, float32(1), m.Elems[0].Tensor.F32()[0])
	require.NoError(t, out[0].Check())
}

// mlFuzzCase is an ai.onnx.ml operator with attributes of a valid model,
// which the fuzzer perturbs.
type mlFuzzCase struct {
	op    string
	opset int64
	nIn   int
	attrs []any
}

func mlFuzzCases() []mlFuzzCase {
	tree := []any{
		"nodes_treeids", []int64{0, 0, 0}, "nodes_nodeids", []int64{0, 1, 2}, "nodes_featureids", []int64{1, 0, 0},
		"nodes_values", []float32{0.5, 0, 0}, "nodes_modes", []string{"BRANCH_LEQ", "LEAF", "LEAF"},
		"nodes_truenodeids", []int64{1, 0, 0}, "nodes_falsenodeids", []int64{2, 0, 0},
	}
	return []mlFuzzCase{
		{"Scaler", 1, 1, []any{"offset", []float32{1, 2}, "scale", []float32{3}}},
		{"Normalizer", 1, 1, []any{"norm", "L2"}},
		{"Imputer", 1, 1, []any{"imputed_value_floats", []float32{1, 2}}},
		{"Binarizer", 1, 1, []any{"threshold", float32(1)}},
		{"OneHotEncoder", 1, 1, []any{"cats_int64s", []int64{1, 2, 3}}},
		{"LabelEncoder", 2, 1, []any{"keys_int64s", []int64{1, 2}, "values_floats", []float32{3, 4}}},
		{"ArrayFeatureExtractor", 1, 2, nil},
		{"LinearRegressor", 1, 1, []any{"coefficients", []float32{1, 2, 3, 4}, "intercepts", []float32{1, 2}, "targets", int64(2)}},
		{"LinearClassifier", 1, 1, []any{"coefficients", []float32{1, 2, 3, 4}, "intercepts", []float32{1, 2}, "classlabels_ints", []int64{0, 1}}},
		{"SVMRegressor", 1, 1, []any{"support_vectors", []float32{1, 2, 3, 4}, "n_supports", int64(2), "coefficients", []float32{1, 2}, "rho", []float32{1}, "kernel_type", "RBF", "kernel_params", []float32{1, 0, 2}}},
		{"SVMClassifier", 1, 1, []any{"support_vectors", []float32{1, 2, 3, 4}, "vectors_per_class", []int64{1, 1}, "coefficients", []float32{1, 2},
			"rho", []float32{1}, "classlabels_ints", []int64{0, 1}, "prob_a", []float32{1}, "prob_b", []float32{0}}},
		{"TreeEnsembleRegressor", 3, 1, append(tree, "target_treeids", []int64{0, 0}, "target_nodeids", []int64{1, 2}, "target_ids", []int64{0, 0}, "target_weights", []float32{1, 2})},
		{"TreeEnsembleClassifier", 3, 1, append(tree, "class_treeids", []int64{0, 0}, "class_nodeids", []int64{1, 2}, "class_ids", []int64{0, 1}, "class_weights", []float32{1, 2}, "classlabels_int64s", []int64{0, 1})},
		{"TreeEnsemble", 5, 1, []any{"tree_roots", []int64{0}, "nodes_featureids", []int64{0}, "nodes_splits", ops.FromFloat32([]int{1}, []float32{1}),
			"nodes_modes", &ops.Tensor{DType: ops.Uint8, Shape: []int{1}, Data: []uint8{0}}, "nodes_truenodeids", []int64{0}, "nodes_trueleafs", []int64{1},
			"nodes_falsenodeids", []int64{1}, "nodes_falseleafs", []int64{1}, "leaf_targetids", []int64{0, 0}, "leaf_weights", ops.FromFloat32([]int{2}, []float32{1, 2})}},
		{"ZipMap", 1, 1, []any{"classlabels_int64s", []int64{1, 2}}},
	}
}

// mlFuzzTensor is a small random tensor of a type the ML operators meet.
func mlFuzzTensor(r *rand.Rand) *ops.Tensor {
	shape := make([]int, r.IntN(3))
	for i := range shape {
		shape[i] = r.IntN(4)
	}
	k := ops.NumElements(shape)
	switch r.IntN(5) {
	case 0:
		v := make([]int64, k)
		for i := range v {
			v[i] = int64(r.IntN(7) - 3)
		}
		return ops.FromInt64(shape, v)
	case 1:
		v := make([]string, k)
		for i := range v {
			v[i] = fmt.Sprint(r.IntN(3))
		}
		return strTensor(shape, v...)
	case 2:
		return ops.FromBool(shape, make([]bool, k))
	}
	v := make([]float32, k)
	for i := range v {
		v[i] = float32(r.IntN(9)-4) / 2
		if r.IntN(10) == 0 {
			v[i] = float32(math.NaN())
		}
	}
	return ops.FromFloat32(shape, v)
}

// perturb returns a copy of an int or float list with one entry changed,
// removed or added, or the list unchanged.
func perturb(r *rand.Rand, v any) any {
	switch x := v.(type) {
	case []int64:
		y := append([]int64(nil), x...)
		switch {
		case len(y) > 0 && r.IntN(3) == 0:
			y[r.IntN(len(y))] = int64(r.IntN(9) - 4)
		case len(y) > 0 && r.IntN(2) == 0:
			y = y[:len(y)-1]
		default:
			y = append(y, int64(r.IntN(9)-4))
		}
		return y
	case []float32:
		y := append([]float32(nil), x...)
		if len(y) > 0 && r.IntN(2) == 0 {
			y = y[:len(y)-1]
		} else {
			y = append(y, float32(r.IntN(5)))
		}
		return y
	}
	return v
}

// The ai.onnx.ml kernels never panic and never write their inputs: valid
// models with one attribute perturbed, on random tensors of any shape and
// type, return outputs or an error.
func TestMLNeverPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 1))
	cases := mlFuzzCases()
	iters := 4000
	if testing.Short() {
		iters = 500
	}
	for it := 0; it < iters; it++ {
		c := cases[r.IntN(len(cases))]
		attrs := append([]any(nil), c.attrs...)
		if len(attrs) > 0 && r.IntN(2) == 0 {
			i := 2 * r.IntN(len(attrs)/2)
			attrs[i+1] = perturb(r, attrs[i+1])
		}
		n := mlNode(c.op, c.nIn, 2, attrs...)
		in := make([]*ops.Tensor, c.nIn)
		for i := range in {
			in[i] = mlFuzzTensor(r)
		}
		before := make([]string, len(in))
		for i, x := range in {
			before[i] = fmt.Sprint(x.Shape, x.Data)
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("%s %v on %v: panic: %v", c.op, attrs, in, p)
				}
			}()
			op, err := operators.Lookup(mlDomain, c.op, c.opset)
			require.NoError(t, err)
			if op.BuildValues != nil {
				k, err := op.BuildValues(n, c.opset)
				if err == nil {
					vals := make([]*graph.Value, len(in))
					for i, x := range in {
						vals[i] = graph.TensorOf(x)
					}
					_, _ = k(&operators.Env{}, vals)
				}
			} else {
				_, _ = runML(n, c.opset, in...)
			}
		}()
		for i, x := range in {
			assert.Equal(t, before[i], fmt.Sprint(x.Shape, x.Data), "%s wrote its input %d", c.op, i)
		}
	}
}

// ZipMap with string labels builds its maps; writing one to a .pb file is
// a clear error (the MapProto writer holds int64 keys), never a panic.
func TestMLZipMapStringKeys(t *testing.T) {
	op, err := operators.Lookup(mlDomain, "ZipMap", 1)
	require.NoError(t, err)
	k, err := op.BuildValues(mlNode("ZipMap", 1, 1, "classlabels_strings", []string{"cat", "dog"}), 1)
	require.NoError(t, err)
	out, err := k(&operators.Env{}, []*graph.Value{graph.TensorOf(ops.FromFloat32([]int{1, 2}, []float32{0.25, 0.75}))})
	require.NoError(t, err)
	assert.Equal(t, []string{"cat", "dog"}, out[0].Elems[0].Keys.Str())
	_, err = graph.EncodeValue("probabilities", out[0])
	assert.ErrorContains(t, err, "latent writes int64 keys")
}
