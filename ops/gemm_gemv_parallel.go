package ops

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The split of small-m Gemms (batch-1 inference) across threads.
//
// A Gemm with a few rows and a large B is bound by the bandwidth of reading
// B: at m = 1 every weight is used once. Splitting the columns of B (and C)
// into one band per thread halves the bytes each core streams, and because
// band i always goes to the same worker, a core whose L2 holds its band from
// the previous call reads it from there rather than from L3.
//
// The work is too short (a few µs) for a goroutine hand-off through the
// scheduler, so each extra thread is one long-lived worker that spins on an
// atomic word after each band: for gemvSpinHot on the word alone (the gap
// between the layers of one inference), then yielding its core to other
// threads between looks until gemvSpin. Then it dozes, looking every
// gemvDozeTick, so that a call after a pause does not pay for waking it
// (a futex wake costs the caller ~6 µs on a VM, more than the band); only
// after gemvDozeMax without calls does it park on a channel.
// The caller runs band 0 itself and then takes back whatever part of the
// workers' bands they have not started (see gemvWorker), so a slow wake-up
// or a core busy with another process costs little more than running the
// call on one thread.
//
// Measured on the dense AE at batch 1 (2-core Zen 5 VM, issue 7): the four
// Gemms take ~8-9 µs instead of ~17 on two threads; fixed bands beat bands
// assigned at random by ~1 µs (L2 reuse), and 16-column alignment beats 64
// (784 columns split 400/384 rather than 448/336) by ~0.2 µs.
const (
	gemvSplitMaxM  = 4       // at most this many rows of C
	gemvSplitMinKN = 1 << 16 // k·n at least this (256 KB of B)
	gemvSplitAlign = 16      // band width multiple: one vector of floats
	gemvSpin       = 50 * time.Microsecond
	gemvSpinHot    = 5 * time.Microsecond
	gemvDozeTick   = 100 * time.Microsecond
	gemvDozeMax    = 50 * time.Millisecond
	gemvChunks     = 8  // chunks per worker band at most
	gemvChunkAlign = 64 // chunk width multiple: the kernels' strip (narrower strips stream B slower)
)

// gemvWorker is one persistent helper with a mailbox for one band at a
// time. The band is cut into chunks of columns; the worker takes chunks
// from the front and the caller, once its own band is done, from the back,
// so a worker that is slow to wake or loses its core to another process
// delays the call by one chunk at most.
type gemvWorker struct {
	owner    atomic.Bool   // held by the Gemm call using this worker
	sleeping atomic.Bool   // parked on wake (or about to be)
	claims   atomic.Uint64 // generation<<32 | next chunk from the front<<16 | end of the unclaimed chunks
	done     atomic.Int32  // chunks of this generation finished
	wake     chan struct{}

	// Written by the owner before it publishes a generation in claims.
	job   gemmCall // the band
	chunk int      // columns per chunk
	gen   uint32
}

// gemvWorkers holds the workers started so far; worker i takes band i+1.
// Workers are started lazily and then live for the process.
var (
	gemvWorkers  atomic.Pointer[[]*gemvWorker]
	gemvWorkerMu sync.Mutex
)

// gemvPool returns at least n workers, starting the missing ones.
func gemvPool(n int) []*gemvWorker {
	if p := gemvWorkers.Load(); p != nil && len(*p) >= n {
		return *p
	}
	gemvWorkerMu.Lock()
	defer gemvWorkerMu.Unlock()
	var ws []*gemvWorker
	if p := gemvWorkers.Load(); p != nil {
		ws = *p
	}
	if len(ws) >= n {
		return ws
	}
	ws = append([]*gemvWorker(nil), ws...)
	for len(ws) < n {
		w := &gemvWorker{wake: make(chan struct{}, 1)}
		go w.loop()
		ws = append(ws, w)
	}
	gemvWorkers.Store(&ws)
	return ws
}

// loop runs posted chunks forever. After the last one it spins for
// gemvSpin (see the package comment above), then dozes, and after
// gemvDozeMax without a call parks.
func (w *gemvWorker) loop() {
	for {
		start := time.Now()
		for spins := 1; !w.pending(); spins++ {
			if spins%64 != 0 {
				continue
			}
			idle := time.Since(start)
			if idle > gemvSpin {
				w.doze()
				start = time.Now()
				continue
			}
			runtime.Gosched()
			if idle > gemvSpinHot {
				gemvYield()
			}
		}
		for i := w.take(false); i >= 0; i = w.take(false) {
			w.runChunk(i)
		}
	}
}

// doze looks for work every gemvDozeTick, without the caller having to
// wake it (a futex wake costs the caller several µs, as much as the band),
// and returns as soon as there is work or a call has come and gone (more
// are likely: back to spinning). After gemvDozeMax without a call it parks
// until a post wakes it.
func (w *gemvWorker) doze() {
	gen := w.claims.Load() >> 32
	for start := time.Now(); time.Since(start) < gemvDozeMax; {
		time.Sleep(gemvDozeTick)
		if w.pending() || w.claims.Load()>>32 != gen {
			return
		}
	}
	w.park()
}

// park blocks until chunks are posted. Setting sleeping before the last
// look at claims, while the poster sets claims before looking at sleeping,
// means one of the two always sees the other: no band waits on a parked
// worker.
func (w *gemvWorker) park() {
	w.sleeping.Store(true)
	for !w.pending() {
		<-w.wake // a token left by an earlier post only costs a loop
	}
	w.sleeping.Store(false)
}

// pending reports whether chunks are left to claim.
func (w *gemvWorker) pending() bool {
	c := w.claims.Load()
	return c>>16&0xffff < c&0xffff
}

// take claims the next chunk from the front (fromBack false) or the back
// of the current band and returns its index, or -1 if none is left.
func (w *gemvWorker) take(fromBack bool) int {
	for {
		c := w.claims.Load()
		front, back := int(c>>16&0xffff), int(c&0xffff)
		if front >= back {
			return -1
		}
		next, i := c+1<<16, front
		if fromBack {
			next, i = c-1, back-1
		}
		if w.claims.CompareAndSwap(c, next) {
			return i
		}
	}
}

// runChunk computes chunk i of the band, which the caller has claimed.
func (w *gemvWorker) runChunk(i int) {
	lo := i * w.chunk
	part := w.job.colBand(lo, min(lo+w.chunk, w.job.n))
	part.run()
	w.done.Add(1)
}

// chunks is the number of chunks of the current band.
func (w *gemvWorker) chunks() int { return (w.job.n + w.chunk - 1) / w.chunk }

// post hands band g to w, which the caller must own, in chunks of chunk
// columns.
func (w *gemvWorker) post(g gemmCall, chunk int) {
	w.job, w.chunk = g, chunk
	w.done.Store(0)
	w.gen++
	w.claims.Store(uint64(w.gen)<<32 | uint64(w.chunks()))
	if w.sleeping.Load() {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// finish runs the chunks of w's band that the worker has not claimed,
// waits for those it has, and releases w.
func (w *gemvWorker) finish() {
	for i := w.take(true); i >= 0; i = w.take(true) {
		w.runChunk(i)
	}
	n := int32(w.chunks())
	for spins := 1; w.done.Load() != n; spins++ {
		if spins%256 == 0 {
			runtime.Gosched()
			gemvYield()
		}
	}
	w.job = gemmCall{} // drop the caller's slices
	w.owner.Store(false)
}

// colBand is columns [lo, hi) of g: a Gemm of its own.
func (g *gemmCall) colBand(lo, hi int) gemmCall {
	part := *g
	part.n = hi - lo
	if g.transB {
		part.b = g.b[lo*g.ldb:]
	} else {
		part.b = g.b[lo:]
	}
	part.c = g.c[lo:]
	if g.bias != nil {
		part.bias = g.bias[lo:]
	}
	return part
}

// gemvSplit runs a small-m call with a large B as t column bands on the
// caller and t-1 persistent workers, and reports whether it did; it
// declines calls outside its shape range or when GOMAXPROCS leaves no
// second core for a worker.
func gemvSplit(g gemmCall, t int) bool {
	if g.m > gemvSplitMaxM || g.k*g.n < gemvSplitMinKN || g.k == 0 || g.alpha == 0 {
		return false
	}
	t = min(t, runtime.GOMAXPROCS(0), g.n/gemvSplitAlign)
	if t <= 1 {
		return false
	}
	band := roundUp((g.n+t-1)/t, gemvSplitAlign)
	t = (g.n + band - 1) / band
	if t <= 1 {
		return false
	}
	ws := gemvPool(t - 1)
	// Claim the workers in order; one held by a concurrent call does
	// its band here instead (after band 0).
	var held [8]*gemvWorker
	var mine []*gemvWorker
	if t-1 <= len(held) {
		mine = held[:t-1]
	} else {
		mine = make([]*gemvWorker, t-1)
	}
	for i := range mine {
		mine[i] = nil
		if w := ws[i]; w.owner.CompareAndSwap(false, true) {
			mine[i] = w
			part := g.colBand(band*(i+1), min(band*(i+2), g.n))
			w.post(part, roundUp((part.n+gemvChunks-1)/gemvChunks, gemvChunkAlign))
		}
	}
	first := g.colBand(0, band)
	first.run()
	for i, w := range mine {
		if w != nil {
			w.finish()
			continue
		}
		part := g.colBand(band*(i+1), min(band*(i+2), g.n))
		part.run()
	}
	return true
}
