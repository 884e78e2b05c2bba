package ops

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
// pooling on the vector path and reports whether it did: false when p is
// not such a pooling or this CPU has no vector path, and the caller's
// generic loop must run.
func pool2x2(p *PoolParams, x, y []float32, avg bool) bool {
	if moveUse != moveAVX512 || !pool2x2OK(p) || p.Planes <= 0 {
		return false
	}
	ih, iw, oh, ow := p.In[0], p.In[1], p.Out[0], p.Out[1]
	if oh == 0 || ow == 0 {
		return false
	}
	_ = x[p.Planes*ih*iw-1]
	_ = y[p.Planes*oh*ow-1]
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
