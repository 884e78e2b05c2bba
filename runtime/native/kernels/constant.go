package kernels

// Operators that create tensors from attributes or shapes: Constant,
// ConstantOfShape, Range, OneHot and EyeLike, for every element type
// ops.Tensor holds (Range: numeric types only).

import (
	"errors"
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "ConstantOfShape", Infer: inferConstantOfShape, Build: buildConstantOfShape}, 9, 20, 21)
	operators.Register(operators.Op{Type: "Constant", Infer: inferConstant, Build: buildConstant}, 1, 9, 11, 12, 13, 19, 21)
	operators.Register(operators.Op{Type: "Range", Infer: inferRange, Build: buildRange}, 11)
	operators.Register(operators.Op{Type: "OneHot", Infer: inferOneHot, Build: buildOneHot}, 9, 11)
	operators.Register(operators.Op{Type: "EyeLike", Infer: inferEyeLike, Build: buildEyeLike}, 9, 22)
}

func buildConstantOfShape(n *graph.Node, opset int64) (operators.Kernel, error) {
	val, err := n.Tensor("value")
	if err != nil {
		return nil, err
	}
	if val == nil {
		val = ops.Scalar(0)
	}
	if err := val.Validate(); err != nil {
		return nil, fmt.Errorf("node %s: attribute value: %w", n.Label(), err)
	}
	if val.Len() != 1 {
		return nil, fmt.Errorf("node %s: attribute value must hold one element, has shape %s", n.Label(), ops.ShapeString(val.Shape))
	}
	one := &ops.Tensor{DType: val.DType, Shape: []int{}, Data: val.Data}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		st, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		spec, err := int64ListInput(n, st, "shape")
		if err != nil {
			return nil, err
		}
		shape, err := shapeFromInts(n, spec)
		if err != nil {
			return nil, err
		}
		out := env.New(val.DType, shape...)
		if err := ops.ExpandInto(out, one); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// constantValue returns the tensor a Constant node produces, checking that
// it has exactly one value attribute of a kind latent supports at opset.
// The kernel and the shape rule both use it.
func constantValue(n *graph.Node, opset int64) (*ops.Tensor, error) {
	kinds := []string{"value", "sparse_value", "value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings"}
	var have []string
	for _, k := range kinds {
		if n.Has(k) {
			have = append(have, k)
		}
	}
	if len(have) != 1 {
		return nil, fmt.Errorf("node %s: Constant needs exactly one of %v, has %v", n.Label(), kinds, have)
	}
	kind := have[0]
	if kind != "value" && kind != "sparse_value" && opset < 12 {
		return nil, fmt.Errorf("node %s: Constant attribute %s needs opset 12, model has %d", n.Label(), kind, opset)
	}
	switch kind {
	case "value":
		t, err := n.Tensor("value")
		if err != nil {
			return nil, err
		}
		if t == nil {
			return nil, fmt.Errorf("node %s: attribute value holds no tensor", n.Label())
		}
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("node %s: attribute value: %w", n.Label(), err)
		}
		return t, nil
	case "value_float":
		f, err := n.Float(kind, 0)
		if err != nil {
			return nil, err
		}
		return ops.Scalar(f), nil
	case "value_floats":
		fs, err := n.Floats(kind, nil)
		if err != nil {
			return nil, err
		}
		return ops.FromFloat32([]int{len(fs)}, append([]float32{}, fs...)), nil
	case "value_int":
		i, err := n.Int(kind, 0)
		if err != nil {
			return nil, err
		}
		return ops.FromInt64([]int{}, []int64{i}), nil
	case "value_ints":
		is, err := n.Ints(kind, nil)
		if err != nil {
			return nil, err
		}
		return ops.FromInt64([]int{len(is)}, append([]int64{}, is...)), nil
	default:
		return nil, fmt.Errorf("node %s: Constant attribute %s is not supported (latent has no string or sparse tensors)", n.Label(), kind)
	}
}

func buildConstant(n *graph.Node, opset int64) (operators.Kernel, error) {
	val, err := constantValue(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		// A copy: the attribute must stay intact even if the caller gets
		// the output and writes into it.
		out := env.New(val.DType, val.Shape...)
		ops.CopyData(out.Data, val.Data)
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildRange(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		names := [3]string{"start", "limit", "delta"}
		var ts [3]*ops.Tensor
		for i, name := range names {
			t, err := requiredInput(n, in, i, name)
			if err != nil {
				return nil, err
			}
			if t.Len() != 1 || len(t.Shape) > 1 {
				return nil, fmt.Errorf("node %s: %s must be a scalar, got shape %s", n.Label(), name, ops.ShapeString(t.Shape))
			}
			if t.DType != in[0].DType {
				return nil, fmt.Errorf("node %s: %s is %v, start is %v", n.Label(), name, t.DType, in[0].DType)
			}
			ts[i] = t
		}
		switch ts[0].DType {
		case ops.Float32:
			return rangeFloat(env, n, ts[0].F32()[0], ts[1].F32()[0], ts[2].F32()[0])
		case ops.Float64:
			return rangeFloat(env, n, ts[0].F64()[0], ts[1].F64()[0], ts[2].F64()[0])
		case ops.Int32:
			return rangeInt(env, n, ts[0].I32()[0], ts[1].I32()[0], ts[2].I32()[0])
		case ops.Int64:
			return rangeInt(env, n, ts[0].I64()[0], ts[1].I64()[0], ts[2].I64()[0])
		}
		return nil, fmt.Errorf("node %s: Range of %v is not supported (float32, float64, int32, int64)", n.Label(), ts[0].DType)
	}, nil
}

// rangeMax bounds a Range output so a bad delta gives an error, not an
// out-of-memory crash.
const rangeMax = 1 << 31

func rangeFloat[T float32 | float64](env *operators.Env, n *graph.Node, start, limit, delta T) ([]*ops.Tensor, error) {
	if delta == 0 || math.IsNaN(float64(delta)) || math.IsNaN(float64(start)) || math.IsNaN(float64(limit)) {
		return nil, fmt.Errorf("node %s: Range with start %v, limit %v, delta %v", n.Label(), start, limit, delta)
	}
	// The count and the values follow the spec's function body (and ONNX
	// Runtime): the difference is taken in T, and each value is the previous
	// one plus delta, accumulated in T.
	c := math.Ceil(float64(limit-start) / float64(delta))
	if c > rangeMax {
		return nil, fmt.Errorf("node %s: Range from %v to %v by %v has %g elements", n.Label(), start, limit, delta, c)
	}
	cnt := max(int(c), 0)
	out := env.New(ops.Float32, cnt)
	if _, ok := any(start).(float64); ok {
		out = env.New(ops.Float64, cnt)
	}
	d := out.Data.([]T)
	v := start
	for i := range d {
		d[i] = v
		v += delta
	}
	return []*ops.Tensor{out}, nil
}

func rangeInt[T int32 | int64](env *operators.Env, n *graph.Node, start, limit, delta T) ([]*ops.Tensor, error) {
	if delta == 0 {
		return nil, fmt.Errorf("node %s: Range with delta 0", n.Label())
	}
	// ceil((limit-start)/delta) in exact unsigned arithmetic: the distance
	// between two int64 values always fits in a uint64.
	var c uint64
	switch {
	case delta > 0 && limit > start:
		dist, d := uint64(int64(limit))-uint64(int64(start)), uint64(int64(delta))
		c = dist / d
		if dist%d != 0 {
			c++
		}
	case delta < 0 && limit < start:
		dist, d := uint64(int64(start))-uint64(int64(limit)), uint64(-(int64(delta)+1))+1
		c = dist / d
		if dist%d != 0 {
			c++
		}
	}
	if c > rangeMax {
		return nil, fmt.Errorf("node %s: Range from %d to %d by %d has %d elements", n.Label(), start, limit, delta, c)
	}
	dt := ops.Int32
	if _, ok := any(start).(int64); ok {
		dt = ops.Int64
	}
	out := env.New(dt, int(c))
	d := out.Data.([]T)
	for i := range d {
		d[i] = start + T(i)*delta
	}
	return []*ops.Tensor{out}, nil
}

// asInt64s reads a numeric tensor as int64 values (floats truncate).
func asInt64s(n *graph.Node, t *ops.Tensor, name string) ([]int64, error) {
	out := make([]int64, t.Len())
	switch t.DType {
	case ops.Int64, ops.Int32, ops.Int8, ops.Uint8, ops.Float32, ops.Float64, ops.Float16:
		// Read by storage below.
	case ops.String, ops.Invalid:
		return nil, fmt.Errorf("node %s: %s must be numeric, got %v", n.Label(), name, t.DType)
	default:
		// The wider integers and the types sharing a storage type with
		// another (uint16, bfloat16, the 8-bit floats …): through Cast,
		// which reads them by DType.
		f := ops.New(ops.Float64, t.Shape...)
		if err := ops.Cast(f, t); err != nil {
			return nil, fmt.Errorf("node %s: %s: %w", n.Label(), name, err)
		}
		t = f
	}
	switch d := t.Data.(type) {
	case []int64:
		copy(out, d)
	case []int32:
		for i, v := range d {
			out[i] = int64(v)
		}
	case []int8:
		for i, v := range d {
			out[i] = int64(v)
		}
	case []uint8:
		for i, v := range d {
			out[i] = int64(v)
		}
	case []float32:
		for i, v := range d {
			if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 1<<62 {
				return nil, fmt.Errorf("node %s: %s value %g is not an integer index", n.Label(), name, v)
			}
			out[i] = int64(v)
		}
	case []float64:
		for i, v := range d {
			if math.IsNaN(v) || math.Abs(v) > 1<<62 {
				return nil, fmt.Errorf("node %s: %s value %g is not an integer index", n.Label(), name, v)
			}
			out[i] = int64(v)
		}
	case []uint16:
		for i, v := range d {
			f := float64(ops.Float16ToFloat32(v))
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("node %s: %s value %g is not an integer index", n.Label(), name, f)
			}
			out[i] = int64(f)
		}
	default:
		return nil, fmt.Errorf("node %s: %s must be numeric, got %v", n.Label(), name, t.DType)
	}
	return out, nil
}

// elementAt returns element i of t as a rank-0 tensor sharing t's data type.
func elementAt(t *ops.Tensor, i int) *ops.Tensor {
	out := ops.New(t.DType)
	switch d := out.Data.(type) {
	case []float32:
		d[0] = t.F32()[i]
	case []float64:
		d[0] = t.F64()[i]
	case []uint16:
		d[0] = t.F16()[i]
	case []int64:
		d[0] = t.I64()[i]
	case []int32:
		d[0] = t.I32()[i]
	case []int8:
		d[0] = t.I8()[i]
	case []uint8:
		d[0] = t.U8()[i]
	case []bool:
		d[0] = t.B()[i]
	}
	return out
}

// fillAt fills t with the scalar fill and then sets the elements at pos
// to the scalar at (of t's type).
func fillAt(t, fill, at *ops.Tensor, pos []int) error {
	if err := ops.ExpandInto(t, fill); err != nil {
		return err
	}
	switch d := t.Data.(type) {
	case []float32:
		setAt(d, at.F32()[0], pos)
	case []float64:
		setAt(d, at.F64()[0], pos)
	case []uint16:
		setAt(d, at.F16()[0], pos)
	case []int64:
		setAt(d, at.I64()[0], pos)
	case []int32:
		setAt(d, at.I32()[0], pos)
	case []int8:
		setAt(d, at.I8()[0], pos)
	case []uint8:
		setAt(d, at.U8()[0], pos)
	case []bool:
		setAt(d, at.B()[0], pos)
	}
	return nil
}

// setAt sets d[p] = v for every p in pos.
func setAt[T any](d []T, v T, pos []int) {
	for _, p := range pos {
		d[p] = v
	}
}

func buildOneHot(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "indices", "depth", "values")
		if err != nil {
			return nil, err
		}
		it, dt, vt := ins[0], ins[1], ins[2]
		if dt.Len() != 1 || len(dt.Shape) > 1 {
			return nil, fmt.Errorf("node %s: depth must be a scalar, got %v", n.Label(), dt)
		}
		if vt.Len() != 2 || len(vt.Shape) != 1 {
			return nil, fmt.Errorf("node %s: values must be [off_value, on_value], got %v", n.Label(), vt)
		}
		dv, err := asInt64s(n, dt, "depth")
		if err != nil {
			return nil, err
		}
		depth := dv[0]
		if depth < 1 || depth > maxElements {
			return nil, fmt.Errorf("node %s: depth %d must be positive", n.Label(), depth)
		}
		idx, err := asInt64s(n, it, "indices")
		if err != nil {
			return nil, err
		}
		r := len(it.Shape)
		a, err := resolveAxis(n, axis, r+1)
		if err != nil {
			return nil, err
		}
		shape := append(append(append([]int{}, it.Shape[:a]...), int(depth)), it.Shape[a:]...)
		if err := checkElementCount(n, "output", shape); err != nil {
			return nil, err
		}
		inner := ops.NumElements(it.Shape[a:])
		pos := make([]int, 0, len(idx))
		for i, v := range idx {
			if v < 0 && opset >= 11 {
				v += depth
			}
			if v < 0 || v >= depth {
				continue // out of range: the row stays all off_value
			}
			o, j := i/inner, i%inner
			pos = append(pos, (o*int(depth)+int(v))*inner+j)
		}
		out := env.New(vt.DType, shape...)
		if err := fillAt(out, elementAt(vt, 0), elementAt(vt, 1), pos); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// oneOf returns a rank-0 tensor holding 1 (true) of type dt.
func oneOf(dt ops.DType) *ops.Tensor {
	t := ops.New(dt)
	switch d := t.Data.(type) {
	case []float32:
		d[0] = 1
	case []float64:
		d[0] = 1
	case []uint16:
		d[0] = ops.Float32ToFloat16(1)
	case []int64:
		d[0] = 1
	case []int32:
		d[0] = 1
	case []int8:
		d[0] = 1
	case []uint8:
		d[0] = 1
	case []bool:
		d[0] = true
	}
	return t
}

func buildEyeLike(n *graph.Node, opset int64) (operators.Kernel, error) {
	k, err := n.Int("k", 0)
	if err != nil {
		return nil, err
	}
	odt, err := dtypeAttr(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if len(x.Shape) != 2 {
			return nil, fmt.Errorf("node %s: input must be 2-D, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		dt := odt
		if dt == ops.Invalid {
			dt = x.DType
		}
		rows, cols := x.Shape[0], x.Shape[1]
		var pos []int
		for i := 0; i < rows; i++ {
			if j := int64(i) + k; j >= 0 && j < int64(cols) {
				pos = append(pos, i*cols+int(j))
			}
		}
		out := env.New(dt, rows, cols)
		if err := fillAt(out, ops.New(dt), oneOf(dt), pos); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func inferConstant(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	for _, k := range []string{"sparse_value", "value_string", "value_strings"} {
		if n.Has(k) {
			return nil, nil // a value latent cannot hold: unknown, for ONNX Runtime to run
		}
	}
	t, err := constantValue(n, c.Opset())
	if err != nil {
		return nil, err
	}
	if len(n.Outputs) > 0 {
		c.SetConst(n.Outputs[0], t)
	}
	return one(graph.TensorInfo("", t)), nil
}

func inferConstantOfShape(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	dt := ops.Float32
	if v, err := n.Tensor("value"); err != nil {
		return nil, err
	} else if v != nil {
		dt = v.DType
	}
	vals, ok := c.Values(n.Inputs[0])
	if !ok {
		return one(graph.ValueInfo{DType: dt}), nil
	}
	s := make(graph.Shape, len(vals))
	for i, v := range vals {
		if v.Lit && v.Val < 0 {
			return nil, fmt.Errorf("shape input has negative dimension %d", v.Val)
		}
		s[i] = v.Dim()
	}
	return one(ranked(dt, s)), nil
}

func inferRange(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	size := operators.UnknownDim
	if s, ok1 := c.Ints(n, 0); ok1 {
		l, ok2 := c.Ints(n, 1)
		d, ok3 := c.Ints(n, 2)
		if ok2 && ok3 && len(s) == 1 && len(l) == 1 && len(d) == 1 {
			if d[0] == 0 {
				return nil, errors.New("delta is 0")
			}
			// ceil((limit - start) / delta), at least 0.
			num, den := l[0]-s[0], d[0]
			cnt := num / den
			if num%den != 0 && (num < 0) == (den < 0) {
				cnt++
			}
			size = operators.KnownDim(max(cnt, 0))
		}
	}
	return one(ranked(in[0].DType, graph.Shape{size})), nil
}

// inferOneHot: the indices' shape with a depth axis inserted at axis, in
// the type of values.
func inferOneHot(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	idx, dt := in[0], in[2].DType
	if !operators.RankKnown(idx) {
		return one(graph.ValueInfo{DType: dt}), nil
	}
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	a, err := resolveAxis(n, axis, len(idx.Shape)+1)
	if err != nil {
		return nil, err
	}
	depth := operators.UnknownDim
	f, ok := c.Floats(n, 1) // depth may have any numeric type
	if v, isInt := c.Ints(n, 1); isInt && len(v) == 1 {
		f, ok = []float64{float64(v[0])}, true
	}
	if ok && len(f) == 1 {
		if f[0] < 1 {
			return nil, fmt.Errorf("depth %g must be at least 1", f[0])
		}
		depth = operators.KnownDim(int64(f[0]))
	}
	out := append(append(append(graph.Shape{}, idx.Shape[:a]...), depth), idx.Shape[a:]...)
	return one(ranked(dt, out)), nil
}

// inferEyeLike: the 2-D input's shape, in the dtype attribute's type or
// the input's.
func inferEyeLike(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	if operators.RankKnown(in[0]) && len(in[0].Shape) != 2 {
		return nil, fmt.Errorf("input %s must be 2-D", in[0].Shape)
	}
	if out[0].DType, err = randomDType(n, in[0].DType); err != nil {
		return nil, err
	}
	return out, nil
}
