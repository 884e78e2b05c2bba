package ops

import "math"

// HeadLayout locates the rows of one attention head in a buffer: element d
// of row i of head h of batch entry b is at b·Batch + h·Head + i·Row + d.
// A [B, H, L, D] tensor is {H·L·D, L·D, D}; a [B, L, H·D] one (the heads
// side by side in each row) is {L·H·D, D, H·D}.
type HeadLayout struct{ Batch, Head, Row int }

// HeadsFirst is the layout of a contiguous [batch, heads, rows, dim] tensor.
func HeadsFirst(heads, rows, dim int) HeadLayout {
	return HeadLayout{heads * rows * dim, rows * dim, dim}
}

// HeadsInRows is the layout of a contiguous [batch, rows, heads·dim] tensor.
func HeadsInRows(heads, rows, dim int) HeadLayout {
	return HeadLayout{rows * heads * dim, dim, heads * dim}
}

func (l HeadLayout) at(b, h int) int { return b*l.Batch + h*l.Head }

// ScoreStage names the point of an attention computation whose scores
// SDPA.Scores receives (ONNX Attention's qk_matmul_output_mode).
type ScoreStage uint8

// The stages: the scaled product Q·Kᵀ, after the soft cap, after the bias
// is added, and the probabilities after softmax.
const (
	ScoresRaw ScoreStage = iota
	ScoresCapped
	ScoresBiased
	ScoresSoftmax
)

// SDPA is scaled dot-product attention over batches of heads:
//
//	Y = softmax(cap(Scale·Q·Kᵀ) + Bias)·V
//
// per batch entry and query head, with cap(s) = Softcap·tanh(s/Softcap)
// when Softcap > 0. Query head h reads key/value head h/(QHeads/KVHeads)
// (multi-query and grouped-query attention share each key/value head among
// consecutive query heads). A query row whose bias is −∞ everywhere has no
// key to attend: its probabilities and its output row are 0, not NaN.
type SDPA struct {
	Batch, QHeads, KVHeads int
	QLen, KVLen            int // query rows, key/value rows
	HeadDim, VDim          int // query/key and value widths
	Q, K, V, Y             HeadLayout
	Scale, Softcap         float32
	// Bias, when not nil, holds [BiasBatch][BiasHeads][QLen][KVLen] additive
	// biases; BiasBatch is 1 or Batch, BiasHeads 1 or QHeads (1: shared).
	Bias                 []float32
	BiasBatch, BiasHeads int
	// Scores, when not nil, receives [Batch][QHeads][QLen][KVLen] scores at
	// stage ScoresAt.
	Scores   []float32
	ScoresAt ScoreStage
}

// Run computes Y (written at p.Y's layout) from q, k and v (read at theirs),
// one head at a time with Gemm and the vector softmax.
func (p *SDPA) Run(q, k, v, y []float32) {
	lq, lk := p.QLen, p.KVLen
	if p.Batch == 0 || p.QHeads == 0 || lq == 0 || p.VDim == 0 {
		return
	}
	group := p.QHeads / p.KVHeads
	s := make([]float32, lq*lk)
	for b := 0; b < p.Batch; b++ {
		for h := 0; h < p.QHeads; h++ {
			kv := h / group
			yo := p.Y.at(b, h)
			if lk == 0 {
				for i := 0; i < lq; i++ {
					clear(y[yo+i*p.Y.Row : yo+i*p.Y.Row+p.VDim])
				}
				continue
			}
			if p.HeadDim == 0 {
				clear(s)
			} else {
				Gemm(false, true, lq, lk, p.HeadDim, p.Scale, q[p.Q.at(b, h):], p.Q.Row, k[p.K.at(b, kv):], p.K.Row, 0, s, lk)
			}
			var scores []float32
			if p.Scores != nil {
				scores = p.Scores[(b*p.QHeads+h)*lq*lk : (b*p.QHeads+h+1)*lq*lk]
			}
			if scores != nil && p.ScoresAt == ScoresRaw {
				copy(scores, s)
			}
			if c := p.Softcap; c > 0 {
				ScaleF32(s, s, 1/c)
				TanhSlice(s, s)
				ScaleF32(s, s, c)
			}
			if scores != nil && p.ScoresAt == ScoresCapped {
				copy(scores, s)
			}
			var bias []float32
			if p.Bias != nil {
				bb, bh := min(b, p.BiasBatch-1), min(h, p.BiasHeads-1)
				bias = p.Bias[(bb*p.BiasHeads+bh)*lq*lk : (bb*p.BiasHeads+bh+1)*lq*lk]
				AddF32(s, s, bias)
			}
			if scores != nil && p.ScoresAt == ScoresBiased {
				copy(scores, s)
			}
			for i := 0; i < lq; i++ {
				row := s[i*lk : (i+1)*lk]
				if bias != nil && allNegInf(bias[i*lk:(i+1)*lk]) {
					clear(row)
					continue
				}
				SoftmaxRow(row, row, false)
			}
			if scores != nil && p.ScoresAt == ScoresSoftmax {
				copy(scores, s)
			}
			Gemm(false, false, lq, p.VDim, lk, 1, s, lk, v[p.V.at(b, kv):], p.V.Row, 0, y[yo:], p.Y.Row)
		}
	}
}

func allNegInf(x []float32) bool {
	for _, v := range x {
		if !math.IsInf(float64(v), -1) {
			return false
		}
	}
	return true
}

// RotaryEmbedding rotates pairs of elements of x (rows of dim values laid
// out as HeadLayout l over batch entries and heads) by the angles whose
// cosines and sines cos and sin hold: row i of head h of batch entry b uses
// cos[pos(b, i)·half : +half] with half = rotDim/2, where pos is the row's
// position. The pairs are (j, j+half) for j < half, or with interleaved
// (2j, 2j+1); elements from rotDim on are copied unchanged. dst has x's
// layout and may alias x.
func RotaryEmbedding(dst, x []float32, l HeadLayout, batch, heads, rows, dim, rotDim int, interleaved bool, cos, sin []float32, pos func(b, i int) int) {
	half := rotDim / 2
	for b := 0; b < batch; b++ {
		for h := 0; h < heads; h++ {
			for i := 0; i < rows; i++ {
				o := l.at(b, h) + i*l.Row
				xs, ds := x[o:o+dim], dst[o:o+dim]
				p := pos(b, i) * half
				c, s := cos[p:p+half], sin[p:p+half]
				for j := 0; j < half; j++ {
					a, bi := j, j+half
					if interleaved {
						a, bi = 2*j, 2*j+1
					}
					x1, x2 := xs[a], xs[bi]
					ds[a] = c[j]*x1 - s[j]*x2
					ds[bi] = s[j]*x1 + c[j]*x2
				}
				copy(ds[rotDim:], xs[rotDim:])
			}
		}
	}
}
