package ops

import "math"

// GridSampleND samples x (N×C×D1×…×Dr) at the grid positions (N×O1×…×Or×r,
// normalised coordinates in [−1, 1], the last spatial axis first: x, y, z)
// into y (N×C×O1×…×Or), nearest or (bi/tri)linear, for any number r of
// spatial axes; in and out are the spatial sizes. Padding and AlignCorners
// mean what they do for GridSample2D, axis by axis. Cubic sampling is 2-d
// only (GridSample2D).
func GridSampleND(n, c int, in, out []int, mode ResizeMode, pad GridPadding, align bool, x, grid, y []float32) {
	r := len(in)
	inSz, outSz := NumElements(in), NumElements(out)
	lo := -0.5
	if align {
		lo = 0
	}
	hi := make([]float64, r)
	strides := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		hi[i] = float64(in[i]) - 0.5
		if align {
			hi[i] = float64(in[i] - 1)
		}
		strides[i] = s
		s *= in[i]
	}
	pos := make([]float64, r)
	base := make([]int, r)
	frac := make([]float64, r)
	// offset is the flat index of the tap at idx, or −1 for a zero tap.
	offset := func(idx []int) int {
		off := 0
		for i, v := range idx {
			switch pad {
			case GridBorder:
				v = min(max(v, 0), in[i]-1)
			case GridReflection:
				v = int(gridReflect(float64(v), lo, hi[i]))
				v = min(max(v, 0), in[i]-1)
			default:
				if v < 0 || v >= in[i] {
					return -1
				}
			}
			off += v * strides[i]
		}
		return off
	}
	taps := 1 << r
	tapOff := make([]int, taps)
	tapW := make([]float64, taps)
	idx := make([]int, r)
	for b := 0; b < n; b++ {
		for o := 0; o < outSz; o++ {
			g := grid[(b*outSz+o)*r : (b*outSz+o+1)*r]
			outside := false
			for i := range pos {
				pos[i] = gridDenorm(float64(g[r-1-i]), in[i], align)
				outside = outside || pos[i] < lo || pos[i] > hi[i]
			}
			if pad == GridReflection && outside {
				for i := range pos {
					pos[i] = gridReflect(pos[i], lo, hi[i])
				}
			}
			nt := 1
			if mode == ResizeNearest {
				for i, p := range pos {
					idx[i] = int(math.RoundToEven(p))
				}
				tapOff[0], tapW[0] = offset(idx), 1
			} else {
				for i, p := range pos {
					f := math.Floor(p)
					base[i], frac[i] = int(f), p-f
				}
				nt = taps
				for t := 0; t < taps; t++ {
					w := 1.0
					for i := range idx {
						if t>>(r-1-i)&1 == 1 {
							idx[i] = base[i] + 1
							w *= frac[i]
						} else {
							idx[i] = base[i]
							w *= 1 - frac[i]
						}
					}
					tapOff[t], tapW[t] = offset(idx), w
				}
			}
			for ch := 0; ch < c; ch++ {
				img := x[(b*c+ch)*inSz : (b*c+ch+1)*inSz]
				var v float64
				for t := 0; t < nt; t++ {
					if tapOff[t] >= 0 {
						v += tapW[t] * float64(img[tapOff[t]])
					}
				}
				y[(b*c+ch)*outSz+o] = float32(v)
			}
		}
	}
}

// AffineGrid writes the sampling grid of the affine transforms theta
// (N×r×(r+1), r = len(size) spatial axes, 2 or 3) over an output of the
// given spatial size: out is N×size…×r, each point theta·(x, y[, z], 1) for
// the point's normalised coordinates — pixel centres (2i+1)/L − 1, or with
// align the corners, −1 + 2i/(L−1) (0 when L = 1).
func AffineGrid(n int, size []int, align bool, theta, out []float32) {
	r := len(size)
	coords := make([][]float64, r)
	for i, l := range size {
		coords[i] = make([]float64, l)
		for k := range coords[i] {
			switch {
			case !align:
				coords[i][k] = (2*float64(k)+1)/float64(l) - 1
			case l > 1:
				coords[i][k] = -1 + 2*float64(k)/float64(l-1)
			default:
				// One point aligned to both corners: the centre, as
				// PyTorch's affine_grid and ONNX Runtime place it.
				coords[i][k] = 0
			}
		}
	}
	pts := NumElements(size)
	hom := make([]float64, r+1)
	idx := make([]int, r)
	for b := 0; b < n; b++ {
		th := theta[b*r*(r+1) : (b+1)*r*(r+1)]
		clear(idx)
		for p := 0; p < pts; p++ {
			// hom is (x, y[, z], 1): the innermost axis first.
			for i := 0; i < r; i++ {
				hom[i] = coords[r-1-i][idx[r-1-i]]
			}
			hom[r] = 1
			dst := out[(b*pts+p)*r : (b*pts+p+1)*r]
			for j := range dst {
				var v float64
				for k, h := range hom {
					v += float64(th[j*(r+1)+k]) * h
				}
				dst[j] = float32(v)
			}
			for i := r - 1; i >= 0; i-- {
				if idx[i]++; idx[i] < size[i] {
					break
				}
				idx[i] = 0
			}
		}
	}
}
