// Package nn owns the trainer's layer abstraction for the image and
// generative autoencoders: a Layer owns its parameters, runs a batch forward
// and propagates gradients backward, and a Seq chains layers. The training
// loop, losses and optimisers see only Params, their gradients and the
// input/output shapes; they know nothing about layer internals.
//
// Data is batch-major contiguous []float32: a batch of n samples of
// per-sample shape S (e.g. [C,H,W] for images, [D] for vectors) is n·∏S
// values. Forward and Backward reuse per-layer buffers, so the slices they
// return are valid until the layer's next call; a layer never writes the
// slices it is given. Every compute step runs on ops/ kernels, the same
// kernels the native runtime uses for the exported graphs.
package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
)

// Param is one trainable tensor (also aliased as trainer.Param).
type Param struct {
	Name  string
	Shape []int
	Data  []float32
	// Decay reports whether weight decay applies (weights, not biases).
	Decay bool
}

// Pass carries what a forward pass needs besides the data: whether it is a
// training pass (batch statistics, dropout) and the random source of
// stochastic layers.
type Pass struct {
	Train bool
	RNG   *rand.Rand
}

// Layer is one differentiable stage of a network.
type Layer interface {
	// Op names the layer type (e.g. "conv2d"), for errors and exporters.
	Op() string
	// InShape and OutShape are the per-sample shapes.
	InShape() []int
	OutShape() []int
	// Params returns the trainable tensors, in a fixed order.
	Params() []*Param
	// Forward maps n samples x to the output (owned by the layer).
	Forward(x []float32, n int, p *Pass) []float32
	// Backward takes the gradient of the loss with respect to the last
	// Forward's output, adds the parameter gradients into grads (one slice
	// per Params entry, same order) and returns the gradient with respect
	// to that Forward's input (owned by the layer; nil when needInput is
	// false).
	Backward(dy []float32, grads [][]float32, needInput bool) []float32
}

// Stateful is implemented by layers holding non-trainable state that must
// be saved with the model (batch norm's running statistics).
type Stateful interface {
	State() []*Param
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

// Seq runs layers one after another.
type Seq struct {
	Layers []Layer
}

// NewSeq checks that consecutive layers agree on shapes and returns the
// chain.
func NewSeq(layers ...Layer) (*Seq, error) {
	for i := 1; i < len(layers); i++ {
		a, b := layers[i-1].OutShape(), layers[i].InShape()
		if size(a) != size(b) {
			return nil, fmt.Errorf("layer %d (%s) outputs %v but layer %d (%s) expects %v", i-1, layers[i-1].Op(), a, i, layers[i].Op(), b)
		}
	}
	return &Seq{Layers: layers}, nil
}

// InShape and OutShape are the chain's per-sample shapes.
func (s *Seq) InShape() []int  { return s.Layers[0].InShape() }
func (s *Seq) OutShape() []int { return s.Layers[len(s.Layers)-1].OutShape() }

// Params lists every layer's parameters in layer order.
func (s *Seq) Params() []*Param {
	var ps []*Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// State lists every stateful layer's state tensors in layer order.
func (s *Seq) State() []*Param {
	var ps []*Param
	for _, l := range s.Layers {
		if st, ok := l.(Stateful); ok {
			ps = append(ps, st.State()...)
		}
	}
	return ps
}

// Forward runs x through every layer.
func (s *Seq) Forward(x []float32, n int, p *Pass) []float32 {
	for _, l := range s.Layers {
		x = l.Forward(x, n, p)
	}
	return x
}

// Backward propagates dy through the layers in reverse. grads holds one
// slice per entry of Params, in the same order. It returns the gradient
// with respect to the input when needInput.
func (s *Seq) Backward(dy []float32, grads [][]float32, needInput bool) []float32 {
	off := len(grads)
	for i := len(s.Layers) - 1; i >= 0; i-- {
		l := s.Layers[i]
		np := len(l.Params())
		off -= np
		dy = l.Backward(dy, grads[off:off+np], needInput || i > 0)
	}
	return dy
}
