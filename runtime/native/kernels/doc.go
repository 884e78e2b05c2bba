// Package kernels owns the native kernels: for each ONNX operator (and the
// fused operators of domain operators.FusedDomain that runtime/native/passes
// creates) a Builder that checks the node's attributes once, at plan time,
// and returns the Kernel the executor runs. The arithmetic lives in package
// ops (Go with assembly twins); kernels map ONNX semantics onto it: input
// and type checks, attribute defaults per opset, broadcasting, views.
//
// Files are named by operator family (elementwise, compare, unary, cast,
// reduce, conv, pool, norm, rnn, shape, slice, index, layout, constant …)
// and each registers its operators from an init function with
// operators.Register. Importing the package (runtime/native does) makes
// them available.
package kernels
