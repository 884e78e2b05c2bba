package ops

// im2col2D is im2colWalk for two spatial axes (the NCHW convolutions the
// autoencoders use). It writes the same column matrix (or, with back,
// adds it into the image), but works out once per kernel offset which
// output columns fall inside the image, so each output row is a plain copy
// (stride 1) or a strided gather with no per-element bounds test. Small
// feature maps (7×7, 14×14) made the per-element generic walk the largest
// cost of a conv-AE run.
func im2col2D[T float32 | float64 | int32](g *ConvGeom, img, col []T, back bool) {
	ih, iw := g.Image[0], g.Image[1]
	kh, kw := g.Kernel[0], g.Kernel[1]
	oh, ow := g.Out[0], g.Out[1]
	sh, sw := g.Strides[0], g.Strides[1]
	dh, dw := g.Dilations[0], g.Dilations[1]
	ph, pw := g.PadBegin[0], g.PadBegin[1]
	imSize, oSize := ih*iw, oh*ow
	if oSize == 0 {
		return
	}
	row := 0
	for c := 0; c < g.C; c++ {
		base := img[c*imSize : (c+1)*imSize]
		for ki := 0; ki < kh; ki++ {
			for kj := 0; kj < kw; kj++ {
				dst := col[row*oSize : (row+1)*oSize]
				row++
				// Output columns j with 0 <= x0 + j·sw < iw form [lo, hi).
				x0 := kj*dw - pw
				lo, hi := inside(iw, sw, x0, ow)
				for o := 0; o < oh; o++ {
					seg := dst[o*ow : (o+1)*ow]
					y := o*sh + ki*dh - ph
					if uint(y) >= uint(ih) {
						if !back {
							clear(seg)
						}
						continue
					}
					if lo == hi { // the kernel column misses the image
						if !back {
							clear(seg)
						}
						continue
					}
					line := base[y*iw : (y+1)*iw]
					s := seg[lo:hi]
					if back {
						if sw == 1 {
							l := line[x0+lo : x0+hi]
							for j, v := range s {
								l[j] += v
							}
						} else {
							idx := x0 + lo*sw
							for _, v := range s {
								line[idx] += v
								idx += sw
							}
						}
						continue
					}
					clear(seg[:lo])
					clear(seg[hi:])
					if sw == 1 {
						copy(s, line[x0+lo:x0+hi])
					} else {
						idx := x0 + lo*sw
						for j := range s {
							s[j] = line[idx]
							idx += sw
						}
					}
				}
			}
		}
	}
}

// convParallelMin is the multiply-add count below which a convolution runs
// its batch on the calling goroutine only.
const convParallelMin = 1 << 20

// convBatches runs f over the images [0, batch) of a convolution, on up
// to Threads() goroutines when the call has at least convParallelMin
// multiply-adds. Images are independent and each is computed exactly as
// on one goroutine, so the result does not depend on the split. On one
// goroutine f sees the whole batch and col; otherwise the images are
// claimed a few at a time from a shared counter (splitChunks, so a helper
// that starts late leaves its share to the others), each worker with
// pooled scratch of colSize elements.
func convBatches(batch, colSize, work int, col []float32, f func(lo, hi int, col []float32)) {
	workers := min(Threads(), batch)
	if workers <= 1 || work < convParallelMin {
		f(0, batch, col)
		return
	}
	per := max(1, batch/(4*workers)) // about four claims per worker
	splitChunks(batch, per, work, func(lo, hi int, sc *convScratch) {
		sc.col = grow(sc.col, colSize)
		f(lo, hi, sc.col)
	})
}
