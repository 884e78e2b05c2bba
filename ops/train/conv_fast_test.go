package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/latent-ml/latent/ops"
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
		x := normal(r, p.Batch*p.InC*ops.NumElements(p.In))
		w := normal(r, p.InC*p.OutC*ops.NumElements(p.Kernel))
		dy := normal(r, p.Batch*p.OutC*ops.NumElements(p.Out))
		start := normal(r, len(w)+p.OutC) // gradients accumulate onto these
		fdx, fdw, fdb, ok := convBackwardPath(p, transpose, true, x, w, dy, start)
		if !ok {
			continue
		}
		hits[it%2]++
		dx, dw, db, _ := convBackwardPath(p, transpose, false, x, w, dy, start)
		name := fmt.Sprintf("case %d transpose=%v %+v", it, transpose, *p)
		assertClose(t, name+" dx", dx, fdx, 1e-4)
		assertClose(t, name+" dw", dw, fdw, 1e-4)
		assertClose(t, name+" db", db, fdb, 1e-4)
	}
	assert.GreaterOrEqual(t, hits[0], 40, "cases on Conv's phase-split path")
	assert.GreaterOrEqual(t, hits[1], 40, "cases on ConvTranspose's phase-split path")
}
