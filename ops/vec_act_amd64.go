//go:build amd64 && !noasm

package ops

import "github.com/latent-ml/latent/ops/internal/isa"

// vecAVX2 enables the 8-lane kernels of vec_act_amd64.s (AVX2 and FMA,
// unless LATENT_ISA caps them).
var vecAVX2 = isa.AVX2FMA

// sigmoidAVX2 and expAVX2 process n elements, n a multiple of 8.
//
//go:noescape
func sigmoidAVX2(dst, src *float32, n int)

//go:noescape
func expAVX2(dst, src *float32, n int)

// sigmoidVec runs the assembly loop on the longest multiple-of-8 prefix and
// returns how many elements it did.
func sigmoidVec(dst, src []float32) int {
	n := len(src) &^ 7
	if !vecAVX2 || n == 0 {
		return 0
	}
	sigmoidAVX2(&dst[0], &src[0], n)
	return n
}

func expVec(dst, src []float32) int {
	n := len(src) &^ 7
	if !vecAVX2 || n == 0 {
		return 0
	}
	expAVX2(&dst[0], &src[0], n)
	return n
}

//go:noescape
func reluAVX2(dst, src *float32, n int)

func reluVec(dst, src []float32) int {
	n := len(src) &^ 7
	if !vecAVX2 || n == 0 {
		return 0
	}
	reluAVX2(&dst[0], &src[0], n)
	return n
}

//go:noescape
func tanhAVX2(dst, src *float32, n int)

func tanhVec(dst, src []float32) int {
	n := len(src) &^ 7
	if !vecAVX2 || n == 0 {
		return 0
	}
	tanhAVX2(&dst[0], &src[0], n)
	return n
}

//go:noescape
func addAVX2(dst, src *float32, n int)

// addVec adds the longest multiple-of-8 prefix of src into dst and returns
// its length.
func addVec(dst, src []float32) int {
	n := len(src) &^ 7
	if !vecAVX2 || n == 0 {
		return 0
	}
	_ = dst[n-1]
	addAVX2(&dst[0], &src[0], n)
	return n
}
