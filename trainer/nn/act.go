package nn

import (
	"fmt"
	"slices"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/ops/train"
)

// Act is an elementwise activation fused into a layer's output, with its
// parameter (leaky-relu slope, elu scale).
type Act struct {
	Fn    ops.Act
	Alpha float32
}

// CheckAct reports activations the layers cannot differentiate: every
// activation of ops.ApplyAct has its derivative in train.ActBackward.
func CheckAct(a Act) error {
	switch a.Fn {
	case ops.ActNone, ops.ActRelu, ops.ActLeakyRelu, ops.ActSigmoid, ops.ActTanh, ops.ActElu, ops.ActSelu, ops.ActSoftplus:
		return nil
	}
	return fmt.Errorf("activation %d has no derivative in package nn", a.Fn)
}

// Activation applies an elementwise activation as its own layer (an
// output activation the loss takes over, e.g. the sigmoid of a BCE model,
// the activation after a batch norm, or a code activation a penalty needs
// the input of).
type Activation struct {
	Shape []int
	Act   Act
	y, dx []float32
}

// NewActivation returns an activation layer over per-sample shape.
func NewActivation(shape []int, a Act) (*Activation, error) {
	if err := CheckAct(a); err != nil {
		return nil, err
	}
	return &Activation{Shape: slices.Clone(shape), Act: a}, nil
}

func (a *Activation) Op() string       { return "activation" }
func (a *Activation) InShape() []int   { return a.Shape }
func (a *Activation) OutShape() []int  { return a.Shape }
func (a *Activation) Params() []*Param { return nil }
func (a *Activation) Replica() Layer   { return &Activation{Shape: a.Shape, Act: a.Act} }

func (a *Activation) Forward(x []float32, n int, _ *Pass) []float32 {
	a.y = Grow(a.y, len(x))
	ops.ApplyAct(a.y, x, a.Act.Fn, a.Act.Alpha)
	return a.y
}

func (a *Activation) Backward(dy []float32, _ [][]float32, _ bool) []float32 {
	a.dx = Grow(a.dx, len(dy))
	train.ActBackward(a.dx, dy, a.y, a.Act.Fn, a.Act.Alpha)
	return a.dx
}
