package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Random tensors.
//
// The generator is Go's math/rand/v2 PCG. NewSeededRand derives its state
// from an ONNX seed attribute (a float), so a given seed always produces the
// same values here; they differ from ONNX Runtime's, which uses another
// generator. Compare statistics and determinism, not values.

// NewSeededRand returns a PCG generator whose state is derived from seed's
// IEEE 754 bits: equal seeds give identical streams.
func NewSeededRand(seed float32) *rand.Rand {
	b := uint64(math.Float32bits(seed))
	return rand.New(rand.NewPCG(b, b^0x9e3779b97f4a7c15))
}

// RandomNormalInto fills a floating-point tensor (float32, float64 or
// float16) with samples of mean + scale·N(0, 1) drawn from r.
func RandomNormalInto(dst *Tensor, r *rand.Rand, mean, scale float64) error {
	return randomFill(dst, r, func() float64 { return mean + scale*r.NormFloat64() })
}

// RandomUniformInto fills a floating-point tensor with samples of the
// uniform distribution on [low, high) drawn from r.
func RandomUniformInto(dst *Tensor, r *rand.Rand, low, high float64) error {
	return randomFill(dst, r, func() float64 { return low + (high-low)*r.Float64() })
}

func randomFill(dst *Tensor, r *rand.Rand, next func() float64) error {
	if r == nil {
		return fmt.Errorf("random: nil generator")
	}
	if err := dst.Validate(); err != nil {
		return fmt.Errorf("random: output: %w", err)
	}
	switch d := dst.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(next())
		}
	case []float64:
		for i := range d {
			d[i] = next()
		}
	case []uint16:
		for i := range d {
			d[i] = randHalfBits(float32(next()))
		}
	default:
		return fmt.Errorf("random: output type %v is not floating point", dst.DType)
	}
	return nil
}

// randHalfBits converts f to IEEE 754 half-precision bits, rounding to
// nearest even; overflow gives ±Inf, tiny values become subnormal or zero.
func randHalfBits(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int((b >> 23) & 0xff)
	mant := b & 0x7fffff
	if exp == 0xff { // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	switch {
	case e >= 0x1f:
		return sign | 0x7c00
	case e <= 0:
		if e < -10 {
			return sign
		}
		m := mant | 0x800000
		shift := uint(14 - e)
		h := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, up to Inf: still correct
	}
	return sign | uint16(h)
}
