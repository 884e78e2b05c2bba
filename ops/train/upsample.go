package train

// Upsample2D enlarges each of planes H×W planes of x by the integer factor s
// along both axes into y (planes×sH×sW). Nearest copies each pixel into an
// s×s block (ONNX Resize nearest, asymmetric coordinates, floor rounding);
// bilinear interpolates with half-pixel centres, clamping at the edges
// (ONNX Resize linear, half_pixel). Every element of y is written.
func Upsample2D(planes, H, W, s int, bilinear bool, x, y []float32) {
	OH, OW := H*s, W*s
	if !bilinear {
		for pl := 0; pl < planes; pl++ {
			xp, yp := x[pl*H*W:(pl+1)*H*W], y[pl*OH*OW:(pl+1)*OH*OW]
			for oh := 0; oh < OH; oh++ {
				src, dst := xp[(oh/s)*W:(oh/s+1)*W], yp[oh*OW:(oh+1)*OW]
				for ow := range dst {
					dst[ow] = src[ow/s]
				}
			}
		}
		return
	}
	th, tw := bilinearTaps(H, s), bilinearTaps(W, s)
	for pl := 0; pl < planes; pl++ {
		xp, yp := x[pl*H*W:(pl+1)*H*W], y[pl*OH*OW:(pl+1)*OH*OW]
		for oh := 0; oh < OH; oh++ {
			a := th[oh]
			r0, r1 := xp[a.i0*W:(a.i0+1)*W], xp[a.i1*W:(a.i1+1)*W]
			dst := yp[oh*OW : (oh+1)*OW]
			for ow := range dst {
				b := tw[ow]
				top := r0[b.i0]*(1-b.f) + r0[b.i1]*b.f
				bot := r1[b.i0]*(1-b.f) + r1[b.i1]*b.f
				dst[ow] = top*(1-a.f) + bot*a.f
			}
		}
	}
}

// Upsample2DBackward is the adjoint of Upsample2D: it zeroes dx
// (planes×H×W) and adds every output gradient back onto the input pixels
// (with their interpolation weights) that produced it.
func Upsample2DBackward(planes, H, W, s int, bilinear bool, dy, dx []float32) {
	OH, OW := H*s, W*s
	clear(dx[:planes*H*W])
	if !bilinear {
		for pl := 0; pl < planes; pl++ {
			dxp, dyp := dx[pl*H*W:(pl+1)*H*W], dy[pl*OH*OW:(pl+1)*OH*OW]
			for oh := 0; oh < OH; oh++ {
				dst, src := dxp[(oh/s)*W:(oh/s+1)*W], dyp[oh*OW:(oh+1)*OW]
				for ow, g := range src {
					dst[ow/s] += g
				}
			}
		}
		return
	}
	th, tw := bilinearTaps(H, s), bilinearTaps(W, s)
	for pl := 0; pl < planes; pl++ {
		dxp, dyp := dx[pl*H*W:(pl+1)*H*W], dy[pl*OH*OW:(pl+1)*OH*OW]
		for oh := 0; oh < OH; oh++ {
			a := th[oh]
			r0, r1 := dxp[a.i0*W:(a.i0+1)*W], dxp[a.i1*W:(a.i1+1)*W]
			for ow, g := range dyp[oh*OW : (oh+1)*OW] {
				b := tw[ow]
				gt, gb := g*(1-a.f), g*a.f
				r0[b.i0] += gt * (1 - b.f)
				r0[b.i1] += gt * b.f
				r1[b.i0] += gb * (1 - b.f)
				r1[b.i1] += gb * b.f
			}
		}
	}
}

type linTap struct {
	i0, i1 int
	f      float32
}

// bilinearTaps returns, per output position of an axis of n inputs scaled
// by s, the two source indices and the weight of the second (half-pixel
// source coordinate (o+0.5)/s−0.5, clamped to [0, n−1]).
func bilinearTaps(n, s int) []linTap {
	taps := make([]linTap, n*s)
	for o := range taps {
		c := (float64(o)+0.5)/float64(s) - 0.5
		if c < 0 {
			c = 0
		}
		if c > float64(n-1) {
			c = float64(n - 1)
		}
		i0 := int(c)
		i1 := min(i0+1, n-1)
		taps[o] = linTap{i0: i0, i1: i1, f: float32(c - float64(i0))}
	}
	return taps
}
