package ops

import "math"

// SELU constants from Klambauer et al. (2017), as used by ONNX Selu defaults.
const (
	SeluAlpha = 1.6732632423543772848170429916717
	SeluGamma = 1.0507009873554804934193349852946
)

// ApplyAct writes act(src) into dst (which may alias src), for the
// activations with at most one parameter (ApplyActivation with beta 0).
func ApplyAct(dst, src []float32, act Act, alpha float32) {
	ApplyActivation(dst, src, act, alpha, 0)
}

// ApplyActivation writes act(src) into dst (which may alias src); alpha and
// beta are the activation's parameters (see Act).
func ApplyActivation(dst, src []float32, act Act, alpha, beta float32) {
	switch act {
	case ActNone:
		copy(dst, src) // a no-op when dst aliases src; safe on empty slices
	case ActRelu:
		ReluSlice(dst, src) // vectorised (vec_act.go)
	case ActLeakyRelu:
		LeakyReluSlice(dst, src, alpha) // vectorised (vec_hard.go)
	case ActHardSigmoid:
		HardSigmoidSlice(dst, src, alpha, beta)
	case ActHardSwish:
		HardSwishSlice(dst, src)
	case ActClip:
		ClipSlice(dst, src, alpha, beta)
	case ActSiLU:
		SiLUSlice(dst, src)
	case ActGelu:
		GeluSlice(dst, src)
	case ActGeluTanh:
		GeluTanhSlice(dst, src)
	case ActSigmoid:
		SigmoidSlice(dst, src) // vectorised (vec_act.go)
	case ActTanh:
		TanhSlice(dst, src) // vectorised (vec_act.go)
	case ActElu:
		for i, v := range src {
			if v < 0 {
				v = alpha * float32(math.Expm1(float64(v)))
			}
			dst[i] = v
		}
	case ActSelu:
		for i, v := range src {
			if v <= 0 {
				v = float32(SeluGamma * SeluAlpha * math.Expm1(float64(v)))
			} else {
				v = float32(SeluGamma * float64(v))
			}
			dst[i] = v
		}
	case ActSoftplus:
		for i, v := range src {
			dst[i] = Softplus32(v)
		}
	default:
		panic("ops: unknown activation")
	}
}

// Sigmoid32 is 1/(1+e^-x), computed without overflow for large |x|.
func Sigmoid32(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}

// Softplus32 is log(1+e^x), computed without overflow for large x.
func Softplus32(x float32) float32 {
	xf := float64(x)
	if xf > 0 {
		return float32(xf + math.Log1p(math.Exp(-xf)))
	}
	return float32(math.Log1p(math.Exp(xf)))
}
