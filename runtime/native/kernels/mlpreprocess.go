package kernels

// The ai.onnx.ml preprocessing operators skl2onnx emits for scikit-learn's
// transformers: Scaler (StandardScaler, MinMaxScaler, MaxAbsScaler …),
// Normalizer, Imputer (SimpleImputer), Binarizer, OneHotEncoder,
// LabelEncoder (opsets 1, 2 and 4: int64, float and string keys and
// values, the tensor attributes of opset 4) and ArrayFeatureExtractor
// (the column selection of ColumnTransformer).

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	registerML(operators.Op{Type: "Scaler", Inputs: []operators.TypeSet{mlNumeric}, Infer: inferSameFloat32, Build: buildScaler}, 1)
	registerML(operators.Op{Type: "Normalizer", Inputs: []operators.TypeSet{mlNumeric}, Infer: inferSameFloat32, Build: buildNormalizer}, 1)
	registerML(operators.Op{Type: "Imputer", Inputs: []operators.TypeSet{mlNumeric}, Infer: inferSame, Build: buildImputer}, 1)
	registerML(operators.Op{Type: "Binarizer", Inputs: []operators.TypeSet{mlNumeric}, Infer: inferSame, Build: buildBinarizer}, 1)
	registerML(operators.Op{Type: "OneHotEncoder", Inputs: []operators.TypeSet{{ops.String, ops.Int64, ops.Int32, ops.Float32, ops.Float64}},
		Infer: inferOneHotEncoder, Build: buildOneHotEncoder}, 1)
	registerML(operators.Op{Type: "LabelEncoder", Infer: inferLabelEncoder, Build: buildLabelEncoder}, 1, 2, 4)
	registerML(operators.Op{Type: "ArrayFeatureExtractor", Inputs: []operators.TypeSet{{ops.Float32, ops.Float64, ops.Int64, ops.Int32, ops.String}, {ops.Int64}},
		Infer: inferArrayFeatureExtractor, Build: buildArrayFeatureExtractor}, 1)
}

// inferSameFloat32 is inferSame with a float output (Scaler, Normalizer).
func inferSameFloat32(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err == nil {
		out[0].DType = ops.Float32
	}
	return out, err
}

// perColumn checks that a per-feature parameter has 1 or cols values.
func perColumn(n *graph.Node, name string, k, cols int) error {
	if k != 1 && k != cols {
		return fmt.Errorf("node %s: %s has %d values for %d features (want 1 or %d)", n.Label(), name, k, cols, cols)
	}
	return nil
}

// lastDim is the number of features of x: its last dimension (1 for a scalar).
func lastDim(x *ops.Tensor) int {
	if x.Rank() == 0 {
		return 1
	}
	return x.Shape[x.Rank()-1]
}

// buildScaler compiles Scaler: Y = (X − offset)·scale, per feature (the
// last axis) or one value for all, as float.
func buildScaler(n *graph.Node, _ int64) (operators.Kernel, error) {
	offset, err := n.Floats("offset", nil)
	if err != nil {
		return nil, err
	}
	scale, err := n.Floats("scale", nil)
	if err != nil {
		return nil, err
	}
	if len(offset) == 0 {
		offset = []float32{0}
	}
	if len(scale) == 0 {
		scale = []float32{1}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		xs, err := mlFloat64s(n, x)
		if err != nil {
			return nil, err
		}
		c := lastDim(x)
		if err := perColumn(n, "offset", len(offset), c); err != nil {
			return nil, err
		}
		if err := perColumn(n, "scale", len(scale), c); err != nil {
			return nil, err
		}
		y := env.New(ops.Float32, x.Shape...)
		ys := y.F32()
		for i, v := range xs {
			j := i % c
			o, s := offset[0], scale[0]
			if len(offset) > 1 {
				o = offset[j]
			}
			if len(scale) > 1 {
				s = scale[j]
			}
			ys[i] = float32((v - float64(o)) * float64(s))
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

// buildNormalizer compiles Normalizer: each row divided by its MAX, L1
// (sum of magnitudes) or L2 (Euclidean) norm; a row whose norm is 0 is
// copied.
func buildNormalizer(n *graph.Node, _ int64) (operators.Kernel, error) {
	norm, err := enumAttr(n, "norm", "MAX", enumChoice[int]{"MAX", 0}, enumChoice[int]{"L1", 1}, enumChoice[int]{"L2", 2})
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		rows, cols, err := mlRows(n, x)
		if err != nil {
			return nil, err
		}
		xs, err := mlFloat64s(n, x)
		if err != nil {
			return nil, err
		}
		y := env.New(ops.Float32, x.Shape...)
		ys := y.F32()
		for r := 0; r < rows; r++ {
			row := xs[r*cols : (r+1)*cols]
			d := 0.0
			switch norm {
			case 0:
				d = math.Inf(-1)
				for _, v := range row {
					d = math.Max(d, v)
				}
			case 1:
				for _, v := range row {
					d += math.Abs(v)
				}
			case 2:
				for _, v := range row {
					d += v * v
				}
				d = math.Sqrt(d)
			}
			if d == 0 || math.IsInf(d, -1) {
				d = 1
			}
			for j, v := range row {
				ys[r*cols+j] = float32(v / d)
			}
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

// buildImputer compiles Imputer: elements equal to the replaced value (NaN
// when replaced_value_float is NaN) become the imputed value of their
// feature (or the one imputed value for all).
func buildImputer(n *graph.Node, _ int64) (operators.Kernel, error) {
	fl, err := n.Floats("imputed_value_floats", nil)
	if err != nil {
		return nil, err
	}
	il, err := n.Ints("imputed_value_int64s", nil)
	if err != nil {
		return nil, err
	}
	rf, err := n.Float("replaced_value_float", 0)
	if err != nil {
		return nil, err
	}
	ri, err := n.Int("replaced_value_int64", 0)
	if err != nil {
		return nil, err
	}
	if (len(fl) == 0) == (len(il) == 0) {
		return nil, fmt.Errorf("node %s: exactly one of imputed_value_floats and imputed_value_int64s must be given", n.Label())
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		c := lastDim(x)
		y := env.New(x.DType, x.Shape...)
		switch d := x.Data.(type) {
		case []float32:
			if len(fl) == 0 {
				return nil, fmt.Errorf("node %s: float input needs imputed_value_floats", n.Label())
			}
			if err := perColumn(n, "imputed_value_floats", len(fl), c); err != nil {
				return nil, err
			}
			impute(d, y.F32(), c, func(v float32) bool { return v == rf || (rf != rf && v != v) }, fl)
		case []float64:
			if len(fl) == 0 {
				return nil, fmt.Errorf("node %s: double input needs imputed_value_floats", n.Label())
			}
			if err := perColumn(n, "imputed_value_floats", len(fl), c); err != nil {
				return nil, err
			}
			f64 := make([]float64, len(fl))
			for i, v := range fl {
				f64[i] = float64(v)
			}
			impute(d, y.F64(), c, func(v float64) bool { return v == float64(rf) || (rf != rf && v != v) }, f64)
		case []int64:
			if len(il) == 0 {
				return nil, fmt.Errorf("node %s: int64 input needs imputed_value_int64s", n.Label())
			}
			if err := perColumn(n, "imputed_value_int64s", len(il), c); err != nil {
				return nil, err
			}
			impute(d, y.I64(), c, func(v int64) bool { return v == ri }, il)
		case []int32:
			if len(il) == 0 {
				return nil, fmt.Errorf("node %s: int32 input needs imputed_value_int64s", n.Label())
			}
			if err := perColumn(n, "imputed_value_int64s", len(il), c); err != nil {
				return nil, err
			}
			i32 := make([]int32, len(il))
			for i, v := range il {
				i32[i] = int32(v)
			}
			impute(d, y.I32(), c, func(v int32) bool { return int64(v) == ri }, i32)
		default:
			return nil, fmt.Errorf("node %s: Imputer does not support %s input", n.Label(), x.DType)
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

func impute[T any](x, y []T, c int, replace func(T) bool, with []T) {
	for i, v := range x {
		if replace(v) {
			if len(with) == 1 {
				v = with[0]
			} else {
				v = with[i%c]
			}
		}
		y[i] = v
	}
}

// buildBinarizer compiles Binarizer: 1 where X > threshold, else 0, in X's
// type.
func buildBinarizer(n *graph.Node, _ int64) (operators.Kernel, error) {
	th, err := n.Float("threshold", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		y := env.New(x.DType, x.Shape...)
		switch d := x.Data.(type) {
		case []float32:
			binarize(d, y.F32(), th)
		case []float64:
			binarize(d, y.F64(), float64(th))
		case []int64:
			binarize(d, y.I64(), int64(math.Floor(float64(th))))
		case []int32:
			binarize(d, y.I32(), int32(math.Floor(float64(th))))
		default:
			return nil, fmt.Errorf("node %s: Binarizer does not support %s input", n.Label(), x.DType)
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

func binarize[T float32 | float64 | int64 | int32](x, y []T, th T) {
	for i, v := range x {
		if v > th {
			y[i] = 1
		} else {
			y[i] = 0
		}
	}
}

// oneHotCategories are OneHotEncoder's categories: int64 or strings.
type oneHotCategories struct {
	ints map[int64]int
	strs map[string]int
	n    int
}

func oneHotAttr(n *graph.Node) (oneHotCategories, error) {
	ints, err := n.Ints("cats_int64s", nil)
	if err != nil {
		return oneHotCategories{}, err
	}
	strs, err := n.Strings("cats_strings", nil)
	if err != nil {
		return oneHotCategories{}, err
	}
	if (len(ints) == 0) == (len(strs) == 0) {
		return oneHotCategories{}, fmt.Errorf("node %s: exactly one of cats_int64s and cats_strings must be given", n.Label())
	}
	c := oneHotCategories{n: len(ints) + len(strs)}
	if len(ints) > 0 {
		c.ints = make(map[int64]int, len(ints))
		for i, v := range ints {
			if _, dup := c.ints[v]; !dup {
				c.ints[v] = i
			}
		}
	} else {
		c.strs = make(map[string]int, len(strs))
		for i, v := range strs {
			if _, dup := c.strs[v]; !dup {
				c.strs[v] = i
			}
		}
	}
	return c, nil
}

func inferOneHotEncoder(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	cats, err := oneHotAttr(n)
	if err != nil {
		return nil, err
	}
	if !operators.RankKnown(in[0]) {
		return one(graph.ValueInfo{DType: ops.Float32}), nil
	}
	sh := append(append(graph.Shape(nil), in[0].Shape...), operators.KnownDim(int64(cats.n)))
	return one(ranked(ops.Float32, sh)), nil
}

// buildOneHotEncoder compiles OneHotEncoder: Y = X's shape plus one axis of
// the categories, 1 at each element's category. Float inputs are
// truncated to int64 first, as ONNX Runtime does. A value in no category
// is all zeros, or an error when zeros=0.
func buildOneHotEncoder(n *graph.Node, _ int64) (operators.Kernel, error) {
	cats, err := oneHotAttr(n)
	if err != nil {
		return nil, err
	}
	zeros, err := n.Int("zeros", 1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		y := env.New(ops.Float32, append(slices.Clone(x.Shape), cats.n)...)
		ys := y.F32()
		clear(ys)
		k := x.Len()
		var lookup func(i int) (int, bool, string)
		if x.DType == ops.String {
			if cats.strs == nil {
				return nil, fmt.Errorf("node %s: string input needs cats_strings", n.Label())
			}
			xs := x.Str()
			lookup = func(i int) (int, bool, string) { c, ok := cats.strs[xs[i]]; return c, ok, strconv.Quote(xs[i]) }
		} else {
			if cats.ints == nil {
				return nil, fmt.Errorf("node %s: %s input needs cats_int64s", n.Label(), x.DType)
			}
			var xi []int64
			switch d := x.Data.(type) {
			case []int64:
				xi = d
			case []int32:
				xi = make([]int64, len(d))
				for i, v := range d {
					xi[i] = int64(v)
				}
			case []float32:
				xi = make([]int64, len(d))
				for i, v := range d {
					xi[i] = int64(v)
				}
			case []float64:
				xi = make([]int64, len(d))
				for i, v := range d {
					xi[i] = int64(v)
				}
			default:
				return nil, fmt.Errorf("node %s: OneHotEncoder does not support %s input", n.Label(), x.DType)
			}
			lookup = func(i int) (int, bool, string) { c, ok := cats.ints[xi[i]]; return c, ok, strconv.FormatInt(xi[i], 10) }
		}
		for i := 0; i < k; i++ {
			c, ok, v := lookup(i)
			if !ok {
				if zeros == 0 {
					return nil, fmt.Errorf("node %s: value %s is in no category and zeros=0", n.Label(), v)
				}
				continue
			}
			ys[i*cats.n+c] = 1
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

// labelMap is LabelEncoder's table: keys of one kind (int64, float64 or
// string) to an index into vals; def is the value of a missing key.
type labelMap struct {
	ints   map[int64]int
	floats map[float64]int
	nan    int // index of the NaN key, -1 when none
	strs   map[string]int
	vals   *ops.Tensor // the values, one per key, of the output type
	def    *ops.Tensor // one element of the output type
	// reverse is opset 1's other direction (int64 index to class string),
	// used when X is not a string tensor.
	reverse *labelMap
}

// labelEncoderAttrs reads LabelEncoder's attributes at opset 1 (the
// classes_strings list: string↔index), 2 (keys_*/values_* lists) or 4
// (also keys_tensor/values_tensor/default_tensor).
func labelEncoderAttrs(n *graph.Node, opset int64) (*labelMap, error) {
	m := &labelMap{nan: -1}
	if opset < 2 {
		classes, err := n.Strings("classes_strings", nil)
		if err != nil {
			return nil, err
		}
		di, err := n.Int("default_int64", -1)
		if err != nil {
			return nil, err
		}
		ds, err := n.String("default_string", "_Unused")
		if err != nil {
			return nil, err
		}
		// Opset 1 maps both ways; the input type decides at run time, so
		// keep both directions: strings to indices here, indices to
		// strings in vals/def of the reverse table (built at run time).
		m.strs = map[string]int{}
		idx := make([]int64, len(classes))
		for i, c := range classes {
			if _, dup := m.strs[c]; !dup {
				m.strs[c] = i
			}
			idx[i] = int64(i)
		}
		m.vals = ops.FromInt64([]int{len(idx)}, idx)
		m.def = ops.FromInt64([]int{1}, []int64{di})
		rev := &labelMap{nan: -1, ints: map[int64]int{}}
		for i := range classes {
			rev.ints[int64(i)] = i
		}
		rev.vals = &ops.Tensor{DType: ops.String, Shape: []int{len(classes)}, Data: slices.Clone(classes)}
		rev.def = &ops.Tensor{DType: ops.String, Shape: []int{1}, Data: []string{ds}}
		m.reverse = rev
		return m, nil
	}
	keys, err := labelEncoderList(n, "keys", opset)
	if err != nil {
		return nil, err
	}
	vals, err := labelEncoderList(n, "values", opset)
	if err != nil {
		return nil, err
	}
	if keys == nil || vals == nil {
		return nil, fmt.Errorf("node %s: LabelEncoder needs keys and values (keys_*/values_* or, at opset 4, keys_tensor/values_tensor)", n.Label())
	}
	if keys.Len() != vals.Len() {
		return nil, fmt.Errorf("node %s: %d keys but %d values", n.Label(), keys.Len(), vals.Len())
	}
	switch d := keys.Data.(type) {
	case []string:
		m.strs = make(map[string]int, len(d))
		for i, k := range d {
			if _, dup := m.strs[k]; !dup {
				m.strs[k] = i
			}
		}
	case []float32, []float64:
		f := ops.New(ops.Float64, keys.Len())
		if err := ops.Cast(f, keys); err != nil {
			return nil, err
		}
		m.floats = make(map[float64]int, keys.Len())
		for i, k := range f.F64() {
			if k != k {
				if m.nan < 0 {
					m.nan = i
				}
				continue
			}
			if _, dup := m.floats[k]; !dup {
				m.floats[k] = i
			}
		}
	default:
		f := ops.New(ops.Int64, keys.Len())
		if err := ops.Cast(f, keys); err != nil {
			return nil, fmt.Errorf("node %s: keys of type %s: %w", n.Label(), keys.DType, err)
		}
		m.ints = make(map[int64]int, keys.Len())
		for i, k := range f.I64() {
			if _, dup := m.ints[k]; !dup {
				m.ints[k] = i
			}
		}
	}
	m.vals = vals
	if m.def, err = labelEncoderDefault(n, vals.DType, opset); err != nil {
		return nil, err
	}
	return m, nil
}

// labelEncoderList reads keys or values: <what>_tensor (opset 4) or one of
// <what>_int64s, <what>_floats, <what>_strings.
func labelEncoderList(n *graph.Node, what string, opset int64) (*ops.Tensor, error) {
	var found []*ops.Tensor
	if opset >= 4 && n.Has(what+"_tensor") {
		t, err := n.Tensor(what + "_tensor")
		if err != nil {
			return nil, err
		}
		found = append(found, t.Reshaped(t.Len()))
	}
	if n.Has(what + "_int64s") {
		v, err := n.Ints(what+"_int64s", nil)
		if err != nil {
			return nil, err
		}
		found = append(found, ops.FromInt64([]int{len(v)}, v))
	}
	if n.Has(what + "_floats") {
		v, err := n.Floats(what+"_floats", nil)
		if err != nil {
			return nil, err
		}
		found = append(found, ops.FromFloat32([]int{len(v)}, v))
	}
	if n.Has(what + "_strings") {
		v, err := n.Strings(what+"_strings", nil)
		if err != nil {
			return nil, err
		}
		found = append(found, &ops.Tensor{DType: ops.String, Shape: []int{len(v)}, Data: v})
	}
	if len(found) > 1 {
		return nil, fmt.Errorf("node %s: more than one %s attribute is set", n.Label(), what)
	}
	if len(found) == 0 {
		return nil, nil
	}
	return found[0], nil
}

// labelEncoderDefault is the value of keys not in the table: default_tensor
// (opset 4), else default_int64 (-1), default_float (-0.0) or
// default_string ("_Unused") by the output type, else zero.
func labelEncoderDefault(n *graph.Node, dt ops.DType, opset int64) (*ops.Tensor, error) {
	if opset >= 4 && n.Has("default_tensor") {
		t, err := n.Tensor("default_tensor")
		if err != nil {
			return nil, err
		}
		if t.DType != dt || t.Len() != 1 {
			return nil, fmt.Errorf("node %s: default_tensor must be one %s value, got %s", n.Label(), dt, t)
		}
		return t.Reshaped(1), nil
	}
	switch dt {
	case ops.Int64:
		v, err := n.Int("default_int64", -1)
		return ops.FromInt64([]int{1}, []int64{v}), err
	case ops.Float32:
		v, err := n.Float("default_float", float32(math.Copysign(0, -1)))
		return ops.FromFloat32([]int{1}, []float32{v}), err
	case ops.String:
		v, err := n.String("default_string", "_Unused")
		return &ops.Tensor{DType: ops.String, Shape: []int{1}, Data: []string{v}}, err
	}
	return ops.New(dt, 1), nil
}

func inferLabelEncoder(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	m, err := labelEncoderAttrs(n, c.Opset())
	if err != nil {
		return nil, err
	}
	dt := m.vals.DType
	if m.reverse != nil && in[0].DType != ops.String && in[0].DType != ops.Invalid {
		dt = ops.String
	}
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	out[0].DType = dt
	return out, nil
}

// buildLabelEncoder compiles LabelEncoder: each element of X looked up in
// the key table, its value (or the default) written to Y of X's shape.
// Float keys match by value, NaN matching a NaN key.
func buildLabelEncoder(n *graph.Node, opset int64) (operators.Kernel, error) {
	m, err := labelEncoderAttrs(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		t := m
		if m.reverse != nil && x.DType != ops.String {
			t = m.reverse
		}
		idx := make([]int, x.Len())
		switch d := x.Data.(type) {
		case []string:
			if t.strs == nil {
				return nil, fmt.Errorf("node %s: string input but the keys are not strings", n.Label())
			}
			for i, v := range d {
				k, ok := t.strs[v]
				if !ok {
					k = -1
				}
				idx[i] = k
			}
		case []float32, []float64:
			if t.floats == nil {
				return nil, fmt.Errorf("node %s: %s input but the keys are not floats", n.Label(), x.DType)
			}
			f := ops.New(ops.Float64, x.Shape...)
			if err := ops.Cast(f, x); err != nil {
				return nil, err
			}
			for i, v := range f.F64() {
				k, ok := t.floats[v]
				switch {
				case v != v:
					k = t.nan
				case !ok:
					k = -1
				}
				idx[i] = k
			}
		case []int64, []int32, []int16:
			if t.ints == nil {
				return nil, fmt.Errorf("node %s: %s input but the keys are not integers", n.Label(), x.DType)
			}
			f := ops.New(ops.Int64, x.Shape...)
			if err := ops.Cast(f, x); err != nil {
				return nil, err
			}
			for i, v := range f.I64() {
				k, ok := t.ints[v]
				if !ok {
					k = -1
				}
				idx[i] = k
			}
		default:
			return nil, fmt.Errorf("node %s: LabelEncoder does not support %s input", n.Label(), x.DType)
		}
		y := env.New(t.vals.DType, x.Shape...)
		if err := gatherOrDefault(y, t.vals, t.def, idx); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

// gatherOrDefault writes y[i] = vals[idx[i]], or def[0] where idx[i] < 0.
func gatherOrDefault(y, vals, def *ops.Tensor, idx []int) error {
	switch d := y.Data.(type) {
	case []float32:
		gatherIdx(d, vals.F32(), def.F32()[0], idx)
	case []float64:
		gatherIdx(d, vals.F64(), def.F64()[0], idx)
	case []int64:
		gatherIdx(d, vals.I64(), def.I64()[0], idx)
	case []int32:
		gatherIdx(d, vals.I32(), def.I32()[0], idx)
	case []int16:
		gatherIdx(d, vals.I16(), def.I16()[0], idx)
	case []string:
		gatherIdx(d, vals.Str(), def.Str()[0], idx)
	default:
		return fmt.Errorf("LabelEncoder does not support %s values", y.DType)
	}
	return nil
}

func gatherIdx[T any](y, vals []T, def T, idx []int) {
	for i, k := range idx {
		if k < 0 {
			y[i] = def
		} else {
			y[i] = vals[k]
		}
	}
}

func inferArrayFeatureExtractor(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x, y := in[0], in[1]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	k := operators.UnknownDim
	if operators.RankKnown(y) {
		k = operators.KnownDim(1)
		for _, d := range y.Shape {
			if !d.Known() {
				k = operators.UnknownDim
				break
			}
			k.Value *= d.Value
		}
	}
	if len(x.Shape) <= 1 {
		return one(ranked(x.DType, graph.Shape{operators.KnownDim(1), k})), nil
	}
	sh := append(graph.Shape(nil), x.Shape...)
	sh[len(sh)-1] = k
	return one(ranked(x.DType, sh)), nil
}

// buildArrayFeatureExtractor compiles ArrayFeatureExtractor: the elements
// of X's last axis at the indices Y, in Y's order; a 1-D X gives one row
// ([1, len(Y)]), as ONNX Runtime does.
func buildArrayFeatureExtractor(n *graph.Node, _ int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ts, err := requiredInputs(n, in, "X", "Y")
		if err != nil {
			return nil, err
		}
		x, y := ts[0], ts[1]
		if y.DType != ops.Int64 {
			return nil, fmt.Errorf("node %s: input Y must be int64 indices, got %s", n.Label(), y.DType)
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("node %s: input X must have rank >= 1, got a scalar", n.Label())
		}
		c := lastDim(x)
		idx := y.I64()
		for _, i := range idx {
			if i < 0 || i >= int64(c) {
				return nil, fmt.Errorf("node %s: index %d out of range [0, %d) of X's last axis", n.Label(), i, c)
			}
		}
		shape := append(slices.Clone(x.Shape[:x.Rank()-1]), len(idx))
		if x.Rank() == 1 {
			shape = []int{1, len(idx)}
		}
		out := env.New(x.DType, shape...)
		rows := x.Len() / max(c, 1)
		if c == 0 {
			rows = ops.NumElements(x.Shape[:x.Rank()-1])
		}
		switch d := x.Data.(type) {
		case []float32:
			selectColumns(out.F32(), d, rows, c, idx)
		case []float64:
			selectColumns(out.F64(), d, rows, c, idx)
		case []int64:
			selectColumns(out.I64(), d, rows, c, idx)
		case []int32:
			selectColumns(out.I32(), d, rows, c, idx)
		case []string:
			selectColumns(out.Str(), d, rows, c, idx)
		default:
			return nil, fmt.Errorf("node %s: ArrayFeatureExtractor does not support %s input", n.Label(), x.DType)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func selectColumns[T any](dst, src []T, rows, c int, idx []int64) {
	k := len(idx)
	for r := 0; r < rows; r++ {
		row := src[r*c : (r+1)*c]
		for j, i := range idx {
			dst[r*k+j] = row[i]
		}
	}
}
