package kernels

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randFloats(r *rand.Rand, shape ...int) *ops.Tensor {
	t := ops.New(ops.Float32, shape...)
	for i := range t.F32() {
		t.F32()[i] = r.Float32()*2 - 1
	}
	return t
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// naiveCell runs one forward direction of a recurrent cell over one batch
// row with scalar loops straight from the ONNX equations. w is G·H×I, rw
// G·H×H, b 2·G·H (or nil); it returns the hidden states per step and the
// final cell state.
func naiveCell(kind string, xs [][]float64, w, rw, b []float32, h int, lbr, inputForget bool, clip float64) (hs [][]float64, c []float64) {
	g := map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
	in := len(xs[0])
	hp := make([]float64, h)
	c = make([]float64, h)
	cl := func(v float64) float64 {
		if clip > 0 {
			return math.Max(-clip, math.Min(clip, v))
		}
		return v
	}
	// wx(k, j): gate block k, unit j of W·x + Wb; rh(k, j, v) of R·v + Rb.
	wx := func(x []float64, k, j int) float64 {
		s := 0.0
		if b != nil {
			s = float64(b[k*h+j])
		}
		for q := 0; q < in; q++ {
			s += float64(w[(k*h+j)*in+q]) * x[q]
		}
		return s
	}
	rh := func(v []float64, k, j int) float64 {
		s := 0.0
		if b != nil {
			s = float64(b[g*h+k*h+j])
		}
		for q := 0; q < h; q++ {
			s += float64(rw[(k*h+j)*h+q]) * v[q]
		}
		return s
	}
	for _, x := range xs {
		hn := make([]float64, h)
		switch kind {
		case "RNN":
			for j := range hn {
				hn[j] = math.Tanh(cl(wx(x, 0, j) + rh(hp, 0, j)))
			}
		case "GRU":
			z, r := make([]float64, h), make([]float64, h)
			for j := 0; j < h; j++ {
				z[j] = sigmoid(cl(wx(x, 0, j) + rh(hp, 0, j)))
				r[j] = sigmoid(cl(wx(x, 1, j) + rh(hp, 1, j)))
			}
			rhp := make([]float64, h)
			for j := range rhp {
				rhp[j] = r[j] * hp[j]
			}
			for j := 0; j < h; j++ {
				var cand float64
				if lbr {
					cand = wx(x, 2, j) + r[j]*rh(hp, 2, j)
				} else {
					cand = wx(x, 2, j) + rh(rhp, 2, j)
				}
				cand = math.Tanh(cl(cand))
				hn[j] = (1-z[j])*cand + z[j]*hp[j]
			}
		case "LSTM":
			for j := 0; j < h; j++ {
				i := sigmoid(cl(wx(x, 0, j) + rh(hp, 0, j)))
				f := sigmoid(cl(wx(x, 2, j) + rh(hp, 2, j)))
				if inputForget {
					f = 1 - i
				}
				cc := math.Tanh(cl(wx(x, 3, j) + rh(hp, 3, j)))
				c[j] = f*c[j] + i*cc
				o := sigmoid(cl(wx(x, 1, j) + rh(hp, 1, j)))
				hn[j] = o * math.Tanh(c[j])
			}
		}
		hs = append(hs, hn)
		hp = hn
	}
	return hs, c
}

func TestRecurrentAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	seq, batch, in, h := 4, 2, 3, 5
	for _, kind := range []string{"RNN", "GRU", "LSTM"} {
		for _, variant := range []string{"plain", "lbr", "clip", "input_forget"} {
			g := map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
			x := randFloats(r, seq, batch, in)
			w, rw, b := randFloats(r, 1, g*h, in), randFloats(r, 1, g*h, h), randFloats(r, 1, 2*g*h)
			kv := []any{"hidden_size", h}
			lbr, inf, clip := false, false, 0.0
			switch variant {
			case "lbr":
				kv, lbr = append(kv, "linear_before_reset", 1), kind == "GRU"
			case "clip":
				kv, clip = append(kv, "clip", float32(0.3)), 0.3
			case "input_forget":
				kv, inf = append(kv, "input_forget", 1), kind == "LSTM"
			}
			nOut := 2
			if kind == "LSTM" {
				nOut = 3
			}
			out := mustRunNode(t, newNodeKV(kind, 4, nOut, kv...), 14, x, w, rw, b)
			for bi := 0; bi < batch; bi++ {
				xs := make([][]float64, seq)
				for s := range xs {
					for q := 0; q < in; q++ {
						xs[s] = append(xs[s], float64(x.F32()[(s*batch+bi)*in+q]))
					}
				}
				hs, c := naiveCell(kind, xs, w.F32(), rw.F32(), b.F32(), h, lbr, inf, clip)
				for s := range hs {
					for j := 0; j < h; j++ {
						got := float64(out[0].F32()[(s*batch+bi)*h+j])
						assert.InDelta(t, hs[s][j], got, 1e-5, "%s %s: Y[%d, 0, %d, %d]", kind, variant, s, bi, j)
					}
				}
				for j := 0; j < h; j++ {
					got := float64(out[1].F32()[bi*h+j])
					assert.InDelta(t, hs[seq-1][j], got, 1e-5, "%s %s: Y_h[0, %d, %d]", kind, variant, bi, j)
					if kind == "LSTM" {
						got := float64(out[2].F32()[bi*h+j])
						assert.InDelta(t, c[j], got, 1e-5, "%s %s: Y_c[0, %d, %d]", kind, variant, bi, j)
					}
				}
			}
		}
	}
}

// TestNNRecurrentDirectionsAndLengths checks properties that tie the
// variants together: a reverse run is a forward run over the reversed
// sequence, bidirectional stacks the two, a row with sequence length L
// equals a run over its first L steps (zeros after), and layout 1 is
// layout 0 with batch and time swapped.
func TestRecurrentDirectionsAndLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	seq, batch, in, h := 5, 3, 2, 4
	for _, kind := range []string{"RNN", "GRU", "LSTM"} {
		g := map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
		x := randFloats(r, seq, batch, in)
		w, rw, b := randFloats(r, 2, g*h, in), randFloats(r, 2, g*h, h), randFloats(r, 2, 2*g*h)
		lens := ops.FromInt32([]int{batch}, []int32{5, 2, 3})
		h0 := randFloats(r, 2, batch, h)
		run := func(dir string, x *ops.Tensor, d int, sl *ops.Tensor) []*ops.Tensor {
			nd := 1
			if dir == "bidirectional" {
				nd = 2
			}
			wd := ops.FromFloat32([]int{nd, g * h, in}, w.F32()[d*g*h*in:(d+nd)*g*h*in])
			rd := ops.FromFloat32([]int{nd, g * h, h}, rw.F32()[d*g*h*h:(d+nd)*g*h*h])
			bd := ops.FromFloat32([]int{nd, 2 * g * h}, b.F32()[d*2*g*h:(d+nd)*2*g*h])
			hd := ops.FromFloat32([]int{nd, batch, h}, h0.F32()[d*batch*h:(d+nd)*batch*h])
			return mustRunNode(t, newNodeKV(kind, 6, 2, "hidden_size", h, "direction", dir), 14, x, wd, rd, bd, sl, hd)
		}
		// Reverse (direction 1 weights) = forward over the time-reversed input.
		xr := ops.New(ops.Float32, seq, batch, in)
		for s := 0; s < seq; s++ {
			copy(xr.F32()[s*batch*in:(s+1)*batch*in], x.F32()[(seq-1-s)*batch*in:(seq-s)*batch*in])
		}
		rev := run("reverse", x, 1, nil)
		fwdOfRev := run("forward", xr, 1, nil)
		for s := 0; s < seq; s++ {
			a := rev[0].F32()[s*batch*h : (s+1)*batch*h]
			bb := fwdOfRev[0].F32()[(seq-1-s)*batch*h : (seq-s)*batch*h]
			i := firstDiff(a, bb)
			require.Less(t, i, 0, "%s: reverse Y at step %d differs from forward over reversed input at %d", kind, s, i)
		}
		// Bidirectional = forward and reverse stacked on the direction axis.
		bi := run("bidirectional", x, 0, nil)
		fw := run("forward", x, 0, nil)
		for s := 0; s < seq; s++ {
			for d, one := range []*ops.Tensor{fw[0], rev[0]} {
				a := bi[0].F32()[(s*2+d)*batch*h : (s*2+d+1)*batch*h]
				i := firstDiff(a, one.F32()[s*batch*h:(s+1)*batch*h])
				require.Less(t, i, 0, "%s: bidirectional Y[%d, %d] differs at %d", kind, s, d, i)
			}
		}
		require.Equal(t, append(append([]float32{}, fw[1].F32()...), rev[1].F32()...), bi[1].F32(), "%s: bidirectional Y_h", kind)
		// Sequence lengths, both directions: row b with length L equals a
		// run over its first L steps alone.
		for _, dir := range []string{"forward", "reverse"} {
			d := 0
			if dir == "reverse" {
				d = 1
			}
			withLens := run(dir, x, d, lens)
			for bIdx, l := range lens.I32() {
				xl := ops.New(ops.Float32, int(l), 1, in)
				for s := 0; s < int(l); s++ {
					copy(xl.F32()[s*in:(s+1)*in], x.F32()[(s*batch+bIdx)*in:(s*batch+bIdx+1)*in])
				}
				wd := ops.FromFloat32([]int{1, g * h, in}, w.F32()[d*g*h*in:(d+1)*g*h*in])
				rd := ops.FromFloat32([]int{1, g * h, h}, rw.F32()[d*g*h*h:(d+1)*g*h*h])
				bd := ops.FromFloat32([]int{1, 2 * g * h}, b.F32()[d*2*g*h:(d+1)*2*g*h])
				hd := ops.FromFloat32([]int{1, 1, h}, h0.F32()[(d*batch+bIdx)*h:(d*batch+bIdx+1)*h])
				alone := mustRunNode(t, newNodeKV(kind, 6, 2, "hidden_size", h, "direction", dir), 14, xl, wd, rd, bd, nil, hd)
				for s := 0; s < seq; s++ {
					got := withLens[0].F32()[(s*batch+bIdx)*h : (s*batch+bIdx+1)*h]
					want := make([]float32, h)
					if s < int(l) {
						want = alone[0].F32()[s*h : (s+1)*h]
					}
					i := firstDiff(got, want)
					require.Less(t, i, 0, "%s %s: row %d (length %d) step %d differs at %d: %v vs %v", kind, dir, bIdx, l, s, i, got, want)
				}
				i := firstDiff(withLens[1].F32()[bIdx*h:(bIdx+1)*h], alone[1].F32())
				require.Less(t, i, 0, "%s %s: Y_h of row %d differs at %d", kind, dir, bIdx, i)
			}
		}
		// Layout 1: batch-major input and outputs.
		xb := ops.FromFloat32([]int{batch, seq, in}, swapFirstAxes(x.F32(), seq, batch, in))
		hb := ops.FromFloat32([]int{batch, 2, h}, swapFirstAxes(h0.F32(), 2, batch, h))
		lay := mustRunNode(t, newNodeKV(kind, 6, 2, "hidden_size", h, "direction", "bidirectional", "layout", 1), 14, xb, w, rw, b, nil, hb)
		for s := 0; s < seq; s++ {
			for d := 0; d < 2; d++ {
				for bIdx := 0; bIdx < batch; bIdx++ {
					got := lay[0].F32()[((bIdx*seq+s)*2+d)*h : ((bIdx*seq+s)*2+d+1)*h]
					want := bi[0].F32()[((s*2+d)*batch+bIdx)*h : ((s*2+d)*batch+bIdx+1)*h]
					i := firstDiff(got, want)
					require.Less(t, i, 0, "%s layout 1: Y[%d, %d, %d] differs", kind, bIdx, s, d)
				}
			}
		}
	}
}

// firstDiff returns the first index where a and b differ by more than
// 1e-5, or -1.
func firstDiff(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			return i
		}
	}
	return -1
}

func TestRecurrentErrors(t *testing.T) {
	x := ops.New(ops.Float32, 2, 1, 3)
	w, rw := ops.New(ops.Float32, 1, 4, 3), ops.New(ops.Float32, 1, 4, 4)
	wantNodeError(t, newNodeKV("RNN", 3, 1, "hidden_size", 4), 14, "must have 12 elements", x, ops.New(ops.Float32, 1, 4, 2), rw)
	wantNodeError(t, newNodeKV("RNN", 5, 1, "hidden_size", 4), 14, "sequence_lens[0] = 3 outside", x, w, rw, nil, ops.FromInt32([]int{1}, []int32{3}))
	wantNodeError(t, newNodeKV("RNN", 3, 1, "hidden_size", 4), 14, "X must be 3-D", ops.New(ops.Float32, 2, 3), w, rw)
	for _, c := range []struct {
		kv   []any
		want string
	}{
		{[]any{"hidden_size", 0}, "hidden_size must be positive"},
		{[]any{"hidden_size", 4, "direction", "sideways"}, "unknown direction"},
		{[]any{"hidden_size", 4, "layout", 2}, "layout 2"},
	} {
		_, err := runNode(newNodeKV("RNN", 3, 1, c.kv...), 14, x, w, rw)
		require.Error(t, err, "%v: got %v, want an error mentioning %q", c.kv, err, c.want)
		assert.True(t, errContains(err, c.want), "%v: got %v, want an error mentioning %q", c.kv, err, c.want)
	}
	n := newNodeKV("RNN", 3, 1, "hidden_size", 4)
	n.Attrs["activations"] = &graph.Attr{Name: "activations", Type: graph.AttrStrings, Strings: [][]byte{[]byte("Gelu")}}
	_, err := runNode(n, 14, x, w, rw)
	require.Error(t, err, "unknown activation: got %v", err)
	assert.True(t, errContains(err, "unsupported activation"), "unknown activation: got %v", err)
}

func errContains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

// TestRecurrentReusesScratch runs one kernel on inputs of different sizes
// and sequence lengths, one after the other and from several goroutines:
// every result equals a fresh kernel's (the recycled work buffers carry
// nothing over, and Y past a row's length is zero again).
func TestRecurrentReusesScratch(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	in, h := 3, 5
	for _, kind := range []string{"RNN", "GRU", "LSTM"} {
		g := map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
		n := newNodeKV(kind, 5, 2, "hidden_size", h, "direction", "bidirectional")
		w, rw, b := randFloats(r, 2, g*h, in), randFloats(r, 2, g*h, h), randFloats(r, 2, 2*g*h)
		build, err := operators.KernelBuilder("", kind, 14)
		require.NoError(t, err)
		k, err := build(n, 14)
		require.NoError(t, err)
		type call struct {
			x, lens *ops.Tensor
			want    []*ops.Tensor
		}
		var calls []call
		for _, c := range []struct{ seq, batch int }{{6, 4}, {6, 4}, {3, 2}, {7, 4}} {
			x := randFloats(r, c.seq, c.batch, in)
			lens := ops.New(ops.Int32, c.batch)
			for i := range lens.I32() {
				lens.I32()[i] = int32(c.seq - r.IntN(2)*r.IntN(c.seq))
			}
			calls = append(calls, call{x: x, lens: lens, want: mustRunNode(t, n, 14, x, w, rw, b, lens)})
		}
		check := func(c call, got []*ops.Tensor, err error) {
			require.NoError(t, err)
			require.Len(t, got, len(c.want))
			for i := range got {
				assert.Equal(t, c.want[i].Shape, got[i].Shape, "%s output %d shape", kind, i)
				assert.Equal(t, c.want[i].F32(), got[i].F32(), "%s output %d", kind, i)
			}
		}
		for _, c := range calls {
			got, err := k(&operators.Env{}, []*ops.Tensor{c.x, w, rw, b, c.lens})
			check(c, got, err)
		}
		var wg sync.WaitGroup
		results := make([][]*ops.Tensor, 4*len(calls))
		errs := make([]error, len(results))
		for i := range results {
			wg.Go(func() {
				c := calls[i%len(calls)]
				results[i], errs[i] = k(&operators.Env{}, []*ops.Tensor{c.x, w, rw, b, c.lens})
			})
		}
		wg.Wait()
		for i := range results {
			check(calls[i%len(calls)], results[i], errs[i])
		}
	}
}
