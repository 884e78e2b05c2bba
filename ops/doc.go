// Package ops owns the tensor type and the numeric kernels shared by the
// trainer and the native runtime.
//
// Everything here works on contiguous, row-major buffers. Kernels are plain
// functions over typed slices ([]float32 for the math, other element types
// where an operator needs them); there are no per-element interface calls.
// The package knows nothing about ONNX: the runtime maps ONNX operators onto
// these kernels, and the trainer calls the same kernels for its forward
// passes.
//
// What only training needs lives in ops/train: the backward passes
// (activations, convolutions, batch normalisation, pooling, upsampling) and
// the Adam update. ops keeps one gradient kernel, ConvWeightGrad, because
// it is built from the phase-split convolution's private column matrix.
// ops/internal/isa decides which assembly both packages may run
// (LATENT_ISA); ops/internal/gemmgen generates the Gemm assembly
// (go generate ./ops).
//
// float16 tensors are a storage type only: they are held as raw IEEE 754
// half-precision bits ([]uint16) and converted to float32 for any arithmetic.
package ops
