package train

import "github.com/latent-ml/latent/ops"

import "math"

// ActBackward writes dz = dy·f'(z) for y = f(z) with f = act (alpha is its
// leaky-relu slope or elu scale), computing f' from the output y: every
// activation ApplyAct supports has a derivative expressible in its output.
// dz may alias dy. It is the backward pass both trainers share.
func ActBackward(dz, dy, y []float32, act ops.Act, alpha float32) {
	switch act {
	case ops.ActNone:
		copy(dz, dy)
	case ops.ActRelu:
		done := reluBackVec(dz, dy, y) // act_amd64.s; the loop does the rest
		dz, dy, y = dz[done:], dy[done:], y[done:]
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
		done := sigmoidBackVec(dz, dy, y)
		dz, dy, y = dz[done:], dy[done:], y[done:]
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

// ActDerivs returns f'(z) and f”(z) for f = act computed from the output
// y = f(z); second-order penalties (the contractive autoencoder's) need both.
func ActDerivs(y float32, act ops.Act, alpha float32) (d1, d2 float32) {
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
