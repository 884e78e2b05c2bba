package kernels

// Gemm and MatMul: float32 (and float16 through float32) run on ops.Gemm;
// float64 and the integer types on plain loops.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Gemm", Infer: inferGemm, Build: buildGemm}, 1, 6, 7, 9, 11, 13)
	operators.Register(operators.Op{Type: "MatMul", Infer: inferMatMul, Build: buildMatMul}, 1, 9, 13)
}

// gemmAttrs reads Gemm's alpha, beta, transA and transB (the fused Gemm
// of fused.go carries the same attributes).
func gemmAttrs(n *graph.Node) (alpha, beta float32, transA, transB bool, err error) {
	if alpha, err = n.Float("alpha", 1); err != nil {
		return
	}
	if beta, err = n.Float("beta", 1); err != nil {
		return
	}
	ta, err := n.Int("transA", 0)
	if err != nil {
		return
	}
	tb, err := n.Int("transB", 0)
	if err != nil {
		return
	}
	return alpha, beta, ta != 0, tb != 0, nil
}

func buildGemm(n *graph.Node, opset int64) (operators.Kernel, error) {
	alpha, beta, transA, transB, err := gemmAttrs(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		a, err := requiredInput(n, in, 0, "A")
		if err != nil {
			return nil, err
		}
		b, err := requiredInput(n, in, 1, "B")
		if err != nil {
			return nil, err
		}
		c := optionalInput(in, 2)
		if c != nil {
			if err := c.Validate(); err != nil {
				return nil, fmt.Errorf("node %s: input C: %w", n.Label(), err)
			}
		}
		if a.Rank() != 2 || b.Rank() != 2 {
			return nil, fmt.Errorf("node %s: A and B must be 2-D, got A %s and B %s", n.Label(), ops.ShapeString(a.Shape), ops.ShapeString(b.Shape))
		}
		if a.DType != b.DType || (c != nil && c.DType != a.DType) {
			return nil, fmt.Errorf("node %s: inputs must share one type, got A %v, B %v, C %v", n.Label(), a.DType, b.DType, c)
		}
		m, k := a.Shape[0], a.Shape[1]
		if transA {
			m, k = k, m
		}
		k2, nn := b.Shape[0], b.Shape[1]
		if transB {
			k2, nn = nn, k2
		}
		if k != k2 {
			return nil, fmt.Errorf("node %s: inner dimensions differ: op(A) is %d×%d, op(B) is %d×%d", n.Label(), m, k, k2, nn)
		}
		var cRows, cCols int // strides of C broadcast to M×N
		if c != nil {
			cs := c.Shape
			if len(cs) > 2 {
				return nil, fmt.Errorf("node %s: C of shape %s does not broadcast to [%d %d]", n.Label(), ops.ShapeString(cs), m, nn)
			}
			full := []int{1, 1}
			copy(full[2-len(cs):], cs)
			if (full[0] != 1 && full[0] != m) || (full[1] != 1 && full[1] != nn) {
				return nil, fmt.Errorf("node %s: C of shape %s does not broadcast to [%d %d]", n.Label(), ops.ShapeString(cs), m, nn)
			}
			if full[0] != 1 {
				cRows = full[1]
			}
			if full[1] != 1 {
				cCols = 1
			}
		}
		useC := c != nil && beta != 0
		lda, ldb := a.Shape[1], b.Shape[1]
		switch a.DType {
		case ops.Float32, ops.Float16:
			out := newFloatOutput(env, a.DType, []int{m, nn})
			y := out.f
			bv := float32(0)
			if useC {
				cf := float32s(c)
				for i := 0; i < m; i++ {
					row := y[i*nn : (i+1)*nn]
					for j := range row {
						row[j] = beta * cf[i*cRows+j*cCols]
					}
				}
				bv = 1
			}
			if m*nn > 0 {
				ops.Gemm(transA, transB, m, nn, k, alpha, float32s(a), lda, float32s(b), ldb, bv, y, nn)
			}
			return []*ops.Tensor{out.done()}, nil
		case ops.Float64:
			return []*ops.Tensor{gemmTyped[float64](env, transA, transB, m, nn, k, alpha, beta, a, b, c, useC, cRows, cCols)}, nil
		case ops.Int32:
			return []*ops.Tensor{gemmTyped[int32](env, transA, transB, m, nn, k, alpha, beta, a, b, c, useC, cRows, cCols)}, nil
		case ops.Int64:
			return []*ops.Tensor{gemmTyped[int64](env, transA, transB, m, nn, k, alpha, beta, a, b, c, useC, cRows, cCols)}, nil
		}
		return nil, fmt.Errorf("node %s: unsupported type %v (want float32, float64, float16, int32 or int64)", n.Label(), a.DType)
	}, nil
}

// gemmTyped runs gemmNaive on A, B and (when useC) C of element type
// T, all of one type, into a new M×N output.
func gemmTyped[T float64 | int32 | int64](env *operators.Env, transA, transB bool, m, nn, k int, alpha, beta float32, a, b, c *ops.Tensor, useC bool, cRows, cCols int) *ops.Tensor {
	y := env.New(a.DType, m, nn)
	var cd []T
	if useC {
		cd = c.Data.([]T)
	}
	gemmNaive(transA, transB, m, nn, k, T(alpha), a.Data.([]T), a.Shape[1], b.Data.([]T), b.Shape[1], T(beta), cd, cRows, cCols, y.Data.([]T))
	return y
}

// gemmNaive is Gemm with plain loops for the element types ops.Gemm does
// not cover. c (nil when absent) is read at c[i*cRows+j*cCols].
func gemmNaive[T float64 | int32 | int64](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, cRows, cCols int, y []T) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				var av, bv T
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			s *= alpha
			if c != nil {
				s += beta * c[i*cRows+j*cCols]
			}
			y[i*n+j] = s
		}
	}
}

func buildMatMul(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		a, err := requiredInput(n, in, 0, "A")
		if err != nil {
			return nil, err
		}
		b, err := requiredInput(n, in, 1, "B")
		if err != nil {
			return nil, err
		}
		if a.DType != b.DType {
			return nil, fmt.Errorf("node %s: A is %v but B is %v", n.Label(), a.DType, b.DType)
		}
		p, err := ops.PlanMatMul(a.Shape, b.Shape)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		switch a.DType {
		case ops.Float32, ops.Float16:
			out := newFloatOutput(env, a.DType, p.Out)
			ops.MatMulF32(p, float32s(a), float32s(b), out.f)
			return []*ops.Tensor{out.done()}, nil
		case ops.Float64:
			y := env.New(ops.Float64, p.Out...)
			ops.MatMulNaive(p, a.F64(), b.F64(), y.F64())
			return []*ops.Tensor{y}, nil
		case ops.Int32:
			y := env.New(ops.Int32, p.Out...)
			ops.MatMulNaive(p, a.I32(), b.I32(), y.I32())
			return []*ops.Tensor{y}, nil
		case ops.Int64:
			y := env.New(ops.Int64, p.Out...)
			ops.MatMulNaive(p, a.I64(), b.I64(), y.I64())
			return []*ops.Tensor{y}, nil
		}
		return nil, fmt.Errorf("node %s: unsupported type %v (want float32, float64, float16, int32 or int64)", n.Label(), a.DType)
	}, nil
}

func inferGemm(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	if err := sameElemType(in); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	ta, err := n.Int("transA", 0)
	if err != nil {
		return nil, err
	}
	tb, err := n.Int("transB", 0)
	if err != nil {
		return nil, err
	}
	if !operators.RankKnown(a) || !operators.RankKnown(b) {
		return one(graph.ValueInfo{DType: a.DType}), nil
	}
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, fmt.Errorf("A %s and B %s must both be 2-D", a.Shape, b.Shape)
	}
	m, ka := a.Shape[0], a.Shape[1]
	if ta != 0 {
		m, ka = ka, m
	}
	kb, nn := b.Shape[0], b.Shape[1]
	if tb != 0 {
		kb, nn = nn, kb
	}
	if _, err := operators.MergeDim(ka, kb); err != nil {
		return nil, fmt.Errorf("inner dimensions differ: A %s (transA=%d) has K=%s, B %s (transB=%d) has K=%s", a.Shape, ta, ka, b.Shape, tb, kb)
	}
	out := graph.Shape{m, nn}
	if cv := input(in, 2); cv.Name != "" && operators.RankKnown(cv) {
		if _, err := operators.BroadcastShapes(out, cv.Shape); err != nil {
			return nil, fmt.Errorf("C %s does not broadcast to [M,N] %s", cv.Shape, out)
		}
	}
	return one(ranked(a.DType, out)), nil
}

func inferMatMul(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	if err := sameElemType(in); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if !operators.RankKnown(a) || !operators.RankKnown(b) {
		return one(graph.ValueInfo{DType: a.DType}), nil
	}
	as, bs := a.Shape, b.Shape
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("MatMul operands must have rank ≥ 1, got %s and %s", as, bs)
	}
	a1, b1 := len(as) == 1, len(bs) == 1
	if a1 {
		as = graph.Shape{operators.KnownDim(1), as[0]}
	}
	if b1 {
		bs = graph.Shape{bs[0], operators.KnownDim(1)}
	}
	ka, kb := as[len(as)-1], bs[len(bs)-2]
	if _, err := operators.MergeDim(ka, kb); err != nil {
		return nil, fmt.Errorf("inner dimensions differ: A %s has K=%s, B %s has K=%s", a.Shape, ka, b.Shape, kb)
	}
	batch, err := operators.BroadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, fmt.Errorf("batch dimensions: %w", err)
	}
	// The axes added for 1-D operands are removed again.
	out := batch
	if !a1 {
		out = append(out, as[len(as)-2])
	}
	if !b1 {
		out = append(out, bs[len(bs)-1])
	}
	return one(ranked(a.DType, out)), nil
}
