package ops

// Act is an elementwise activation that kernels can fuse into their output
// (the Gemm epilogue, convolutions) or apply on their own.
type Act uint8

// Activations. ActLeakyRelu and ActElu read their slope from the Alpha field
// of the epilogue that carries them, ActHardSigmoid and ActClip both Alpha
// and Beta.
const (
	ActNone Act = iota
	ActRelu
	ActLeakyRelu
	ActSigmoid
	ActTanh
	ActElu
	ActSelu
	ActSoftplus
	ActHardSigmoid // max(0, min(1, Alpha·x + Beta)) (ONNX HardSigmoid)
	ActHardSwish   // x·max(0, min(1, x/6 + 1/2))
	ActClip        // min(max(x, Alpha), Beta) (Relu6 is Clip(0, 6))
	ActSiLU        // x·sigmoid(x) (Swish; SiLU in PyTorch)
	ActGelu        // x/2·(1 + erf(x/√2)) (GeluSlice)
	ActGeluTanh    // the tanh approximation of GELU (GeluTanhSlice)
)

// Epilogue describes what a fused kernel does to each output element after
// the multiply-accumulate: out = act(acc + bias).
//
// Bias, when non-nil, has one value per output column (length n) for Gemm,
// or one per output channel for convolutions. Alpha parameterises
// ActLeakyRelu and ActElu, Alpha and Beta ActHardSigmoid and ActClip.
type Epilogue struct {
	Bias        []float32
	Act         Act
	Alpha, Beta float32
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, where
// op(A) is m×k and op(B) is k×n; transA/transB select the transposes.
// lda, ldb and ldc are the row strides of A, B and C as stored.
// When beta is 0, C is overwritten without being read (NaNs in C do not
// propagate).
//
// Gemm runs assembly micro-kernels (AVX-512 or AVX2+FMA, else portable Go;
// see GemmKernel), either streaming B from cache or on packed, cache-blocked
// panels, and splits large problems across up to Threads() goroutines. It panics with GemmCheck's error, naming the
// argument, if a size is negative or a slice is too short for its shape and
// stride.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, nil)
	gemmDispatch(gemmCall{
		kern: gemmKernels[gemmUse], transA: transA, transB: transB,
		m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
		beta: beta, c: c, ldc: ldc,
	})
}

// GemmEpilogue computes C = ep(op(A)·op(B)): the product, then the per-column
// bias and the activation of ep, in one pass over C. C is overwritten.
// Bias, ReLU and LeakyReLU are applied in registers before each tile is
// stored; other activations run on each tile right after it is stored.
func GemmEpilogue(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int, ep Epilogue) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, ep.Bias)
	gemmDispatch(gemmCall{
		kern: gemmKernels[gemmUse], transA: transA, transB: transB,
		m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
		beta: 0, c: c, ldc: ldc, bias: ep.Bias, act: ep.Act, leak: ep.Alpha, actBeta: ep.Beta,
	})
}

// ApplyEpilogueRows applies ep to an m×n row-major matrix with row stride ldc.
func ApplyEpilogueRows(c []float32, m, n, ldc int, ep Epilogue) {
	if (ep.Bias == nil && ep.Act == ActNone) || m <= 0 || n <= 0 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if ep.Bias != nil {
			for j := range row {
				row[j] += ep.Bias[j]
			}
		}
		ApplyActivation(row, row, ep.Act, ep.Alpha, ep.Beta)
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
