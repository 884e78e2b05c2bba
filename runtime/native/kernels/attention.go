package kernels

// Transformer operators: Attention (opsets 23–25: multi-head, grouped- and
// multi-query, boolean and additive masks, causal and sliding-window
// masking, soft cap, past/present key-value caches and the external cache
// of nonpad_kv_seqlen, the four qk_matmul_output stages) and
// RotaryEmbedding. The arithmetic is ops.SDPA and ops.RotaryEmbedding.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	attnTypes := []operators.TypeSet{anyFloatTypes, anyFloatTypes, anyFloatTypes, nil, anyFloatTypes, anyFloatTypes, {ops.Int64}}
	operators.Register(operators.Op{Type: "Attention", Inputs: attnTypes, Infer: inferAttention, Build: buildAttention}, 23, 24, 25)
	operators.Register(operators.Op{Type: "RotaryEmbedding", Inputs: []operators.TypeSet{anyFloatTypes, anyFloatTypes, anyFloatTypes, {ops.Int64}},
		Infer: inferSame, Build: buildRotaryEmbedding}, 23)
}

// attentionAttrs are an Attention node's attributes.
type attentionAttrs struct {
	causal             bool
	qHeads, kvHeads    int // 0: not given
	scale              float32
	hasScale           bool
	softcap            float32
	mode               ops.ScoreStage
	left, right        int64 // -1: unbounded
	nonpadInput        bool  // opset >= 24
	rejectHeadsFor4D   bool  // opset >= 25
	hasWindow          bool
	wantPresent, wantQ bool
}

func parseAttention(n *graph.Node, opset int64) (attentionAttrs, error) {
	var a attentionAttrs
	causal, err := n.Int("is_causal", 0)
	if err != nil {
		return a, err
	}
	a.causal = causal != 0
	for _, h := range []struct {
		name string
		dst  *int
	}{{"q_num_heads", &a.qHeads}, {"kv_num_heads", &a.kvHeads}} {
		v, err := n.Int(h.name, 0)
		if err != nil {
			return a, err
		}
		if v < 0 || v > math.MaxInt32 || (n.Has(h.name) && v == 0) {
			return a, fmt.Errorf("node %s: %s must be positive, got %d", n.Label(), h.name, v)
		}
		*h.dst = int(v)
	}
	a.hasScale = n.Has("scale")
	if a.scale, err = n.Float("scale", 0); err != nil {
		return a, err
	}
	if a.softcap, err = n.Float("softcap", 0); err != nil {
		return a, err
	}
	if a.softcap < 0 || math.IsNaN(float64(a.softcap)) {
		return a, fmt.Errorf("node %s: softcap must be 0 (none) or positive, got %v", n.Label(), a.softcap)
	}
	mode, err := n.Int("qk_matmul_output_mode", 0)
	if err != nil {
		return a, err
	}
	if mode < 0 || mode > 3 {
		return a, fmt.Errorf("node %s: qk_matmul_output_mode must be 0, 1, 2 or 3, got %d", n.Label(), mode)
	}
	a.mode = ops.ScoreStage(mode)
	if prec, err := n.Int("softmax_precision", 1); err != nil {
		return a, err
	} else if n.Has("softmax_precision") && prec != 1 && prec != 10 && prec != 11 && prec != 16 {
		return a, fmt.Errorf("node %s: softmax_precision must be 1 (float), 10 (float16), 11 (double) or 16 (bfloat16), got %d", n.Label(), prec)
	}
	a.left, a.right = -1, -1
	if opset >= 25 {
		if a.left, err = n.Int("left_window_size", -1); err != nil {
			return a, err
		}
		if a.right, err = n.Int("right_window_size", -1); err != nil {
			return a, err
		}
		if a.left < -1 || a.right < -1 {
			return a, fmt.Errorf("node %s: window sizes must be -1 (unbounded) or at least 0, got left %d, right %d", n.Label(), a.left, a.right)
		}
		a.hasWindow = a.left >= 0 || a.right >= 0
		a.rejectHeadsFor4D = true
	}
	a.nonpadInput = opset >= 24
	out := func(i int) bool { return i < len(n.Outputs) && n.Outputs[i] != "" }
	a.wantPresent = out(1) || out(2)
	a.wantQ = out(3)
	return a, nil
}

// attentionDims are the sizes an Attention call works with.
type attentionDims struct {
	batch, qHeads, kvHeads int
	qLen, kvLen, pastLen   int // kvLen: the new keys; total = pastLen + kvLen
	headDim, vDim          int
	rank3                  bool
}

func (d attentionDims) total() int { return d.pastLen + d.kvLen }

// attentionShapes checks Q, K, V (and the caches) against each other.
func attentionShapes(n *graph.Node, a attentionAttrs, q, k, v, pk, pv *ops.Tensor) (attentionDims, error) {
	var d attentionDims
	bad := func(format string, args ...any) (attentionDims, error) {
		return d, fmt.Errorf("node %s: %s", n.Label(), fmt.Sprintf(format, args...))
	}
	r := q.Rank()
	if (r != 3 && r != 4) || k.Rank() != r || v.Rank() != r {
		return bad("Q, K and V must all be 3-D or all 4-D, got shapes %s, %s, %s", ops.ShapeString(q.Shape), ops.ShapeString(k.Shape), ops.ShapeString(v.Shape))
	}
	d.batch = q.Shape[0]
	if k.Shape[0] != d.batch || v.Shape[0] != d.batch {
		return bad("Q, K and V differ in batch size: %s, %s, %s", ops.ShapeString(q.Shape), ops.ShapeString(k.Shape), ops.ShapeString(v.Shape))
	}
	if r == 3 {
		d.rank3 = true
		if a.qHeads == 0 || a.kvHeads == 0 {
			return bad("3-D inputs need the q_num_heads and kv_num_heads attributes")
		}
		d.qHeads, d.kvHeads = a.qHeads, a.kvHeads
		d.qLen, d.kvLen = q.Shape[1], k.Shape[1]
		if v.Shape[1] != d.kvLen {
			return bad("K and V differ in sequence length: %s, %s", ops.ShapeString(k.Shape), ops.ShapeString(v.Shape))
		}
		if q.Shape[2]%d.qHeads != 0 || k.Shape[2]%d.kvHeads != 0 || v.Shape[2]%d.kvHeads != 0 {
			return bad("hidden sizes %d (Q), %d (K), %d (V) are not multiples of the head counts %d (q_num_heads), %d (kv_num_heads)", q.Shape[2], k.Shape[2], v.Shape[2], d.qHeads, d.kvHeads)
		}
		d.headDim, d.vDim = q.Shape[2]/d.qHeads, v.Shape[2]/d.kvHeads
		if k.Shape[2]/d.kvHeads != d.headDim {
			return bad("Q's head size %d differs from K's %d", d.headDim, k.Shape[2]/d.kvHeads)
		}
	} else {
		if a.rejectHeadsFor4D && (a.qHeads != 0 || a.kvHeads != 0) {
			return bad("q_num_heads and kv_num_heads must not be given for 4-D inputs")
		}
		d.qHeads, d.kvHeads = q.Shape[1], k.Shape[1]
		d.qLen, d.kvLen, d.headDim, d.vDim = q.Shape[2], k.Shape[2], q.Shape[3], v.Shape[3]
		if v.Shape[1] != d.kvHeads || v.Shape[2] != d.kvLen || k.Shape[3] != d.headDim {
			return bad("K %s and V %s do not fit Q %s", ops.ShapeString(k.Shape), ops.ShapeString(v.Shape), ops.ShapeString(q.Shape))
		}
	}
	if d.kvHeads == 0 || d.qHeads%d.kvHeads != 0 {
		return bad("%d query heads cannot share %d key/value heads (the query heads must be a multiple)", d.qHeads, d.kvHeads)
	}
	if (pk == nil) != (pv == nil) {
		return bad("past_key and past_value must be given together")
	}
	if pk != nil {
		if pk.Rank() != 4 || pv.Rank() != 4 || pk.Shape[0] != d.batch || pk.Shape[1] != d.kvHeads || pk.Shape[3] != d.headDim ||
			pv.Shape[0] != d.batch || pv.Shape[1] != d.kvHeads || pv.Shape[2] != pk.Shape[2] || pv.Shape[3] != d.vDim {
			return bad("past_key %s and past_value %s must be [%d, %d, past, %d] and [%d, %d, past, %d]",
				ops.ShapeString(pk.Shape), ops.ShapeString(pv.Shape), d.batch, d.kvHeads, d.headDim, d.batch, d.kvHeads, d.vDim)
		}
		d.pastLen = pk.Shape[2]
	}
	return d, nil
}

func buildAttention(n *graph.Node, opset int64) (operators.Kernel, error) {
	a, err := parseAttention(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		q, err := anyFloatInput(n, in, 0, "Q")
		if err != nil {
			return nil, err
		}
		k, err := anyFloatInput(n, in, 1, "K")
		if err != nil {
			return nil, err
		}
		v, err := anyFloatInput(n, in, 2, "V")
		if err != nil {
			return nil, err
		}
		if k.DType != q.DType {
			return nil, fmt.Errorf("node %s: K is %v, Q %v (types must match)", n.Label(), k.DType, q.DType)
		}
		mask, pk, pv := optionalInput(in, 3), optionalInput(in, 4), optionalInput(in, 5)
		for i, t := range []*ops.Tensor{mask, pk, pv} {
			if t != nil {
				if err := t.Validate(); err != nil {
					return nil, fmt.Errorf("node %s: input %d: %w", n.Label(), i+3, err)
				}
			}
		}
		if pk != nil && pk.DType != q.DType {
			return nil, fmt.Errorf("node %s: past_key is %v, Q %v (types must match)", n.Label(), pk.DType, q.DType)
		}
		if pv != nil && pv.DType != v.DType {
			return nil, fmt.Errorf("node %s: past_value is %v, V %v (types must match)", n.Label(), pv.DType, v.DType)
		}
		d, err := attentionShapes(n, a, q, k, v, pk, pv)
		if err != nil {
			return nil, err
		}
		var nonpad []int64
		if t := optionalInput(in, 6); t != nil && a.nonpadInput {
			if t.DType != ops.Int64 || t.Rank() != 1 || t.Len() != d.batch {
				return nil, fmt.Errorf("node %s: nonpad_kv_seqlen must be int64 of shape [%d], got %v", n.Label(), d.batch, t)
			}
			if pk != nil {
				return nil, fmt.Errorf("node %s: nonpad_kv_seqlen cannot be combined with past_key and past_value", n.Label())
			}
			nonpad = t.I64()
			for b, l := range nonpad {
				if l < 0 || l > int64(d.kvLen) {
					return nil, fmt.Errorf("node %s: nonpad_kv_seqlen[%d] = %d is outside [0, %d]", n.Label(), b, l, d.kvLen)
				}
			}
		}
		if err := checkElementCount(n, "qk_matmul_output", []int{d.batch, d.qHeads, d.qLen, d.total()}); err != nil {
			return nil, err
		}

		// The key/value caches: present = past ++ new along the sequence,
		// [batch, kv_heads, total, dim], in the input types.
		kLay, vLay := ops.HeadsFirst(d.kvHeads, d.kvLen, d.headDim), ops.HeadsFirst(d.kvHeads, d.kvLen, d.vDim)
		if d.rank3 {
			kLay, vLay = ops.HeadsInRows(d.kvHeads, d.kvLen, d.headDim), ops.HeadsInRows(d.kvHeads, d.kvLen, d.vDim)
		}
		kData, vData := k, v
		var presentK, presentV *ops.Tensor
		if pk != nil || a.wantPresent {
			if presentK, err = attentionCache(env, n, pk, k, d, d.headDim); err != nil {
				return nil, err
			}
			if presentV, err = attentionCache(env, n, pv, v, d, d.vDim); err != nil {
				return nil, err
			}
			kData, vData = presentK, presentV
			kLay, vLay = ops.HeadsFirst(d.kvHeads, d.total(), d.headDim), ops.HeadsFirst(d.kvHeads, d.total(), d.vDim)
		}

		bias, bb, bh, err := attentionBias(n, a, d, mask, nonpad)
		if err != nil {
			return nil, err
		}
		scale := a.scale
		if !a.hasScale {
			scale = float32(1 / math.Sqrt(float64(d.headDim)))
		}
		p := ops.SDPA{
			Batch: d.batch, QHeads: d.qHeads, KVHeads: d.kvHeads, QLen: d.qLen, KVLen: d.total(),
			HeadDim: d.headDim, VDim: d.vDim,
			Q: ops.HeadsFirst(d.qHeads, d.qLen, d.headDim), K: kLay, V: vLay, Y: ops.HeadsFirst(d.qHeads, d.qLen, d.vDim),
			Scale: scale, Softcap: a.softcap, Bias: bias, BiasBatch: bb, BiasHeads: bh,
		}
		yShape := []int{d.batch, d.qHeads, d.qLen, d.vDim}
		if d.rank3 {
			p.Q, p.Y = ops.HeadsInRows(d.qHeads, d.qLen, d.headDim), ops.HeadsInRows(d.qHeads, d.qLen, d.vDim)
			yShape = []int{d.batch, d.qLen, d.qHeads * d.vDim}
		}
		var qk floatOutput
		if a.wantQ {
			qk = newFloatOutput(env, q.DType, []int{d.batch, d.qHeads, d.qLen, d.total()})
			p.Scores, p.ScoresAt = qk.f, a.mode
		}
		y := newFloatOutput(env, q.DType, yShape)
		p.Run(float32s(q), float32s(kData), float32s(vData), y.f)
		outs := []*ops.Tensor{y.done(), presentK, presentV, nil}
		if a.wantQ {
			outs[3] = qk.done()
		}
		for i := range outs {
			if i >= len(n.Outputs) || n.Outputs[i] == "" {
				outs[i] = nil
			}
		}
		return outs[:max(1, min(len(outs), len(n.Outputs)))], nil
	}, nil
}

// attentionCache returns past ++ cur along the sequence axis as a [batch,
// kv_heads, past+len, dim] tensor of cur's type (cur is 3-D [batch, len,
// kv_heads·dim] or 4-D [batch, kv_heads, len, dim]; past may be nil).
func attentionCache(env *operators.Env, n *graph.Node, past, cur *ops.Tensor, d attentionDims, dim int) (*ops.Tensor, error) {
	if d.rank3 {
		t := ops.New(cur.DType, d.batch, d.kvHeads, d.kvLen, dim)
		if err := ops.TransposeInto(t, viewAs(cur, []int{d.batch, d.kvLen, d.kvHeads, dim}), []int{0, 2, 1, 3}); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		cur = t
	}
	out := env.New(cur.DType, d.batch, d.kvHeads, d.total(), dim)
	srcs := []*ops.Tensor{cur}
	if past != nil {
		srcs = []*ops.Tensor{past, cur}
	}
	if err := ops.ConcatInto(out, srcs, 2); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return out, nil
}

// attentionBias builds the additive bias [bb][bh][qLen][total] of the mask
// (a boolean mask's false is −∞; a shorter last dimension is padded with
// −∞), the causal and sliding-window bounds and the padding of
// nonpad_kv_seqlen. It returns nil when nothing is masked. bb is 1 or the
// batch size, bh 1 or the query head count, as the terms vary.
func attentionBias(n *graph.Node, a attentionAttrs, d attentionDims, mask *ops.Tensor, nonpad []int64) ([]float32, int, int, error) {
	if mask == nil && !a.causal && !a.hasWindow && nonpad == nil {
		return nil, 0, 0, nil
	}
	lq, lt := d.qLen, d.total()
	// The mask, right-aligned against [batch, q_heads, q_len, total].
	var m []float32
	var mShape [4]int // broadcast dims of the mask, 1 where it repeats
	for i := range mShape {
		mShape[i] = 1
	}
	if mask != nil {
		r := mask.Rank()
		if r < 1 || r > 4 {
			return nil, 0, 0, fmt.Errorf("node %s: attn_mask must have rank 1 to 4, got shape %s", n.Label(), ops.ShapeString(mask.Shape))
		}
		full := [4]int{d.batch, d.qHeads, lq, lt}
		for i := 0; i < r; i++ {
			dim, want := mask.Shape[i], full[4-r+i]
			if i == r-1 {
				if dim > want {
					return nil, 0, 0, fmt.Errorf("node %s: attn_mask %s is longer than the %d keys", n.Label(), ops.ShapeString(mask.Shape), want)
				}
			} else if dim != 1 && dim != want {
				return nil, 0, 0, fmt.Errorf("node %s: attn_mask %s does not broadcast to [%d, %d, %d, %d]", n.Label(), ops.ShapeString(mask.Shape), d.batch, d.qHeads, lq, lt)
			}
			mShape[4-r+i] = dim
		}
		switch mask.DType {
		case ops.Bool:
			m = make([]float32, mask.Len())
			for i, keep := range mask.B() {
				if !keep {
					m[i] = float32(math.Inf(-1))
				}
			}
		case ops.Float32, ops.Float64, ops.Float16, ops.BFloat16:
			m = float32s(mask)
		default:
			if !mask.DType.IsInteger() || mask.DType.Bits() < 8 {
				return nil, 0, 0, fmt.Errorf("node %s: attn_mask has unsupported type %v", n.Label(), mask.DType)
			}
			mt := ops.New(ops.Float32, mask.Shape...)
			if err := ops.Cast(mt, mask); err != nil {
				return nil, 0, 0, fmt.Errorf("node %s: %w", n.Label(), err)
			}
			m = mt.F32()
		}
	}
	bb, bh := mShape[0], mShape[1]
	if nonpad != nil {
		bb = d.batch
	}
	bias := make([]float32, bb*bh*lq*lt)
	negInf := float32(math.Inf(-1))
	// offset(b): the keys preceding the query block (the causal frontier and
	// the window centre are offset + i).
	offset := func(b int) int {
		switch {
		case d.pastLen > 0:
			return d.pastLen
		case nonpad != nil:
			return int(nonpad[b]) - lq
		}
		return 0
	}
	mStr := [4]int{mShape[1] * mShape[2] * mShape[3], mShape[2] * mShape[3], mShape[3], 1}
	for b := 0; b < bb; b++ {
		off := offset(b)
		for h := 0; h < bh; h++ {
			for i := 0; i < lq; i++ {
				row := bias[((b*bh+h)*lq+i)*lt : ((b*bh+h)*lq+i+1)*lt]
				if m != nil {
					mo := min(b, mShape[0]-1)*mStr[0] + min(h, mShape[1]-1)*mStr[1] + min(i, mShape[2]-1)*mStr[2]
					for j := range row {
						if j < mShape[3] {
							row[j] = m[mo+j]
						} else {
							row[j] = negInf // a shorter mask is padded to the total length
						}
					}
				}
				p := off + i
				for j := range row {
					if a.causal && j > p {
						row[j] = negInf
					}
					if a.left >= 0 && p-j > int(a.left) {
						row[j] = negInf
					}
					if a.right >= 0 && j-p > int(a.right) {
						row[j] = negInf
					}
					if nonpad != nil && j >= int(nonpad[b]) {
						row[j] = negInf
					}
				}
			}
		}
	}
	return bias, bb, bh, nil
}

// inferAttention: Y is [batch, q_heads, q_len, v_dim] (4-D) or [batch,
// q_len, q_heads·v_dim] (3-D); the caches [batch, kv_heads, total, dim];
// qk_matmul_output [batch, q_heads, q_len, total].
func inferAttention(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	q, k, v := in[0], in[1], in[2]
	if err := sameElemType(in[:2]); err != nil {
		return nil, err
	}
	outs := make([]graph.ValueInfo, len(n.Outputs))
	for i := range outs {
		dt := q.DType
		if i == 2 {
			dt = v.DType
		}
		outs[i] = graph.ValueInfo{DType: dt}
	}
	if !operators.RankKnown(q) || !operators.RankKnown(k) || !operators.RankKnown(v) {
		return outs, nil
	}
	r := len(q.Shape)
	if (r != 3 && r != 4) || len(k.Shape) != r || len(v.Shape) != r {
		return nil, fmt.Errorf("Q, K and V must all be 3-D or all 4-D, got ranks %d, %d, %d", r, len(k.Shape), len(v.Shape))
	}
	total := k.Shape[r-2]
	if pk := input(in, 4); pk.Name != "" && operators.RankKnown(pk) && len(pk.Shape) == 4 {
		total = addDim(pk.Shape[2], total)
	}
	batch := q.Shape[0]
	if r == 4 {
		outs[0] = ranked(q.DType, graph.Shape{batch, q.Shape[1], q.Shape[2], v.Shape[3]})
		if len(outs) > 1 {
			outs[1] = ranked(q.DType, graph.Shape{batch, k.Shape[1], total, k.Shape[3]})
		}
		if len(outs) > 2 {
			outs[2] = ranked(v.DType, graph.Shape{batch, v.Shape[1], total, v.Shape[3]})
		}
		if len(outs) > 3 {
			outs[3] = ranked(q.DType, graph.Shape{batch, q.Shape[1], q.Shape[2], total})
		}
		return outs, nil
	}
	qh, err := n.Int("q_num_heads", 0)
	if err != nil {
		return nil, err
	}
	kvh, err := n.Int("kv_num_heads", 0)
	if err != nil {
		return nil, err
	}
	if qh <= 0 || kvh <= 0 {
		return nil, fmt.Errorf("3-D inputs need positive q_num_heads and kv_num_heads")
	}
	vDim := divDim(v.Shape[2], kvh)
	outs[0] = ranked(q.DType, graph.Shape{batch, q.Shape[1], mulDim(vDim, qh)})
	if len(outs) > 1 {
		outs[1] = ranked(q.DType, graph.Shape{batch, operators.KnownDim(kvh), total, divDim(k.Shape[2], kvh)})
	}
	if len(outs) > 2 {
		outs[2] = ranked(v.DType, graph.Shape{batch, operators.KnownDim(kvh), total, vDim})
	}
	if len(outs) > 3 {
		outs[3] = ranked(q.DType, graph.Shape{batch, operators.KnownDim(qh), q.Shape[1], total})
	}
	return outs, nil
}

// buildRotaryEmbedding rotates the first rotary_embedding_dim elements of
// each head of X (4-D [batch, heads, len, head_size], or 3-D [batch, len,
// heads·head_size] with num_heads) by the cached cosines and sines:
// indexed by position_ids ([batch, len]) into [max_pos, dim/2] caches, or
// [batch, len, dim/2] caches without it.
func buildRotaryEmbedding(n *graph.Node, opset int64) (operators.Kernel, error) {
	inter, err := n.Int("interleaved", 0)
	if err != nil {
		return nil, err
	}
	rotAttr, err := n.Int("rotary_embedding_dim", 0)
	if err != nil {
		return nil, err
	}
	headsAttr, err := n.Int("num_heads", 0)
	if err != nil {
		return nil, err
	}
	if rotAttr < 0 || headsAttr < 0 || rotAttr > math.MaxInt32 || headsAttr > math.MaxInt32 {
		return nil, fmt.Errorf("node %s: rotary_embedding_dim %d and num_heads %d must not be negative", n.Label(), rotAttr, headsAttr)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := anyFloatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		cosT, err := anyFloatInput(n, in, 1, "cos_cache")
		if err != nil {
			return nil, err
		}
		sinT, err := anyFloatInput(n, in, 2, "sin_cache")
		if err != nil {
			return nil, err
		}
		var batch, heads, rows, dim int
		var lay ops.HeadLayout
		switch x.Rank() {
		case 4:
			batch, heads, rows, dim = x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
			lay = ops.HeadsFirst(heads, rows, dim)
		case 3:
			if headsAttr == 0 {
				return nil, fmt.Errorf("node %s: a 3-D input needs the num_heads attribute", n.Label())
			}
			heads = int(headsAttr)
			if x.Shape[2]%heads != 0 {
				return nil, fmt.Errorf("node %s: hidden size %d is not a multiple of num_heads %d", n.Label(), x.Shape[2], heads)
			}
			batch, rows, dim = x.Shape[0], x.Shape[1], x.Shape[2]/heads
			lay = ops.HeadsInRows(heads, rows, dim)
		default:
			return nil, fmt.Errorf("node %s: X must be 3-D or 4-D, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		rot := int(rotAttr)
		if rot == 0 {
			rot = dim
		}
		if rot > dim || rot%2 != 0 {
			return nil, fmt.Errorf("node %s: rotary_embedding_dim %d must be even and at most the head size %d", n.Label(), rot, dim)
		}
		half := rot / 2
		if !ops.SameShape(cosT.Shape, sinT.Shape) {
			return nil, fmt.Errorf("node %s: cos_cache %s and sin_cache %s differ in shape", n.Label(), ops.ShapeString(cosT.Shape), ops.ShapeString(sinT.Shape))
		}
		var pos func(b, i int) int
		if pid := optionalInput(in, 3); pid != nil {
			if pid.DType != ops.Int64 || pid.Rank() != 2 || pid.Shape[0] != batch || pid.Shape[1] != rows {
				return nil, fmt.Errorf("node %s: position_ids must be int64 of shape [%d, %d], got %v", n.Label(), batch, rows, pid)
			}
			if cosT.Rank() != 2 || cosT.Shape[1] != half {
				return nil, fmt.Errorf("node %s: with position_ids the caches must be [max_position, %d], got %s", n.Label(), half, ops.ShapeString(cosT.Shape))
			}
			ids := pid.I64()
			for i, v := range ids {
				if v < 0 || v >= int64(cosT.Shape[0]) {
					return nil, fmt.Errorf("node %s: position_ids value %d at %d is outside the %d cached positions", n.Label(), v, i, cosT.Shape[0])
				}
			}
			pos = func(b, i int) int { return int(ids[b*rows+i]) }
		} else {
			if cosT.Rank() != 3 || cosT.Shape[0] != batch || cosT.Shape[1] != rows || cosT.Shape[2] != half {
				return nil, fmt.Errorf("node %s: without position_ids the caches must be [%d, %d, %d], got %s", n.Label(), batch, rows, half, ops.ShapeString(cosT.Shape))
			}
			pos = func(b, i int) int { return b*rows + i }
		}
		o := newFloatOutput(env, x.DType, x.Shape)
		ops.RotaryEmbedding(o.f, float32s(x), lay, batch, heads, rows, dim, rot, inter != 0, float32s(cosT), float32s(sinT), pos)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

// addDim, divDim and mulDim are dimension arithmetic on known sizes
// (unknown otherwise).
func addDim(a, b graph.Dim) graph.Dim {
	if a.Known() && b.Known() {
		return operators.KnownDim(a.Value + b.Value)
	}
	return operators.UnknownDim
}

func divDim(a graph.Dim, k int64) graph.Dim {
	if a.Known() && k > 0 && a.Value%k == 0 {
		return operators.KnownDim(a.Value / k)
	}
	return operators.UnknownDim
}

func mulDim(a graph.Dim, k int64) graph.Dim {
	if a.Known() {
		return operators.KnownDim(a.Value * k)
	}
	return operators.UnknownDim
}
