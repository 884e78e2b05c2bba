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
// atomic word for a while after each band (gemvSpin) and only then parks on
// a channel. The caller runs band 0 itself and, if a worker has not started
// its band by the time the caller is done, takes that band back, so a slow
// wake-up never costs more than running the call on one thread.
const (
	gemvSplitMaxM  = 4       // at most this many rows of C
	gemvSplitMinKN = 1 << 16 // k·n at least this (256 KB of B)
	gemvSplitAlign = 16      // band width multiple: one vector of floats
	gemvSpin       = 50 * time.Microsecond
)

// Job states of a gemvWorker.
const (
	gemvIdle    int32 = iota // no job; the owner may post one
	gemvPosted               // job written, nobody has taken it
	gemvRunning              // the worker is running it
	gemvDone                 // finished (by the worker or taken back by the owner)
)

// gemvWorker is one persistent helper with a one-job mailbox.
type gemvWorker struct {
	owner    atomic.Bool  // held by the Gemm call using this worker
	state    atomic.Int32 // gemvIdle..gemvDone
	sleeping atomic.Bool  // parked on wake (or about to be)
	wake     chan struct{}
	job      gemmCall // written by the owner before state becomes gemvPosted
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

// loop runs posted jobs forever: it spins for gemvSpin after the last job
// (yielding its P so that it never starves other goroutines), then parks.
func (w *gemvWorker) loop() {
	for {
		deadline := time.Now().Add(gemvSpin)
		for spins := 1; w.state.Load() != gemvPosted; spins++ {
			if spins%64 != 0 {
				continue
			}
			if time.Now().After(deadline) {
				w.park()
				deadline = time.Now().Add(gemvSpin)
				continue
			}
			runtime.Gosched()
		}
		if w.state.CompareAndSwap(gemvPosted, gemvRunning) {
			w.job.run()
			w.state.Store(gemvDone)
		}
	}
}

// park blocks until a job is posted. Setting sleeping before the last look
// at state, while the poster sets state before looking at sleeping, means
// one of the two always sees the other: no job waits on a parked worker.
func (w *gemvWorker) park() {
	w.sleeping.Store(true)
	for w.state.Load() != gemvPosted {
		<-w.wake // a token left by an earlier post only costs a loop
	}
	w.sleeping.Store(false)
}

// post hands g to w, which must be owned by the caller and idle.
func (w *gemvWorker) post(g gemmCall) {
	w.job = g
	w.state.Store(gemvPosted)
	if w.sleeping.Load() {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// finish waits for w's job, running it here if the worker has not started
// it, and releases w.
func (w *gemvWorker) finish() {
	if w.state.CompareAndSwap(gemvPosted, gemvDone) {
		w.job.run()
	} else {
		for spins := 1; w.state.Load() != gemvDone; spins++ {
			if spins%256 == 0 {
				runtime.Gosched()
			}
		}
	}
	w.job = gemmCall{} // drop the caller's slices
	w.state.Store(gemvIdle)
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
			w.post(g.colBand(band*(i+1), min(band*(i+2), g.n)))
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
