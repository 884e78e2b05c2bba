//go:build amd64 && !noasm

package ops

import "golang.org/x/sys/cpu"

// moveUse is the row mover implementation of conv_move.go this CPU runs
// best (tests switch it to cover each one the CPU can run).
var moveUse = func() int {
	switch {
	case cpu.X86.HasAVX512F:
		return moveAVX512
	case cpu.X86.HasAVX2:
		return moveAVX2
	}
	return moveGo
}()

// The AVX-512 row movers (conv_move_amd64.s); the Go wrappers in
// conv_move.go check the slices and build the lane masks.

// split2RowsAVX512 is split2Rows for w <= 16: bits 0-31 of m select the
// lanes j of P[0:32] loaded from line[j-lead], bits 32-47 the w lanes
// stored to each phase row.
//
//go:noescape
func split2RowsAVX512(dst0, dst1, src *float32, rows, srcStride, dstStride, lead int, m uint64)

// padRowsAVX512 is padRows for w <= 32: bits 0-31 of m select the lanes
// loaded from line[j-lead], bits 32-63 the lanes stored.
//
//go:noescape
func padRowsAVX512(dst, src *float32, rows, srcStride, dstStride, lead int, m uint64)

// biasRowsAVX512 is biasRows for n <= 32: m holds the n lanes.
//
//go:noescape
func biasRowsAVX512(dst, src *float32, rows, srcStride, dstStride int, m uint64, b float32, relu bool)

// interleave2RowsAVX512 is interleave2Rows for n <= 32: bits 0-15 of m
// select a's lanes, bits 16-31 c's, bits 32-63 the output lanes.
//
//go:noescape
func interleave2RowsAVX512(dst, a, c *float32, rows, srcStride, dstStride int, m uint64, b float32, relu bool)

// The AVX2 twins take the masks as int32 lanes (-1 on) laid out by the
// wrappers: m points at the lanes of the same bit layout as above (split2:
// 32 load + 16 store lanes; pad: 32 + 32; bias: 32; interleave: 16 a,
// 16 c, 32 out).

//go:noescape
func split2RowsAVX2(dst0, dst1, src *float32, rows, srcStride, dstStride, lead int, m *int32)

//go:noescape
func padRowsAVX2(dst, src *float32, rows, srcStride, dstStride, lead int, m *int32)

//go:noescape
func biasRowsAVX2(dst, src *float32, rows, srcStride, dstStride int, m *int32, b float32, relu bool)

//go:noescape
func interleave2RowsAVX2(dst, a, c *float32, rows, srcStride, dstStride int, m *int32, b float32, relu bool)

// moveImpls lists the implementations this CPU can run (up to isaCap), for
// the tests.
func moveImpls() []int {
	impls := []int{moveGo}
	if cpu.X86.HasAVX2 && isaCap >= implAVX2 {
		impls = append(impls, moveAVX2)
	}
	if cpu.X86.HasAVX512F && isaCap >= implAVX512 {
		impls = append(impls, moveAVX512)
	}
	return impls
}

// pool2x2RowsAVX512 is pool2x2Rows (pool_fast.go) on AVX-512.
//
//go:noescape
func pool2x2RowsAVX512(dst, src *float32, rows, srcStride, dstStride, below, full int, m uint64, avg bool)

// tapRowsAVX512 and gatherTapsAVX512 are the vector loops of resizeAxis
// and resizeLastAxis (resize.go).
//
//go:noescape
func tapRowsAVX512(dst, src *float32, blocks, blockIn, blockOut, full int, tail uint64, offs *int, w *float32, n int)

//go:noescape
func gatherTapsAVX512(dst, src *float32, rows, in, out, stride, chunks int, tail uint64, idx *int32, w *float32, n int)

// pool2x2RowsAVX2 is pool2x2RowsAVX512 in 8-output chunks; m points at 24
// int32 lanes (16 input, 8 output) for the tail chunk.
//
//go:noescape
func pool2x2RowsAVX2(dst, src *float32, rows, srcStride, dstStride, below, full int, m *int32, avg bool)

// tapRowsAVX2 and gatherTapsAVX2 are the AVX2 twins of tapRowsAVX512 and
// gatherTapsAVX512, in 8-lane chunks with int32 lane masks for the tails.
//
//go:noescape
func tapRowsAVX2(dst, src *float32, blocks, blockIn, blockOut, full int, tail *int32, offs *int, w *float32, n int)

//go:noescape
func gatherTapsAVX2(dst, src *float32, rows, in, out, stride, chunks int, tail *int32, idx *int32, w *float32, n int)
