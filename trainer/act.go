package trainer

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
)

// opsAct maps a spec activation to the ops kernel activation.
func opsAct(a models.Activation) (ops.Act, error) {
	switch a {
	case models.Identity:
		return ops.ActNone, nil
	case models.Relu:
		return ops.ActRelu, nil
	case models.LeakyRelu:
		return ops.ActLeakyRelu, nil
	case models.Sigmoid:
		return ops.ActSigmoid, nil
	case models.Tanh:
		return ops.ActTanh, nil
	case models.Elu:
		return ops.ActElu, nil
	case models.Selu:
		return ops.ActSelu, nil
	case models.Softplus:
		return ops.ActSoftplus, nil
	}
	return 0, fmt.Errorf("unknown activation %q", a)
}

// actGrad writes dz = dy·f'(z) for y = f(z), computing f' from the output y
// (every supported activation's derivative is a function of its output).
// dz may alias dy.
func actGrad(dz, dy, y []float32, act ops.Act, alpha float32) {
	switch act {
	case ops.ActNone:
		if &dz[0] != &dy[0] {
			copy(dz, dy)
		}
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
				dz[i] = dy[i] * alpha
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
				dz[i] = dy[i] * (v + alpha)
			}
		}
	case ops.ActSelu:
		const ga = float32(ops.SeluGamma * ops.SeluAlpha)
		for i, v := range y {
			if v > 0 {
				dz[i] = dy[i] * float32(ops.SeluGamma)
			} else {
				dz[i] = dy[i] * (v + ga)
			}
		}
	case ops.ActSoftplus:
		for i, v := range y {
			// f'(z) = sigmoid(z) = 1 - e^{-y}
			dz[i] = dy[i] * float32(-math.Expm1(-float64(v)))
		}
	}
}

// actDerivs returns f'(z) and f”(z) from the output y = f(z); the
// contractive penalty needs both.
func actDerivs(y float32, act ops.Act, alpha float32) (d1, d2 float32) {
	switch act {
	case ops.ActNone:
		return 1, 0
	case ops.ActRelu:
		if y > 0 {
			return 1, 0
		}
		return 0, 0
	case ops.ActLeakyRelu:
		if y > 0 {
			return 1, 0
		}
		return alpha, 0
	case ops.ActSigmoid:
		d1 = y * (1 - y)
		return d1, d1 * (1 - 2*y)
	case ops.ActTanh:
		d1 = 1 - y*y
		return d1, -2 * y * d1
	case ops.ActElu:
		if y > 0 {
			return 1, 0
		}
		return y + alpha, y + alpha
	case ops.ActSelu:
		if y > 0 {
			return float32(ops.SeluGamma), 0
		}
		v := y + float32(ops.SeluGamma*ops.SeluAlpha)
		return v, v
	case ops.ActSoftplus:
		p := float32(-math.Expm1(-float64(y)))
		return p, p * (1 - p)
	}
	return 1, 0
}
