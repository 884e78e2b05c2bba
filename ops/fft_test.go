package ops

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFFTAgainstNaiveDFT checks both paths (radix-2 and Bluestein) in both
// directions against the O(n²) definition.
func TestFFTAgainstNaiveDFT(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 17, 31, 64, 100, 128, 257} {
		for _, inv := range []bool{false, true} {
			x := make([]complex128, n)
			for i := range x {
				x[i] = complex(r.Float64()*2-1, r.Float64()*2-1)
			}
			sign := -1.0
			if inv {
				sign = 1
			}
			want := make([]complex128, n)
			for k := range want {
				for j, v := range x {
					want[k] += v * cmplx.Rect(1, sign*2*math.Pi*float64(k*j%n)/float64(n))
				}
			}
			FFT(x, inv)
			for k := range x {
				if cmplx.Abs(x[k]-want[k]) > 1e-9*float64(n) {
					assert.Failf(t, "FFT differs from the DFT", "n=%d inverse=%v k=%d: got %v, want %v", n, inv, k, x[k], want[k])
					break
				}
			}
		}
	}
}

func TestFFTHandComputed(t *testing.T) {
	// The transform of a unit impulse is flat; of a constant, an impulse.
	x := []complex128{1, 0, 0}
	FFT(x, false)
	assert.InDeltaSlice(t, []float64{1, 1, 1}, []float64{real(x[0]), real(x[1]), real(x[2])}, 1e-12)
	y := []complex128{2, 2, 2, 2}
	FFT(y, true)
	assert.Equal(t, []complex128{8, 0, 0, 0}, y)
}
