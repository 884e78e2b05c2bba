package kernels

// Exports of test helpers for the external tests (package kernels_test),
// which run kernels through the native planner.
var (
	TensorF64   = tensorF64
	EWCompare   = ewCompare
	NNCompare   = nnCompare
	NNF         = nnF
	NNNode      = nnNode
	NNRandT     = nnRandT
	NNToF16     = nnToF16
	TKCheck     = tkCheck
	TKI64       = tkI64
	AttrInt     = attrInt
	MustRunNode = mustRunNode
)
