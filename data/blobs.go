package data

import (
	"math"
	"math/rand/v2"
)

// Blobs returns n synthetic single-channel side×side images, flattened,
// for tests and golden vectors that need data a convolution can learn:
// image i is exp(−d²/3) of the distance d to a centre drawn uniformly from
// [1, side−1)² (so values lie in (0, 1]). The centres come from a PCG
// generator seeded with (seed, stream), so equal arguments give equal
// images.
func Blobs(n, side int, seed, stream uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, stream))
	span := float64(side - 2)
	x := make([]float32, n*side*side)
	for i := 0; i < n; i++ {
		cy, cx := 1+r.Float64()*span, 1+r.Float64()*span
		for y := 0; y < side; y++ {
			for xx := 0; xx < side; xx++ {
				d := (float64(y)-cy)*(float64(y)-cy) + (float64(xx)-cx)*(float64(xx)-cx)
				x[i*side*side+y*side+xx] = float32(math.Exp(-d / 3))
			}
		}
	}
	return &Dataset{N: n, D: side * side, X: x, Source: "synthetic blobs"}
}
