// Package trainer owns latent's Go-native training of every autoencoder
// kind models.Spec describes: building the network (one chain of layers
// from package trainer/nn, whatever the kind), the objective (a
// reconstruction loss — MSE, stable BCE from logits, masked MSE — plus
// penalties: L1 and KL sparsity, the contractive Jacobian norm, a VAE's KL
// with a beta weight and warm-up), optimisers (SGD, momentum, Nesterov,
// RMSprop, Adam, AdamW) with weight decay, clipping and learning-rate
// schedules, and the training loop with validation, early stopping,
// checkpoints, exact resume and per-epoch metrics.
//
// The kinds differ only in the layers the spec builds: dense kinds are
// dense layers (tied decoders share their mirror's weight tensor
// transposed; k-sparse is a selection layer after the code; denoising is a
// noise layer before the encoder), conv kinds add convolutions, pooling,
// upsampling and batch norm, VAEs end the encoder with a Gaussian posterior
// and a sampling layer. One engine trains them all: a mini-batch is split
// into row chunks (at most 8, of at least 64 rows: a function of the batch
// size only) that run forward and backward on replicas of the layers on
// separate goroutines, while each ops kernel spreads its own work over the
// cores; chunk gradients are summed in chunk order, stochastic layers draw
// from a stream per batch and chunk, batch norm normalises over the whole
// batch, and the optimiser update is elementwise, so results are
// bit-for-bit deterministic given a seed, independent of scheduling and of
// GOMAXPROCS.
//
// Model.Network exposes the layer chain (the exporter walks it), and
// Model.Encode, Reconstruct, Decode and Sample run it. Checkpoints are
// single files (see SaveCheckpoint) holding the JSON spec, the input
// scaler, the training state and float32 tensors.
package trainer
