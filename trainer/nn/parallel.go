package nn

import "sync"

// Image layers split a batch into a fixed number of chunks that depends
// only on the batch size (never on the core count) and run them on
// separate goroutines; per-chunk weight gradients are summed in chunk
// order, so results are deterministic.
const (
	maxChunks    = 4
	minChunkRows = 8
)

// chunks returns the row ranges of n rows.
func chunks(n int) [][2]int {
	nc := min(maxChunks, max(1, n/minChunkRows))
	per := (n + nc - 1) / nc
	var out [][2]int
	for lo := 0; lo < n; lo += per {
		out = append(out, [2]int{lo, min(n, lo+per)})
	}
	return out
}

// runChunks runs f for every chunk concurrently and waits.
func runChunks(cs [][2]int, f func(c, lo, hi int)) {
	if len(cs) == 1 {
		f(0, cs[0][0], cs[0][1])
		return
	}
	var wg sync.WaitGroup
	for c, r := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(c, r[0], r[1])
		}()
	}
	wg.Wait()
}

// chunkBufs holds per-chunk scratch: im2col columns and weight/bias
// gradient partial sums.
type chunkBufs struct {
	col, dw, db [][]float32
}

func (b *chunkBufs) ensure(nc, colSize, wSize, bSize int) {
	for len(b.col) < nc {
		b.col = append(b.col, nil)
		b.dw = append(b.dw, nil)
		b.db = append(b.db, nil)
	}
	for c := 0; c < nc; c++ {
		b.col[c] = Grow(b.col[c], colSize)
		b.dw[c] = Grow(b.dw[c], wSize)
		b.db[c] = Grow(b.db[c], bSize)
	}
}

// reduce adds the chunk partial gradients into gw and gb in chunk order.
func (b *chunkBufs) reduce(nc int, gw, gb []float32) {
	for c := 0; c < nc; c++ {
		for i, v := range b.dw[c] {
			gw[i] += v
		}
		for i, v := range b.db[c] {
			gb[i] += v
		}
	}
}
