package kernels

// Layout and pattern operators: Trilu, DepthToSpace, SpaceToDepth, OneHot
// and EyeLike, for every element type ops.Tensor holds.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register("", "Trilu", 14, buildTrilu)
	for _, v := range []int64{1, 11, 13} {
		operators.Register("", "DepthToSpace", v, buildDepthToSpace)
	}
	for _, v := range []int64{1, 13} {
		operators.Register("", "SpaceToDepth", v, buildSpaceToDepth)
	}
	for _, v := range []int64{9, 11} {
		operators.Register("", "OneHot", v, buildOneHot)
	}
	for _, v := range []int64{9, 22} {
		operators.Register("", "EyeLike", v, buildEyeLike)
	}
}

func buildTrilu(n *graph.Node, opset int64) (operators.Kernel, error) {
	upper, err := n.Int("upper", 1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		r := len(x.Shape)
		if r < 2 {
			return nil, fmt.Errorf("node %s: input must have rank ≥ 2, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		k := int64(0)
		if kt := tkOptInput(in, 1); kt != nil {
			if kt.DType != ops.Int64 || kt.Len() != 1 {
				return nil, fmt.Errorf("node %s: k must be an int64 scalar, got %v", n.Label(), kt)
			}
			k = kt.I64()[0]
		}
		rows, cols := x.Shape[r-2], x.Shape[r-1]
		// Clamp k so that the column bound i+k stays within int range.
		k = min(max(k, -int64(rows)-1), int64(cols)+1)
		out := env.New(x.DType, x.Shape...)
		batch := ops.NumElements(x.Shape[:r-2])
		up := upper != 0
		switch s := x.Data.(type) {
		case []float32:
			tkTrilu(out.F32(), s, batch, rows, cols, int(k), up)
		case []float64:
			tkTrilu(out.F64(), s, batch, rows, cols, int(k), up)
		case []uint16:
			tkTrilu(out.F16(), s, batch, rows, cols, int(k), up)
		case []int64:
			tkTrilu(out.I64(), s, batch, rows, cols, int(k), up)
		case []int32:
			tkTrilu(out.I32(), s, batch, rows, cols, int(k), up)
		case []int8:
			tkTrilu(out.I8(), s, batch, rows, cols, int(k), up)
		case []uint8:
			tkTrilu(out.U8(), s, batch, rows, cols, int(k), up)
		case []bool:
			tkTrilu(out.B(), s, batch, rows, cols, int(k), up)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// tkTrilu keeps, in each rows×cols matrix, the elements with j-i ≥ k
// (upper) or j-i ≤ k (lower) and zeroes the rest.
func tkTrilu[T any](dst, src []T, batch, rows, cols, k int, upper bool) {
	var zero T
	for b := 0; b < batch; b++ {
		for i := 0; i < rows; i++ {
			o := (b*rows + i) * cols
			d, s := dst[o:o+cols], src[o:o+cols]
			// Columns [lo, hi) are kept.
			lo, hi := 0, cols
			if upper {
				lo = min(max(i+k, 0), cols)
			} else {
				hi = min(max(i+k+1, 0), cols)
			}
			for j := range d[:lo] {
				d[j] = zero
			}
			if lo < hi {
				copy(d[lo:hi], s[lo:hi])
			}
			for j := max(hi, lo); j < cols; j++ {
				d[j] = zero
			}
		}
	}
}

// tkBlocksize reads the required, positive blocksize attribute.
func tkBlocksize(n *graph.Node) (int, error) {
	if !n.Has("blocksize") {
		return 0, fmt.Errorf("node %s: missing attribute blocksize", n.Label())
	}
	b, err := n.Int("blocksize", 0)
	if err != nil {
		return 0, err
	}
	if b < 1 || b > math.MaxInt32 {
		return 0, fmt.Errorf("node %s: blocksize %d must be positive", n.Label(), b)
	}
	return int(b), nil
}

// tkPermuteView transposes x viewed as shape by perm into a fresh tensor
// and returns it viewed as final.
func tkPermuteView(env *operators.Env, n *graph.Node, x *ops.Tensor, shape, perm, final []int) ([]*ops.Tensor, error) {
	v := tkView(x, shape)
	ts, err := ops.TransposeShape(shape, perm)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	out := env.New(x.DType, ts...)
	if err := ops.TransposeInto(out, v, perm); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return []*ops.Tensor{tkView(out, final)}, nil
}

func buildDepthToSpace(n *graph.Node, opset int64) (operators.Kernel, error) {
	b, err := tkBlocksize(n)
	if err != nil {
		return nil, err
	}
	mode := "DCR"
	if opset >= 11 {
		if mode, err = n.String("mode", "DCR"); err != nil {
			return nil, err
		}
		if mode != "DCR" && mode != "CRD" {
			return nil, fmt.Errorf("node %s: mode %q, want DCR or CRD", n.Label(), mode)
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if len(x.Shape) != 4 {
			return nil, fmt.Errorf("node %s: input must be 4-D [N C H W], got %s", n.Label(), ops.ShapeString(x.Shape))
		}
		N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		if C%(b*b) != 0 {
			return nil, fmt.Errorf("node %s: channels %d of input %s are not a multiple of blocksize² = %d", n.Label(), C, ops.ShapeString(x.Shape), b*b)
		}
		c := C / (b * b)
		final := []int{N, c, H * b, W * b}
		if mode == "DCR" {
			return tkPermuteView(env, n, x, []int{N, b, b, c, H, W}, []int{0, 3, 4, 1, 5, 2}, final)
		}
		return tkPermuteView(env, n, x, []int{N, c, b, b, H, W}, []int{0, 1, 4, 2, 5, 3}, final)
	}, nil
}

func buildSpaceToDepth(n *graph.Node, opset int64) (operators.Kernel, error) {
	b, err := tkBlocksize(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if len(x.Shape) != 4 {
			return nil, fmt.Errorf("node %s: input must be 4-D [N C H W], got %s", n.Label(), ops.ShapeString(x.Shape))
		}
		N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		if H%b != 0 || W%b != 0 {
			return nil, fmt.Errorf("node %s: spatial dims of input %s are not multiples of blocksize %d", n.Label(), ops.ShapeString(x.Shape), b)
		}
		return tkPermuteView(env, n, x, []int{N, C, H / b, b, W / b, b}, []int{0, 3, 5, 1, 2, 4}, []int{N, C * b * b, H / b, W / b})
	}, nil
}

// tkAsInt64s reads a numeric tensor as int64 values (floats truncate).
func tkAsInt64s(n *graph.Node, t *ops.Tensor, name string) ([]int64, error) {
	out := make([]int64, t.Len())
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

// tkElem returns element i of t as a rank-0 tensor sharing t's data type.
func tkElem(t *ops.Tensor, i int) *ops.Tensor {
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

// tkFillAt fills t with the scalar fill and then sets the elements at pos
// to the scalar at (of t's type).
func tkFillAt(t, fill, at *ops.Tensor, pos []int) error {
	if err := ops.ExpandInto(t, fill); err != nil {
		return err
	}
	switch d := t.Data.(type) {
	case []float32:
		tkSetAt(d, at.F32()[0], pos)
	case []float64:
		tkSetAt(d, at.F64()[0], pos)
	case []uint16:
		tkSetAt(d, at.F16()[0], pos)
	case []int64:
		tkSetAt(d, at.I64()[0], pos)
	case []int32:
		tkSetAt(d, at.I32()[0], pos)
	case []int8:
		tkSetAt(d, at.I8()[0], pos)
	case []uint8:
		tkSetAt(d, at.U8()[0], pos)
	case []bool:
		tkSetAt(d, at.B()[0], pos)
	}
	return nil
}

// tkSetAt sets d[p] = v for every p in pos.
func tkSetAt[T any](d []T, v T, pos []int) {
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
		ins, err := tkInputs(n, in, "indices", "depth", "values")
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
		dv, err := tkAsInt64s(n, dt, "depth")
		if err != nil {
			return nil, err
		}
		depth := dv[0]
		if depth < 1 || depth > tkMaxElements {
			return nil, fmt.Errorf("node %s: depth %d must be positive", n.Label(), depth)
		}
		idx, err := tkAsInt64s(n, it, "indices")
		if err != nil {
			return nil, err
		}
		r := len(it.Shape)
		a, err := tkAxis(n, "axis", axis, r+1, false, opset, 0)
		if err != nil {
			return nil, err
		}
		shape := append(append(append([]int{}, it.Shape[:a]...), int(depth)), it.Shape[a:]...)
		if err := tkCheckSize(n, "output", shape); err != nil {
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
		if err := tkFillAt(out, tkElem(vt, 0), tkElem(vt, 1), pos); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// tkOne returns a rank-0 tensor holding 1 (true) of type dt.
func tkOne(dt ops.DType) *ops.Tensor {
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
	odt, err := tkDTypeAttr(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "input")
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
		if err := tkFillAt(out, ops.New(dt), tkOne(dt), pos); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}
