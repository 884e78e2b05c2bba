package recommend

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
)

// GenerateRatings writes a MovieLens-style ratings set (user, item, rating
// 1–5, tab-separated) drawn from a rank-r model: rating = round(clip(3 +
// u·v + noise)) for a random fraction density of the users × items
// entries, split by seed into a base file (1-testFrac of each user's
// ratings) and a test file, the layout of MovieLens-100k's u1.base/u1.test.
func GenerateRatings(basePath, testPath string, users, items, rank int, density, noise, testFrac float64, seed uint64) (nBase, nTest int, err error) {
	if users < 2 || items < 2 || rank < 1 || density <= 0 || density > 1 || testFrac <= 0 || testFrac >= 1 {
		return 0, 0, fmt.Errorf("generate ratings: need users, items >= 2, rank >= 1, density in (0,1], test fraction in (0,1); got %d, %d, %d, %g, %g", users, items, rank, density, testFrac)
	}
	rng := rand.New(rand.NewPCG(seed, 0x4a71))
	f := func(n int) [][]float64 {
		m := make([][]float64, n)
		for i := range m {
			m[i] = make([]float64, rank)
			for k := range m[i] {
				m[i][k] = rng.NormFloat64() / math.Sqrt(float64(rank)) * 1.1
			}
		}
		return m
	}
	U, V := f(users), f(items)
	ub := make([]float64, users)
	ib := make([]float64, items)
	for i := range ub {
		ub[i] = 0.4 * rng.NormFloat64()
	}
	for i := range ib {
		ib[i] = 0.5 * rng.NormFloat64()
	}
	bf, err := os.Create(basePath)
	if err != nil {
		return 0, 0, fmt.Errorf("generate ratings: %w", err)
	}
	defer bf.Close()
	tf, err := os.Create(testPath)
	if err != nil {
		return 0, 0, fmt.Errorf("generate ratings: %w", err)
	}
	defer tf.Close()
	bw, tw := bufio.NewWriter(bf), bufio.NewWriter(tf)
	for u := 0; u < users; u++ {
		var rated []int
		for i := 0; i < items; i++ {
			if rng.Float64() < density {
				rated = append(rated, i)
			}
		}
		if len(rated) < 2 {
			rated = []int{rng.IntN(items / 2), items/2 + rng.IntN(items-items/2)}
		}
		nt := int(math.Round(testFrac * float64(len(rated))))
		nt = min(max(nt, 1), len(rated)-1)
		rng.Shuffle(len(rated), func(a, b int) { rated[a], rated[b] = rated[b], rated[a] })
		for j, i := range rated {
			var dot float64
			for k := 0; k < rank; k++ {
				dot += U[u][k] * V[i][k]
			}
			r := math.Round(math.Min(5, math.Max(1, 3.5+ub[u]+ib[i]+dot+noise*rng.NormFloat64())))
			w := bw
			if j < nt {
				w, nTest = tw, nTest+1
			} else {
				nBase++
			}
			fmt.Fprintf(w, "%d\t%d\t%d\t%d\n", u+1, i+1, int(r), 874965758+u*items+i)
		}
	}
	if err := bw.Flush(); err != nil {
		return 0, 0, fmt.Errorf("generate ratings %s: %w", basePath, err)
	}
	if err := tw.Flush(); err != nil {
		return 0, 0, fmt.Errorf("generate ratings %s: %w", testPath, err)
	}
	if err := bf.Close(); err != nil {
		return 0, 0, err
	}
	return nBase, nTest, tf.Close()
}
