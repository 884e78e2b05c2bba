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
// uniform distribution on [low, high) drawn from r. Samples that rounding
// to float32 or float16 would carry up to high are replaced by the largest
// value of the type below high, so high itself never appears (when
// high > low).
func RandomUniformInto(dst *Tensor, r *rand.Rand, low, high float64) error {
	next := func() float64 { return low + (high-low)*r.Float64() }
	if err := randomFill(dst, r, next); err != nil || !(high > low) {
		return err
	}
	switch d := dst.Data.(type) {
	case []float32:
		below := float32(high) // the largest float32 below high
		if float64(below) >= high {
			below = math.Nextafter32(below, float32(math.Inf(-1)))
		}
		for i, v := range d {
			if float64(v) >= high {
				d[i] = below
			}
		}
	case []uint16:
		below := Float64ToFloat16(high) // the largest float16 below high
		if float64(Float16ToFloat32(below)) >= high {
			below = nextHalfDown(below)
		}
		for i, v := range d {
			if float64(Float16ToFloat32(v)) >= high {
				d[i] = below
			}
		}
	}
	return nil
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
			d[i] = Float64ToFloat16(next())
		}
	default:
		return fmt.Errorf("random: output type %v is not floating point", dst.DType)
	}
	return nil
}

// BernoulliInto sets each element of dst (any type) to 1 (true) with the
// probability in the matching element of p (float32, float64 or float16,
// same shape) and to 0 (false) otherwise, drawing from r. Probabilities
// outside [0, 1] or NaN are an error.
func BernoulliInto(dst, p *Tensor, r *rand.Rand) error {
	if r == nil {
		return fmt.Errorf("bernoulli: nil generator")
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("bernoulli: probabilities: %w", err)
	}
	if err := dst.Validate(); err != nil {
		return fmt.Errorf("bernoulli: output: %w", err)
	}
	if !SameShape(dst.Shape, p.Shape) {
		return fmt.Errorf("bernoulli: output shape %s, probabilities %s", ShapeString(dst.Shape), ShapeString(p.Shape))
	}
	prob := make([]float64, p.Len())
	switch d := p.Data.(type) {
	case []float32:
		for i, v := range d {
			prob[i] = float64(v)
		}
	case []float64:
		copy(prob, d)
	case []uint16:
		for i, v := range d {
			prob[i] = float64(Float16ToFloat32(v))
		}
	default:
		return fmt.Errorf("bernoulli: probabilities must be floating point, got %v", p.DType)
	}
	for i, v := range prob {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("bernoulli: probability %g at element %d outside [0, 1]", v, i)
		}
	}
	switch d := dst.Data.(type) {
	case []float32:
		bernoulliFill(d, prob, r, 1)
	case []float64:
		bernoulliFill(d, prob, r, 1)
	case []uint16:
		bernoulliFill(d, prob, r, 0x3c00) // float16 1.0
	case []int64:
		bernoulliFill(d, prob, r, 1)
	case []int32:
		bernoulliFill(d, prob, r, 1)
	case []int8:
		bernoulliFill(d, prob, r, 1)
	case []uint8:
		bernoulliFill(d, prob, r, 1)
	case []bool:
		bernoulliFill(d, prob, r, true)
	}
	return nil
}

func bernoulliFill[T any](dst []T, prob []float64, r *rand.Rand, one T) {
	var zero T
	for i, p := range prob {
		if r.Float64() < p {
			dst[i] = one
		} else {
			dst[i] = zero
		}
	}
}
