// Package train holds the kernels only training needs, on ops' tensors'
// contiguous float32 buffers: the backward passes of the forward kernels in
// ops (activations, Conv and ConvTranspose, batch normalisation, max and
// average pooling, the integer-factor upsampling the trainer's layers use,
// with its forward) and the Adam optimiser's update.
//
// The inference runtime never imports it, so a server or edge binary
// carries none of it. Kernels here reuse ops' forward machinery rather than
// copy it: the input gradient of a convolution is ops.ConvTranspose or
// ops.Conv of the output gradient, the weight gradient runs on ops' Im2Col
// and Gemm or, for the 2-D layers that take ops' phase-split path, on
// ops.ConvWeightGrad, which lives with that machinery.
//
// Like ops, every kernel with assembly (Adam, the Relu and Sigmoid backward
// passes; amd64 AVX2) has a pure-Go twin that the noasm build tag and
// LATENT_ISA=go select, and a test comparing the two bit for bit.
package train
