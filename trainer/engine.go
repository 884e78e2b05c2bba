package trainer

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/latent-ml/latent/trainer/nn"
)

// engine trains one network data-parallel: a mini-batch is split into
// row chunks, each run forward and backward by its own replica of the
// layers (sharing the parameters) on its own goroutine; the chunks'
// gradients are summed in chunk order. The number of chunks depends only
// on the batch size (never on the number of cores), the
// stochastic layers draw from a stream per batch and chunk, and layers
// that need the whole batch (batch norm) see it through nn.Coupled, so
// results are bit-for-bit deterministic given a seed, independent of
// scheduling and of GOMAXPROCS.
type engine struct {
	net       *nn.Net
	obj       *objective
	params    []*Param
	chunkRows int
	workers   int
	seed      uint64
	chunks    []*chunk
	// coupled are the indices of the layers before the loss that need the
	// whole batch in training.
	coupled []int
	inCols  int
	outCols int
	// grads is the reduced gradient of the last step, blockSq the sum of
	// squares of each reduction block.
	grads   [][]float32
	blocks  [][2]int // (param, offset) of each reduction block
	blockSq []float64
	// stats are the penalties' whole-batch sums; penRaw their unweighted
	// values over the last step.
	stats  [][]float64
	penRaw []float64
}

// chunk is one replica of the network with its run state.
type chunk struct {
	net    *nn.Net
	grads  [][]float32   // one per engine param
	views  [][][]float32 // each layer's view of grads
	index  map[*Param]int
	points [][]float32 // activations at every point of the last forward pass
	dy     []float32   // loss gradient buffer
	cur    []float32   // gradient at the current point of a backward pass
	stats  [][]float64 // per penalty, this chunk's sums
	pen    []float64   // per penalty, this chunk's unweighted share
	loss   float64
	pcg    *rand.PCG
	pass   nn.Pass
	lo, n  int // first row and row count in the batch
}

const (
	maxChunks    = 8
	minChunkRows = 64
)

// chunkRowsFor is the rows of each chunk of a batch: at least
// minChunkRows (fewer would cost more in goroutines and reductions than
// they save), and at most maxChunks chunks.
func chunkRowsFor(batch int) int {
	return max(minChunkRows, (batch+maxChunks-1)/maxChunks)
}

// newEngine returns an engine for batches of at most batch rows over the
// layers of net with objective obj; seed keys the stochastic layers'
// streams.
func newEngine(net *nn.Net, obj *objective, batch, workers int, seed uint64) *engine {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e := &engine{net: net, obj: obj, params: net.Params(), chunkRows: chunkRowsFor(batch), workers: workers, seed: seed,
		inCols: net.PointSize(0), outCols: net.PointSize(obj.lossAt)}
	for i, l := range net.Layers[:obj.lossAt] {
		if _, ok := l.(nn.Coupled); ok {
			e.coupled = append(e.coupled, i)
		}
	}
	for _, p := range e.params {
		e.grads = append(e.grads, make([]float32, len(p.Data)))
	}
	e.blocks = paramBlocks(len(e.grads), func(i int) int { return len(e.grads[i]) })
	e.blockSq = make([]float64, len(e.blocks))
	for _, p := range obj.penalties {
		e.stats = append(e.stats, make([]float64, p.StatSize()))
	}
	e.penRaw = make([]float64, len(obj.penalties))
	return e
}

// numChunks returns the number of chunks of a batch of rows, allocating
// replicas as needed.
func (e *engine) numChunks(rows int) int {
	nc := (rows + e.chunkRows - 1) / e.chunkRows
	for len(e.chunks) < nc {
		c := &chunk{net: e.net.Replica(), index: map[*Param]int{}, pcg: rand.NewPCG(0, 0),
			points: make([][]float32, len(e.net.Layers)+1)}
		for i, p := range e.params {
			c.grads = append(c.grads, make([]float32, len(p.Data)))
			c.index[p] = i
		}
		c.views = c.net.GradViews(c.grads)
		c.pass = nn.Pass{Train: true, RNG: rand.New(c.pcg)}
		for _, p := range e.obj.penalties {
			c.stats = append(c.stats, make([]float64, p.StatSize()))
		}
		c.pen = make([]float64, len(e.obj.penalties))
		e.chunks = append(e.chunks, c)
	}
	for i := range nc {
		c := e.chunks[i]
		c.lo = i * e.chunkRows
		c.n = min(e.chunkRows, rows-c.lo)
	}
	return nc
}

// parallel runs f(c) for c in 0..n-1 on at most e.workers goroutines.
func (e *engine) parallel(n int, f func(c int)) { runParallel(e.workers, n, f) }

// runParallel runs f(c) for c in 0..n-1 on at most workers goroutines
// (inline when workers or n is 1); the caller keeps results deterministic
// by writing per-c outputs.
func runParallel(workers, n int, f func(c int)) {
	if workers == 1 || n == 1 {
		for c := range n {
			f(c)
		}
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for c := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			f(c)
			<-sem
		}()
	}
	wg.Wait()
}

// batchIn is one mini-batch: input x, target t and optional mask m, rows
// of the network's input and output width.
type batchIn struct {
	x, t, m []float32
	rows    int
}

// mix spreads a stream key into a PCG seed (SplitMix64's finaliser).
func mix(v uint64) uint64 {
	v += 0x9e3779b97f4a7c15
	v = (v ^ v>>30) * 0xbf58476d1ce4e5b9
	v = (v ^ v>>27) * 0x94d049bb133111eb
	return v ^ v>>31
}

// forward runs every chunk of a batch through layers 0..lossAt-1. In
// training, coupled layers run once over all chunks.
func (e *engine) forward(b batchIn, nc int, train bool) {
	var pass *nn.Pass
	if !train {
		pass = &nn.Pass{}
	}
	ends := []int{e.obj.lossAt}
	if train && nc > 1 {
		ends = append(append([]int(nil), e.coupled...), e.obj.lossAt)
	}
	lo := 0
	for _, k := range ends {
		from := lo
		e.parallel(nc, func(c int) {
			ch := e.chunks[c]
			p := pass
			if p == nil {
				p = &ch.pass
			}
			if from == 0 {
				ch.points[0] = b.x[ch.lo*e.inCols : (ch.lo+ch.n)*e.inCols]
			}
			x := ch.points[from]
			for i := from; i < k; i++ {
				x = ch.net.Layers[i].Forward(x, ch.n, p)
				ch.points[i+1] = x
			}
		})
		if k < e.obj.lossAt {
			xs, ns := e.coupledArgs(nc, func(ch *chunk) []float32 { return ch.points[k] })
			ys := e.chunks[0].net.Layers[k].(nn.Coupled).ForwardBatch(xs, ns, &e.chunks[0].pass)
			for c := range nc {
				e.chunks[c].points[k+1] = ys[c]
			}
		}
		lo = k + 1
	}
}

// coupledArgs collects one slice per chunk (from get) and the chunks'
// rows, for a coupled layer.
func (e *engine) coupledArgs(nc int, get func(*chunk) []float32) ([][]float32, []int) {
	xs := make([][]float32, nc)
	ns := make([]int, nc)
	for c := range nc {
		ch := e.chunks[c]
		xs[c], ns[c] = get(ch), ch.n
	}
	return xs, ns
}

// inject adds the gradients of the penalties at point p into g, the
// chunk's gradient at p.
func (e *engine) inject(ch *chunk, p int, g []float32, batchRows int) {
	for k, pen := range e.obj.penalties {
		if pen.At() != p {
			continue
		}
		ch.pen[k] += pen.Backward(&nn.PenaltyChunk{Rows: ch.n, BatchRows: batchRows, Points: ch.points, Grad: g,
			Stats: e.stats[k], ParamGrad: func(q *Param) []float32 { return ch.grads[ch.index[q]] }})
	}
}

// step runs forward and backward over b, leaves the reduced gradients in
// e.grads and returns the reconstruction loss and the weighted penalties.
// key identifies the batch (stochastic layers draw from the stream of
// key and the chunk).
func (e *engine) step(b batchIn, key uint64) (recon, reg float64) {
	nc := e.numChunks(b.rows)
	for c := range nc {
		e.chunks[c].pcg.Seed(e.seed, mix(mix(key)+uint64(c)))
	}
	e.forward(b, nc, true)
	// Penalties that need the whole batch: per-chunk sums, added in chunk
	// order.
	for k, pen := range e.obj.penalties {
		if pen.StatSize() == 0 {
			continue
		}
		e.parallel(nc, func(c int) {
			ch := e.chunks[c]
			clear(ch.stats[k])
			pen.AddStats(ch.stats[k], ch.points[pen.At()], ch.n)
		})
		clear(e.stats[k])
		for c := range nc {
			for j, v := range e.chunks[c].stats[k] {
				e.stats[k][j] += v
			}
		}
	}
	var m []float32
	if e.obj.loss.Masked {
		m = b.m
	}
	norm := e.obj.loss.Norm(b.rows, e.outCols, m)
	e.backward(b, nc, norm)
	e.reduce(nc)
	for c := range nc {
		recon += e.chunks[c].loss
	}
	for k, pen := range e.obj.penalties {
		e.penRaw[k] = 0
		for c := range nc {
			e.penRaw[k] += e.chunks[c].pen[k]
		}
		reg += pen.Weight() * e.penRaw[k]
	}
	return recon / norm, reg
}

// backward computes every chunk's loss and propagates its gradient down
// the layers (penalties adding theirs at their points) into the chunk's
// parameter gradients.
func (e *engine) backward(b batchIn, nc int, norm float64) {
	top := e.obj.lossAt
	out := e.outCols
	coupled := e.coupled
	if nc == 1 {
		coupled = nil
	}
	for s := len(coupled); s >= 0; s-- {
		lo := 0
		if s > 0 {
			lo = coupled[s-1] + 1
		}
		hi := top
		e.parallel(nc, func(c int) {
			ch := e.chunks[c]
			g := ch.cur
			if hi == e.obj.lossAt {
				for _, gr := range ch.grads {
					clear(gr)
				}
				clear(ch.pen)
				var t, m []float32
				t = b.t[ch.lo*out : (ch.lo+ch.n)*out]
				if b.m != nil {
					m = b.m[ch.lo*out : (ch.lo+ch.n)*out]
				}
				ch.dy = nn.Grow(ch.dy, ch.n*out)
				g = ch.dy
				ch.loss = e.obj.loss.Eval(ch.points[hi], t, m, g, norm)
			}
			if hi > 0 {
				e.inject(ch, hi, g, b.rows)
			}
			for i := hi - 1; i >= lo; i-- {
				g = ch.net.Layers[i].Backward(g, ch.views[i], i > 0)
				if i > 0 {
					e.inject(ch, i, g, b.rows)
				}
			}
			ch.cur = g
		})
		if s > 0 {
			k := coupled[s-1]
			dys, _ := e.coupledArgs(nc, func(ch *chunk) []float32 { return ch.cur })
			dxs := e.chunks[0].net.Layers[k].(nn.Coupled).BackwardBatch(dys, e.chunks[0].views[k], k > 0)
			for c := range nc {
				e.chunks[c].cur = nil
				if dxs != nil {
					e.chunks[c].cur = dxs[c]
				}
			}
			top = k
		}
	}
}

// gradBlock is the span of one parallel task over parameter elements.
const gradBlock = 1 << 15

// reduce sums the chunk gradients into e.grads, in chunk order for every
// element (so the result does not depend on scheduling), and records each
// block's sum of squares for gradNorm.
func (e *engine) reduce(nc int) {
	e.parallel(len(e.blocks), func(b int) {
		p, lo := e.blocks[b][0], e.blocks[b][1]
		hi := min(lo+gradBlock, len(e.grads[p]))
		g := e.grads[p][lo:hi]
		copy(g, e.chunks[0].grads[p][lo:hi])
		for c := 1; c < nc; c++ {
			for i, v := range e.chunks[c].grads[p][lo:hi] {
				g[i] += v
			}
		}
		var sq float64
		for _, v := range g {
			sq += float64(v) * float64(v)
		}
		e.blockSq[b] = sq
	})
}

// gradNorm is the global L2 norm of the last reduced gradient.
func (e *engine) gradNorm() float64 {
	var s float64
	for _, v := range e.blockSq {
		s += v
	}
	return math.Sqrt(s)
}

// eval runs the deterministic forward pass over b and returns the summed
// reconstruction loss and its normaliser. If out is non-nil it receives
// the reconstructions (rows × output).
func (e *engine) eval(b batchIn, out []float32) (sum, norm float64) {
	nc := e.numChunks(b.rows)
	var m []float32
	if e.obj.loss.Masked {
		m = b.m
	}
	norm = e.obj.loss.Norm(b.rows, e.outCols, m)
	e.forward(b, nc, false)
	w := e.outCols
	e.parallel(nc, func(c int) {
		ch := e.chunks[c]
		y := ch.points[e.obj.lossAt]
		ch.loss = 0
		if b.t != nil {
			var mc []float32
			if b.m != nil {
				mc = b.m[ch.lo*w : (ch.lo+ch.n)*w]
			}
			ch.loss = e.obj.loss.Eval(y, b.t[ch.lo*w:(ch.lo+ch.n)*w], mc, nil, norm)
		}
		if out != nil {
			r := ch.net.Forward(e.obj.lossAt, len(ch.net.Layers), y, ch.n, &nn.Pass{})
			copy(out[ch.lo*w:(ch.lo+ch.n)*w], r)
		}
	})
	for c := range nc {
		sum += e.chunks[c].loss
	}
	return sum, norm
}
