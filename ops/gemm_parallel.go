package ops

import "sync"

// gemmParallelMin is the m·n·k below which Gemm stays on the calling
// goroutine: under it, handing work to another core costs more than it
// saves.
const gemmParallelMin = 1 << 21

// gemmDispatch runs g, split into row or column bands across goroutines
// when it is large enough. Each band is an independent Gemm (own packing),
// so the split needs no synchronisation beyond the final wait.
func gemmDispatch(g gemmCall) {
	t := Threads()
	if t > 1 && gemvSplit(g, t) {
		return
	}
	if t <= 1 || g.m*g.n*g.k < gemmParallelMin {
		g.run()
		return
	}
	// Split the longer side into bands of whole tiles, at least four tiles
	// high (or two wide) so that each band keeps the kernel busy.
	alongM := g.m >= g.n
	size, tile := g.n, g.kern.nr
	if alongM {
		size, tile = g.m, g.kern.mr
	}
	minBand := 2 * tile
	if alongM {
		minBand = 4 * tile
	}
	t = min(t, size/minBand)
	if t <= 1 {
		g.run()
		return
	}
	band := roundUp((size+t-1)/t, tile)
	wg := wgPool.Get().(*sync.WaitGroup)
	defer wgPool.Put(wg)
	var first gemmCall
	for lo := 0; lo < size; lo += band {
		hi := min(lo+band, size)
		var part gemmCall
		if alongM {
			part = g
			part.m = hi - lo
			if g.transA {
				part.a = g.a[lo:]
			} else {
				part.a = g.a[lo*g.lda:]
			}
			part.c = g.c[lo*g.ldc:]
		} else {
			part = g.colBand(lo, hi) // gemm_gemv_parallel.go
		}
		if lo == 0 {
			first = part
			continue
		}
		wg.Add(1)
		startGemmWorkers(t - 1)
		select {
		case gemmJobs <- gemmJob{g: part, wg: wg}:
		default: // every worker is busy (concurrent Gemm calls): do it here
			part.run()
			wg.Done()
		}
	}
	first.run()
	wg.Wait()
}

// gemmJob is one band of a split Gemm, sent by value to a worker.
type gemmJob struct {
	g  gemmCall
	wg *sync.WaitGroup
}

// The worker goroutines are started on first use and live for the process;
// they only ever run bands, so they never wait on each other.
var (
	gemmJobs    = make(chan gemmJob)
	wgPool      = sync.Pool{New: func() any { return new(sync.WaitGroup) }}
	gemmWorkMu  sync.Mutex
	gemmWorkers int
)

func startGemmWorkers(n int) {
	gemmWorkMu.Lock()
	for ; gemmWorkers < n; gemmWorkers++ {
		go func() {
			for j := range gemmJobs {
				j.g.run()
				j.wg.Done()
			}
		}()
	}
	gemmWorkMu.Unlock()
}
