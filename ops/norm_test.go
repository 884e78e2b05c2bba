package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBatchNormInference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	n, c, sp := 3, 4, 5
	x := uniform(r, n*c*sp)
	scale, bias, mean := uniform(r, c), uniform(r, c), uniform(r, c)
	variance := make([]float32, c)
	for i := range variance {
		variance[i] = r.Float32() + 0.1
	}
	eps := float32(1e-3)
	want := make([]float32, len(x))
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			for j := 0; j < sp; j++ {
				k := (i*c+ch)*sp + j
				want[k] = float32(float64(scale[ch])*(float64(x[k])-float64(mean[ch]))/math.Sqrt(float64(variance[ch])+float64(eps)) + float64(bias[ch]))
			}
		}
	}
	y := make([]float32, len(x))
	BatchNormInference(n, c, sp, x, scale, bias, mean, variance, eps, y)
	requireClose(t, "batchnorm", y, want, 1e-5)
	// In place.
	BatchNormInference(n, c, sp, x, scale, bias, mean, variance, eps, x)
	requireClose(t, "batchnorm in place", x, want, 1e-5)
}

func TestBatchNormTraining(t *testing.T) {
	// One channel, values 1..4: mean 2.5, population variance 1.25.
	x := []float32{1, 2, 3, 4}
	y := make([]float32, 4)
	bm, bv := make([]float32, 1), make([]float32, 1)
	BatchNormTraining(2, 1, 2, x, []float32{2}, []float32{1}, 0, y, bm, bv)
	require.EqualValues(t, 2.5, bm[0], "batch stats: got %v %v, want 2.5 1.25", bm[0], bv[0])
	require.EqualValues(t, 1.25, bv[0], "batch stats: got %v %v, want 2.5 1.25", bm[0], bv[0])
	s := 1 / math.Sqrt(1.25)
	requireClose(t, "training output", y, []float32{float32(2*(-1.5)*s + 1), float32(2*(-0.5)*s + 1), float32(2*0.5*s + 1), float32(2*1.5*s + 1)}, 1e-6)
}

// naiveNormRows normalises each row of x by its own statistics.
func naiveNormRows(rows, cols int, x []float32, eps float64) (y, mean, inv []float32) {
	for r := 0; r < rows; r++ {
		row := x[r*cols : (r+1)*cols]
		var s float64
		for _, v := range row {
			s += float64(v)
		}
		mu := s / float64(cols)
		var ss float64
		for _, v := range row {
			ss += (float64(v) - mu) * (float64(v) - mu)
		}
		is := 1 / math.Sqrt(ss/float64(cols)+eps)
		for _, v := range row {
			y = append(y, float32((float64(v)-mu)*is))
		}
		mean = append(mean, float32(mu))
		inv = append(inv, float32(is))
	}
	return
}

func TestInstanceNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n, c, sp := 2, 3, 7
	x := uniform(r, n*c*sp)
	scale, bias := uniform(r, c), uniform(r, c)
	norm, _, _ := naiveNormRows(n*c, sp, x, 1e-5)
	want := make([]float32, len(x))
	for i := range want {
		ch := (i / sp) % c
		want[i] = norm[i]*scale[ch] + bias[ch]
	}
	y := make([]float32, len(x))
	InstanceNorm(n, c, sp, x, scale, bias, 1e-5, y)
	requireClose(t, "instancenorm", y, want, 1e-5)
}

func TestLayerNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	rows, cols := 5, 9
	x := uniform(r, rows*cols)
	scale, bias := uniform(r, cols), uniform(r, cols)
	norm, wm, wi := naiveNormRows(rows, cols, x, 1e-5)
	want, wantNoBias := make([]float32, len(x)), make([]float32, len(x))
	for i := range want {
		want[i] = norm[i]*scale[i%cols] + bias[i%cols]
		wantNoBias[i] = norm[i] * scale[i%cols]
	}
	y := make([]float32, len(x))
	mean, inv := make([]float32, rows), make([]float32, rows)
	LayerNorm(rows, cols, x, scale, bias, 1e-5, y, mean, inv)
	requireClose(t, "layernorm", y, want, 1e-5)
	requireClose(t, "layernorm mean", mean, wm, 1e-6)
	requireClose(t, "layernorm invstd", inv, wi, 1e-6)
	LayerNorm(rows, cols, x, scale, nil, 1e-5, y, nil, nil)
	requireClose(t, "layernorm without bias", y, wantNoBias, 1e-5)

	// Hand-computed: row [1 3], eps 0: mean 2, std 1 → [-1 1].
	y2 := make([]float32, 2)
	LayerNorm(1, 2, []float32{1, 3}, []float32{1, 1}, nil, 0, y2, nil, nil)
	requireClose(t, "layernorm [1 3]", y2, []float32{-1, 1}, 0)
}

func TestLRNAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	n, c, sp := 2, 5, 3
	x := uniform(r, n*c*sp)
	for _, size := range []int{1, 2, 3, 4} {
		want := make([]float32, len(x))
		for i := 0; i < n; i++ {
			for ch := 0; ch < c; ch++ {
				for j := 0; j < sp; j++ {
					var s float64
					for q := ch - (size-1)/2; q <= ch+size/2; q++ { // ⌈(size−1)/2⌉ = ⌊size/2⌋
						if q >= 0 && q < c {
							v := float64(x[(i*c+q)*sp+j])
							s += v * v
						}
					}
					k := (i*c+ch)*sp + j
					want[k] = float32(float64(x[k]) / math.Pow(2+0.5/float64(size)*s, 0.75))
				}
			}
		}
		y := make([]float32, len(x))
		LRN(n, c, sp, size, 0.5, 0.75, 2, x, y)
		requireClose(t, "lrn", y, want, 1e-6)
	}
}

func TestMeanVarianceNorm(t *testing.T) {
	// Shape 2×2, normalise over axis 0 (columns): column [1 3] → [−1 1],
	// column [2 2] → [0 0] (σ = 0, the 1e-9 keeps it finite).
	x := []float32{1, 2, 3, 2}
	y := make([]float32, 4)
	MeanVarianceNorm([]int{2, 2}, []bool{true, false}, x, y)
	requireClose(t, "columns", y, []float32{-1, 0, 1, 0}, 1e-6)
	MeanVarianceNorm([]int{2, 2}, []bool{true, true}, x, y)
	// mean 2, σ = √0.5.
	s := float32(1 / math.Sqrt(0.5))
	requireClose(t, "all", y, []float32{-s, 0, s, 0}, 1e-6)
}

func TestGroupNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	n, c, sp, groups := 2, 6, 4, 3
	x := uniform(r, n*c*sp)
	scale, bias := uniform(r, c), uniform(r, c)
	// A group is c/groups consecutive channels: 2·4 = 8 contiguous values.
	norm, _, _ := naiveNormRows(n*groups, c/groups*sp, x, 1e-5)
	want := make([]float32, len(x))
	for i := range want {
		ch := (i / sp) % c
		want[i] = norm[i]*scale[ch] + bias[ch]
	}
	y := make([]float32, len(x))
	GroupNorm(n, c, sp, groups, x, scale, bias, 1e-5, y)
	requireClose(t, "groupnorm", y, want, 1e-5)
	// One group per channel is instance norm.
	InstanceNorm(n, c, sp, x, scale, bias, 1e-5, want)
	GroupNorm(n, c, sp, c, x, scale, bias, 1e-5, y)
	requireClose(t, "groupnorm = instancenorm", y, want, 1e-6)
}

func TestLpNormalize(t *testing.T) {
	y := make([]float32, 6)
	// Along the middle axis of 1×2×3: columns [3 4], [0 0], [1 −1].
	LpNormalize(1, 2, 3, 2, []float32{3, 0, 1, 4, 0, -1}, y)
	s := float32(1 / math.Sqrt(2))
	requireClose(t, "L2", y, []float32{0.6, 0, s, 0.8, 0, -s}, 1e-6)
	LpNormalize(1, 2, 3, 1, []float32{3, 0, 1, 4, 0, -1}, y)
	requireClose(t, "L1", y, []float32{3.0 / 7, 0, 0.5, 4.0 / 7, 0, -0.5}, 1e-6)
}

func TestRMSNorm(t *testing.T) {
	// Row [3, 4]: mean of squares 12.5; row [0, 0] stays 0 (eps keeps it finite).
	x := []float32{3, 4, 0, 0}
	y := make([]float32, 4)
	RMSNorm(2, 2, x, []float32{1, 2}, 0, y[:2])
	RMSNorm(1, 2, x[2:], []float32{1, 2}, 1e-5, y[2:])
	r := float32(math.Sqrt(12.5))
	requireClose(t, "rmsnorm", y, []float32{3 / r, 8 / r, 0, 0}, 1e-6)
	RMSNorm(1, 2, x, []float32{1, 1}, 0, x) // in place
	requireClose(t, "rmsnorm in place", x[:2], []float32{3 / r, 4 / r}, 1e-6)
}
