package kernels

// Sub-blocks of tensors: Slice, Split and Concat. Slices and splits along
// the outer axes are views of their input (same Data).

import (
	"errors"
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Concat", Infer: inferConcat, Build: buildConcat}, 1, 4, 11, 13)
	operators.Register(operators.Op{Type: "Split", Infer: inferSplit, Build: buildSplit}, 2, 11, 13, 18)
	operators.Register(operators.Op{Type: "Slice", Infer: inferSlice, Build: buildSlice}, 1, 10, 11, 13)
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
			if _, err := requiredInput(n, in, i, fmt.Sprintf("inputs[%d]", i)); err != nil {
				return nil, err
			}
		}
		a, err := resolveAxis(n, axis, len(in[0].Shape))
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
			return []*ops.Tensor{viewAs(in[0], shape)}, nil
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
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		a, err := resolveAxis(n, axis, len(x.Shape))
		if err != nil {
			return nil, err
		}
		dim := x.Shape[a]
		split := splitAttr
		if opset >= 13 {
			if t := optionalInput(in, 1); t != nil {
				if split, err = intListInput(n, t, "split"); err != nil {
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
				outs[i] = subView(x, off, shape)
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
		x, err := requiredInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		starts, ends, axes, steps := aStarts, aEnds, aAxes, []int64(nil)
		if opset >= 10 {
			var ts, te *ops.Tensor
			if ts, err = requiredInput(n, in, 1, "starts"); err != nil {
				return nil, err
			}
			if te, err = requiredInput(n, in, 2, "ends"); err != nil {
				return nil, err
			}
			if starts, err = intListInput(n, ts, "starts"); err != nil {
				return nil, err
			}
			if ends, err = intListInput(n, te, "ends"); err != nil {
				return nil, err
			}
			if t := optionalInput(in, 3); t != nil {
				if axes, err = intListInput(n, t, "axes"); err != nil {
					return nil, err
				}
			}
			if t := optionalInput(in, 4); t != nil {
				if steps, err = intListInput(n, t, "steps"); err != nil {
					return nil, err
				}
			}
		}
		st, step, shape, err := SliceWindow(x.Shape, starts, ends, axes, steps)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		if lo, ok := contiguousWindow(x.Shape, st, step, shape); ok {
			return []*ops.Tensor{subView(x, lo, shape)}, nil
		}
		out := env.New(x.DType, shape...)
		if err := ops.SliceInto(out, x, st, step); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// contiguousWindow reports whether the strided window (start, step,
// count per axis) of a row-major array of the given shape is one
// contiguous run of elements, and where it begins: leading axes take one
// element, then one axis takes consecutive elements, and the axes after it
// are taken whole.
func contiguousWindow(shape, start, step, count []int) (int, bool) {
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

// subView returns the tensor of the given shape whose elements are t's
// from offset lo on, sharing t's data.
func subView(t *ops.Tensor, lo int, shape []int) *ops.Tensor {
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
	case []int16:
		d = s[lo:hi:hi]
	case []uint32:
		d = s[lo:hi:hi]
	case []uint64:
		d = s[lo:hi:hi]
	case []string:
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

func inferConcat(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if err := sameElemType(in); err != nil {
		return nil, err
	}
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	if !n.Has("axis") && c.Opset() >= 4 {
		return nil, errors.New(`attribute "axis" is required`)
	}
	concatSym(c, n)
	var out graph.Shape
	for i, v := range in {
		if !operators.RankKnown(v) {
			return one(graph.ValueInfo{DType: in[0].DType}), nil
		}
		if i == 0 {
			out = append(graph.Shape(nil), v.Shape...)
			if len(out) == 0 {
				return nil, errors.New("cannot concatenate scalars")
			}
			a, err := resolveAxis(n, axis, len(out))
			if err != nil {
				return nil, err
			}
			axis = int64(a)
			continue
		}
		if len(v.Shape) != len(out) {
			return nil, fmt.Errorf("input %d %s has rank %d, input 0 has rank %d", i, v.Shape, len(v.Shape), len(out))
		}
		for k := range out {
			if k == int(axis) {
				if out[k].Known() && v.Shape[k].Known() {
					out[k] = operators.KnownDim(out[k].Value + v.Shape[k].Value)
				} else {
					out[k] = operators.UnknownDim
				}
				continue
			}
			d, err := operators.MergeDim(out[k], v.Shape[k])
			if err != nil {
				return nil, fmt.Errorf("input %d %s differs from the others on axis %d: %w", i, v.Shape, k, err)
			}
			out[k] = d
		}
	}
	return one(ranked(in[0].DType, out)), nil
}

func concatSym(c *operators.InferContext, n *graph.Node) {
	if len(n.Outputs) == 0 {
		return
	}
	var out []operators.SymInt
	for _, name := range n.Inputs {
		v, ok := c.Values(name)
		if !ok {
			return
		}
		out = append(out, v...)
	}
	c.SetValues(n.Outputs[0], out)
}

func inferSlice(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	var starts, ends, axes, steps []int64
	ok := true
	if c.Opset() < 10 {
		var err error
		if starts, err = n.Ints("starts", nil); err != nil {
			return nil, err
		}
		if ends, err = n.Ints("ends", nil); err != nil {
			return nil, err
		}
		if axes, err = n.Ints("axes", nil); err != nil {
			return nil, err
		}
	} else {
		// An absent optional input is nil; a present one must be constant.
		lit := func(i int) []int64 {
			if i >= len(n.Inputs) || n.Inputs[i] == "" {
				return nil
			}
			v, found := c.Ints(n, i)
			ok = ok && found
			return v
		}
		starts, ends, axes, steps = lit(1), lit(2), lit(3), lit(4)
	}
	if !ok || starts == nil || ends == nil {
		return one(rankOnly(x.DType, int64(r))), nil
	}
	if len(starts) != len(ends) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		return nil, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	out := append(graph.Shape(nil), x.Shape...)
	type span struct{ start, end, step int64 }
	spans := make(map[int]span, len(starts))
	for i := range starts {
		ax := int64(i)
		if axes != nil {
			ax = axes[i]
		}
		k, err := resolveAxis(n, ax, r)
		if err != nil {
			return nil, err
		}
		if _, dup := spans[k]; dup {
			return nil, fmt.Errorf("axis %d is sliced twice", k)
		}
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return nil, errors.New("slice step is 0")
		}
		spans[k] = span{starts[i], ends[i], step}
		d := x.Shape[k]
		if !d.Known() {
			if step == 1 && starts[i] == 0 && ends[i] >= math.MaxInt32 {
				continue // the whole axis: keeps its symbol
			}
			out[k] = operators.UnknownDim
			continue
		}
		out[k] = operators.KnownDim(sliceLen(d.Value, starts[i], ends[i], step))
	}
	if vals, found := c.Values(n.Inputs[0]); found && r == 1 && len(n.Outputs) > 0 {
		if sp, ok := spans[0]; ok {
			l := int64(len(vals))
			s, _ := sliceBounds(l, sp.start, sp.end, sp.step)
			count := sliceLen(l, sp.start, sp.end, sp.step)
			picked := make([]operators.SymInt, 0, count)
			for k := int64(0); k < count; k++ {
				// k*step stays within [-l, l]: count bounds it.
				picked = append(picked, vals[s+k*sp.step])
			}
			c.SetValues(n.Outputs[0], picked)
		} else {
			c.SetValues(n.Outputs[0], vals)
		}
	}
	return one(ranked(x.DType, out)), nil
}

// sliceBounds clamps start and end as ONNX Slice does for an axis of size d.
func sliceBounds(d, start, end, step int64) (int64, int64) {
	if start < 0 {
		start += d
	}
	if end < 0 {
		end += d
	}
	if step > 0 {
		start = min(max(start, 0), d)
		end = min(max(end, 0), d)
	} else {
		start = min(max(start, 0), d-1)
		end = min(max(end, -1), d-1)
	}
	return start, end
}

// sliceLen is the number of elements Slice takes from an axis of size d;
// it cannot overflow for any int64 start, end and non-zero step.
func sliceLen(d, start, end, step int64) int64 {
	s, e := sliceBounds(d, start, end, step)
	if step > 0 {
		if e <= s {
			return 0
		}
		return 1 + (e-s-1)/step
	}
	if e >= s {
		return 0
	}
	if step == math.MinInt64 {
		return 1
	}
	return 1 + (s-e-1)/(-step)
}

func inferSplit(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	k := len(n.Outputs)
	unknown := make([]graph.ValueInfo, k)
	for i := range unknown {
		unknown[i] = graph.ValueInfo{DType: x.DType}
	}
	if !operators.RankKnown(x) || k == 0 {
		return unknown, nil
	}
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	a, err := resolveAxis(n, axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	var split []int64
	if c.Opset() < 13 {
		if split, err = n.Ints("split", nil); err != nil {
			return nil, err
		}
	} else if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		var ok bool
		if split, ok = c.Ints(n, 1); !ok {
			return unknown, nil
		}
	}
	d := x.Shape[a]
	if split == nil {
		// Equal parts; from opset 18 the last part may be smaller.
		if !d.Known() {
			return unknown, nil
		}
		size := (d.Value + int64(k) - 1) / int64(k)
		if c.Opset() < 18 && d.Value%int64(k) != 0 {
			return nil, fmt.Errorf("axis %d of size %d does not split into %d equal parts", a, d.Value, k)
		}
		rest := d.Value
		for i := 0; i < k; i++ {
			split = append(split, min(size, rest))
			rest -= min(size, rest)
		}
	}
	if len(split) != k {
		return nil, fmt.Errorf("split %v has %d parts for %d outputs", split, len(split), k)
	}
	total := int64(0)
	for _, s := range split {
		if s < 0 {
			return nil, fmt.Errorf("split %v has a negative part", split)
		}
		total += s
	}
	if d.Known() && total != d.Value {
		return nil, fmt.Errorf("split %v sums to %d, axis %d has size %d", split, total, a, d.Value)
	}
	out := make([]graph.ValueInfo, k)
	for i, s := range split {
		sh := append(graph.Shape(nil), x.Shape...)
		sh[a] = operators.KnownDim(s)
		out[i] = ranked(x.DType, sh)
	}
	return out, nil
}
