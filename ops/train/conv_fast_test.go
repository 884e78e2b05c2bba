package train

import "github.com/latent-ml/latent/ops"

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvBackwardFastMatchesIm2Col runs Conv and ConvTranspose backward on
// the phase-split paths and on the per-image im2col loops (which
// TestConvBackwardLinear checks against the forward pass) over random 2-D
// geometries that take the fast paths, and wants dx, dw and db to agree
// within float32 rounding of reordered sums. dw and db accumulate into
// their starting values on both paths.
func TestConvBackwardFastMatchesIm2Col(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	hits := [2]int{}
	for it := 0; it < 300; it++ {
		transpose := it%2 == 1
		p := &ops.ConvParams{Batch: 1 + r.IntN(6), InC: 1 + r.IntN(5), OutC: 1 + r.IntN(5), Group: 1}
		for d := 0; d < 2; d++ {
			k, s, dl := 1+r.IntN(3), 1+r.IntN(2), 1+r.IntN(2)
			pb := r.IntN(k)
			ek := (k-1)*dl + 1
			in := ek + r.IntN(12)
			out := ops.ConvOutSize(in, k, s, dl, pb, pb)
			if transpose { // a ConvTranspose from out back to in
				in, out = out, in
			}
			p.In, p.Out = append(p.In, in), append(p.Out, out)
			p.Kernel, p.Strides, p.Dilations, p.PadBegin = append(p.Kernel, k), append(p.Strides, s), append(p.Dilations, dl), append(p.PadBegin, pb)
		}
		if err := p.Check(); err != nil || ops.NumElements(p.In) == 0 || ops.NumElements(p.Out) == 0 {
			continue
		}
		x := trRand(r, p.Batch*p.InC*ops.NumElements(p.In))
		w := trRand(r, p.InC*p.OutC*ops.NumElements(p.Kernel))
		dy := trRand(r, p.Batch*p.OutC*ops.NumElements(p.Out))
		start := trRand(r, len(w)+p.OutC) // gradients accumulate onto these
		run := func(fast bool) (dx, dw, db []float32) {
			dx = make([]float32, len(x))
			dw, db = append([]float32(nil), start[:len(w)]...), append([]float32(nil), start[len(w):]...)
			switch {
			case !transpose && fast:
				if !convBackwardFast(p, x, w, dy, dx, dw, db, nil) {
					return nil, nil, nil
				}
			case !transpose:
				convBackwardIm2Col(p, x, w, dy, dx, dw, db, nil)
			case fast:
				if !convTransposeBackwardFast(p, x, w, dy, dx, dw, db, nil) {
					return nil, nil, nil
				}
			default:
				convTransposeBackwardIm2Col(p, x, w, dy, dx, dw, db, nil)
			}
			return dx, dw, db
		}
		fdx, fdw, fdb := run(true)
		if fdx == nil {
			continue
		}
		hits[it%2]++
		dx, dw, db := run(false)
		name := fmt.Sprintf("case %d transpose=%v %+v", it, transpose, *p)
		for _, c := range []struct {
			what      string
			got, want []float32
		}{{"dx", fdx, dx}, {"dw", fdw, dw}, {"db", fdb, db}} {
			for i := range c.want {
				if d := math.Abs(float64(c.got[i] - c.want[i])); d > 1e-4*(1+math.Abs(float64(c.want[i]))) {
					t.Fatalf("%s: %s[%d] = %v, im2col gives %v", name, c.what, i, c.got[i], c.want[i])
				}
			}
		}
	}
	if hits[0] < 40 || hits[1] < 40 {
		t.Fatalf("too few cases on the fast paths: %d ops.Conv, %d ConvTranspose", hits[0], hits[1])
	}
}
