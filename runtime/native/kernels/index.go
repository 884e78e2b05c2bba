package kernels

// Index-driven data movement: Gather, GatherElements, ScatterElements (and
// the deprecated Scatter), GatherND, ScatterND, Compress, NonZero and
// TensorScatter (the KV-cache update), for every element type ops.Tensor
// holds (scatter reductions: numeric types only).

import (
	"errors"
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "NonZero", Infer: inferNonZero, Build: buildNonZero}, 9, 13)
	operators.Register(operators.Op{Type: "TensorScatter", Infer: inferSame, Build: buildTensorScatter}, 24)
	operators.Register(operators.Op{Type: "GatherElements", Infer: inferGatherElements, Build: buildGatherElements}, 11, 13)
	operators.Register(operators.Op{Type: "ScatterElements", Infer: inferSame, Build: buildScatterElements}, 11, 13, 16, 18)
	operators.Register(operators.Op{Type: "Scatter", Infer: inferSame, Build: buildScatterElements}, 9)
	operators.Register(operators.Op{Type: "GatherND", Infer: inferGatherND, Build: buildGatherND}, 11, 12, 13)
	operators.Register(operators.Op{Type: "ScatterND", Infer: inferSame, Build: buildScatterND}, 11, 13, 16, 18)
	operators.Register(operators.Op{Type: "Compress", Infer: inferCompress, Build: buildCompress}, 9, 11)
	operators.Register(operators.Op{Type: "Gather", Infer: inferGather, Build: buildGather}, 1, 11, 13)
}

// readIndices reads an int32/int64 index tensor, adding dim to negative
// values and rejecting values outside [-dim, dim).
func readIndices(n *graph.Node, t *ops.Tensor, name string, dim int) ([]int, error) {
	idx := make([]int, t.Len())
	bad := func(i int, v int64) error {
		return fmt.Errorf("node %s: %s value %d at position %d out of range [%d, %d)", n.Label(), name, v, i, -dim, dim)
	}
	switch d := t.Data.(type) {
	case []int64:
		for i, v := range d {
			if v < -int64(dim) || v >= int64(dim) {
				return nil, bad(i, v)
			}
			if v < 0 {
				v += int64(dim)
			}
			idx[i] = int(v)
		}
	case []int32:
		for i, v := range d {
			if int64(v) < -int64(dim) || int64(v) >= int64(dim) {
				return nil, bad(i, int64(v))
			}
			if v < 0 {
				v += int32(dim)
			}
			idx[i] = int(v)
		}
	default:
		return nil, fmt.Errorf("node %s: %s must be int64 or int32, got %v", n.Label(), name, t.DType)
	}
	return idx, nil
}

// checkElementsShapes checks the shapes of GatherElements/ScatterElements: the
// indices have data's rank and, off the axis, no larger dims.
func checkElementsShapes(n *graph.Node, data, ind *ops.Tensor, axis int64, opset int64) (int, error) {
	r := len(data.Shape)
	if r == 0 {
		return 0, fmt.Errorf("node %s: data must have rank ≥ 1, got a scalar", n.Label())
	}
	a, err := resolveAxis(n, axis, r)
	if err != nil {
		return 0, err
	}
	if len(ind.Shape) != r {
		return 0, fmt.Errorf("node %s: indices shape %s must have the rank of data %s", n.Label(), ops.ShapeString(ind.Shape), ops.ShapeString(data.Shape))
	}
	for i := range ind.Shape {
		if i != a && ind.Shape[i] > data.Shape[i] {
			return 0, fmt.Errorf("node %s: indices shape %s exceeds data shape %s on axis %d", n.Label(), ops.ShapeString(ind.Shape), ops.ShapeString(data.Shape), i)
		}
	}
	return a, nil
}

func buildGatherElements(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "data", "indices")
		if err != nil {
			return nil, err
		}
		x, it := ins[0], ins[1]
		a, err := checkElementsShapes(n, x, it, axis, opset)
		if err != nil {
			return nil, err
		}
		idx, err := readIndices(n, it, "indices", x.Shape[a])
		if err != nil {
			return nil, err
		}
		out := env.New(x.DType, it.Shape...)
		if out.Len() == 0 {
			return []*ops.Tensor{out}, nil
		}
		switch s := ops.Words(x.Data).(type) {
		case []uint8:
			ops.GatherElements(ops.Words(out.Data).([]uint8), s, x.Shape, it.Shape, a, idx)
		case []uint16:
			ops.GatherElements(ops.Words(out.Data).([]uint16), s, x.Shape, it.Shape, a, idx)
		case []uint32:
			ops.GatherElements(ops.Words(out.Data).([]uint32), s, x.Shape, it.Shape, a, idx)
		case []uint64:
			ops.GatherElements(ops.Words(out.Data).([]uint64), s, x.Shape, it.Shape, a, idx)
		case []string:
			ops.GatherElements(ops.Words(out.Data).([]string), s, x.Shape, it.Shape, a, idx)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// scatterReduction reads the reduction attribute of ScatterElements/ScatterND:
// "none" always, "add"/"mul" from opset 16, "max"/"min" from 18.
func scatterReduction(n *graph.Node, opset int64) (string, error) {
	if opset < 16 {
		return "none", nil
	}
	red, err := n.String("reduction", "none")
	if err != nil {
		return "", err
	}
	switch {
	case red == "none", red == "add" || red == "mul":
	case (red == "max" || red == "min") && opset >= 18:
	default:
		return "", fmt.Errorf("node %s: reduction %q is not defined at opset %d", n.Label(), red, opset)
	}
	return red, nil
}

type number interface {
	~float32 | ~float64 | ~int64 | ~int32 | ~int8 | ~uint8
}

// combinerOf returns the element combiner of a scatter reduction (nil for
// "none").
func combinerOf[T number](red string) func(a, b T) T {
	switch red {
	case "add":
		return func(a, b T) T { return a + b }
	case "mul":
		return func(a, b T) T { return a * b }
	case "max":
		return func(a, b T) T { return max(a, b) }
	case "min":
		return func(a, b T) T { return min(a, b) }
	}
	return nil
}

// combineHalf is combinerOf for float16 bits, computing in float32.
func combineHalf(red string) func(a, b uint16) uint16 {
	f := combinerOf[float32](red)
	if f == nil {
		return nil
	}
	return func(a, b uint16) uint16 {
		return ops.Float32ToFloat16(f(ops.Float16ToFloat32(a), ops.Float16ToFloat32(b)))
	}
}

// scatterInputs returns the data, indices and updates inputs of a
// scatter, checking that updates match data's type and that a reduction
// other than none has numeric data.
func scatterInputs(n *graph.Node, in []*ops.Tensor, red string) (x, it, upd *ops.Tensor, err error) {
	ins, err := requiredInputs(n, in, "data", "indices", "updates")
	if err != nil {
		return nil, nil, nil, err
	}
	x, it, upd = ins[0], ins[1], ins[2]
	if upd.DType != x.DType {
		return nil, nil, nil, fmt.Errorf("node %s: updates are %v, data is %v", n.Label(), upd.DType, x.DType)
	}
	if x.DType == ops.Bool && red != "none" {
		return nil, nil, nil, fmt.Errorf("node %s: reduction %q needs numeric data, got bool", n.Label(), red)
	}
	return x, it, upd, nil
}

func buildScatterElements(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	red, err := scatterReduction(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, it, upd, err := scatterInputs(n, in, red)
		if err != nil {
			return nil, err
		}
		if !ops.SameShape(upd.Shape, it.Shape) {
			return nil, fmt.Errorf("node %s: updates shape %s differs from indices shape %s", n.Label(), ops.ShapeString(upd.Shape), ops.ShapeString(it.Shape))
		}
		a, err := checkElementsShapes(n, x, it, axis, opset)
		if err != nil {
			return nil, err
		}
		idx, err := readIndices(n, it, "indices", x.Shape[a])
		if err != nil {
			return nil, err
		}
		out := env.New(x.DType, x.Shape...)
		ops.CopyData(out.Data, x.Data)
		if it.Len() == 0 {
			return []*ops.Tensor{out}, nil
		}
		ds, us := x.Shape, it.Shape
		switch d := out.Data.(type) {
		case []float32:
			ops.ScatterElements(d, upd.F32(), ds, us, a, idx, combinerOf[float32](red))
		case []float64:
			ops.ScatterElements(d, upd.F64(), ds, us, a, idx, combinerOf[float64](red))
		case []uint16:
			ops.ScatterElements(d, upd.F16(), ds, us, a, idx, combineHalf(red))
		case []int64:
			ops.ScatterElements(d, upd.I64(), ds, us, a, idx, combinerOf[int64](red))
		case []int32:
			ops.ScatterElements(d, upd.I32(), ds, us, a, idx, combinerOf[int32](red))
		case []int8:
			ops.ScatterElements(d, upd.I8(), ds, us, a, idx, combinerOf[int8](red))
		case []uint8:
			ops.ScatterElements(d, upd.U8(), ds, us, a, idx, combinerOf[uint8](red))
		case []bool:
			ops.ScatterElements(d, upd.B(), ds, us, a, idx, nil)
		case []int16:
			ops.ScatterElements(d, upd.I16(), ds, us, a, idx, nil)
		case []uint32:
			ops.ScatterElements(d, upd.U32(), ds, us, a, idx, nil)
		case []uint64:
			ops.ScatterElements(d, upd.U64(), ds, us, a, idx, nil)
		case []string:
			ops.ScatterElements(d, upd.Str(), ds, us, a, idx, nil)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// gatherNDOffsets turns the index tuples of GatherND/ScatterND into element
// offsets in data. ind has shape batch ++ I ++ [q]; data has shape
// batch ++ D with q ≤ len(D). It returns one offset per (batch, tuple) and
// the block size prod(D[q:]).
func gatherNDOffsets(n *graph.Node, data, ind *ops.Tensor, batch int) (offs []int, blk int, err error) {
	ir, dr := len(ind.Shape), len(data.Shape)
	if ir < 1 {
		return nil, 0, fmt.Errorf("node %s: indices must have rank ≥ 1", n.Label())
	}
	q := ind.Shape[ir-1]
	if batch+q > dr || batch >= ir {
		return nil, 0, fmt.Errorf("node %s: indices %s with batch_dims %d do not fit data %s", n.Label(), ops.ShapeString(ind.Shape), batch, ops.ShapeString(data.Shape))
	}
	for i := 0; i < batch; i++ {
		if ind.Shape[i] != data.Shape[i] {
			return nil, 0, fmt.Errorf("node %s: batch dim %d of indices %s differs from data %s", n.Label(), i, ops.ShapeString(ind.Shape), ops.ShapeString(data.Shape))
		}
	}
	raw := make([]int64, ind.Len())
	switch d := ind.Data.(type) {
	case []int64:
		copy(raw, d)
	case []int32:
		for i, v := range d {
			raw[i] = int64(v)
		}
	default:
		return nil, 0, fmt.Errorf("node %s: indices must be int64 or int32, got %v", n.Label(), ind.DType)
	}
	ds := ops.Strides(data.Shape)
	nb := ops.NumElements(data.Shape[:batch])
	batchStride := ops.NumElements(data.Shape[batch:])
	blk = ops.NumElements(data.Shape[batch+q:])
	tuples := 0
	if q > 0 {
		tuples = len(raw) / q
	} else {
		tuples = ops.NumElements(ind.Shape[:ir-1])
	}
	perBatch := 0
	if nb > 0 {
		perBatch = tuples / nb
	}
	offs = make([]int, tuples)
	for t := range offs {
		off := (t / max(perBatch, 1)) * batchStride
		for k := 0; k < q; k++ {
			v, dim := raw[t*q+k], int64(data.Shape[batch+k])
			if v < -dim || v >= dim {
				return nil, 0, fmt.Errorf("node %s: index %d for axis %d of data %s out of range [%d, %d)", n.Label(), v, batch+k, ops.ShapeString(data.Shape), -dim, dim)
			}
			if v < 0 {
				v += dim
			}
			off += int(v) * ds[batch+k]
		}
		offs[t] = off
	}
	return offs, blk, nil
}

func buildGatherND(n *graph.Node, opset int64) (operators.Kernel, error) {
	batch := int64(0)
	if opset >= 12 {
		var err error
		if batch, err = n.Int("batch_dims", 0); err != nil {
			return nil, err
		}
		if batch < 0 {
			return nil, fmt.Errorf("node %s: negative batch_dims %d", n.Label(), batch)
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "data", "indices")
		if err != nil {
			return nil, err
		}
		x, it := ins[0], ins[1]
		offs, blk, err := gatherNDOffsets(n, x, it, int(batch))
		if err != nil {
			return nil, err
		}
		q := it.Shape[len(it.Shape)-1]
		shape := append(append([]int{}, it.Shape[:len(it.Shape)-1]...), x.Shape[int(batch)+q:]...)
		out := env.New(x.DType, shape...)
		if out.Len() == 0 {
			return []*ops.Tensor{out}, nil
		}
		switch s := ops.Words(x.Data).(type) {
		case []uint8:
			ops.GatherBlocks(ops.Words(out.Data).([]uint8), s, offs, blk)
		case []uint16:
			ops.GatherBlocks(ops.Words(out.Data).([]uint16), s, offs, blk)
		case []uint32:
			ops.GatherBlocks(ops.Words(out.Data).([]uint32), s, offs, blk)
		case []uint64:
			ops.GatherBlocks(ops.Words(out.Data).([]uint64), s, offs, blk)
		case []string:
			ops.GatherBlocks(ops.Words(out.Data).([]string), s, offs, blk)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildScatterND(n *graph.Node, opset int64) (operators.Kernel, error) {
	red, err := scatterReduction(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, it, upd, err := scatterInputs(n, in, red)
		if err != nil {
			return nil, err
		}
		offs, blk, err := gatherNDOffsets(n, x, it, 0)
		if err != nil {
			return nil, err
		}
		q := it.Shape[len(it.Shape)-1]
		want := append(append([]int{}, it.Shape[:len(it.Shape)-1]...), x.Shape[q:]...)
		if !ops.SameShape(upd.Shape, want) {
			return nil, fmt.Errorf("node %s: updates shape %s, want %s for indices %s and data %s", n.Label(), ops.ShapeString(upd.Shape), ops.ShapeString(want), ops.ShapeString(it.Shape), ops.ShapeString(x.Shape))
		}
		out := env.New(x.DType, x.Shape...)
		ops.CopyData(out.Data, x.Data)
		switch d := out.Data.(type) {
		case []float32:
			ops.ScatterBlocks(d, upd.F32(), offs, blk, combinerOf[float32](red))
		case []float64:
			ops.ScatterBlocks(d, upd.F64(), offs, blk, combinerOf[float64](red))
		case []uint16:
			ops.ScatterBlocks(d, upd.F16(), offs, blk, combineHalf(red))
		case []int64:
			ops.ScatterBlocks(d, upd.I64(), offs, blk, combinerOf[int64](red))
		case []int32:
			ops.ScatterBlocks(d, upd.I32(), offs, blk, combinerOf[int32](red))
		case []int8:
			ops.ScatterBlocks(d, upd.I8(), offs, blk, combinerOf[int8](red))
		case []uint8:
			ops.ScatterBlocks(d, upd.U8(), offs, blk, combinerOf[uint8](red))
		case []bool:
			ops.ScatterBlocks(d, upd.B(), offs, blk, nil)
		case []int16:
			ops.ScatterBlocks(d, upd.I16(), offs, blk, nil)
		case []uint32:
			ops.ScatterBlocks(d, upd.U32(), offs, blk, nil)
		case []uint64:
			ops.ScatterBlocks(d, upd.U64(), offs, blk, nil)
		case []string:
			ops.ScatterBlocks(d, upd.Str(), offs, blk, nil)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildCompress(n *graph.Node, opset int64) (operators.Kernel, error) {
	hasAxis := n.Has("axis")
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "input", "condition")
		if err != nil {
			return nil, err
		}
		x, ct := ins[0], ins[1]
		if ct.DType != ops.Bool || len(ct.Shape) != 1 {
			return nil, fmt.Errorf("node %s: condition must be a 1-D bool tensor, got %v", n.Label(), ct)
		}
		src, a := x, 0
		if hasAxis {
			if a, err = resolveAxis(n, axis, len(x.Shape)); err != nil {
				return nil, err
			}
		} else {
			src = viewAs(x, []int{x.Len()})
		}
		dim := src.Shape[a]
		cond := ct.B()
		if len(cond) > dim {
			// Entries past the axis select nothing (as in ONNX Runtime).
			cond = cond[:dim]
		}
		var idx []int
		for i, c := range cond {
			if c {
				idx = append(idx, i)
			}
		}
		shape := append([]int{}, src.Shape...)
		shape[a] = len(idx)
		out := env.New(x.DType, shape...)
		if err := ops.GatherInto(out, src, a, idx); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildGather(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "data", "indices")
		if err != nil {
			return nil, err
		}
		x, it := ins[0], ins[1]
		if len(x.Shape) == 0 {
			return nil, fmt.Errorf("node %s: data must have rank ≥ 1, got a scalar", n.Label())
		}
		a, err := resolveAxis(n, axis, len(x.Shape))
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

func inferGather(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	data, idx := in[0], in[1]
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	if !operators.RankKnown(data) || !operators.RankKnown(idx) {
		return one(graph.ValueInfo{DType: data.DType}), nil
	}
	r := len(data.Shape)
	if r == 0 {
		return nil, errors.New("cannot gather from a scalar")
	}
	a, err := resolveAxis(n, axis, r)
	if err != nil {
		return nil, err
	}
	out := append(append(append(graph.Shape{}, data.Shape[:a]...), idx.Shape...), data.Shape[a+1:]...)
	// Track values: picking dimensions out of a graph.Shape output.
	if vals, ok := c.Values(n.Inputs[0]); ok && r == 1 && len(n.Outputs) > 0 {
		if ix, ok := c.Values(n.Inputs[1]); ok {
			picked := make([]operators.SymInt, 0, len(ix))
			for _, i := range ix {
				if !i.Lit {
					return one(ranked(data.DType, out)), nil
				}
				k := i.Val
				if k < 0 {
					k += int64(len(vals))
				}
				if k < 0 || k >= int64(len(vals)) {
					return nil, fmt.Errorf("index %d is out of range for axis of size %d", i.Val, len(vals))
				}
				picked = append(picked, vals[k])
			}
			c.SetValues(n.Outputs[0], picked)
		}
	}
	return one(ranked(data.DType, out)), nil
}

func inferNonZero(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if !operators.RankKnown(in[0]) {
		return one(graph.ValueInfo{DType: ops.Int64}), nil
	}
	return one(ranked(ops.Int64, graph.Shape{operators.KnownDim(int64(len(in[0].Shape))), operators.UnknownDim})), nil
}

// buildNonZero: the indices of the nonzero elements (NaN counts, -0 does
// not; a string is nonzero when it is not empty), one column per element
// in row-major order: shape [rank, count], so a scalar gives [0, count].
func buildNonZero(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		nz := make([]bool, x.Len())
		if s, ok := x.Data.([]string); ok {
			for i, v := range s {
				nz[i] = v != ""
			}
		} else if err := ops.Cast(ops.FromBool(x.Shape, nz), x); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		count := 0
		for _, v := range nz {
			if v {
				count++
			}
		}
		r := x.Rank()
		out := env.New(ops.Int64, r, count)
		y := out.I64()
		idx := make([]int, r)
		k := 0
		for _, v := range nz {
			if v {
				for a, i := range idx {
					y[a*count+k] = int64(i)
				}
				k++
			}
			for a := r - 1; a >= 0; a-- {
				if idx[a]++; idx[a] < x.Shape[a] {
					break
				}
				idx[a] = 0
			}
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// buildTensorScatter writes update into a copy of past_cache along the
// sequence axis, at write_indices[b] (0 when omitted) for batch entry b;
// mode circular wraps the positions modulo the cache length, linear
// requires them to fit.
func buildTensorScatter(n *graph.Node, opset int64) (operators.Kernel, error) {
	circular, err := enumAttr(n, "mode", "linear", enumChoice[bool]{"linear", false}, enumChoice[bool]{"circular", true})
	if err != nil {
		return nil, err
	}
	axisAttr, err := n.Int("axis", -2)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "past_cache", "update")
		if err != nil {
			return nil, err
		}
		past, upd := ins[0], ins[1]
		if past.DType != upd.DType {
			return nil, fmt.Errorf("node %s: update is %v, past_cache %v (types must match)", n.Label(), upd.DType, past.DType)
		}
		r := past.Rank()
		axis, err := resolveAxis(n, axisAttr, r)
		if err != nil {
			return nil, err
		}
		if axis == 0 {
			return nil, fmt.Errorf("node %s: axis %d is the batch axis", n.Label(), axisAttr)
		}
		if upd.Rank() != r {
			return nil, fmt.Errorf("node %s: update shape %s and past_cache shape %s differ in rank", n.Label(), ops.ShapeString(upd.Shape), ops.ShapeString(past.Shape))
		}
		for i := range past.Shape {
			if (i != axis && upd.Shape[i] != past.Shape[i]) || (i == axis && upd.Shape[i] > past.Shape[i]) {
				return nil, fmt.Errorf("node %s: update shape %s does not fit past_cache shape %s (axis %d)", n.Label(), ops.ShapeString(upd.Shape), ops.ShapeString(past.Shape), axis)
			}
		}
		batch, maxLen, seqLen := past.Shape[0], past.Shape[axis], upd.Shape[axis]
		write := make([]int64, batch)
		if w := optionalInput(in, 2); w != nil {
			if w.DType != ops.Int64 || w.Len() != batch {
				return nil, fmt.Errorf("node %s: write_indices must be int64 of shape [%d], got %v", n.Label(), batch, w)
			}
			copy(write, w.I64())
		}
		for b, w := range write {
			if w < 0 || (!circular && w+int64(seqLen) > int64(maxLen)) {
				return nil, fmt.Errorf("node %s: write index %d of batch entry %d does not fit %d positions of a cache of %d (mode linear)", n.Label(), w, b, seqLen, maxLen)
			}
		}
		out := env.New(past.DType, past.Shape...)
		ops.CopyData(out.Data, past.Data)
		inner := ops.NumElements(past.Shape[axis+1:])
		perBatch := ops.NumElements(past.Shape[1:axis])
		for p := 0; p < batch*perBatch; p++ {
			w := int(write[p/perBatch])
			for s := 0; s < seqLen; s++ {
				pos := w + s
				if circular {
					pos %= maxLen
				}
				ops.CopyRange(out.Data, (p*maxLen+pos)*inner, upd.Data, (p*seqLen+s)*inner, inner)
			}
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// inferGatherElements: the output has the indices' shape and the data's
// type; both have one rank.
func inferGatherElements(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	data, idx := in[0], in[1]
	if !operators.RankKnown(idx) {
		return one(graph.ValueInfo{DType: data.DType}), nil
	}
	if operators.RankKnown(data) && len(data.Shape) != len(idx.Shape) {
		return nil, fmt.Errorf("indices %s must have the rank of data %s", idx.Shape, data.Shape)
	}
	return one(ranked(data.DType, append(graph.Shape(nil), idx.Shape...))), nil
}

// inferGatherND: indices of shape [b…, q…, k] pick slices of the data
// [b…, k dims, rest…], giving [b…, q…, rest…]; k must be known.
func inferGatherND(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	data, idx := in[0], in[1]
	batch, err := n.Int("batch_dims", 0)
	if err != nil {
		return nil, err
	}
	if !operators.RankKnown(data) || !operators.RankKnown(idx) || len(idx.Shape) == 0 || !idx.Shape[len(idx.Shape)-1].Known() {
		return one(graph.ValueInfo{DType: data.DType}), nil
	}
	q, r, k := int64(len(idx.Shape)), int64(len(data.Shape)), idx.Shape[len(idx.Shape)-1].Value
	if batch < 0 || batch >= q || batch >= r || batch+k > r {
		return nil, fmt.Errorf("indices %s with batch_dims %d do not fit data %s", idx.Shape, batch, data.Shape)
	}
	out := append(append(graph.Shape{}, idx.Shape[:q-1]...), data.Shape[batch+k:]...)
	return one(ranked(data.DType, out)), nil
}

// inferCompress: the selected length is data-dependent; without an axis
// the data is flattened first.
func inferCompress(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	if !n.Has("axis") {
		return one(rankOnly(x.DType, 1)), nil
	}
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	a, err := resolveAxis(n, axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	out := append(graph.Shape(nil), x.Shape...)
	out[a] = operators.UnknownDim
	return one(ranked(x.DType, out)), nil
}
