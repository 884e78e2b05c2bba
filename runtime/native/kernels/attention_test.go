package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attnCase is one Attention call for the reference below: 4-D shapes
// [batch, heads, len, dim] (rank3 feeds them as [batch, len, heads·dim]).
type attnCase struct {
	batch, qh, kvh, lq, lk, past, d, dv int
	rank3, causal                       bool
	scale, softcap                      float64 // scale 0: the default
	left, right                         int     // -1: unbounded
	mode                                int
	maskShape                           []int // nil: no mask
	boolMask                            bool
	nonpad                              []int64
}

// attnReference computes Attention from its definition, element by element
// in float64: scores q·k·scale, soft cap, the bias (mask, causal frontier,
// window, padding), softmax (a row with no attendable key gives zeros),
// times V. It returns Y [batch, qh, lq, dv] and the qk_matmul_output at
// c.mode.
func attnReference(c attnCase, q, k, v, pk, pv, mask []float64, maskKeep []bool) (y, qk []float64) {
	lt := c.past + c.lk
	key := func(b, h, j, x int, dim int, past, cur []float64) float64 {
		if j < c.past {
			return past[((b*c.kvh+h)*c.past+j)*dim+x]
		}
		return cur[((b*c.kvh+h)*c.lk+j-c.past)*dim+x]
	}
	scale := c.scale
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(c.d))
	}
	y = make([]float64, c.batch*c.qh*c.lq*c.dv)
	qk = make([]float64, c.batch*c.qh*c.lq*lt)
	for b := 0; b < c.batch; b++ {
		off := c.past
		if c.nonpad != nil {
			off = int(c.nonpad[b]) - c.lq
		}
		for h := 0; h < c.qh; h++ {
			kh := h / (c.qh / c.kvh)
			for i := 0; i < c.lq; i++ {
				s := make([]float64, lt)
				bias := make([]float64, lt)
				for j := 0; j < lt; j++ {
					var dot float64
					for x := 0; x < c.d; x++ {
						dot += q[((b*c.qh+h)*c.lq+i)*c.d+x] * key(b, kh, j, x, c.d, pk, k)
					}
					s[j] = dot * scale
					raw := s[j]
					if c.softcap > 0 {
						s[j] = c.softcap * math.Tanh(s[j]/c.softcap)
					}
					if c.maskShape != nil {
						ms := c.maskShape
						r := len(ms)
						idx := []int{b, h, i, j}[4-r:]
						if j >= ms[r-1] {
							bias[j] = math.Inf(-1)
						} else {
							o := 0
							for a := 0; a < r; a++ {
								o = o*ms[a] + min(idx[a], ms[a]-1)
							}
							if c.boolMask {
								if !maskKeep[o] {
									bias[j] = math.Inf(-1)
								}
							} else {
								bias[j] = mask[o]
							}
						}
					}
					p := off + i
					if (c.causal && j > p) || (c.left >= 0 && p-j > c.left) || (c.right >= 0 && j-p > c.right) ||
						(c.nonpad != nil && j >= int(c.nonpad[b])) {
						bias[j] = math.Inf(-1)
					}
					stage := []float64{raw, s[j], s[j] + bias[j]}
					if c.mode < 3 {
						qk[((b*c.qh+h)*c.lq+i)*lt+j] = stage[c.mode]
					}
					s[j] += bias[j]
				}
				m, all := math.Inf(-1), true
				for j := range s {
					m = math.Max(m, s[j])
					all = all && math.IsInf(bias[j], -1)
				}
				var sum float64
				for j := range s {
					s[j] = math.Exp(s[j] - m)
					sum += s[j]
				}
				for j := range s {
					if all {
						s[j] = 0
					} else {
						s[j] /= sum
					}
					if c.mode == 3 {
						qk[((b*c.qh+h)*c.lq+i)*lt+j] = s[j]
					}
				}
				for x := 0; x < c.dv; x++ {
					var acc float64
					for j := range s {
						acc += s[j] * key(b, kh, j, x, c.dv, pv, v)
					}
					y[((b*c.qh+h)*c.lq+i)*c.dv+x] = acc
				}
			}
		}
	}
	return y, qk
}

// to3D turns [batch, heads, len, dim] into [batch, len, heads·dim].
func to3D(x []float64, batch, heads, l, dim int) []float64 {
	out := make([]float64, len(x))
	for b := 0; b < batch; b++ {
		for h := 0; h < heads; h++ {
			for i := 0; i < l; i++ {
				copy(out[((b*l+i)*heads+h)*dim:][:dim], x[((b*heads+h)*l+i)*dim:][:dim])
			}
		}
	}
	return out
}

func randF64(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.Float64()*2 - 1
	}
	return x
}

func f32Tensor(shape []int, x []float64) *ops.Tensor {
	f := make([]float32, len(x))
	for i, v := range x {
		f[i] = float32(v)
	}
	return ops.FromFloat32(shape, f)
}

// TestAttentionAgainstReference runs random Attention configurations
// (3-D and 4-D, grouped-query heads, boolean and additive masks of every
// rank with shorter key dimensions, causal and window bounds, caches,
// nonpad_kv_seqlen, soft cap, every qk_matmul_output stage) against
// attnReference, and again on dirty buffers.
func TestAttentionAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 23))
	b, err := operators.KernelBuilder("", "Attention", 25)
	require.NoError(t, err)
	for it := 0; it < 300; it++ {
		c := attnCase{batch: 1 + r.IntN(2), kvh: 1 + r.IntN(2), lq: 1 + r.IntN(4), lk: r.IntN(5), d: 1 + r.IntN(4), dv: 1 + r.IntN(4),
			rank3: r.IntN(2) == 0, causal: r.IntN(2) == 0, left: r.IntN(4) - 1, right: r.IntN(4) - 1, mode: r.IntN(4)}
		if c.lk == 0 {
			c.lk = 1
		}
		c.qh = c.kvh * (1 + r.IntN(3))
		if r.IntN(3) == 0 {
			c.scale = 0.3
		}
		if r.IntN(3) == 0 {
			c.softcap = 1.5
		}
		switch r.IntN(3) {
		case 0:
			c.past = 1 + r.IntN(3)
		case 1:
			c.nonpad = make([]int64, c.batch)
			for i := range c.nonpad {
				c.nonpad[i] = int64(r.IntN(c.lk + 1))
			}
		}
		lt := c.past + c.lk
		if r.IntN(3) != 0 {
			full := []int{c.batch, c.qh, c.lq, lt}
			rank := 1 + r.IntN(4)
			c.maskShape = append([]int(nil), full[4-rank:]...)
			for a := 0; a < rank-1; a++ {
				if r.IntN(2) == 0 {
					c.maskShape[a] = 1
				}
			}
			c.maskShape[rank-1] = lt - r.IntN(2) // sometimes shorter: padded with −∞
			c.boolMask = r.IntN(2) == 0
		}
		q := randF64(r, c.batch*c.qh*c.lq*c.d)
		k := randF64(r, c.batch*c.kvh*c.lk*c.d)
		v := randF64(r, c.batch*c.kvh*c.lk*c.dv)
		pk := randF64(r, c.batch*c.kvh*c.past*c.d)
		pv := randF64(r, c.batch*c.kvh*c.past*c.dv)
		var mask []float64
		var keep []bool
		in := []*ops.Tensor{nil, nil, nil, nil, nil, nil, nil}
		if c.maskShape != nil {
			n := ops.NumElements(c.maskShape)
			if c.boolMask {
				keep = make([]bool, n)
				for i := range keep {
					keep[i] = r.IntN(4) != 0
				}
				in[3] = ops.FromBool(c.maskShape, keep)
			} else {
				mask = randF64(r, n)
				if n > 0 {
					mask[r.IntN(n)] = math.Inf(-1)
				}
				in[3] = f32Tensor(c.maskShape, mask)
			}
		}
		kv := []any{"is_causal", map[bool]int{false: 0, true: 1}[c.causal], "qk_matmul_output_mode", c.mode, "left_window_size", c.left, "right_window_size", c.right}
		if c.scale != 0 {
			kv = append(kv, "scale", float32(c.scale))
		}
		if c.softcap != 0 {
			kv = append(kv, "softcap", float32(c.softcap))
		}
		if c.rank3 {
			kv = append(kv, "q_num_heads", c.qh, "kv_num_heads", c.kvh)
			in[0] = f32Tensor([]int{c.batch, c.lq, c.qh * c.d}, to3D(q, c.batch, c.qh, c.lq, c.d))
			in[1] = f32Tensor([]int{c.batch, c.lk, c.kvh * c.d}, to3D(k, c.batch, c.kvh, c.lk, c.d))
			in[2] = f32Tensor([]int{c.batch, c.lk, c.kvh * c.dv}, to3D(v, c.batch, c.kvh, c.lk, c.dv))
		} else {
			in[0] = f32Tensor([]int{c.batch, c.qh, c.lq, c.d}, q)
			in[1] = f32Tensor([]int{c.batch, c.kvh, c.lk, c.d}, k)
			in[2] = f32Tensor([]int{c.batch, c.kvh, c.lk, c.dv}, v)
		}
		if c.past > 0 {
			in[4] = f32Tensor([]int{c.batch, c.kvh, c.past, c.d}, pk)
			in[5] = f32Tensor([]int{c.batch, c.kvh, c.past, c.dv}, pv)
		}
		if c.nonpad != nil {
			in[6] = ops.FromInt64([]int{c.batch}, c.nonpad)
		}
		n := newNodeKV("Attention", 7, 4, kv...)
		desc := fmt.Sprintf("case %d %+v", it, c)
		require.True(t, fuzzCall(t, b, n, 25, in, true), "%s: the kernel failed", desc)
		k25, err := b(n, 25)
		require.NoError(t, err)
		outs, err := k25(&operators.Env{}, in)
		require.NoError(t, err, desc)
		wantY, wantQK := attnReference(c, q, k, v, pk, pv, mask, keep)
		if c.rank3 {
			wantY = to3D(wantY, c.batch, c.qh, c.lq, c.dv)
		}
		assertClose(t, desc+" Y", tensorF64(outs[0]), wantY)
		assertClose(t, desc+" qk_matmul_output", tensorF64(outs[3]), wantQK)
		// present = past ++ new.
		assert.Equal(t, []int{c.batch, c.kvh, lt, c.dv}, outs[2].Shape, desc)
		if c.past > 0 {
			assert.Equal(t, float32(pk[0]), outs[1].F32()[0], "%s: present_key starts with past_key", desc)
		}
	}
}

func assertClose(t *testing.T, what string, got, want []float64) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range got {
		g, w := got[i], want[i]
		if math.IsInf(w, 0) || math.IsNaN(w) {
			if !assert.True(t, g == w || (math.IsNaN(g) && math.IsNaN(w)), "%s[%d]: got %v, want %v", what, i, g, w) {
				return
			}
			continue
		}
		if math.Abs(g-w) > 1e-5+1e-4*math.Abs(w) {
			assert.InDelta(t, w, g, 1e-5+1e-4*math.Abs(w), "%s[%d]", what, i)
			return
		}
	}
}

func TestAttentionHandComputed(t *testing.T) {
	// One head, two keys: scores q·k/√2 = [1/√2·1, 0]; softmax weights
	// e^s/Σe^s; Y mixes V's rows. Causal: the first query sees key 0 only.
	q := floats([]int{1, 1, 2, 2}, 1, 0, 1, 0)
	k := floats([]int{1, 1, 2, 2}, 1, 0, 0, 1)
	v := floats([]int{1, 1, 2, 1}, 10, 20)
	b, err := operators.KernelBuilder("", "Attention", 23)
	require.NoError(t, err)
	kern, err := b(newNodeKV("Attention", 3, 1, "is_causal", 1), 23)
	require.NoError(t, err)
	out, err := kern(&operators.Env{}, []*ops.Tensor{q, k, v})
	require.NoError(t, err)
	s := 1 / math.Sqrt2
	w := math.Exp(s) / (math.Exp(s) + 1)
	assertClose(t, "Y", tensorF64(out[0]), []float64{10, 10*w + 20*(1-w)})

	// A fully masked row gives zeros, not NaN.
	kern, err = b(newNodeKV("Attention", 4, 1), 23)
	require.NoError(t, err)
	out, err = kern(&operators.Env{}, []*ops.Tensor{q, k, v, ops.FromBool([]int{2, 2}, []bool{false, false, true, true})})
	require.NoError(t, err)
	assertClose(t, "masked Y", tensorF64(out[0]), []float64{0, 10*w + 20*(1-w)})
}

func TestAttentionErrors(t *testing.T) {
	b, err := operators.KernelBuilder("", "Attention", 25)
	require.NoError(t, err)
	x4 := ops.New(ops.Float32, 1, 2, 3, 4)
	for _, c := range []struct {
		attrs []any
		in    []*ops.Tensor
		want  string
	}{
		{nil, []*ops.Tensor{ops.New(ops.Float32, 1, 3, 4), ops.New(ops.Float32, 1, 3, 4), ops.New(ops.Float32, 1, 3, 4)}, "q_num_heads and kv_num_heads"},
		{[]any{"q_num_heads", 2}, []*ops.Tensor{x4, x4, x4}, "must not be given for 4-D"},
		{nil, []*ops.Tensor{x4, ops.New(ops.Float32, 1, 3, 3, 4), ops.New(ops.Float32, 1, 3, 3, 4)}, "cannot share"},
		{nil, []*ops.Tensor{x4, x4, x4, nil, x4}, "given together"},
		{nil, []*ops.Tensor{x4, x4, x4, ops.New(ops.Float32, 4)}, "longer than"},
		{nil, []*ops.Tensor{x4, x4, ops.New(ops.Int64, 1, 2, 3, 4)}, "must be float"},
		{[]any{"qk_matmul_output_mode", 4}, []*ops.Tensor{x4, x4, x4}, "qk_matmul_output_mode"},
		{[]any{"left_window_size", -2}, []*ops.Tensor{x4, x4, x4}, "window sizes"},
	} {
		n := newNodeKV("Attention", len(c.in), 1, c.attrs...)
		k, err := b(n, 25)
		if err == nil {
			_, err = k(&operators.Env{}, c.in)
		}
		require.Error(t, err, c.want)
		assert.Contains(t, err.Error(), c.want)
		assert.Contains(t, err.Error(), n.Name)
	}
}

func TestRotaryEmbedding(t *testing.T) {
	// One head of size 4, positions 0 and 1 through position_ids; cos/sin
	// of angles 0 and π/2 for each of the two pairs.
	x := floats([]int{1, 1, 2, 4}, 1, 2, 3, 4, 1, 2, 3, 4)
	cos := floats([]int{2, 2}, 1, 1, 0, 0)
	sin := floats([]int{2, 2}, 0, 0, 1, 1)
	pid := ops.FromInt64([]int{1, 2}, []int64{0, 1})
	b, err := operators.KernelBuilder("", "RotaryEmbedding", 23)
	require.NoError(t, err)
	for _, c := range []struct {
		interleaved int
		want        []float64
	}{
		// Halves: pairs (x0, x2), (x1, x3); at π/2 (a, b) → (−b, a).
		{0, []float64{1, 2, 3, 4, -3, -4, 1, 2}},
		// Interleaved: pairs (x0, x1), (x2, x3).
		{1, []float64{1, 2, 3, 4, -2, 1, -4, 3}},
	} {
		k, err := b(newNodeKV("RotaryEmbedding", 4, 1, "interleaved", c.interleaved), 23)
		require.NoError(t, err)
		out, err := k(&operators.Env{}, []*ops.Tensor{x, cos, sin, pid})
		require.NoError(t, err)
		assertClose(t, fmt.Sprintf("interleaved=%d", c.interleaved), tensorF64(out[0]), c.want)
	}
	// 3-D input with num_heads and a partial rotation: the tail is copied.
	k, err := b(newNodeKV("RotaryEmbedding", 4, 1, "num_heads", 2, "rotary_embedding_dim", 2), 23)
	require.NoError(t, err)
	x3 := floats([]int{1, 1, 8}, 1, 2, 3, 4, 5, 6, 7, 8)
	out, err := k(&operators.Env{}, []*ops.Tensor{x3, floats([]int{1, 1}, 0), floats([]int{1, 1}, 1), ops.FromInt64([]int{1, 1}, []int64{0})})
	require.NoError(t, err)
	assertClose(t, "3-D partial", tensorF64(out[0]), []float64{-2, 1, 3, 4, -6, 5, 7, 8})
	_, err = k(&operators.Env{}, []*ops.Tensor{x3, floats([]int{1, 1}, 0), floats([]int{1, 1}, 1), ops.FromInt64([]int{1, 1}, []int64{3})})
	require.ErrorContains(t, err, "outside the 1 cached positions")
}
