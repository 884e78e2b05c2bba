package kernels

// Data-movement and constant operators: Transpose, Concat, Split, Slice,
// Gather, Tile, Expand, ConstantOfShape, Constant and Range. They work for
// every element type ops.Tensor holds (Range: numeric types only).

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	for _, v := range []int64{1, 13, 21} {
		operators.Register("", "Transpose", v, buildTranspose)
	}
	for _, v := range []int64{1, 4, 11, 13} {
		operators.Register("", "Concat", v, buildConcat)
	}
	for _, v := range []int64{2, 11, 13, 18} {
		operators.Register("", "Split", v, buildSplit)
	}
	for _, v := range []int64{1, 10, 11, 13} {
		operators.Register("", "Slice", v, buildSlice)
	}
	for _, v := range []int64{1, 11, 13} {
		operators.Register("", "Gather", v, buildGather)
	}
	for _, v := range []int64{6, 13} {
		operators.Register("", "Tile", v, buildTile)
	}
	for _, v := range []int64{8, 13} {
		operators.Register("", "Expand", v, buildExpand)
	}
	for _, v := range []int64{9, 20, 21} {
		operators.Register("", "ConstantOfShape", v, buildConstantOfShape)
	}
	for _, v := range []int64{1, 9, 11, 12, 13, 19, 21} {
		operators.Register("", "Constant", v, buildConstant)
	}
	operators.Register("", "Range", 11, buildRange)
}

func buildTranspose(n *graph.Node, opset int64) (operators.Kernel, error) {
	perm64, err := n.Ints("perm", nil)
	if err != nil {
		return nil, err
	}
	var perm []int
	if perm64 != nil {
		perm = make([]int, len(perm64))
		for i, p := range perm64 {
			perm[i] = int(p)
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		p := perm
		if p == nil {
			p = ops.ReversedPerm(len(x.Shape))
		}
		shape, err := ops.TransposeShape(x.Shape, p)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		if tkKeepsOrder(x.Shape, p) {
			return []*ops.Tensor{tkView(x, shape)}, nil
		}
		out := env.New(x.DType, shape...)
		if err := ops.TransposeInto(out, x, p); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// tkKeepsOrder reports whether perm moves only size-1 axes, so the
// transposed data is the input's data in the same order.
func tkKeepsOrder(shape, perm []int) bool {
	last := -1
	for _, p := range perm {
		if shape[p] == 1 {
			continue
		}
		if p < last {
			return false
		}
		last = p
	}
	return true
}

func buildConcat(n *graph.Node, opset int64) (operators.Kernel, error) {
	if opset >= 4 && !n.Has("axis") {
		return nil, fmt.Errorf("node %s: Concat needs the axis attribute", n.Label())
	}
	axis, err := n.Int("axis", 1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		if len(in) == 0 {
			return nil, fmt.Errorf("node %s: no inputs", n.Label())
		}
		for i := range in {
			if _, err := tkInput(n, in, i, fmt.Sprintf("inputs[%d]", i)); err != nil {
				return nil, err
			}
		}
		a, err := tkAxis(n, "axis", axis, len(in[0].Shape), false, opset, 0)
		if err != nil {
			return nil, err
		}
		shapes := make([][]int, len(in))
		for i, t := range in {
			if t.DType != in[0].DType {
				return nil, fmt.Errorf("node %s: input %d is %v, input 0 is %v", n.Label(), i, t.DType, in[0].DType)
			}
			shapes[i] = t.Shape
		}
		shape, err := ops.ConcatShape(a, shapes...)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		if len(in) == 1 {
			return []*ops.Tensor{tkView(in[0], shape)}, nil
		}
		out := env.New(in[0].DType, shape...)
		if err := ops.ConcatInto(out, in, a); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildSplit(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	var splitAttr []int64
	if opset < 13 {
		if splitAttr, err = n.Ints("split", nil); err != nil {
			return nil, err
		}
	}
	numOut := int64(0)
	if opset >= 18 {
		if numOut, err = n.Int("num_outputs", 0); err != nil {
			return nil, err
		}
		if n.Has("num_outputs") && numOut != int64(len(n.Outputs)) {
			return nil, fmt.Errorf("node %s: num_outputs is %d but the node has %d outputs", n.Label(), numOut, len(n.Outputs))
		}
	}
	nOut := len(n.Outputs)
	if nOut == 0 {
		return nil, fmt.Errorf("node %s: Split has no outputs", n.Label())
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		a, err := tkAxis(n, "axis", axis, len(x.Shape), false, opset, 0)
		if err != nil {
			return nil, err
		}
		dim := x.Shape[a]
		split := splitAttr
		if opset >= 13 {
			if t := tkOptInput(in, 1); t != nil {
				if split, err = tkInts(n, t, "split"); err != nil {
					return nil, err
				}
				if numOut > 0 {
					return nil, fmt.Errorf("node %s: give either the split input or num_outputs, not both", n.Label())
				}
			}
		}
		sizes := make([]int, nOut)
		switch {
		case split != nil:
			if len(split) != nOut {
				return nil, fmt.Errorf("node %s: split %v has %d entries for %d outputs", n.Label(), split, len(split), nOut)
			}
			sum := 0
			for i, s := range split {
				if s < 0 || s > int64(dim) {
					return nil, fmt.Errorf("node %s: split size %d outside [0, %d] for axis %d of input %s", n.Label(), s, dim, a, ops.ShapeString(x.Shape))
				}
				sizes[i] = int(s)
				sum += int(s)
			}
			if sum != dim {
				return nil, fmt.Errorf("node %s: split %v sums to %d, axis %d of input %s has %d", n.Label(), split, sum, a, ops.ShapeString(x.Shape), dim)
			}
		case numOut > 0:
			chunk := (dim + nOut - 1) / nOut
			last := dim - chunk*(nOut-1)
			if last < 0 {
				return nil, fmt.Errorf("node %s: cannot split axis %d of size %d into %d chunks of %d", n.Label(), a, dim, nOut, chunk)
			}
			for i := range sizes {
				sizes[i] = chunk
			}
			sizes[nOut-1] = last
		default:
			if dim%nOut != 0 {
				return nil, fmt.Errorf("node %s: axis %d of input %s (size %d) does not split evenly into %d outputs", n.Label(), a, ops.ShapeString(x.Shape), dim, nOut)
			}
			for i := range sizes {
				sizes[i] = dim / nOut
			}
		}
		outs := make([]*ops.Tensor, nOut)
		if ops.NumElements(x.Shape[:a]) == 1 {
			// Each piece is a contiguous run of the input: return views.
			inner, off := ops.NumElements(x.Shape[a+1:]), 0
			for i, s := range sizes {
				shape := append([]int(nil), x.Shape...)
				shape[a] = s
				outs[i] = tkSubView(x, off, shape)
				off += s * inner
			}
			return outs, nil
		}
		for i, s := range sizes {
			shape := append([]int(nil), x.Shape...)
			shape[a] = s
			outs[i] = env.New(x.DType, shape...)
		}
		if err := ops.SplitInto(outs, x, a); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return outs, nil
	}, nil
}

func buildSlice(n *graph.Node, opset int64) (operators.Kernel, error) {
	var aStarts, aEnds, aAxes []int64
	if opset < 10 {
		var err error
		if aStarts, err = n.Ints("starts", nil); err != nil {
			return nil, err
		}
		if aEnds, err = n.Ints("ends", nil); err != nil {
			return nil, err
		}
		if aAxes, err = n.Ints("axes", nil); err != nil {
			return nil, err
		}
		if aStarts == nil || aEnds == nil {
			return nil, fmt.Errorf("node %s: Slice needs the starts and ends attributes before opset 10", n.Label())
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		starts, ends, axes, steps := aStarts, aEnds, aAxes, []int64(nil)
		if opset >= 10 {
			var ts, te *ops.Tensor
			if ts, err = tkInput(n, in, 1, "starts"); err != nil {
				return nil, err
			}
			if te, err = tkInput(n, in, 2, "ends"); err != nil {
				return nil, err
			}
			if starts, err = tkInts(n, ts, "starts"); err != nil {
				return nil, err
			}
			if ends, err = tkInts(n, te, "ends"); err != nil {
				return nil, err
			}
			if t := tkOptInput(in, 3); t != nil {
				if axes, err = tkInts(n, t, "axes"); err != nil {
					return nil, err
				}
			}
			if t := tkOptInput(in, 4); t != nil {
				if steps, err = tkInts(n, t, "steps"); err != nil {
					return nil, err
				}
			}
		}
		st, step, shape, err := SliceWindow(x.Shape, starts, ends, axes, steps)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		if lo, ok := tkContiguousWindow(x.Shape, st, step, shape); ok {
			return []*ops.Tensor{tkSubView(x, lo, shape)}, nil
		}
		out := env.New(x.DType, shape...)
		if err := ops.SliceInto(out, x, st, step); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// tkContiguousWindow reports whether the strided window (start, step,
// count per axis) of a row-major array of the given shape is one
// contiguous run of elements, and where it begins: leading axes take one
// element, then one axis takes consecutive elements, and the axes after it
// are taken whole.
func tkContiguousWindow(shape, start, step, count []int) (int, bool) {
	if ops.NumElements(count) == 0 {
		return 0, false
	}
	k := 0
	for k < len(shape) && count[k] == 1 {
		k++
	}
	if k < len(shape) && step[k] != 1 {
		return 0, false
	}
	for a := k + 1; a < len(shape); a++ {
		if start[a] != 0 || step[a] != 1 || count[a] != shape[a] {
			return 0, false
		}
	}
	lo, st := 0, ops.Strides(shape)
	for a := range shape {
		lo += start[a] * st[a]
	}
	return lo, true
}

// tkSubView returns the tensor of the given shape whose elements are t's
// from offset lo on, sharing t's data.
func tkSubView(t *ops.Tensor, lo int, shape []int) *ops.Tensor {
	hi := lo + ops.NumElements(shape)
	var d any
	switch s := t.Data.(type) {
	case []float32:
		d = s[lo:hi:hi]
	case []float64:
		d = s[lo:hi:hi]
	case []uint16:
		d = s[lo:hi:hi]
	case []int64:
		d = s[lo:hi:hi]
	case []int32:
		d = s[lo:hi:hi]
	case []int8:
		d = s[lo:hi:hi]
	case []uint8:
		d = s[lo:hi:hi]
	case []bool:
		d = s[lo:hi:hi]
	}
	return &ops.Tensor{DType: t.DType, Shape: shape, Data: d}
}

// SliceWindow resolves ONNX Slice parameters against an input shape into a
// start, a step and an element count per axis. axes defaults to 0..len-1
// and may be negative; steps defaults to 1 and may be negative but not 0.
// Starts and ends are made non-negative by adding the dimension, then
// clamped to [0, dim] ([0, dim-1] for start and [-1, dim-1] for end when
// stepping backwards), so INT64_MAX/INT64_MIN work as "to the end". As in
// ONNX Runtime, an end of INT32_MAX or INT64_MAX with a negative step also
// means "to the beginning".
func SliceWindow(shape []int, starts, ends, axes, steps []int64) (start, step, count []int, err error) {
	r := len(shape)
	if len(ends) != len(starts) {
		return nil, nil, nil, fmt.Errorf("slice %s: %d starts but %d ends", ops.ShapeString(shape), len(starts), len(ends))
	}
	if axes != nil && len(axes) != len(starts) {
		return nil, nil, nil, fmt.Errorf("slice %s: %d starts but %d axes", ops.ShapeString(shape), len(starts), len(axes))
	}
	if steps != nil && len(steps) != len(starts) {
		return nil, nil, nil, fmt.Errorf("slice %s: %d starts but %d steps", ops.ShapeString(shape), len(starts), len(steps))
	}
	start, step, count = make([]int, r), make([]int, r), append([]int(nil), shape...)
	for i := range step {
		step[i] = 1
	}
	seen := make([]bool, r)
	for i := range starts {
		a := int64(i)
		if axes != nil {
			a = axes[i]
		}
		if a < -int64(r) || a >= int64(r) {
			return nil, nil, nil, fmt.Errorf("slice %s: axis %d out of range for rank %d", ops.ShapeString(shape), a, r)
		}
		if a < 0 {
			a += int64(r)
		}
		if seen[a] {
			return nil, nil, nil, fmt.Errorf("slice %s: axis %d given twice", ops.ShapeString(shape), a)
		}
		seen[a] = true
		s := int64(1)
		if steps != nil {
			s = steps[i]
		}
		if s == 0 {
			return nil, nil, nil, fmt.Errorf("slice %s: step 0 on axis %d", ops.ShapeString(shape), a)
		}
		dim := int64(shape[a])
		b, e := starts[i], ends[i]
		if b < 0 {
			b += dim
		}
		if e < 0 {
			e += dim
		}
		// Like ONNX Runtime, read an INT_MAX end as "run off the end in
		// the step's direction" even when stepping backwards, where the
		// spec's clamping alone would give an empty slice.
		if ends[i] == math.MaxInt64 || ends[i] == math.MaxInt32 {
			if s < 0 {
				e = -1
			}
		}
		// A step longer than the axis reads one element at most; capping it
		// keeps the count arithmetic below from overflowing.
		if lim := max(dim, 1); s > lim {
			s = lim
		} else if s < -lim {
			s = -lim
		}
		var cnt int64
		if s > 0 {
			b = min(max(b, 0), dim)
			e = min(max(e, 0), dim)
			if e > b {
				cnt = (e - b + s - 1) / s
			}
		} else {
			b = min(max(b, 0), dim-1)
			e = min(max(e, -1), dim-1)
			if b > e {
				cnt = (b - e + (-s) - 1) / (-s)
			}
		}
		if cnt == 0 {
			b = 0
		}
		start[a], step[a], count[a] = int(b), int(s), int(cnt)
	}
	return start, step, count, nil
}

func buildGather(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := tkInputs(n, in, "data", "indices")
		if err != nil {
			return nil, err
		}
		x, it := ins[0], ins[1]
		if len(x.Shape) == 0 {
			return nil, fmt.Errorf("node %s: data must have rank ≥ 1, got a scalar", n.Label())
		}
		a, err := tkAxis(n, "axis", axis, len(x.Shape), false, opset, 0)
		if err != nil {
			return nil, err
		}
		dim := x.Shape[a]
		idx := make([]int, it.Len())
		switch d := it.Data.(type) {
		case []int64:
			for i, v := range d {
				if v < -int64(dim) || v >= int64(dim) {
					return nil, fmt.Errorf("node %s: index %d at position %d out of range [%d, %d) for axis %d of data %s", n.Label(), v, i, -dim, dim, a, ops.ShapeString(x.Shape))
				}
				if v < 0 {
					v += int64(dim)
				}
				idx[i] = int(v)
			}
		case []int32:
			for i, v := range d {
				if int(v) < -dim || int(v) >= dim {
					return nil, fmt.Errorf("node %s: index %d at position %d out of range [%d, %d) for axis %d of data %s", n.Label(), v, i, -dim, dim, a, ops.ShapeString(x.Shape))
				}
				if v < 0 {
					v += int32(dim)
				}
				idx[i] = int(v)
			}
		default:
			return nil, fmt.Errorf("node %s: indices must be int64 or int32, got %v", n.Label(), it.DType)
		}
		out := env.New(x.DType, ops.GatherShape(x.Shape, it.Shape, a)...)
		if err := ops.GatherInto(out, x, a, idx); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildTile(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := tkInputs(n, in, "input", "repeats")
		if err != nil {
			return nil, err
		}
		x, rt := ins[0], ins[1]
		reps, err := tkInt64List(n, rt, "repeats")
		if err != nil {
			return nil, err
		}
		r := make([]int, len(reps))
		for i, v := range reps {
			if r[i], err = tkDim(n, v, "repeat"); err != nil {
				return nil, err
			}
		}
		shape, err := ops.TileShape(x.Shape, r)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		if err := tkCheckSize(n, "output", shape); err != nil {
			return nil, err
		}
		out := env.New(x.DType, shape...)
		if err := ops.TileInto(out, x); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildExpand(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := tkInputs(n, in, "input", "shape")
		if err != nil {
			return nil, err
		}
		x, st := ins[0], ins[1]
		spec, err := tkInt64List(n, st, "shape")
		if err != nil {
			return nil, err
		}
		want := make([]int, len(spec))
		for i, v := range spec {
			if want[i], err = tkDim(n, v, "shape entry"); err != nil {
				return nil, err
			}
		}
		shape, err := ops.BroadcastShape(x.Shape, want)
		if err != nil {
			return nil, fmt.Errorf("node %s: expand: %w", n.Label(), err)
		}
		if err := tkCheckSize(n, "output", shape); err != nil {
			return nil, err
		}
		if ops.SameShape(shape, x.Shape) {
			return []*ops.Tensor{tkView(x, shape)}, nil
		}
		out := env.New(x.DType, shape...)
		if err := ops.ExpandInto(out, x); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
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
		st, err := tkInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		spec, err := tkInt64List(n, st, "shape")
		if err != nil {
			return nil, err
		}
		shape, err := tkShapeOf(n, spec)
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

func buildConstant(n *graph.Node, opset int64) (operators.Kernel, error) {
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
	var val *ops.Tensor
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
		val = t
	case "value_float":
		f, err := n.Float(kind, 0)
		if err != nil {
			return nil, err
		}
		val = ops.Scalar(f)
	case "value_floats":
		fs, err := n.Floats(kind, nil)
		if err != nil {
			return nil, err
		}
		val = ops.FromFloat32([]int{len(fs)}, append([]float32{}, fs...))
	case "value_int":
		i, err := n.Int(kind, 0)
		if err != nil {
			return nil, err
		}
		val = ops.FromInt64([]int{}, []int64{i})
	case "value_ints":
		is, err := n.Ints(kind, nil)
		if err != nil {
			return nil, err
		}
		val = ops.FromInt64([]int{len(is)}, append([]int64{}, is...))
	default:
		return nil, fmt.Errorf("node %s: Constant attribute %s is not supported (latent has no string or sparse tensors)", n.Label(), kind)
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
			t, err := tkInput(n, in, i, name)
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
			return tkRangeFloat(env, n, ts[0].F32()[0], ts[1].F32()[0], ts[2].F32()[0])
		case ops.Float64:
			return tkRangeFloat(env, n, ts[0].F64()[0], ts[1].F64()[0], ts[2].F64()[0])
		case ops.Int32:
			return tkRangeInt(env, n, ts[0].I32()[0], ts[1].I32()[0], ts[2].I32()[0])
		case ops.Int64:
			return tkRangeInt(env, n, ts[0].I64()[0], ts[1].I64()[0], ts[2].I64()[0])
		}
		return nil, fmt.Errorf("node %s: Range of %v is not supported (float32, float64, int32, int64)", n.Label(), ts[0].DType)
	}, nil
}

// tkRangeMax bounds a Range output so a bad delta gives an error, not an
// out-of-memory crash.
const tkRangeMax = 1 << 31

func tkRangeFloat[T float32 | float64](env *operators.Env, n *graph.Node, start, limit, delta T) ([]*ops.Tensor, error) {
	if delta == 0 || math.IsNaN(float64(delta)) || math.IsNaN(float64(start)) || math.IsNaN(float64(limit)) {
		return nil, fmt.Errorf("node %s: Range with start %v, limit %v, delta %v", n.Label(), start, limit, delta)
	}
	// The count and the values follow the spec's function body (and ONNX
	// Runtime): the difference is taken in T, and each value is the previous
	// one plus delta, accumulated in T.
	c := math.Ceil(float64(limit-start) / float64(delta))
	if c > tkRangeMax {
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

func tkRangeInt[T int32 | int64](env *operators.Env, n *graph.Node, start, limit, delta T) ([]*ops.Tensor, error) {
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
	if c > tkRangeMax {
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
