package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The row movers are checked against independent per-element definitions
// (written from their doc comments), on widths across several 16- and
// 32-lane chunks (wide rows take one assembly call per chunk), with guard cells around each destination row that must stay
// untouched, once per implementation this CPU can run (Go loops, AVX2,
// AVX-512: forEachMove switches the wrappers between them).

const guard = float32(-7777)

var moveNames = map[int]string{moveGo: "go", moveAVX2: "avx2", moveAVX512: "avx512"}

// forEachMove runs f with the wrappers on each implementation in turn.
func forEachMove(t *testing.T, f func(t *testing.T)) {
	defer func(u int) { moveUse = u }(moveUse)
	for _, impl := range moveImpls() {
		moveUse = impl
		t.Run(moveNames[impl], f)
	}
}

func moveRand(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*4 - 2
	}
	return s
}

func guarded(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = guard
	}
	return s
}

// checkRows compares got with want on the rows × w cells at stride and
// asserts every other cell still holds the guard.
func checkRows(t *testing.T, what string, got []float32, rows, stride, w int, want func(r, j int) float32) {
	t.Helper()
	inRow := make([]bool, len(got))
	for r := 0; r < rows; r++ {
		for j := 0; j < w; j++ {
			i := r*stride + j
			inRow[i] = true
			wv := want(r, j)
			if got[i] != wv && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(wv))) {
				require.Failf(t, "got[i] != wv && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(wv)))", "%s: row %d col %d = %v, want %v", what, r, j, got[i], wv)
			}
			if wv == 0 && math.Signbit(float64(wv)) != math.Signbit(float64(got[i])) {
				require.Failf(t, "wv == 0 && math.Signbit(float64(wv)) != math.Signbit(float64(got[i]))", "%s: row %d col %d = %v, want %v (sign of zero)", what, r, j, got[i], wv)
			}
		}
	}
	for i, v := range got {
		if !inRow[i] && v != guard {
			require.Failf(t, "!inRow[i] && v != guard", "%s: cell %d outside the rows written: %v", what, i, v)
		}
	}
}

func TestSplit2Rows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	forEachMove(t, func(t *testing.T) {
		f := struct {
			name string
			fn   func(dst0, dst1, src []float32, rows, srcStride, dstStride, lead, n, w int)
		}{"split2Rows", split2Rows}
		for w := 1; w <= 40; w++ {
			for _, lead := range []int{0, 1, 2, 3} {
				for _, n := range []int{1, 2*w - 3, 2 * w, 2*w + 5} {
					if n < 1 {
						continue
					}
					rows, srcStride, dstStride := 1+rng.IntN(4), n+rng.IntN(3), w+rng.IntN(3)
					src := moveRand(rng, (rows-1)*srcStride+n)
					d0, d1 := guarded((rows-1)*dstStride+w+2), guarded((rows-1)*dstStride+w+2)
					f.fn(d0, d1, src, rows, srcStride, dstStride, lead, n, w)
					p := func(r, j int) float32 {
						if i := j - lead; i >= 0 && i < n {
							return src[r*srcStride+i]
						}
						return 0
					}
					checkRows(t, f.name+" even", d0, rows, dstStride, w, func(r, u int) float32 { return p(r, 2*u) })
					checkRows(t, f.name+" odd", d1, rows, dstStride, w, func(r, u int) float32 { return p(r, 2*u+1) })
				}
			}
		}
	})
}

func TestPadRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	forEachMove(t, func(t *testing.T) {
		f := struct {
			name string
			fn   func(dst, src []float32, rows, srcStride, dstStride, lead, n, w int)
		}{"padRows", padRows}
		for w := 1; w <= 70; w++ {
			for _, lead := range []int{0, 1, 3} {
				for _, n := range []int{1, w - lead - 1, w - lead, w + 4} {
					if n < 1 {
						continue
					}
					rows, srcStride, dstStride := 1+rng.IntN(4), n+rng.IntN(3), w+rng.IntN(3)
					src := moveRand(rng, (rows-1)*srcStride+n)
					dst := guarded((rows-1)*dstStride + w + 2)
					f.fn(dst, src, rows, srcStride, dstStride, lead, n, w)
					checkRows(t, f.name, dst, rows, dstStride, w, func(r, j int) float32 {
						if i := j - lead; i >= 0 && i < n {
							return src[r*srcStride+i]
						}
						return 0
					})
				}
			}
		}
	})
}

func relu32(v float32, on bool) float32 {
	if on && v < 0 {
		return 0
	}
	return v
}

func TestBiasRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	forEachMove(t, func(t *testing.T) {
		f := struct {
			name string
			fn   func(dst, src []float32, rows, srcStride, dstStride, n int, b float32, relu bool)
		}{"biasRows", biasRows}
		for n := 1; n <= 70; n++ {
			for _, relu := range []bool{false, true} {
				rows, srcStride, dstStride := 1+rng.IntN(4), n+rng.IntN(3), n+rng.IntN(3)
				src := moveRand(rng, (rows-1)*srcStride+n)
				src[0] = float32(math.NaN())
				if n > 1 {
					src[1] = float32(math.Copysign(0, -1))
				}
				b := rng.Float32() - 0.5
				if n > 1 {
					b = 0 // -0 + 0 is +0: keep one case where the sign of zero is visible
				}
				dst := guarded((rows-1)*dstStride + n + 2)
				f.fn(dst, src, rows, srcStride, dstStride, n, b, relu)
				checkRows(t, f.name, dst, rows, dstStride, n, func(r, j int) float32 {
					return relu32(src[r*srcStride+j]+b, relu)
				})
			}
		}
	})
}

func TestInterleave2Rows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	forEachMove(t, func(t *testing.T) {
		f := struct {
			name string
			fn   func(dst, a, c []float32, rows, srcStride, dstStride, n int, b float32, relu bool)
		}{"interleave2Rows", interleave2Rows}
		for n := 1; n <= 70; n++ {
			for _, relu := range []bool{false, true} {
				na, nc := (n+1)/2, n/2
				rows, srcStride, dstStride := 1+rng.IntN(4), na+rng.IntN(3), n+rng.IntN(3)
				a := moveRand(rng, (rows-1)*srcStride+na)
				c := moveRand(rng, (rows-1)*srcStride+max(nc, 1))
				if nc == 0 {
					c = c[:0]
				}
				b := rng.Float32() - 0.5
				dst := guarded((rows-1)*dstStride + n + 2)
				f.fn(dst, a, c, rows, srcStride, dstStride, n, b, relu)
				checkRows(t, f.name, dst, rows, dstStride, n, func(r, j int) float32 {
					src := a
					if j%2 == 1 {
						src = c
					}
					return relu32(src[r*srcStride+j/2]+b, relu)
				})
			}
		}
	})
}
