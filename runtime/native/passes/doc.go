// Package passes owns the native backend's graph optimiser: rewrites of a
// graph.Graph that keep its outputs (up to float rounding the fused kernels
// document) and make it cheaper to run — Identity/Dropout removal, constant
// folding with the registered kernels, constant input/output scaling folded
// into dense layers (Affine), BatchNormalization folded into convolutions,
// layers fused with their activation, and dense weights prepacked. Every
// pass returns a new graph and leaves its input untouched.
package passes
