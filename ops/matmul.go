package ops

import "fmt"

// MatMulPlan describes a NumPy-style matrix product of A (…, M, K) by
// B (…, K, N): rank-1 operands are promoted (a vector A becomes 1×K, a
// vector B becomes K×1, and the promoted axis is dropped from the result),
// and the leading "batch" axes broadcast against each other.
//
// A plan is computed once per pair of shapes with PlanMatMul and then run
// on any element type with MatMulF32 or MatMulNaive.
type MatMulPlan struct {
	M, N, K int
	// Out is the result shape (promoted axes removed).
	Out []int
	// Batch is the number of M×N products; AOff and BOff give, for each,
	// the element offset of its A and B matrices.
	Batch      int
	AOff, BOff []int
	// Folded is true when B has no batch axes and A's batches are stacked
	// contiguously, so the whole product is one (Batch·M)×K by K×N Gemm.
	Folded bool
}

// PlanMatMul checks that shapes a and b can be multiplied and returns the
// plan. The error names both shapes and the mismatching axis.
func PlanMatMul(a, b []int) (*MatMulPlan, error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, fmt.Errorf("matmul of %s by %s: operands must have rank >= 1", ShapeString(a), ShapeString(b))
	}
	aa, bb := a, b
	if len(a) == 1 {
		aa = []int{1, a[0]}
	}
	if len(b) == 1 {
		bb = []int{b[0], 1}
	}
	m, k := aa[len(aa)-2], aa[len(aa)-1]
	k2, n := bb[len(bb)-2], bb[len(bb)-1]
	if k != k2 {
		return nil, fmt.Errorf("matmul of %s by %s: inner dimensions differ (%d vs %d)", ShapeString(a), ShapeString(b), k, k2)
	}
	ab, bbat := aa[:len(aa)-2], bb[:len(bb)-2]
	batch, err := BroadcastShape(ab, bbat)
	if err != nil {
		return nil, fmt.Errorf("matmul of %s by %s: batch axes: %w", ShapeString(a), ShapeString(b), err)
	}
	p := &MatMulPlan{M: m, N: n, K: k, Batch: NumElements(batch)}
	p.Out = append([]int(nil), batch...)
	if len(a) > 1 {
		p.Out = append(p.Out, m)
	}
	if len(b) > 1 {
		p.Out = append(p.Out, n)
	}
	if len(bbat) == 0 || NumElements(bbat) == 1 {
		if NumElements(ab) == p.Batch {
			p.Folded = true
		}
	}
	p.AOff = make([]int, p.Batch)
	p.BOff = make([]int, p.Batch)
	as := BroadcastStrides(ab, batch)
	bs := BroadcastStrides(bbat, batch)
	idx := make([]int, len(batch))
	for i := 0; i < p.Batch; i++ {
		ao, bo := 0, 0
		for d := range idx {
			ao += idx[d] * as[d]
			bo += idx[d] * bs[d]
		}
		p.AOff[i] = ao * m * k
		p.BOff[i] = bo * k * n
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < batch[d] {
				break
			}
			idx[d] = 0
		}
	}
	return p, nil
}

// MatMulF32 runs the plan on float32 data with ops.Gemm. y must hold
// NumElements(p.Out) elements and is overwritten.
func MatMulF32(p *MatMulPlan, a, b, y []float32) {
	if p.Folded {
		if p.Batch*p.M == 0 || p.N == 0 {
			return
		}
		Gemm(false, false, p.Batch*p.M, p.N, p.K, 1, a, p.K, b, p.N, 0, y, p.N)
		return
	}
	mn := p.M * p.N
	for i := 0; i < p.Batch; i++ {
		Gemm(false, false, p.M, p.N, p.K, 1, a[p.AOff[i]:], p.K, b[p.BOff[i]:], p.N, 0, y[i*mn:(i+1)*mn], p.N)
	}
}

// MatMulElem is the set of element types the generic naive kernels accept.
type MatMulElem interface {
	~float32 | ~float64 | ~int32 | ~int64 | ~int8 | ~uint8
}

// MatMulNaive runs the plan with plain loops for element types Gemm does
// not cover (float64, int32, int64). Integer products wrap on overflow.
func MatMulNaive[T MatMulElem](p *MatMulPlan, a, b, y []T) {
	m, n, k := p.M, p.N, p.K
	for bi := 0; bi < p.Batch; bi++ {
		am := a[p.AOff[bi]:]
		bm := b[p.BOff[bi]:]
		ym := y[bi*m*n : (bi+1)*m*n]
		clear(ym)
		for i := 0; i < m; i++ {
			yrow := ym[i*n : (i+1)*n]
			for q := 0; q < k; q++ {
				av := am[i*k+q]
				brow := bm[q*n : (q+1)*n]
				for j, bv := range brow {
					yrow[j] += av * bv
				}
			}
		}
	}
}
