package kernels

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
)

func TestRoiAlignModes(t *testing.T) {
	// 2×2 image [[0 10] [20 30]], roi [0, 0]–[1, 1]: with the half_pixel
	// shift the bin spans −0.5…0.5, so the 2×2 samples sit at −0.25 (read
	// as 0) and 0.25 on each axis: values 0, 2.5, 5 and 7.5, mean 3.75.
	x := floats([]int{1, 1, 2, 2}, 0, 10, 20, 30)
	rois := floats([]int{1, 4}, 0, 0, 1, 1)
	bi := ops.FromInt64([]int{1}, []int64{0})
	out := mustRunNode(t, newNodeKV("RoiAlign", 3, 1, "sampling_ratio", 2), 16, x, rois, bi)
	checkFloats(t, "avg", out[0], []int{1, 1, 1, 1}, 3.75)
	// Max mode pools the largest weighted corner term of each sample: the
	// sample at (y 0.25, x 0) has 0.25·20 = 5.
	out = mustRunNode(t, newNodeKV("RoiAlign", 3, 1, "sampling_ratio", 2, "mode", "max"), 16, x, rois, bi)
	checkFloats(t, "max", out[0], []int{1, 1, 1, 1}, 5)
	wantNodeError(t, newNodeKV("RoiAlign", 3, 1), 16, "batch_indices[0] = 3", x, rois, ops.FromInt64([]int{1}, []int64{3}))
	wantNodeError(t, newNodeKV("RoiAlign", 3, 1), 16, "rois must be num_rois×4", x, floats([]int{1, 3}, 1, 2, 3), bi)
}

func TestNonMaxSuppression(t *testing.T) {
	// Three boxes: 0 and 1 overlap with IoU 1/3 (unit boxes shifted by
	// half), 2 is disjoint. Scores 0.9, 0.8, 0.7.
	boxes := floats([]int{1, 3, 4}, 0, 0, 1, 1, 0, 0.5, 1, 1.5, 5, 5, 6, 6)
	scores := floats([]int{1, 1, 3}, 0.9, 0.8, 0.7)
	n := newNodeKV("NonMaxSuppression", 5, 1)
	run := func(maxOut int64, iou, score float32) []int64 {
		out := mustRunNode(t, n, 11, boxes, scores, ops.FromInt64([]int{1}, []int64{maxOut}), floats([]int{1}, iou), floats([]int{1}, score))
		return out[0].I64()
	}
	got := run(10, 0.3, 0)
	assert.Equal(t, []int64{0, 0, 0, 0, 0, 2}, got, "iou 0.3: got %v, want boxes 0 and 2", got)
	// IoU 1/3 is not above a threshold of 0.34: box 1 survives.
	got = run(10, 0.34, 0)
	assert.Equal(t, []int64{0, 0, 0, 0, 0, 1, 0, 0, 2}, got, "iou 0.34: got %v, want all three boxes", got)
	got = run(1, 0.5, 0)
	assert.Equal(t, []int64{0, 0, 0}, got, "max 1: got %v, want box 0 only", got)
	// The score threshold is strict: 0.7 itself is dropped.
	got = run(10, 0.34, 0.7)
	assert.Equal(t, []int64{0, 0, 0, 0, 0, 1}, got, "score 0.7: got %v, want boxes 0 and 1", got)
	got = run(0, 0.5, 0)
	assert.Len(t, got, 0, "max 0: got %v, want none", got)
	wantNodeError(t, n, 11, "boxes must be B×N×4", floats([]int{3, 4}, make([]float32, 12)...), scores)
	wantNodeError(t, n, 11, "iou_threshold 2 must be in [0, 1]", boxes, scores, ops.FromInt64([]int{1}, []int64{1}), floats([]int{1}, 2))
}
