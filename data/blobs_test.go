package data

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBlobs checks each image is one radially decaying blob: its brightest
// pixel is off the top and left border (centres are ≥ 1), every value is in (0, 1], equal
// arguments repeat the images and another stream moves the blobs.
func TestBlobs(t *testing.T) {
	const n, side = 20, 8
	ds := Blobs(n, side, 4, 9)
	require.Equal(t, [3]int{n, side * side, n * side * side}, [3]int{ds.N, ds.D, len(ds.X)},
		"Blobs(%d, %d): N, D, number of values", n, side)
	for i := 0; i < n; i++ {
		img := ds.X[i*side*side : (i+1)*side*side]
		best := 0
		for j, v := range img {
			require.Truef(t, v > 0 && v <= 1, "image %d pixel %d = %g, want in (0, 1]", i, j, v)
			if v > img[best] {
				best = j
			}
		}
		by, bx := best/side, best%side
		assert.Truef(t, by >= 1 && bx >= 1,
			"image %d peaks at (%d,%d), want row and column ≥ 1 (centres start at 1)", i, by, bx)
		// A blob centred within half a pixel of the peak has the peak at
		// least exp(-0.5/3) bright.
		assert.GreaterOrEqualf(t, float64(img[best]), math.Exp(-0.5/3)-1e-6,
			"image %d peak %g, want ≥ %g", i, img[best], math.Exp(-0.5/3))
	}
	again, other := Blobs(n, side, 4, 9), Blobs(n, side, 4, 3)
	require.Equal(t, ds.X, again.X, "Blobs is not repeatable")
	assert.NotEqual(t, ds.X, other.X, "another stream gave the same images")
}
