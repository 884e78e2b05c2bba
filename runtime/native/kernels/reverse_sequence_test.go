package kernels

import (
	"fmt"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/require"
)

func TestReverseSequenceKernel(t *testing.T) {
	// x[t][b][f] with T=3, B=2, F=2; lens [3, 1]: batch 0 fully reversed in
	// time, batch 1 unchanged.
	for _, dt := range allDTypes {
		x := sequence(dt, 3, 2, 2)
		at := func(tt, b, f int) int { return (tt*2+b)*2 + f }
		var idx []int
		for tt := 0; tt < 3; tt++ {
			for b := 0; b < 2; b++ {
				for f := 0; f < 2; f++ {
					st := tt
					if b == 0 {
						st = 2 - tt
					}
					idx = append(idx, at(st, b, f))
				}
			}
		}
		out := mustRunNode(t, newNode("ReverseSequence", 2, 1), 10, x, int64s(3, 1))[0]
		checkTensor(t, fmt.Sprintf("%v time-major", dt), out, pick(x, []int{3, 2, 2}, idx...))
		// Batch-major: x[b][t], lens [2, 0].
		y := sequence(dt, 2, 3)
		out = mustRunNode(t, newNode("ReverseSequence", 2, 1, attrInt("batch_axis", 0), attrInt("time_axis", 1)), 10, y, int64s(2, 0))[0]
		checkTensor(t, fmt.Sprintf("%v batch-major", dt), out, pick(y, []int{2, 3}, 1, 0, 2, 3, 4, 5))
	}
	x := sequence(ops.Float32, 3, 2)
	n := newNode("ReverseSequence", 2, 1)
	wantNodeError(t, n, 10, "outside [0, 3]", x, int64s(4, 1))
	wantNodeError(t, n, 10, "sequence_lens must be int64 of shape [2]", x, int64s(1))
	wantNodeError(t, n, 10, "rank", sequence(ops.Float32, 3), int64s(1))
	_, err := runNode(newNode("ReverseSequence", 2, 1, attrInt("batch_axis", 2)), 10, x, int64s(1, 1))
	require.Error(t, err, "batch_axis 2: no error")
}
