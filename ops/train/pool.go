package train

import "github.com/latent-ml/latent/ops"

// MaxPoolBackward routes each output gradient to the input element that
// won its window: it zeroes dx and adds dy[i] at the flat input index
// idx[i] recorded by MaxPool (row-major indices, colMajor false).
func MaxPoolBackward(dy []float32, idx []int64, dx []float32) {
	clear(dx)
	for i, g := range dy {
		dx[idx[i]] += g
	}
}

// AvgPool2DBackward is the adjoint of AvgPool2D with countIncludePad false
// and dilations of 1: it zeroes dx (Planes×In) and spreads each output
// gradient evenly over the in-image elements of its window.
func AvgPool2DBackward(p *ops.PoolParams, dy, dx []float32) {
	H, W := p.In[0], p.In[1]
	OH, OW := p.Out[0], p.Out[1]
	clear(dx[:p.Planes*H*W])
	for pl := 0; pl < p.Planes; pl++ {
		dxp := dx[pl*H*W : (pl+1)*H*W]
		dyp := dy[pl*OH*OW : (pl+1)*OH*OW]
		for oh := 0; oh < OH; oh++ {
			h0 := oh*p.Strides[0] - p.PadBegin[0]
			hlo, hhi := max(h0, 0), min(h0+p.Kernel[0], H)
			for ow := 0; ow < OW; ow++ {
				w0 := ow*p.Strides[1] - p.PadBegin[1]
				wlo, whi := max(w0, 0), min(w0+p.Kernel[1], W)
				cnt := (hhi - hlo) * (whi - wlo)
				if hhi <= hlo || whi <= wlo {
					continue
				}
				g := dyp[oh*OW+ow] / float32(cnt)
				for h := hlo; h < hhi; h++ {
					row := dxp[h*W : (h+1)*W]
					for w := wlo; w < whi; w++ {
						row[w] += g
					}
				}
			}
		}
	}
}
