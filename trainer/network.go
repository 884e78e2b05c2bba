package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/ops/train"
	"github.com/latent-ml/latent/trainer/nn"
)

// Param is one trainable tensor of a network (shared with the layers of
// package nn).
type Param = nn.Param

// dense is a fully connected layer y = act(x·Wᵀ + b) with W [out,in]
// row-major, or, when tied, y = act(x·V + b) with V = params[w] stored
// [in,out] (the transpose of the mirror encoder layer's weights).
type dense struct {
	in, out int
	act     models.Activation
	oact    ops.Act
	alpha   float32
	w, b    int
	tied    bool
}

// net is a dense autoencoder: encoder layers then decoder layers, with the
// spec's losses and regularisers. Its parameters are shared read-only by
// the workers of a step; gradients live in per-chunk workspaces.
type net struct {
	spec   models.Spec
	params []*Param
	layers []*dense
	nEnc   int
	// bceLogits: the output layer computes logits and the loss applies the
	// sigmoid (numerically stable BCE).
	bceLogits bool
	masked    bool
	k         int
	l1        float32
	rho, beta float32
	lambda    float32
}

// netLayout is what newNet needs: sizes and activations of both stacks.
type netLayout struct {
	sizes    []int // encoder widths, input first, code last
	encActs  []models.Activation
	decActs  []models.Activation
	tied     bool
	loss     models.Loss
	init     models.Init
	spec     models.Spec
	withRegs bool
}

func layoutOf(s models.Spec) netLayout {
	return netLayout{sizes: s.Sizes(), encActs: s.EncoderActivations(), decActs: s.DecoderActivations(),
		tied: s.Tied, loss: s.Loss, init: s.Init, spec: s, withRegs: true}
}

// newNet builds the network of layout with parameters drawn from rng.
func newNet(l netLayout, rng *rand.Rand) (*net, error) {
	n := &net{spec: l.spec}
	L := len(l.sizes) - 1
	addParam := func(name string, shape []int, decay bool) int {
		n.params = append(n.params, &Param{Name: name, Shape: shape, Data: make([]float32, shape[0]*shape[1]), Decay: decay})
		return len(n.params) - 1
	}
	mk := func(in, out int, act models.Activation) (*dense, error) {
		oa, err := opsAct(act)
		if err != nil {
			return nil, err
		}
		return &dense{in: in, out: out, act: act, oact: oa, alpha: float32(l.spec.ActivationAlpha(act))}, nil
	}
	for i := 0; i < L; i++ {
		d, err := mk(l.sizes[i], l.sizes[i+1], l.encActs[i])
		if err != nil {
			return nil, fmt.Errorf("encoder layer %d: %w", i, err)
		}
		d.w = addParam(fmt.Sprintf("enc%d.W", i), []int{d.out, d.in}, true)
		d.b = addParam(fmt.Sprintf("enc%d.b", i), []int{1, d.out}, false)
		n.layers = append(n.layers, d)
	}
	for j := 0; j < L; j++ {
		mirror := n.layers[L-1-j]
		d, err := mk(mirror.out, mirror.in, l.decActs[j])
		if err != nil {
			return nil, fmt.Errorf("decoder layer %d: %w", j, err)
		}
		if l.tied {
			d.w, d.tied = mirror.w, true
		} else {
			d.w = addParam(fmt.Sprintf("dec%d.W", j), []int{d.out, d.in}, true)
		}
		d.b = addParam(fmt.Sprintf("dec%d.b", j), []int{1, d.out}, false)
		n.layers = append(n.layers, d)
	}
	n.nEnc = L
	n.bceLogits = l.loss == models.BCE
	n.masked = l.loss == models.MaskedMSE
	if n.bceLogits {
		n.layers[len(n.layers)-1].oact = ops.ActNone
	}
	if l.withRegs {
		s := l.spec
		n.k = s.K
		n.l1 = float32(s.L1)
		n.rho, n.beta = float32(s.Rho), float32(s.Beta)
		n.lambda = float32(s.Lambda)
	}
	// Initialise weights in parameter order: deterministic given rng.
	for _, d := range n.layers {
		if d.tied {
			continue
		}
		fan := d.in + d.out
		if l.init == models.He {
			fan = d.in
		}
		nn.InitUniform(n.params[d.w].Data, fan, rng)
	}
	return n, nil
}

func (n *net) inputSize() int  { return n.layers[0].in }
func (n *net) codeSize() int   { return n.layers[n.nEnc-1].out }
func (n *net) outputSize() int { return n.layers[len(n.layers)-1].out }

// work is the workspace of one chunk of a batch.
type work struct {
	cap       int
	acts      [][]float32 // output of each layer (logits for a BCE output layer)
	grads     [][]float32 // gradient w.r.t. each layer's output, then pre-activation
	recon     []float32   // sigmoid of the logits (BCE) else nil
	kmask     []uint8     // k-sparse survivors
	pg        [][]float32 // parameter gradients
	colSum    []float64   // code column sums (KL)
	sp2       []float64   // Σ_b f'(z)^2 per code unit (contractive)
	loss, reg float64
}

func (n *net) newWork(rows int) *work {
	w := &work{cap: rows}
	for _, d := range n.layers {
		w.acts = append(w.acts, make([]float32, rows*d.out))
		w.grads = append(w.grads, make([]float32, rows*d.out))
	}
	if n.bceLogits {
		w.recon = make([]float32, rows*n.outputSize())
	}
	if n.k > 0 {
		w.kmask = make([]uint8, rows*n.codeSize())
	}
	for _, p := range n.params {
		w.pg = append(w.pg, make([]float32, len(p.Data)))
	}
	w.colSum = make([]float64, n.codeSize())
	w.sp2 = make([]float64, n.codeSize())
	return w
}

// output returns the reconstruction of the last forward pass.
func (n *net) output(w *work, rows int) []float32 {
	if n.bceLogits {
		return w.recon[:rows*n.outputSize()]
	}
	return w.acts[len(n.layers)-1][:rows*n.outputSize()]
}

// code returns the code of the last forward pass.
func (n *net) code(w *work, rows int) []float32 {
	return w.acts[n.nEnc-1][:rows*n.codeSize()]
}

// forward runs x (rows × input) through the network into w.
func (n *net) forward(w *work, x []float32, rows int) {
	in := x
	for i, d := range n.layers {
		y := w.acts[i][:rows*d.out]
		W := n.params[d.w].Data
		ep := ops.Epilogue{Bias: n.params[d.b].Data, Act: d.oact, Alpha: d.alpha}
		if d.tied {
			ops.GemmEpilogue(false, false, rows, d.out, d.in, in, d.in, W, d.out, y, d.out, ep)
		} else {
			ops.GemmEpilogue(false, true, rows, d.out, d.in, in, d.in, W, d.in, y, d.out, ep)
		}
		if i == n.nEnc-1 && n.k > 0 {
			topK(y, w.kmask[:rows*d.out], rows, d.out, n.k)
		}
		in = y
	}
	if n.bceLogits {
		ops.ApplyAct(w.recon[:rows*n.outputSize()], w.acts[len(n.layers)-1][:rows*n.outputSize()], ops.ActSigmoid, 0)
	}
}

// topK keeps the k largest values of each row of y (ties to the lowest
// index), zeroes the rest and records survivors in mask.
func topK(y []float32, mask []uint8, rows, cols, k int) {
	clear(mask)
	for r := 0; r < rows; r++ {
		row, m := y[r*cols:(r+1)*cols], mask[r*cols:(r+1)*cols]
		for t := 0; t < k; t++ {
			best := -1
			for j, v := range row {
				if m[j] == 0 && (best < 0 || v > row[best]) {
					best = j
				}
			}
			m[best] = 1
		}
		for j := range row {
			if m[j] == 0 {
				row[j] = 0
			}
		}
	}
}

// lossGrad adds the chunk's summed reconstruction loss to w.loss and writes
// d(loss/norm)/d(output) into the last layer's gradient (w.r.t. logits for
// BCE). m is the observation mask or nil.
func (n *net) lossGrad(w *work, t, m []float32, rows int, norm float64) {
	last := len(n.layers) - 1
	z := w.acts[last][:rows*n.outputSize()]
	g := w.grads[last][:len(z)]
	inv := float32(1 / norm)
	var sum float64
	if n.bceLogits {
		for i, zv := range z {
			tv := t[i]
			mv := float32(1)
			if m != nil {
				mv = m[i]
			}
			// softplus(z) - t·z, stable for both signs of z.
			l := math.Max(float64(zv), 0) - float64(tv*zv) + math.Log1p(math.Exp(-math.Abs(float64(zv))))
			sum += float64(mv) * l
			g[i] = mv * (w.recon[i] - tv) * inv
		}
	} else {
		for i, y := range z {
			e := y - t[i]
			if m != nil {
				e *= m[i]
			}
			sum += float64(e) * float64(e)
			g[i] = 2 * e * inv
		}
	}
	w.loss += sum
}

// klTerms returns the KL penalty and its per-unit gradient factor
// d(penalty)/d(rhohat_j) for code column sums over the batch.
func (n *net) klTerms(colSum []float64, rows int) (pen float64, dRho []float32) {
	rho := float64(n.rho)
	dRho = make([]float32, len(colSum))
	for j, s := range colSum {
		rh := math.Min(math.Max(s/float64(rows), 1e-6), 1-1e-6)
		pen += rho*math.Log(rho/rh) + (1-rho)*math.Log((1-rho)/(1-rh))
		dRho[j] = float32(float64(n.beta) * (-rho/rh + (1-rho)/(1-rh)))
	}
	return float64(n.beta) * pen, dRho
}

// backward propagates w.grads[last] to the parameter gradients w.pg
// (overwritten), adding the code regularisers. batchRows is the size of the
// whole batch (penalties are batch means); dRho is the KL gradient factor.
func (n *net) backward(w *work, x []float32, rows, batchRows int, dRho []float32) {
	for _, g := range w.pg {
		clear(g)
	}
	w.reg = 0
	invB := 1 / float32(batchRows)
	for i := len(n.layers) - 1; i >= 0; i-- {
		d := n.layers[i]
		y := w.acts[i][:rows*d.out]
		g := w.grads[i][:rows*d.out]
		if i == n.nEnc-1 {
			n.codeGrad(w, y, g, rows, invB, dRho)
		}
		if !(i == len(n.layers)-1 && n.bceLogits) {
			train.ActBackward(g, g, y, d.oact, d.alpha)
		}
		if i == n.nEnc-1 && n.lambda > 0 {
			n.contractive(w, d, y, g, rows, invB)
		}
		in := x
		if i > 0 {
			in = w.acts[i-1][:rows*d.in]
		}
		gW, gB := w.pg[d.w], w.pg[d.b]
		if d.tied {
			ops.Gemm(true, false, d.in, d.out, rows, 1, in, d.in, g, d.out, 1, gW, d.out)
		} else {
			ops.Gemm(true, false, d.out, d.in, rows, 1, g, d.out, in, d.in, 1, gW, d.in)
		}
		for r := 0; r < rows; r++ {
			for j, v := range g[r*d.out : (r+1)*d.out] {
				gB[j] += v
			}
		}
		if i == 0 {
			break
		}
		dx := w.grads[i-1][:rows*d.in]
		W := n.params[d.w].Data
		if d.tied {
			ops.Gemm(false, true, rows, d.in, d.out, 1, g, d.out, W, d.out, 0, dx, d.in)
		} else {
			ops.Gemm(false, false, rows, d.in, d.out, 1, g, d.out, W, d.in, 0, dx, d.in)
		}
	}
}

// codeGrad adds the L1 and KL gradients to the code output gradient g and
// applies the k-sparse mask; it adds the L1 penalty to w.reg.
func (n *net) codeGrad(w *work, y, g []float32, rows int, invB float32, dRho []float32) {
	cols := n.codeSize()
	if n.l1 > 0 {
		c := n.l1 * invB
		var s float64
		for i, v := range y {
			switch {
			case v > 0:
				g[i] += c
				s += float64(v)
			case v < 0:
				g[i] -= c
				s -= float64(v)
			}
		}
		w.reg += float64(n.l1*invB) * s
	}
	if dRho != nil {
		for r := 0; r < rows; r++ {
			row := g[r*cols : (r+1)*cols]
			for j := range row {
				row[j] += dRho[j] * invB
			}
		}
	}
	if n.k > 0 {
		for i, m := range w.kmask[:rows*cols] {
			if m == 0 {
				g[i] = 0
			}
		}
	}
}

// contractive adds the exact gradient of lambda/B·Σ_b ||J_b||_F^2 for a
// single-layer encoder h = f(Wx+b), where ||J||_F^2 = Σ_j f'(z_j)^2 Σ_i W_ji^2:
// into the pre-activation gradient dz (2·f'·f”·Σ_i W_ji^2) and directly
// into gW (2·W_ji·Σ_b f'^2). The penalty itself goes to w.reg.
func (n *net) contractive(w *work, d *dense, y, dz []float32, rows int, invB float32) {
	W := n.params[d.w].Data
	lam := n.lambda * invB
	clear(w.sp2)
	var pen float64
	for j := 0; j < d.out; j++ {
		var wsq float64
		for _, v := range W[j*d.in : (j+1)*d.in] {
			wsq += float64(v) * float64(v)
		}
		for r := 0; r < rows; r++ {
			d1, d2 := train.ActDerivs(y[r*d.out+j], d.oact, d.alpha)
			w.sp2[j] += float64(d1) * float64(d1)
			dz[r*d.out+j] += 2 * lam * d1 * d2 * float32(wsq)
		}
		pen += w.sp2[j] * wsq
		c := 2 * lam * float32(w.sp2[j])
		gw := w.pg[d.w][j*d.in : (j+1)*d.in]
		for i, v := range W[j*d.in : (j+1)*d.in] {
			gw[i] += c * v
		}
	}
	w.reg += float64(lam) * pen
}

// engine runs batches over a net, split into a fixed number of chunks that
// depends only on the batch size (never on the number of cores), so the
// reduction order and hence the results are deterministic.
type engine struct {
	net       *net
	works     []*work
	chunkRows int
	workers   int
	grads     [][]float32
	blocks    [][2]int // (param, offset) of each reduction block
	blockSq   []float64
}

const (
	maxChunks    = 8
	minChunkRows = 64
)

func chunkRowsFor(batch int) int {
	return max(minChunkRows, (batch+maxChunks-1)/maxChunks)
}

func newEngine(n *net, batch, workers int) *engine {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e := &engine{net: n, chunkRows: chunkRowsFor(batch), workers: workers}
	nc := (batch + e.chunkRows - 1) / e.chunkRows
	for range nc {
		e.works = append(e.works, n.newWork(e.chunkRows))
	}
	for _, p := range n.params {
		e.grads = append(e.grads, make([]float32, len(p.Data)))
	}
	e.blocks = paramBlocks(len(e.grads), func(i int) int { return len(e.grads[i]) })
	e.blockSq = make([]float64, len(e.blocks))
	return e
}

// parallel runs f(c) for chunks 0..nc-1 on at most e.workers goroutines.
func (e *engine) parallel(nc int, f func(c int)) { runParallel(e.workers, nc, f) }

// runParallel runs f(c) for c in 0..n-1 on at most workers goroutines
// (inline when workers or n is 1). Both engines split work through it;
// the caller keeps results deterministic by writing per-chunk outputs.
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

// batchIn is one mini-batch: input x (possibly corrupted), target t and
// optional mask m, all rows × D.
type batchIn struct {
	x, t, m []float32
	rows    int
}

func (n *net) norm(b batchIn) float64 {
	if n.masked && b.m != nil {
		var s float64
		for _, v := range b.m[:b.rows*n.outputSize()] {
			s += float64(v)
		}
		return math.Max(s, 1)
	}
	return float64(b.rows * n.outputSize())
}

// step runs forward and backward over b, leaves the reduced gradients in
// e.grads and returns the reconstruction loss and the regulariser penalty.
func (e *engine) step(b batchIn) (recon, reg float64) {
	n := e.net
	D := n.inputSize()
	nc := (b.rows + e.chunkRows - 1) / e.chunkRows
	norm := n.norm(b)
	kl := n.beta > 0 && n.rho > 0
	e.parallel(nc, func(c int) {
		w, rows := e.forwardChunk(c, b, norm)
		if kl {
			clear(w.colSum)
			cs := n.codeSize()
			for r, h := 0, n.code(w, rows); r < rows; r++ {
				for j, v := range h[r*cs : (r+1)*cs] {
					w.colSum[j] += float64(v)
				}
			}
		}
	})
	var dRho []float32
	if kl {
		tot := make([]float64, n.codeSize())
		for c := range nc {
			for j, v := range e.works[c].colSum {
				tot[j] += v
			}
		}
		var pen float64
		pen, dRho = n.klTerms(tot, b.rows)
		reg += pen
	}
	e.parallel(nc, func(c int) {
		lo, rows := e.span(c, b.rows)
		n.backward(e.works[c], b.x[lo*D:(lo+rows)*D], rows, b.rows, dRho)
	})
	e.reduce(nc)
	for c := range nc {
		recon += e.works[c].loss
		reg += e.works[c].reg
	}
	return recon / norm, reg
}

// span returns the first row and the row count of chunk c of a batch of
// batchRows rows.
func (e *engine) span(c, batchRows int) (lo, rows int) {
	lo = c * e.chunkRows
	return lo, min(e.chunkRows, batchRows-lo)
}

// forwardChunk runs chunk c of b forward in its workspace and, when b has
// targets, puts the chunk's summed loss in w.loss and its output gradient
// in place (step and eval share it). It returns the workspace and the
// chunk's row count.
func (e *engine) forwardChunk(c int, b batchIn, norm float64) (w *work, rows int) {
	n := e.net
	D, Out := n.inputSize(), n.outputSize()
	w = e.works[c]
	lo, rows := e.span(c, b.rows)
	w.loss = 0
	n.forward(w, b.x[lo*D:(lo+rows)*D], rows)
	if b.t != nil {
		var m []float32
		if n.masked && b.m != nil {
			m = b.m[lo*Out : (lo+rows)*Out]
		}
		n.lossGrad(w, b.t[lo*Out:(lo+rows)*Out], m, rows, norm)
	}
	return w, rows
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
		copy(g, e.works[0].pg[p][lo:hi])
		for c := 1; c < nc; c++ {
			for i, v := range e.works[c].pg[p][lo:hi] {
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

// eval runs the forward pass over b and returns the summed reconstruction
// loss and its normaliser. If out is non-nil it receives the
// reconstructions (rows × output).
func (e *engine) eval(b batchIn, out []float32) (sum, norm float64) {
	n := e.net
	Out := n.outputSize()
	nc := (b.rows + e.chunkRows - 1) / e.chunkRows
	norm = n.norm(b)
	e.parallel(nc, func(c int) {
		w, rows := e.forwardChunk(c, b, norm)
		if out != nil {
			lo, _ := e.span(c, b.rows)
			copy(out[lo*Out:(lo+rows)*Out], n.output(w, rows))
		}
	})
	for c := range nc {
		sum += e.works[c].loss
	}
	return sum, norm
}
