package ops

// CausalConv1D is a depthwise causal 1-d convolution that carries its
// left context between calls (the short convolution of Mamba- and
// gated-DeltaNet-style blocks): x is [B, C, L], w [C, K] (one filter per
// channel), bias [C] or nil, past [B, C, K−1] or nil (zeros). y[b, c, t] =
// bias[c] + Σj w[c, j]·p[b, c, t+j] over the padded input p = past ++ x;
// present receives p's last K−1 positions, the state for the next call.
func CausalConv1D(b, c, l, k int, x, w, bias, past, y, present []float32) {
	pl := l + k - 1
	p := make([]float32, pl)
	for bi := 0; bi < b; bi++ {
		for ci := 0; ci < c; ci++ {
			row := bi*c + ci
			if past != nil {
				copy(p, past[row*(k-1):(row+1)*(k-1)])
			} else {
				clear(p[:k-1])
			}
			copy(p[k-1:], x[row*l:(row+1)*l])
			f := w[ci*k : (ci+1)*k]
			var b0 float32
			if bias != nil {
				b0 = bias[ci]
			}
			out := y[row*l : (row+1)*l]
			for t := range out {
				s := b0
				for j, wj := range f {
					s += wj * p[t+j]
				}
				out[t] = s
			}
			copy(present[row*(k-1):(row+1)*(k-1)], p[l:])
		}
	}
}
