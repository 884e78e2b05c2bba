package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestActBackwardVector checks ActBackward's Relu and Sigmoid (vectorised
// on AVX2 for the multiple-of-8 prefix) bit for bit against the
// element-wise definitions, on lengths around the 8-lane steps, with y
// holding NaN, ±0 and values on both sides of zero, and with dz aliasing
// dy as the trainers call it.
func TestActBackwardVector(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	defs := map[Act]func(dy, y float32) float32{
		ActRelu: func(dy, y float32) float32 {
			if y > 0 {
				return dy
			}
			return 0
		},
		ActSigmoid: func(dy, y float32) float32 { return dy * y * (1 - y) },
	}
	for act, def := range defs {
		for _, n := range []int{0, 1, 7, 8, 9, 16, 31, 100} {
			for _, alias := range []bool{false, true} {
				y, dy := make([]float32, n), make([]float32, n)
				for i := range y {
					y[i], dy[i] = rng.Float32()*2-1, rng.Float32()*4-2
				}
				for i, v := range []float32{float32(math.NaN()), negZero, 0} {
					if i < n {
						y[(i*5)%n] = v
					}
				}
				want := make([]float32, n)
				for i := range want {
					want[i] = def(dy[i], y[i])
				}
				dz := make([]float32, n)
				if alias {
					dz = dy
				}
				ActBackward(dz, dy, y, act, 0)
				for i := range want {
					if math.Float32bits(dz[i]) != math.Float32bits(want[i]) && !(dz[i] != dz[i] && want[i] != want[i]) {
						t.Fatalf("%v n=%d alias=%v: dz[%d] = %v, want %v (y %v)", act, n, alias, i, dz[i], want[i], y[i])
					}
				}
			}
		}
	}
}

// TestActSlicesCutInvariant wants Sigmoid, Tanh and Exp of a value to be
// the same bits whether it is computed in a long slice or alone: the
// vector kernels (where the CPU has them) handle the tails too, so a
// batch's outputs do not depend on how it is cut into calls. No call may
// allocate.
func TestActSlicesCutInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	x := make([]float32, 37)
	for i := range x {
		x[i] = rng.Float32()*16 - 8
	}
	for name, f := range map[string]func(dst, src []float32){"sigmoid": SigmoidSlice, "tanh": TanhSlice, "exp": ExpSlice} {
		whole := make([]float32, len(x))
		f(whole, x)
		for lo := 0; lo < len(x); lo++ {
			for _, hi := range []int{lo + 1, min(lo+5, len(x)), len(x)} {
				part := make([]float32, hi-lo)
				f(part, x[lo:hi])
				for i, v := range part {
					if math.Float32bits(v) != math.Float32bits(whole[lo+i]) {
						t.Fatalf("%s(x[%d]) = %v in x[%d:%d], %v in the whole slice", name, lo+i, v, lo, hi, whole[lo+i])
					}
				}
			}
		}
		dst := make([]float32, 13)
		if a := testing.AllocsPerRun(100, func() { f(dst, x[:13]) }); a != 0 {
			t.Errorf("%s allocates %v times per call", name, a)
		}
	}
}

// TestAddTo checks addTo (vectorised for the multiple-of-8 prefix) against
// element-wise sums, leaving dst past len(src) alone.
func TestAddTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, n := range []int{0, 1, 7, 8, 9, 17, 100} {
		src, dst := nnRand(rng, n), nnRand(rng, n+3)
		want := append([]float32(nil), dst...)
		for i, v := range src {
			want[i] += v
		}
		addTo(dst, src)
		for i := range want {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: dst[%d] = %v, want %v", n, i, dst[i], want[i])
			}
		}
	}
}
