package ops

import "math"

// The vector path of the most common pooling in autoencoders: 2×2 windows
// at stride 2 (PyTorch's MaxPool2d(2) / AvgPool2d(2)) over float32 maps.
// Each output row is two input rows combined lane-wise, then de-interleaved
// into even and odd columns and combined again: 16 outputs per step where
// the generic loops walk one window at a time.

// pool2x2OK reports whether p is a 2-D 2×2, stride-2 pooling without
// dilation or leading padding whose windows all lie inside the input (so
// every window is full and no divisor depends on padding).
func pool2x2OK(p *PoolParams) bool {
	if len(p.In) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		if p.Kernel[i] != 2 || p.Strides[i] != 2 || p.Dilations[i] != 1 || p.PadBegin[i] != 0 || 2*p.Out[i] > p.In[i] {
			return false
		}
	}
	return true
}

// pool2x2 runs 2×2 stride-2 max (NaN skipped, as MaxPool) or average
// pooling and reports whether it did: false when p is not such a pooling
// and the caller's generic loop must run. Without AVX-512 a loop made for
// this window (pool2x2Go) still beats the generic walk several times.
func pool2x2(p *PoolParams, x, y []float32, avg bool) bool {
	if !pool2x2OK(p) || p.Planes <= 0 {
		return false
	}
	ih, iw, oh, ow := p.In[0], p.In[1], p.Out[0], p.Out[1]
	if oh == 0 || ow == 0 {
		return false
	}
	_ = x[p.Planes*ih*iw-1]
	_ = y[p.Planes*oh*ow-1]
	if moveUse == moveAVX2 {
		tail := ow % 8
		var mk [24]int32
		laneBits(mk[:], lanes(0, 2*tail)|lanes(0, tail)<<16)
		if ih == 2*oh {
			pool2x2RowsAVX2(&y[0], &x[0], p.Planes*oh, 2*iw, ow, iw, ow/8, &mk[0], avg)
			return true
		}
		for pl := 0; pl < p.Planes; pl++ {
			pool2x2RowsAVX2(&y[pl*oh*ow], &x[pl*ih*iw], oh, 2*iw, ow, iw, ow/8, &mk[0], avg)
		}
		return true
	}
	if moveUse != moveAVX512 {
		pool2x2Go(p, x, y, avg)
		return true
	}
	tail := ow % 16
	m := lanes(0, 2*tail) | lanes(0, tail)<<32
	if ih == 2*oh {
		// Input rows keep stride 2·iw across planes: one call.
		pool2x2RowsAVX512(&y[0], &x[0], p.Planes*oh, 2*iw, ow, iw, ow/16, m, avg)
		return true
	}
	for pl := 0; pl < p.Planes; pl++ {
		pool2x2RowsAVX512(&y[pl*oh*ow], &x[pl*ih*iw], oh, 2*iw, ow, iw, ow/16, m, avg)
	}
	return true
}

// pool2x2Go is pool2x2's loop for CPUs without the vector path: each
// output reads its four inputs directly. Max skips NaNs (a window of NaNs
// gives -Inf) like MaxPool; of a +0 and a -0 it returns +0, where MaxPool's
// walk keeps the first (as the vector path, the sign of a zero maximum is
// the only possible difference). Average sums row by row and divides by 4.
func pool2x2Go(p *PoolParams, x, y []float32, avg bool) {
	ih, iw, oh, ow := p.In[0], p.In[1], p.Out[0], p.Out[1]
	ninf := float32(math.Inf(-1))
	for pl := 0; pl < p.Planes; pl++ {
		for i := 0; i < oh; i++ {
			t := x[(pl*ih+2*i)*iw:][:2*ow]
			b := x[(pl*ih+2*i+1)*iw:][:2*ow]
			d := y[(pl*oh+i)*ow:][:ow]
			for j := range d {
				v0, v1, v2, v3 := t[2*j], t[2*j+1], b[2*j], b[2*j+1]
				if avg {
					d[j] = (v0 + v1 + v2 + v3) / 4
					continue
				}
				// NaNs (rare) become -Inf so that the branch-free max
				// skips them.
				if v0 != v0 {
					v0 = ninf
				}
				if v1 != v1 {
					v1 = ninf
				}
				if v2 != v2 {
					v2 = ninf
				}
				if v3 != v3 {
					v3 = ninf
				}
				d[j] = max(v0, v1, v2, v3)
			}
		}
	}
}
