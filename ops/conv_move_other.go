//go:build !amd64 || noasm

package ops

// Without assembly the Go loops of conv_move.go do the work.
var moveUse = moveGo

func moveImpls() []int { return []int{moveGo} }

func split2RowsAVX512(dst0, dst1, src *float32, rows, srcStride, dstStride, lead int, m uint64) {
	panic("ops: no vector row movers on this build")
}
func padRowsAVX512(dst, src *float32, rows, srcStride, dstStride, lead int, m uint64) {
	panic("ops: no vector row movers on this build")
}
func biasRowsAVX512(dst, src *float32, rows, srcStride, dstStride int, m uint64, b float32, relu bool) {
	panic("ops: no vector row movers on this build")
}
func interleave2RowsAVX512(dst, a, c *float32, rows, srcStride, dstStride int, m uint64, b float32, relu bool) {
	panic("ops: no vector row movers on this build")
}
func split2RowsAVX2(dst0, dst1, src *float32, rows, srcStride, dstStride, lead int, m *int32) {
	panic("ops: no vector row movers on this build")
}
func padRowsAVX2(dst, src *float32, rows, srcStride, dstStride, lead int, m *int32) {
	panic("ops: no vector row movers on this build")
}
func biasRowsAVX2(dst, src *float32, rows, srcStride, dstStride int, m *int32, b float32, relu bool) {
	panic("ops: no vector row movers on this build")
}
func interleave2RowsAVX2(dst, a, c *float32, rows, srcStride, dstStride int, m *int32, b float32, relu bool) {
	panic("ops: no vector row movers on this build")
}
func pool2x2RowsAVX512(dst, src *float32, rows, srcStride, dstStride, below, full int, m uint64, avg bool) {
	panic("ops: no vector row movers on this build")
}
func tapRowsAVX512(dst, src *float32, blocks, blockIn, blockOut, full int, tail uint64, offs *int, w *float32, n int) {
	panic("ops: no vector row movers on this build")
}
func gatherTapsAVX512(dst, src *float32, rows, in, out, stride, chunks int, tail uint64, idx *int32, w *float32, n int) {
	panic("ops: no vector row movers on this build")
}
func pool2x2RowsAVX2(dst, src *float32, rows, srcStride, dstStride, below, full int, m *int32, avg bool) {
	panic("ops: no vector row movers on this build")
}
func tapRowsAVX2(dst, src *float32, blocks, blockIn, blockOut, full int, tail *int32, offs *int, w *float32, n int) {
	panic("ops: no vector row movers on this build")
}
func gatherTapsAVX2(dst, src *float32, rows, in, out, stride, chunks int, tail *int32, idx *int32, w *float32, n int) {
	panic("ops: no vector row movers on this build")
}
