package nn

import (
	"fmt"
	"math"

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

// actBackward writes dz = dy·f'(z) computed from the output y = f(z).
// dz may alias dy.
func actBackward(a Act, dz, dy, y []float32) {
	switch a.Fn {
	case ops.ActNone:
		copy(dz, dy)
	case ops.ActRelu:
		for i, v := range y {
			if v > 0 {
				dz[i] = dy[i]
			} else {
				dz[i] = 0
			}
		}
	case ops.ActLeakyRelu:
		for i, v := range y {
			if v > 0 {
				dz[i] = dy[i]
			} else {
				dz[i] = dy[i] * a.Alpha
			}
		}
	case ops.ActSigmoid:
		for i, v := range y {
			dz[i] = dy[i] * v * (1 - v)
		}
	case ops.ActTanh:
		for i, v := range y {
			dz[i] = dy[i] * (1 - v*v)
		}
	case ops.ActElu:
		for i, v := range y {
			if v > 0 {
				dz[i] = dy[i]
			} else {
				dz[i] = dy[i] * (v + a.Alpha)
			}
		}
	case ops.ActSoftplus:
		for i, v := range y {
			dz[i] = dy[i] * float32(-math.Expm1(-float64(v)))
		}
	}
}
