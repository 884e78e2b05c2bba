package ops

// Act is an elementwise activation that kernels can fuse into their output
// (the Gemm epilogue, convolutions) or apply on their own.
type Act uint8

// Activations. ActLeakyRelu and ActElu read their slope from the Alpha field
// of the epilogue that carries them.
const (
	ActNone Act = iota
	ActRelu
	ActLeakyRelu
	ActSigmoid
	ActTanh
	ActElu
	ActSelu
	ActSoftplus
)

// Epilogue describes what a fused kernel does to each output element after
// the multiply-accumulate: out = act(acc + bias).
//
// Bias, when non-nil, has one value per output column (length n) for Gemm,
// or one per output channel for convolutions. Alpha parameterises
// ActLeakyRelu and ActElu.
type Epilogue struct {
	Bias  []float32
	Act   Act
	Alpha float32
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, where
// op(A) is m×k and op(B) is k×n; transA/transB select the transposes.
// lda, ldb and ldc are the row strides of A, B and C as stored.
// When beta is 0, C is overwritten without being read (NaNs in C do not
// propagate).
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmEpilogue computes C = ep(op(A)·op(B)): the product, then the per-column
// bias and the activation of ep, in one pass over C. C is overwritten.
func GemmEpilogue(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int, ep Epilogue) {
	gemmRef(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
	ApplyEpilogueRows(c, m, n, ldc, ep)
}

// ApplyEpilogueRows applies ep to an m×n row-major matrix with row stride ldc.
func ApplyEpilogueRows(c []float32, m, n, ldc int, ep Epilogue) {
	if ep.Bias == nil && ep.Act == ActNone {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if ep.Bias != nil {
			for j := range row {
				row[j] += ep.Bias[j]
			}
		}
		ApplyAct(row, row, ep.Act, ep.Alpha)
	}
}

// gemmRef is the plain reference Gemm every faster path is tested against.
func gemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(crow)
		} else if beta != 1 {
			for j := range crow {
				crow[j] *= beta
			}
		}
		for p := 0; p < k; p++ {
			var av float32
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if av == 0 {
				continue
			}
			if transB {
				for j := range crow {
					crow[j] += av * b[j*ldb+p]
				}
			} else {
				brow := b[p*ldb : p*ldb+n]
				for j, bv := range brow {
					crow[j] += av * bv
				}
			}
		}
	}
}
