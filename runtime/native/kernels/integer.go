package kernels

// Quantised convolution and matrix product: ConvInteger and MatMulInteger
// (int32 results), QLinearConv and QLinearMatMul (requantised to 8 bits).
// Values are shifted by their zero points into int32 and accumulated
// exactly; requantisation multiplies in float32 and rounds half to even,
// as ONNX Runtime does.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "ConvInteger", Infer: inferConvInteger(false), Build: buildConvInteger(false)}, 10)
	operators.Register(operators.Op{Type: "QLinearConv", Infer: inferConvInteger(true), Build: buildConvInteger(true)}, 10)
	operators.Register(operators.Op{Type: "MatMulInteger", Infer: inferMatMulInteger(false), Build: buildMatMulInteger(false)}, 10)
	operators.Register(operators.Op{Type: "QLinearMatMul", Infer: inferMatMulInteger(true), Build: buildMatMulInteger(true)}, 10, 21)
}

// quantizedInts returns the values of a uint8 or int8 tensor as int32.
func quantizedInts(n *graph.Node, t *ops.Tensor, name string) ([]int32, error) {
	if t.DType != ops.Uint8 && t.DType != ops.Int8 {
		// uint8 and int8 storage also holds the 8- and 4-bit floats and the
		// 4- and 2-bit integers: only the DType tells them apart.
		return nil, fmt.Errorf("node %s: input %s must be uint8 or int8, got %v", n.Label(), name, t.DType)
	}
	switch d := t.Data.(type) {
	case []uint8:
		out := make([]int32, len(d))
		for i, v := range d {
			out[i] = int32(v)
		}
		return out, nil
	case []int8:
		out := make([]int32, len(d))
		for i, v := range d {
			out[i] = int32(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("node %s: input %s must be uint8 or int8, got %v", n.Label(), name, t.DType)
}

// perSpatialAxis reads an optional zero point (8-bit) or scale (float) that is
// a scalar or has one value per index along an axis of length count; it
// returns nil for an absent zero point.
func zeroPoints(n *graph.Node, t *ops.Tensor, name string, like *ops.Tensor, count int) ([]int32, error) {
	if t == nil {
		return nil, nil
	}
	if t.DType != like.DType {
		return nil, fmt.Errorf("node %s: %s must be %v like its data, got %v", n.Label(), name, like.DType, t.DType)
	}
	if t.Len() != 1 && t.Len() != count {
		return nil, fmt.Errorf("node %s: %s must be a scalar or have %d values, has shape %s", n.Label(), name, count, ops.ShapeString(t.Shape))
	}
	return quantizedInts(n, t, name)
}

func quantScales(n *graph.Node, t *ops.Tensor, name string, count int) ([]float32, error) {
	if t.DType != ops.Float32 {
		return nil, fmt.Errorf("node %s: %s must be float32, got %v", n.Label(), name, t.DType)
	}
	if t.Len() != 1 && t.Len() != count {
		return nil, fmt.Errorf("node %s: %s must be a scalar or have %d values, has shape %s", n.Label(), name, count, ops.ShapeString(t.Shape))
	}
	return t.F32(), nil
}

// paramAt returns v[i], or v[0] for a one-value (scalar) list, or 0 for nil.
func paramAt[T int32 | float32](v []T, i int) T {
	switch len(v) {
	case 0:
		return 0
	case 1:
		return v[0]
	}
	return v[i]
}

// requantize writes round(acc·scale) + zp, saturated, into an 8-bit
// tensor of the zero point's type.
func requantize(env *operators.Env, dt ops.DType, shape []int, acc []int32, scale func(i int) float32, zp func(i int) int32) *ops.Tensor {
	y := env.New(dt, shape...)
	lo, hi := int32(0), int32(255)
	if dt == ops.Int8 {
		lo, hi = -128, 127
	}
	q := func(i int) int32 {
		v := float32(acc[i]) * scale(i)
		r := int32(math.RoundToEven(float64(v))) + zp(i)
		return min(max(r, lo), hi)
	}
	switch d := y.Data.(type) {
	case []uint8:
		for i := range d {
			d[i] = uint8(q(i))
		}
	case []int8:
		for i := range d {
			d[i] = int8(q(i))
		}
	}
	return y
}

func buildConvInteger(qlinear bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		win, group, err := parseConvWindow(n)
		if err != nil {
			return nil, err
		}
		// Input positions: ConvInteger x, w, x_zp, w_zp; QLinearConv x,
		// x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B.
		ix, iw, ixz, iwz := 0, 1, 2, 3
		if qlinear {
			ix, iw, ixz, iwz = 0, 3, 2, 5
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := requiredInput(n, in, ix, "x")
			if err != nil {
				return nil, err
			}
			w, err := requiredInput(n, in, iw, "w")
			if err != nil {
				return nil, err
			}
			if x.Rank() < 3 || w.Rank() != x.Rank() {
				return nil, fmt.Errorf("node %s: x must be N×C×D… and w of the same rank, got %s and %s", n.Label(), ops.ShapeString(x.Shape), ops.ShapeString(w.Shape))
			}
			var bias *ops.Tensor
			if qlinear {
				bias = optionalInput(in, 8)
			}
			p, err := convGeometry(n, win, int(group), x.Shape, w.Shape, bias)
			if err != nil {
				return nil, err
			}
			xv, err := quantizedInts(n, x, "x")
			if err != nil {
				return nil, err
			}
			wv, err := quantizedInts(n, w, "w")
			if err != nil {
				return nil, err
			}
			xz, err := zeroPoints(n, optionalInput(in, ixz), "x_zero_point", x, 1)
			if err != nil {
				return nil, err
			}
			wz, err := zeroPoints(n, optionalInput(in, iwz), "w_zero_point", w, p.OutC)
			if err != nil {
				return nil, err
			}
			if z := paramAt(xz, 0); z != 0 {
				for i := range xv {
					xv[i] -= z
				}
			}
			if wz != nil {
				per := len(wv) / max(p.OutC, 1)
				for i := range wv {
					wv[i] -= paramAt(wz, i/per)
				}
			}
			shape := append([]int{p.Batch, p.OutC}, p.Out...)
			acc := make([]int32, ops.NumElements(shape))
			ops.ConvInt32(p, xv, wv, acc)
			outSz := ops.NumElements(p.Out)
			if !qlinear {
				y := env.New(ops.Int32, shape...)
				copy(y.I32(), acc)
				return []*ops.Tensor{y}, nil
			}
			if bias != nil {
				if bias.DType != ops.Int32 {
					return nil, fmt.Errorf("node %s: B must be int32, got %v", n.Label(), bias.DType)
				}
				bv := bias.I32()
				for i := range acc {
					acc[i] += bv[(i/outSz)%p.OutC]
				}
			}
			for _, i := range []int{1, 4, 6} {
				if _, err := requiredInput(n, in, i, "scale"); err != nil {
					return nil, err
				}
			}
			xs, err := quantScales(n, in[1], "x_scale", 1)
			if err != nil {
				return nil, err
			}
			ws, err := quantScales(n, in[4], "w_scale", p.OutC)
			if err != nil {
				return nil, err
			}
			ys, err := quantScales(n, in[6], "y_scale", 1)
			if err != nil {
				return nil, err
			}
			yzT := optionalInput(in, 7)
			dt := x.DType
			var yz []int32
			if yzT != nil {
				dt = yzT.DType
				if yz, err = quantizedInts(n, yzT, "y_zero_point"); err != nil {
					return nil, err
				}
			}
			scale := func(i int) float32 { return xs[0] * paramAt(ws, (i/outSz)%p.OutC) / ys[0] }
			zp := func(int) int32 { return paramAt(yz, 0) }
			return []*ops.Tensor{requantize(env, dt, shape, acc, scale, zp)}, nil
		}, nil
	}
}

func buildMatMulInteger(qlinear bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		// MatMulInteger: A, B, a_zp, b_zp. QLinearMatMul: a, a_scale,
		// a_zp, b, b_scale, b_zp, y_scale, y_zp.
		ia, ib, iaz, ibz := 0, 1, 2, 3
		if qlinear {
			ia, ib, iaz, ibz = 0, 3, 2, 5
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			a, err := requiredInput(n, in, ia, "A")
			if err != nil {
				return nil, err
			}
			b, err := requiredInput(n, in, ib, "B")
			if err != nil {
				return nil, err
			}
			p, err := ops.PlanMatMul(a.Shape, b.Shape)
			if err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Label(), err)
			}
			av, err := quantizedInts(n, a, "A")
			if err != nil {
				return nil, err
			}
			bv, err := quantizedInts(n, b, "B")
			if err != nil {
				return nil, err
			}
			az, err := zeroPoints(n, optionalInput(in, iaz), "a_zero_point", a, p.M)
			if err != nil {
				return nil, err
			}
			bz, err := zeroPoints(n, optionalInput(in, ibz), "b_zero_point", b, p.N)
			if err != nil {
				return nil, err
			}
			// Per-row zero points of A index its M axis, per-column ones of
			// B its N axis.
			for i := range av {
				av[i] -= paramAt(az, (i/max(p.K, 1))%max(p.M, 1))
			}
			for i := range bv {
				bv[i] -= paramAt(bz, i%max(p.N, 1))
			}
			acc := make([]int32, ops.NumElements(p.Out))
			ops.MatMulNaive(p, av, bv, acc)
			if !qlinear {
				y := env.New(ops.Int32, p.Out...)
				copy(y.I32(), acc)
				return []*ops.Tensor{y}, nil
			}
			for _, i := range []int{1, 4, 6, 7} {
				if _, err := requiredInput(n, in, i, "scale/zero point"); err != nil {
					return nil, err
				}
			}
			as, err := quantScales(n, in[1], "a_scale", p.M)
			if err != nil {
				return nil, err
			}
			bs, err := quantScales(n, in[4], "b_scale", p.N)
			if err != nil {
				return nil, err
			}
			ys, err := quantScales(n, in[6], "y_scale", 1)
			if err != nil {
				return nil, err
			}
			yz, err := quantizedInts(n, in[7], "y_zero_point")
			if err != nil {
				return nil, err
			}
			m, nn := max(p.M, 1), max(p.N, 1)
			scale := func(i int) float32 {
				return paramAt(as, (i/nn)%m) * paramAt(bs, i%nn) / ys[0]
			}
			zp := func(int) int32 { return yz[0] }
			return []*ops.Tensor{requantize(env, in[7].DType, p.Out, acc, scale, zp)}, nil
		}, nil
	}
}

// integerOperands returns the X/A and W/B inputs of an integer or
// quantised-linear node (inputs 0 and 1, or 0 and 3 for the QLinear
// forms) retyped alike so the float rules' geometry applies, and the
// output type: int32 accumulators, or the type of y_zero_point (input 7).
func integerOperands(n *graph.Node, in []graph.ValueInfo, qlinear bool) ([]graph.ValueInfo, ops.DType, error) {
	if !qlinear {
		if err := needInputs(n, in, 2); err != nil {
			return nil, ops.Invalid, err
		}
		return []graph.ValueInfo{in[0], withDType(in[1], in[0].DType)}, ops.Int32, nil
	}
	if err := needInputs(n, in, 8); err != nil {
		return nil, ops.Invalid, err
	}
	return []graph.ValueInfo{in[0], withDType(in[3], in[0].DType)}, in[7].DType, nil
}

// inferConvInteger is Conv's rule over X and W, typed int32 (ConvInteger)
// or as y_zero_point (QLinearConv).
func inferConvInteger(qlinear bool) operators.Rule {
	return func(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
		xw, dt, err := integerOperands(n, in, qlinear)
		if err != nil {
			return nil, err
		}
		out, err := inferConv(c, n, xw)
		if err != nil {
			return nil, err
		}
		out[0].DType = dt
		return out, nil
	}
}

// inferMatMulInteger is MatMul's rule over A and B, typed int32
// (MatMulInteger) or as y_zero_point (QLinearMatMul).
func inferMatMulInteger(qlinear bool) operators.Rule {
	return func(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
		ab, dt, err := integerOperands(n, in, qlinear)
		if err != nil {
			return nil, err
		}
		out, err := inferMatMul(c, n, ab)
		if err != nil {
			return nil, err
		}
		out[0].DType = dt
		return out, nil
	}
}
