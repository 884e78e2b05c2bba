package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveSoftmax applies the softmax definition along the middle axis of
// outer×n×inner, without the max shift, in float64.
func naiveSoftmax(outer, n, inner int, x []float32, log bool) []float32 {
	y := make([]float32, len(x))
	for o := 0; o < outer; o++ {
		for j := 0; j < inner; j++ {
			var s float64
			for k := 0; k < n; k++ {
				s += math.Exp(float64(x[(o*n+k)*inner+j]))
			}
			for k := 0; k < n; k++ {
				i := (o*n+k)*inner + j
				if log {
					y[i] = float32(float64(x[i]) - math.Log(s))
				} else {
					y[i] = float32(math.Exp(float64(x[i])) / s)
				}
			}
		}
	}
	return y
}

func TestSoftmaxAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for it := 0; it < 50; it++ {
		outer, n, inner := 1+r.IntN(4), 1+r.IntN(6), 1+r.IntN(3)
		if it%3 == 0 {
			inner = 1
		}
		x := uniform(r, outer*n*inner)
		for i := range x {
			x[i] *= 5
		}
		for _, log := range []bool{false, true} {
			y := make([]float32, len(x))
			SoftmaxAxis(outer, n, inner, x, y, log)
			requireClose(t, "softmax", y, naiveSoftmax(outer, n, inner, x, log), 1e-5)
		}
	}
}

func TestSoftmaxHandComputed(t *testing.T) {
	y := make([]float32, 3)
	Softmax(1, 3, []float32{0, 0, math.Float32frombits(0x7f7fffff)}, y) // max float: no overflow
	requireClose(t, "huge", y, []float32{0, 0, 1}, 0)
	Softmax(1, 3, []float32{1, 1, 1}, y)
	requireClose(t, "uniform", y, []float32{1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-7)
	LogSoftmax(1, 3, []float32{1000, 1000, 1000}, y)
	l3 := float32(-math.Log(3))
	requireClose(t, "log uniform large", y, []float32{l3, l3, l3}, 1e-6)
	// In place, two rows.
	x := []float32{0, float32(math.Log(3)), 2, 2}
	Softmax(2, 2, x, x)
	requireClose(t, "in place", x, []float32{0.25, 0.75, 0.5, 0.5}, 1e-6)
}

func TestHardmax(t *testing.T) {
	// Along the middle axis of 1×3×2: column maxima at rows 2 and 0 (ties
	// keep the first).
	x := []float32{1, 5, 2, 5, 3, 0}
	y := make([]float32, 6)
	for i := range y {
		y[i] = 9
	}
	Hardmax(1, 3, 2, x, y)
	requireClose(t, "hardmax", y, []float32{0, 1, 0, 0, 1, 0}, 0)
	Hardmax(2, 3, 1, x, y)
	requireClose(t, "hardmax rows", y, []float32{0, 1, 0, 1, 0, 0}, 0)
}

// Softmax normalises each row: equal scores share the mass, and a score
// larger by ln 3 gets three times the weight.
func ExampleSoftmax() {
	x := []float32{0, 0, 0, float32(math.Log(3))}
	y := make([]float32, 4)
	Softmax(2, 2, x, y)
	fmt.Printf("%.2f\n", y)
	// Output: [0.50 0.50 0.25 0.75]
}
