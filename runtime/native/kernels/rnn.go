package kernels

// Recurrent operators RNN, GRU and LSTM: forward, reverse and
// bidirectional, per-sequence lengths, initial states, LSTM peepholes and
// input_forget, GRU linear_before_reset, clip, custom activations and the
// batch-major layout of opset 14. The input projections of all time steps
// are one ops.Gemm; each step adds one Gemm of the hidden state. Sigmoid
// and tanh gates run through the vector kernels (ops.SigmoidSlice,
// ops.TanhSlice); an LSTM without peepholes takes its i, o and f gates in
// one call.

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	// X, W, R, B, sequence_lens, initial_h (, initial_c, P)
	inputs := []operators.TypeSet{operators.FloatTypes, operators.FloatTypes, operators.FloatTypes, operators.FloatTypes,
		{ops.Int32}, operators.FloatTypes}
	operators.Register(operators.Op{Type: "RNN", Inputs: inputs, Infer: inferRecurrent, Build: buildRecurrent(cellRNN)}, 7, 14, 22)
	operators.Register(operators.Op{Type: "GRU", Inputs: inputs, Infer: inferRecurrent, Build: buildRecurrent(cellGRU)}, 7, 14, 22)
	operators.Register(operators.Op{Type: "LSTM", Inputs: inputs, Infer: inferRecurrent, Build: buildRecurrent(cellLSTM)}, 7, 14, 22)
}

type cellKind uint8

const (
	cellRNN cellKind = iota
	cellGRU
	cellLSTM
)

// gates is the number of stacked gate blocks in W, R and B.
func (k cellKind) gates() int { return [...]int{1, 3, 4}[k] }

// acts is the number of activation functions per direction.
func (k cellKind) acts() int { return [...]int{1, 2, 3}[k] }

// rnnActivation is one recurrent activation function with its parameters.
type rnnActivation struct {
	kind        string
	alpha, beta float32
}

func (a rnnActivation) apply(v []float32) {
	switch a.kind {
	case "tanh":
		ops.TanhSlice(v, v) // vector lanes (within 2e-6 of float64)
	case "sigmoid":
		ops.SigmoidSlice(v, v)
	case "relu":
		for i, x := range v {
			v[i] = max(x, 0)
		}
	case "affine":
		for i, x := range v {
			v[i] = a.alpha*x + a.beta
		}
	case "leakyrelu":
		for i, x := range v {
			if x < 0 {
				v[i] = a.alpha * x
			}
		}
	case "thresholdedrelu":
		for i, x := range v {
			if x <= a.alpha {
				v[i] = 0
			}
		}
	case "scaledtanh":
		for i, x := range v {
			v[i] = a.alpha * float32(math.Tanh(float64(a.beta*x)))
		}
	case "hardsigmoid":
		for i, x := range v {
			v[i] = min(max(a.alpha*x+a.beta, 0), 1)
		}
	case "elu":
		for i, x := range v {
			if x < 0 {
				v[i] = a.alpha * float32(math.Expm1(float64(x)))
			}
		}
	case "softsign":
		for i, x := range v {
			v[i] = x / (1 + float32(math.Abs(float64(x))))
		}
	case "softplus":
		for i, x := range v {
			v[i] = ops.Softplus32(x)
		}
	}
}

// activationDefaults are the default alpha/beta of the parameterised
// activations (ONNX Runtime's values).
var activationDefaults = map[string][2]float32{
	"affine": {1, 0}, "leakyrelu": {0.01, 0}, "thresholdedrelu": {1, 0}, "scaledtanh": {1, 1},
	"hardsigmoid": {0.2, 0.5}, "elu": {1, 0},
}

// activationParamCount is how many of activation_alpha/beta an activation uses.
var activationParamCount = map[string][2]bool{
	"affine": {true, true}, "leakyrelu": {true, false}, "thresholdedrelu": {true, false},
	"scaledtanh": {true, true}, "hardsigmoid": {true, true}, "elu": {true, false},
	"tanh": {}, "sigmoid": {}, "relu": {}, "softsign": {}, "softplus": {},
}

type recurrentCell struct {
	kind        cellKind
	hidden      int
	dirs        int
	reverse     [2]bool
	acts        [2][]rnnActivation
	clip        float32
	layout      int64
	lbr         bool // GRU linear_before_reset
	inputForget bool
	// scratch recycles one run's work buffers (a *[]float32 carved by
	// run), so that a run neither allocates nor clears megabytes of
	// projections each time; concurrent runs take separate buffers.
	scratch sync.Pool
}

func buildRecurrent(kind cellKind) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		r := &recurrentCell{kind: kind}
		hs, err := n.Int("hidden_size", 0)
		if err != nil {
			return nil, err
		}
		if hs <= 0 {
			return nil, fmt.Errorf("node %s: attribute hidden_size must be positive, got %d", n.Label(), hs)
		}
		r.hidden = int(hs)
		dir, err := n.String("direction", "forward")
		if err != nil {
			return nil, err
		}
		switch dir {
		case "forward":
			r.dirs = 1
		case "reverse":
			r.dirs, r.reverse[0] = 1, true
		case "bidirectional":
			r.dirs, r.reverse[1] = 2, true
		default:
			return nil, fmt.Errorf("node %s: unknown direction %q (want forward, reverse or bidirectional)", n.Label(), dir)
		}
		if r.clip, err = n.Float("clip", 0); err != nil {
			return nil, err
		}
		if r.clip < 0 {
			return nil, fmt.Errorf("node %s: clip %v must be positive", n.Label(), r.clip)
		}
		if r.layout, err = n.Int("layout", 0); err != nil {
			return nil, err
		}
		if r.layout != 0 && r.layout != 1 {
			return nil, fmt.Errorf("node %s: layout %d must be 0 or 1", n.Label(), r.layout)
		}
		lbr, err := n.Int("linear_before_reset", 0)
		if err != nil {
			return nil, err
		}
		r.lbr = lbr != 0
		inf, err := n.Int("input_forget", 0)
		if err != nil {
			return nil, err
		}
		r.inputForget = inf != 0
		var names []string
		if a, ok := n.Attrs["activations"]; ok {
			if a.Type != graph.AttrStrings {
				return nil, fmt.Errorf("node %s: attribute activations should be strings, is kind %d", n.Label(), a.Type)
			}
			for _, b := range a.Strings {
				names = append(names, string(b))
			}
		}
		per := kind.acts()
		if names == nil {
			def := [][]string{{"tanh"}, {"sigmoid", "tanh"}, {"sigmoid", "tanh", "tanh"}}[kind]
			for d := 0; d < r.dirs; d++ {
				names = append(names, def...)
			}
		}
		if len(names) != per*r.dirs {
			return nil, fmt.Errorf("node %s: activations %v should name %d functions (%d per direction)", n.Label(), names, per*r.dirs, per)
		}
		alphas, err := n.Floats("activation_alpha", nil)
		if err != nil {
			return nil, err
		}
		betas, err := n.Floats("activation_beta", nil)
		if err != nil {
			return nil, err
		}
		ai, bi := 0, 0
		for i, nm := range names {
			k := strings.ToLower(nm)
			uses, ok := activationParamCount[k]
			if !ok {
				return nil, fmt.Errorf("node %s: unsupported activation %q", n.Label(), nm)
			}
			a := rnnActivation{kind: k, alpha: activationDefaults[k][0], beta: activationDefaults[k][1]}
			if uses[0] && ai < len(alphas) {
				a.alpha = alphas[ai]
				ai++
			}
			if uses[1] && bi < len(betas) {
				a.beta = betas[bi]
				bi++
			}
			r.acts[i/per] = append(r.acts[i/per], a)
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			return r.run(env, n, in)
		}, nil
	}
}

// swapFirstAxes swaps the first two axes of a float32 buffer of shape
// a×b×rest.
func swapFirstAxes(src []float32, a, b, rest int) []float32 {
	dst := make([]float32, len(src))
	for i := 0; i < a; i++ {
		for j := 0; j < b; j++ {
			copy(dst[(j*a+i)*rest:(j*a+i+1)*rest], src[(i*b+j)*rest:(i*b+j+1)*rest])
		}
	}
	return dst
}

func (r *recurrentCell) run(env *operators.Env, n *graph.Node, in []*ops.Tensor) ([]*ops.Tensor, error) {
	names := []string{"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"}
	x, err := floatInput(n, in, 0, "X")
	if err != nil {
		return nil, err
	}
	if x.Rank() != 3 {
		return nil, fmt.Errorf("node %s: X must be 3-D, got shape %s", n.Label(), ops.ShapeString(x.Shape))
	}
	seq, batch, inSz := x.Shape[0], x.Shape[1], x.Shape[2]
	if r.layout == 1 {
		seq, batch = batch, seq
	}
	h, g, dirs := r.hidden, r.kind.gates(), r.dirs
	gh := g * h
	w, err := requiredInput(n, in, 1, "W")
	if err != nil {
		return nil, err
	}
	rw, err := requiredInput(n, in, 2, "R")
	if err != nil {
		return nil, err
	}
	wf, err := float32Param(n, w, "W", dirs*gh*inSz)
	if err != nil {
		return nil, err
	}
	rf, err := float32Param(n, rw, "R", dirs*gh*h)
	if err != nil {
		return nil, err
	}
	opt := func(i, size int) ([]float32, error) {
		t := optionalInput(in, i)
		if t == nil || (i < len(n.Inputs) && n.Inputs[i] == "") {
			return nil, nil
		}
		return float32Param(n, t, names[i], size)
	}
	bf, err := opt(3, dirs*2*gh)
	if err != nil {
		return nil, err
	}
	h0, err := opt(5, dirs*batch*h)
	if err != nil {
		return nil, err
	}
	var c0, pf []float32
	if r.kind == cellLSTM {
		if c0, err = opt(6, dirs*batch*h); err != nil {
			return nil, err
		}
		if pf, err = opt(7, dirs*3*h); err != nil {
			return nil, err
		}
	}
	if r.layout == 1 {
		if h0 != nil {
			h0 = swapFirstAxes(h0, batch, dirs, h)
		}
		if c0 != nil {
			c0 = swapFirstAxes(c0, batch, dirs, h)
		}
	}
	lens := make([]int, batch)
	for i := range lens {
		lens[i] = seq
	}
	if sl := optionalInput(in, 4); sl != nil {
		v, err := indexValues(n, sl, "sequence_lens")
		if err != nil {
			return nil, err
		}
		if len(v) != batch {
			return nil, fmt.Errorf("node %s: sequence_lens has %d values, batch is %d", n.Label(), len(v), batch)
		}
		for i, l := range v {
			if l < 0 || l > int64(seq) {
				return nil, fmt.Errorf("node %s: sequence_lens[%d] = %d outside [0, %d]", n.Label(), i, l, seq)
			}
			lens[i] = int(l)
		}
	}
	xf := float32s(x)
	if r.layout == 1 {
		xf = swapFirstAxes(xf, batch, seq, inSz)
	}
	// Work buffers, recycled between runs: every element a run reads is
	// written first, except Y's steps past a row's sequence_lens (zero).
	sizes := [...]int{seq * dirs * batch * h, dirs * batch * h, dirs * batch * h, seq * batch * gh, batch * gh, gh, gh, gh * h, batch * h, batch * h, 0, 0}
	if r.kind == cellGRU {
		sizes[10], sizes[11] = batch*h, batch*h
	}
	total := 0
	for _, sz := range sizes {
		total += sz
	}
	bp, _ := r.scratch.Get().(*[]float32)
	if bp == nil || cap(*bp) < total {
		b := make([]float32, total)
		bp = &b
	}
	defer r.scratch.Put(bp)
	var parts [len(sizes)][]float32
	rest := (*bp)[:total]
	for i, sz := range sizes {
		parts[i], rest = rest[:sz:sz], rest[sz:]
	}
	y, yh, yc, xw, hr, gate, bsum, rT, hs, cs := parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], parts[7], parts[8], parts[9]
	rh, hr2 := parts[10], parts[11]
	for _, l := range lens {
		if l < seq {
			clear(y)
			break
		}
	}
	for d := 0; d < dirs; d++ {
		wd, rd := wf[d*gh*inSz:(d+1)*gh*inSz], rf[d*gh*h:(d+1)*gh*h]
		// R^T (h×gh), so that each step's product H·R^T streams R's rows
		// (the few-row Gemm kernels are fastest on a k×n operand).
		ops.Transpose(rT, rd, []int{gh, h}, []int{1, 0})
		var wb, rb []float32
		if bf != nil {
			wb, rb = bf[d*2*gh:d*2*gh+gh], bf[d*2*gh+gh:(d+1)*2*gh]
		}
		// X·W^T for every time step at once, with Wb + Rb added in the
		// Gemm's epilogue (GRU with linear_before_reset keeps Rbh apart:
		// it is scaled by r).
		var bias []float32
		if wb != nil {
			bias = bsum
			for j := range bias {
				bias[j] = wb[j]
				if !(r.kind == cellGRU && j >= 2*h && r.lbr) {
					bias[j] += rb[j]
				}
			}
		}
		if seq*batch > 0 {
			ops.GemmEpilogue(false, true, seq*batch, gh, inSz, xf, inSz, wd, inSz, xw, gh, ops.Epilogue{Bias: bias})
		}
		if h0 != nil {
			copy(hs, h0[d*batch*h:(d+1)*batch*h])
		} else {
			clear(hs)
		}
		if c0 != nil {
			copy(cs, c0[d*batch*h:(d+1)*batch*h])
		} else {
			clear(cs)
		}
		var pi, po, pfg []float32
		if pf != nil {
			pd := pf[d*3*h : (d+1)*3*h]
			pi, po, pfg = pd[:h], pd[h:2*h], pd[2*h:]
		}
		acts := r.acts[d]
		for s := 0; s < seq; s++ {
			if env != nil && env.Ctx != nil {
				if err := env.Ctx.Err(); err != nil {
					return nil, fmt.Errorf("node %s: %w", n.Label(), err)
				}
			}
			// Hidden projections of all rows for the gates that use H
			// directly (all but GRU's candidate unless linear_before_reset).
			ng := gh
			if r.kind == cellGRU && !r.lbr {
				ng = 2 * h
			}
			beta := float32(0)
			if r.kind == cellLSTM {
				// The LSTM's gates are X·W^T + b + H·R^T: start from the
				// input projection and let the Gemm accumulate.
				beta = 1
				for b := 0; b < batch; b++ {
					if t, active := r.timeOf(s, b, d, lens); active {
						copy(hr[b*gh:(b+1)*gh], xw[(t*batch+b)*gh:(t*batch+b+1)*gh])
					}
				}
			}
			if batch > 0 {
				ops.Gemm(false, false, batch, ng, h, 1, hs, h, rT, gh, beta, hr[:batch*gh], gh)
			}
			for b := 0; b < batch; b++ {
				t, active := r.timeOf(s, b, d, lens)
				if !active {
					continue
				}
				xr := xw[(t*batch+b)*gh : (t*batch+b+1)*gh]
				hrow := hr[b*gh : (b+1)*gh]
				hb, cb := hs[b*h:(b+1)*h], cs[b*h:(b+1)*h]
				switch r.kind {
				case cellRNN:
					for j := range gate[:h] {
						gate[j] = r.clipv(xr[j] + hrow[j])
					}
					acts[0].apply(gate[:h])
					copy(hb, gate[:h])
				case cellLSTM:
					// Gate order i, o, f, c; hrow already holds the sum.
					gate := hrow
					ig, og, fg, cg := gate[:h], gate[h:2*h], gate[2*h:3*h], gate[3*h:]
					if pi == nil && po == nil && !r.inputForget && r.clip == 0 {
						// No peepholes: the i, o and f gates are one
						// contiguous run through the vector kernel.
						acts[0].apply(gate[:3*h])
						acts[1].apply(cg)
						for j := range cb {
							cb[j] = fg[j]*cb[j] + ig[j]*cg[j]
						}
						copy(cg, cb)
						acts[2].apply(cg)
						for j := range hb {
							hb[j] = og[j] * cg[j]
						}
						break
					}
					if pi != nil {
						for j := range ig {
							ig[j] += pi[j] * cb[j]
							fg[j] += pfg[j] * cb[j]
						}
					}
					r.clipAll(ig)
					r.clipAll(fg)
					r.clipAll(cg)
					acts[0].apply(ig)
					if r.inputForget {
						for j := range fg {
							fg[j] = 1 - ig[j]
						}
					} else {
						acts[0].apply(fg)
					}
					acts[1].apply(cg)
					for j := range cb {
						cb[j] = fg[j]*cb[j] + ig[j]*cg[j]
					}
					if po != nil {
						for j := range og {
							og[j] += po[j] * cb[j]
						}
					}
					r.clipAll(og)
					acts[0].apply(og)
					copy(cg, cb)
					acts[2].apply(cg)
					for j := range hb {
						hb[j] = og[j] * cg[j]
					}
				}
			}
			if r.kind == cellGRU {
				r.gruStep(s, batch, h, lens, d, xw, hr, hs, rh, hr2, rT, rb, acts)
			}
			for b := 0; b < batch; b++ {
				t, active := r.timeOf(s, b, d, lens)
				if !active {
					continue
				}
				copy(y[((t*dirs+d)*batch+b)*h:((t*dirs+d)*batch+b+1)*h], hs[b*h:(b+1)*h])
			}
		}
		copy(yh[d*batch*h:(d+1)*batch*h], hs)
		copy(yc[d*batch*h:(d+1)*batch*h], cs)
	}
	return r.outputs(env, n, x.DType, seq, batch, y, yh, yc)
}

// timeOf returns the time index that step s of direction d processes for
// batch row b, and false when the row's sequence (lens[b]) has ended:
// forward steps run 0, 1, …; reverse ones lens[b]-1, lens[b]-2, ….
func (r *recurrentCell) timeOf(s, b, d int, lens []int) (t int, active bool) {
	if s >= lens[b] {
		return 0, false
	}
	if r.reverse[d] {
		return lens[b] - 1 - s, true
	}
	return s, true
}

// gruStep advances every active batch row of a GRU by one step. hr holds
// H·R^T for the z and r gates (and, with linear_before_reset, h); rT is R^T
// (h×3h).
func (r *recurrentCell) gruStep(s, batch, h int, lens []int, d int, xw, hr, hs, rh, hr2, rT, rb []float32, acts []rnnActivation) {
	gh := 3 * h
	for b := 0; b < batch; b++ {
		t, active := r.timeOf(s, b, d, lens)
		if !active {
			continue
		}
		xr := xw[(t*batch+b)*gh : (t*batch+b+1)*gh]
		hrow := hr[b*gh : (b+1)*gh]
		zr := hrow[:2*h]
		for j := range zr {
			zr[j] = r.clipv(xr[j] + zr[j])
		}
		acts[0].apply(zr)
		rr := zr[h:]
		hb := hs[b*h : (b+1)*h]
		for j := range hb {
			rh[b*h+j] = rr[j] * hb[j]
		}
	}
	if !r.lbr && batch > 0 {
		// (r ⊙ H)·Rh^T for the candidate gate.
		ops.Gemm(false, false, batch, h, h, 1, rh, h, rT[2*h:], gh, 0, hr2, h)
	}
	for b := 0; b < batch; b++ {
		t, active := r.timeOf(s, b, d, lens)
		if !active {
			continue
		}
		xr := xw[(t*batch+b)*gh : (t*batch+b+1)*gh]
		hrow := hr[b*gh : (b+1)*gh]
		z, rr, cand := hrow[:h], hrow[h:2*h], hrow[2*h:]
		if r.lbr {
			for j := range cand {
				v := cand[j]
				if rb != nil {
					v += rb[2*h+j]
				}
				cand[j] = r.clipv(xr[2*h+j] + rr[j]*v)
			}
		} else {
			for j := range cand {
				cand[j] = r.clipv(xr[2*h+j] + hr2[b*h+j])
			}
		}
		acts[1].apply(cand)
		hb := hs[b*h : (b+1)*h]
		for j := range hb {
			hb[j] = (1-z[j])*cand[j] + z[j]*hb[j]
		}
	}
}

func (r *recurrentCell) clipv(v float32) float32 {
	if r.clip > 0 {
		return min(max(v, -r.clip), r.clip)
	}
	return v
}

func (r *recurrentCell) clipAll(v []float32) {
	if r.clip > 0 {
		for i, x := range v {
			v[i] = min(max(x, -r.clip), r.clip)
		}
	}
}

// outputs converts Y, Y_h and Y_c to the requested layout and dtype,
// leaving omitted outputs nil.
func (r *recurrentCell) outputs(env *operators.Env, n *graph.Node, dt ops.DType, seq, batch int, y, yh, yc []float32) ([]*ops.Tensor, error) {
	h, dirs := r.hidden, r.dirs
	want := func(i int) bool { return i < len(n.Outputs) && n.Outputs[i] != "" }
	var outs []*ops.Tensor
	mk := func(data []float32, shape []int) *ops.Tensor {
		o := newFloatOutput(env, dt, shape)
		copy(o.f, data)
		return o.done()
	}
	if want(0) {
		if r.layout == 1 {
			// [seq, dirs, batch, h] → [batch, seq, dirs, h].
			t := make([]float32, len(y))
			for s := 0; s < seq; s++ {
				for d := 0; d < dirs; d++ {
					for b := 0; b < batch; b++ {
						copy(t[((b*seq+s)*dirs+d)*h:((b*seq+s)*dirs+d+1)*h], y[((s*dirs+d)*batch+b)*h:((s*dirs+d)*batch+b+1)*h])
					}
				}
			}
			outs = append(outs, mk(t, []int{batch, seq, dirs, h}))
		} else {
			outs = append(outs, mk(y, []int{seq, dirs, batch, h}))
		}
	} else {
		outs = append(outs, nil)
	}
	for i, st := range [][]float32{yh, yc} {
		if i == 1 && r.kind != cellLSTM {
			break
		}
		if !want(i + 1) {
			outs = append(outs, nil)
			continue
		}
		if r.layout == 1 {
			outs = append(outs, mk(swapFirstAxes(st, dirs, batch, h), []int{batch, dirs, h}))
		} else {
			outs = append(outs, mk(st, []int{dirs, batch, h}))
		}
	}
	return outs[:min(len(outs), max(1, len(n.Outputs)))], nil
}

func inferRecurrent(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	x := in[0]
	unknown := []graph.ValueInfo{{DType: x.DType}, {DType: x.DType}, {DType: x.DType}}
	hidden, err := n.Int("hidden_size", -1)
	if err != nil {
		return nil, err
	}
	dir, err := n.String("direction", "forward")
	if err != nil {
		return nil, err
	}
	layout, err := n.Int("layout", 0)
	if err != nil {
		return nil, err
	}
	dirs := int64(1)
	switch dir {
	case "forward", "reverse":
	case "bidirectional":
		dirs = 2
	default:
		return nil, fmt.Errorf("unknown direction %q", dir)
	}
	if !operators.RankKnown(x) {
		return unknown, nil
	}
	if len(x.Shape) != 3 {
		return nil, fmt.Errorf("X %s must be 3-D", x.Shape)
	}
	if w := in[1]; operators.RankKnown(w) && len(w.Shape) == 3 {
		if _, err := operators.MergeDim(w.Shape[0], operators.KnownDim(dirs)); err != nil {
			return nil, fmt.Errorf("W %s has %s directions, direction %q needs %d", w.Shape, w.Shape[0], dir, dirs)
		}
		if _, err := operators.MergeDim(w.Shape[2], x.Shape[2]); err != nil {
			return nil, fmt.Errorf("W %s expects input size %s, X %s has %s", w.Shape, w.Shape[2], x.Shape, x.Shape[2])
		}
	}
	hd := operators.UnknownDim
	if hidden > 0 {
		hd = operators.KnownDim(hidden)
	}
	seq, batch := x.Shape[0], x.Shape[1]
	y := graph.Shape{seq, operators.KnownDim(dirs), batch, hd}
	h := graph.Shape{operators.KnownDim(dirs), batch, hd}
	if layout != 0 {
		batch, seq = x.Shape[0], x.Shape[1]
		y = graph.Shape{batch, seq, operators.KnownDim(dirs), hd}
		h = graph.Shape{batch, operators.KnownDim(dirs), hd}
	}
	return []graph.ValueInfo{ranked(x.DType, y), ranked(x.DType, h), ranked(x.DType, append(graph.Shape(nil), h...))}, nil
}
