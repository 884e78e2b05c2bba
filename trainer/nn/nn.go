// Package nn owns the trainer's layer model, the one every autoencoder kind
// is built from: a Layer owns its parameters, runs a batch forward and
// propagates gradients backward; a Net chains layers and marks where the
// code is; a Loss compares the network's output with its target; a Penalty
// adds a regulariser on the activations at one point of a Net (L1 and KL
// sparsity, the contractive Jacobian norm, a VAE's KL divergence). The
// training loop, the optimisers and the exporter see only parameters,
// their gradients, shapes and the layer types; they know nothing about
// layer internals.
//
// Layers cover dense (optionally sharing a mirror layer's weights
// transposed: tied weights), 2-D convolution and transposed convolution,
// pooling, upsampling, batch norm, reshape, activation, dropout, input
// noise, k-sparse selection and the VAE's Gaussian posterior and sampling.
//
// Data is batch-major contiguous []float32: a batch of n samples of
// per-sample shape S (e.g. [C,H,W] for images, [D] for vectors) is n·∏S
// values. Forward and Backward reuse per-layer buffers, so the slices they
// return are valid until the layer's next call; a layer never writes the
// slices it is given. To run chunks of one batch concurrently, the
// trainer takes a Replica of each layer per chunk: replicas share
// parameters and state but not buffers. Every compute step runs on ops/
// kernels, the same kernels the native runtime uses for exported graphs.
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
)

// Param is one trainable tensor (also aliased as trainer.Param), or one
// tensor of non-trainable layer state (batch norm's running statistics).
type Param struct {
	Name  string
	Shape []int
	Data  []float32
	// Decay reports whether weight decay applies (weights, not biases).
	Decay bool
}

// Pass carries what a forward pass needs besides the data: whether it is a
// training pass (batch statistics, dropout, noise, sampling) and the random
// source of stochastic layers.
type Pass struct {
	Train bool
	RNG   *rand.Rand
}

func (p *Pass) training() bool { return p != nil && p.Train }

// Layer is one differentiable stage of a network.
type Layer interface {
	// Op names the layer type (e.g. "conv2d"), for errors and exporters.
	Op() string
	// InShape and OutShape are the per-sample shapes.
	InShape() []int
	OutShape() []int
	// Params returns the trainable tensors, in a fixed order. A tensor
	// may be shared with another layer (tied weights).
	Params() []*Param
	// Forward maps n samples x to the output (owned by the layer).
	Forward(x []float32, n int, p *Pass) []float32
	// Backward takes the gradient of the loss with respect to the last
	// Forward's output, adds the parameter gradients into grads (one slice
	// per Params entry, same order) and returns the gradient with respect
	// to that Forward's input (owned by the layer; nil when needInput is
	// false).
	Backward(dy []float32, grads [][]float32, needInput bool) []float32
	// Replica returns a layer that shares this layer's parameters and
	// state but has buffers of its own, so that replicas can run
	// different chunks of one batch at the same time.
	Replica() Layer
}

// Stateful is implemented by layers holding non-trainable state that must
// be saved with the model (batch norm's running statistics).
type Stateful interface {
	State() []*Param
}

// Coupled is implemented by layers whose training pass depends on the
// whole batch, not on each sample alone (batch norm's statistics). When a
// batch runs as several chunks, the trainer calls ForwardBatch and
// BackwardBatch on the first chunk's replica with every chunk's data
// instead of Forward and Backward on each replica.
type Coupled interface {
	Layer
	// ForwardBatch runs the chunks xs (ns[c] samples each, in batch order)
	// as one batch and returns each chunk's output.
	ForwardBatch(xs [][]float32, ns []int, p *Pass) [][]float32
	// BackwardBatch propagates every chunk's output gradient, adding the
	// batch's parameter gradients into grads once, and returns each
	// chunk's input gradient (nil when needInput is false).
	BackwardBatch(dys [][]float32, grads [][]float32, needInput bool) [][]float32
}

func size(shape []int) int { return ops.NumElements(shape) }

// Grow returns buf resized to n elements, reallocating when too small (the
// per-layer and per-network scratch buffers of the trainer).
func Grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

func newParam(name string, decay bool, shape ...int) *Param {
	return &Param{Name: name, Shape: shape, Data: make([]float32, size(shape)), Decay: decay}
}

// Init names a weight initialisation: uniform draws from ±sqrt(6/fan).
type Init int

const (
	// Xavier (Glorot) uniform: fan = fan-in + fan-out.
	Xavier Init = iota
	// He uniform: fan = fan-in.
	He
)

// InitUniform fills w with U(±sqrt(6/fan)) draws from rng: He uniform
// for fan = fan-in, Xavier (Glorot) uniform for fan = fan-in + fan-out.
func InitUniform(w []float32, fan int, rng *rand.Rand) {
	lim := math.Sqrt(6 / float64(max(fan, 1)))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * lim)
	}
}

// fill draws w for a layer of the given fan-in and fan-out.
func (in Init) fill(w []float32, fanIn, fanOut int, rng *rand.Rand) {
	if in == He {
		InitUniform(w, fanIn, rng)
		return
	}
	InitUniform(w, fanIn+fanOut, rng)
}

func (in Init) String() string {
	if in == He {
		return "he"
	}
	return "xavier"
}

// checkShapes reports a chain whose consecutive layers disagree on the
// number of values per sample.
func checkShapes(layers []Layer) error {
	for i := 1; i < len(layers); i++ {
		a, b := layers[i-1].OutShape(), layers[i].InShape()
		if size(a) != size(b) {
			return fmt.Errorf("layer %d (%s) outputs %v but layer %d (%s) expects %v", i-1, layers[i-1].Op(), a, i, layers[i].Op(), b)
		}
	}
	return nil
}
