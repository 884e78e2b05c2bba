//go:build amd64 && !noasm

package ops

import "github.com/latent-ml/latent/ops/internal/isa"

// convTapsAVX512 and convTapsAVX2 are convTapsGo (conv_direct.go) in
// 16- and 8-lane vectors; n must be a multiple of 16 (8).
//
//go:noescape
func convTapsAVX512(dst, src *float32, n int, offs *int, w *float32, taps int)

//go:noescape
func convTapsAVX2(dst, src *float32, n int, offs *int, w *float32, taps int)

// convTapsVec runs the tap kernel of the row mover level moveUse picks
// (tests switch it) and reports false when there is none (the AVX2 kernel
// also needs FMA).
func convTapsVec(dst, src []float32, offs []int, w []float32) bool {
	switch {
	case moveUse == moveAVX512:
		convTapsAVX512(&dst[0], &src[0], len(dst), &offs[0], &w[0], len(offs))
	case moveUse == moveAVX2 && isa.AVX2FMA:
		convTapsAVX2(&dst[0], &src[0], len(dst), &offs[0], &w[0], len(offs))
	default:
		return false
	}
	return true
}

//go:noescape
func maxTapsAVX512(dst, src *float32, n int, offs *int, taps int)

//go:noescape
func maxTapsAVX2(dst, src *float32, n int, offs *int, taps int)

// maxTapsVec runs the max-over-taps kernel of the row mover level moveUse
// picks and reports false when there is none.
func maxTapsVec(dst, src []float32, offs []int) bool {
	switch moveUse {
	case moveAVX512:
		maxTapsAVX512(&dst[0], &src[0], len(dst), &offs[0], len(offs))
	case moveAVX2:
		maxTapsAVX2(&dst[0], &src[0], len(dst), &offs[0], len(offs))
	default:
		return false
	}
	return true
}
