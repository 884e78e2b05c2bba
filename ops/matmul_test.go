package ops

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveMatMul evaluates NumPy matmul semantics directly: it promotes
// vectors, broadcasts the batch axes by index arithmetic and sums.
func naiveMatMul(as, bs []int, a, b []float64) ([]int, []float64) {
	pa, pb := as, bs
	if len(as) == 1 {
		pa = []int{1, as[0]}
	}
	if len(bs) == 1 {
		pb = []int{bs[0], 1}
	}
	m, k, n := pa[len(pa)-2], pa[len(pa)-1], pb[len(pb)-1]
	ba, bb := pa[:len(pa)-2], pb[:len(pb)-2]
	nb := max(len(ba), len(bb))
	batch := make([]int, nb)
	for i := range batch {
		da, db := 1, 1
		if j := i - nb + len(ba); j >= 0 {
			da = ba[j]
		}
		if j := i - nb + len(bb); j >= 0 {
			db = bb[j]
		}
		batch[i] = max(da, db)
	}
	var y []float64
	idx := make([]int, nb)
	for bi := 0; bi < NumElements(batch); bi++ {
		offA, offB := 0, 0
		for i := range idx {
			if j := i - nb + len(ba); j >= 0 {
				offA = offA*ba[j] + idx[i]%ba[j]
			}
			if j := i - nb + len(bb); j >= 0 {
				offB = offB*bb[j] + idx[i]%bb[j]
			}
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for q := 0; q < k; q++ {
					s += a[offA*m*k+i*k+q] * b[offB*k*n+q*n+j]
				}
				y = append(y, s)
			}
		}
		nextIndex(idx, batch)
	}
	out := append([]int(nil), batch...)
	if len(as) > 1 {
		out = append(out, m)
	}
	if len(bs) > 1 {
		out = append(out, n)
	}
	return out, y
}

func TestMatMulAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	cases := [][2][]int{
		{{3}, {3}}, {{2, 3}, {3}}, {{3}, {3, 4}}, {{4, 3}, {3, 5}}, {{2, 3, 4}, {4, 5}},
		{{2, 1, 3, 4}, {5, 4, 2}}, {{1, 3, 4}, {2, 4, 5}}, {{2, 2, 3}, {1, 3, 1}}, {{3}, {2, 3, 4}},
		{{2, 3, 4}, {4}}, {{0, 3}, {3, 2}}, {{2, 0}, {0, 3}},
	}
	for _, c := range cases {
		as, bs := c[0], c[1]
		p, err := PlanMatMul(as, bs)
		require.NoErrorf(t, err, "%v x %v", as, bs)
		a32, b32 := uniform(r, NumElements(as)), uniform(r, NumElements(bs))
		a64, b64 := make([]float64, len(a32)), make([]float64, len(b32))
		for i, v := range a32 {
			a64[i] = float64(v)
		}
		for i, v := range b32 {
			b64[i] = float64(v)
		}
		shape, want := naiveMatMul(as, bs, a64, b64)
		require.Truef(t, slices.Equal(shape, p.Out), "%v x %v: shape %v, want %v", as, bs, p.Out, shape)
		y32 := make([]float32, NumElements(p.Out))
		for i := range y32 {
			y32[i] = 42
		}
		MatMulF32(p, a32, b32, y32)
		want32 := make([]float32, len(want))
		for i, v := range want {
			want32[i] = float32(v)
		}
		requireClose(t, fmt.Sprintf("float32 %v x %v", as, bs), y32, want32, 1e-5)
		y64 := make([]float64, len(want))
		MatMulNaive(p, a64, b64, y64)
		for i := range want {
			d := y64[i] - want[i]
			if d > 1e-12 || d < -1e-12 {
				require.Failf(t, "d > 1e-12 || d < -1e-12", "float64 %v x %v: element %d: %v, want %v", as, bs, i, y64[i], want[i])
			}
		}
	}
}

func TestMatMulIntegers(t *testing.T) {
	p, err := PlanMatMul([]int{2, 2}, []int{2, 2})
	require.NoError(t, err)
	y := make([]int64, 4)
	MatMulNaive(p, []int64{1, 2, 3, 4}, []int64{5, 6, 7, 8}, y)
	assert.Equal(t, []int64{19, 22, 43, 50}, y)
}

func TestMatMulShapeErrors(t *testing.T) {
	for _, c := range [][2][]int{{{2, 3}, {4, 5}}, {{2, 2, 3}, {3, 3, 4}}, {{}, {3}}, {{3}, {4}}} {
		_, err := PlanMatMul(c[0], c[1])
		assert.Errorf(t, err, "%v x %v accepted", c[0], c[1])
	}
}
