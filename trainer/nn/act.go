package nn

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
)

// Act is an elementwise activation fused into a layer's output, with its
// parameter (leaky-relu slope, elu scale).
type Act struct {
	Fn    ops.Act
	Alpha float32
}

// CheckAct reports activations the layers cannot differentiate.
func CheckAct(a Act) error {
	switch a.Fn {
	case ops.ActNone, ops.ActRelu, ops.ActLeakyRelu, ops.ActSigmoid, ops.ActTanh, ops.ActElu, ops.ActSoftplus:
		return nil
	}
	return fmt.Errorf("activation %d has no derivative in package nn", a.Fn)
}
