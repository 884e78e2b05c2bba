package trainer

import (
	"fmt"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/trainer/nn"
)

// activations is the activation table: the ops kernel of every spec
// activation (each has its derivative in train.ActBackward, so every layer
// of every kind can use every activation).
var activations = map[models.Activation]ops.Act{
	models.Identity:  ops.ActNone,
	models.Relu:      ops.ActRelu,
	models.LeakyRelu: ops.ActLeakyRelu,
	models.Sigmoid:   ops.ActSigmoid,
	models.Tanh:      ops.ActTanh,
	models.Elu:       ops.ActElu,
	models.Selu:      ops.ActSelu,
	models.Softplus:  ops.ActSoftplus,
}

// actOf returns the layer activation of a spec activation, with its
// parameter (leaky-relu slope, elu scale) from the spec.
func actOf(s models.Spec, a models.Activation) (nn.Act, error) {
	fn, ok := activations[a]
	if !ok {
		return nn.Act{}, fmt.Errorf("unknown activation %q", a)
	}
	return nn.Act{Fn: fn, Alpha: float32(s.ActivationAlpha(a))}, nil
}

// SpecActivation returns the spec activation whose kernel is fn (the
// inverse of the activation table, for importers that read layers back).
func SpecActivation(fn ops.Act) (models.Activation, bool) {
	for a, f := range activations {
		if f == fn {
			return a, true
		}
	}
	return "", false
}
