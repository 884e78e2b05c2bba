// Package trainer owns latent's Go-native training of the dense autoencoder
// family described by models.Spec: layers (dense, with fused bias and
// activation from ops.GemmEpilogue), losses (MSE, stable BCE from logits,
// masked MSE), regularisers (L1 and KL activity, k-sparse selection,
// contractive Jacobian penalty), input noise, optimisers (SGD, momentum,
// Nesterov, RMSprop, Adam, AdamW) with weight decay, clipping and
// learning-rate schedules, and the training loop with validation, early
// stopping, checkpoints, exact resume and per-epoch metrics.
//
// Mini-batches are split into row chunks (at most 8, of at least 64 rows: a
// function of the batch size only) that run on separate goroutines, and each
// ops.Gemm spreads its own work over the cores; chunk gradients are summed in
// chunk order and the optimiser update is elementwise, so results are
// bit-for-bit deterministic given a seed, independent of scheduling and of
// GOMAXPROCS.
//
// The image and generative kinds (conv, vae, conv-vae) are built from the
// layers of package trainer/nn (each owns its parameters and exposes
// Forward, Backward and its parameter list): convolutions, transposed
// convolutions, pooling, upsampling, batch norm, reshape, dropout and dense
// layers on the shared ops kernels, plus the VAE's reparameterisation and
// analytic KL with a beta weight and warm-up. They share the training loop,
// optimisers, schedules, early stopping and checkpoints with the dense kinds
// through a small step interface; Model.Network exposes their layers,
// Model.Decode and Model.Sample decode codes and N(0, I) draws. The dense
// kinds keep their own fused, chunk-parallel network (bit-identical results
// to before the layer interface existed).
//
// Checkpoints are single files (see SaveCheckpoint) holding the JSON spec,
// the input scaler, the training state and float32 tensors; the exporter
// walks a loaded Model's layers with Model.Encoder and Model.Decoder.
package trainer
