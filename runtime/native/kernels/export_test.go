package kernels

// Exports of test helpers for the external tests (package kernels_test),
// which run kernels through the native planner.
var (
	TensorF64      = tensorF64
	Tolerance      = tolerance
	CompareTensors = compareTensors
	Floats         = floats
	NewNodeKV      = newNodeKV
	RandFloats     = randFloats
	ToFloat16      = toFloat16
	CheckTensor    = checkTensor
	Int64s         = int64s
	AttrInt        = attrInt
	MustRunNode    = mustRunNode
)
