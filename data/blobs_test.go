package data

import (
	"math"
	"testing"
)

// TestBlobs checks each image is one radially decaying blob: its brightest
// pixel is off the top and left border (centres are ≥ 1), every value is in (0, 1], equal
// arguments repeat the images and another stream moves the blobs.
func TestBlobs(t *testing.T) {
	const n, side = 20, 8
	ds := Blobs(n, side, 4, 9)
	if ds.N != n || ds.D != side*side || len(ds.X) != n*side*side {
		t.Fatalf("Blobs(%d, %d) = N %d, D %d, %d values", n, side, ds.N, ds.D, len(ds.X))
	}
	for i := 0; i < n; i++ {
		img := ds.X[i*side*side : (i+1)*side*side]
		best := 0
		for j, v := range img {
			if !(v > 0 && v <= 1) {
				t.Fatalf("image %d pixel %d = %g, want in (0, 1]", i, j, v)
			}
			if v > img[best] {
				best = j
			}
		}
		by, bx := best/side, best%side
		if by < 1 || bx < 1 {
			t.Errorf("image %d peaks at (%d,%d), want row and column ≥ 1 (centres start at 1)", i, by, bx)
		}
		// A blob centred within half a pixel of the peak has the peak at
		// least exp(-0.5/3) bright.
		if float64(img[best]) < math.Exp(-0.5/3)-1e-6 {
			t.Errorf("image %d peak %g, want ≥ %g", i, img[best], math.Exp(-0.5/3))
		}
	}
	again, other := Blobs(n, side, 4, 9), Blobs(n, side, 4, 3)
	same := true
	for j := range ds.X {
		if again.X[j] != ds.X[j] {
			t.Fatalf("Blobs is not repeatable at %d: %g vs %g", j, again.X[j], ds.X[j])
		}
		same = same && other.X[j] == ds.X[j]
	}
	if same {
		t.Error("another stream gave the same images")
	}
}
