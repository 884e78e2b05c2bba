package native

// TensorF64 lets the external tests (package native_test) share the
// tensor-to-float64 view of helpers_test.go.
var TensorF64 = tensorF64
