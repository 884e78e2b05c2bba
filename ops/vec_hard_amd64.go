//go:build amd64 && !noasm

package ops

import (
	"golang.org/x/sys/cpu"

	"github.com/latent-ml/latent/ops/internal/isa"
)

// hardUse is the lane width of the vec_hard kernels this CPU runs: 16
// (AVX-512), 8 (AVX2) or 0 (the Go twins); tests switch it.
var hardUse = func() int {
	switch {
	case cpu.X86.HasAVX512F && isa.Cap >= isa.AVX512:
		return 16
	case cpu.X86.HasAVX2 && isa.Cap >= isa.AVX2:
		return 8
	}
	return 0
}()

// hardWidths lists the widths this CPU can run, for the tests.
func hardWidths() []int {
	w := []int{0}
	if cpu.X86.HasAVX2 && isa.Cap >= isa.AVX2 {
		w = append(w, 8)
	}
	if cpu.X86.HasAVX512F && isa.Cap >= isa.AVX512 {
		w = append(w, 16)
	}
	return w
}

//go:noescape
func clampAffineAVX512(dst, src *float32, n int, a, b, lo, hi float32, mulx bool)

//go:noescape
func clampAffineAVX2(dst, src *float32, n int, a, b, lo, hi float32, mulx bool)

//go:noescape
func leakyReluAVX512(dst, src *float32, n int, alpha float32)

//go:noescape
func leakyReluAVX2(dst, src *float32, n int, alpha float32)

//go:noescape
func siluAVX512(dst, src *float32, n int)

// siluVec runs the AVX-512 SiLU on the longest multiple-of-16 prefix (the
// AVX2 path is SigmoidSlice and a product, which gives the same bits).
func siluVec(dst, src []float32) int {
	n := len(src) &^ 15
	if hardUse != 16 || n == 0 || !vecAVX2 {
		return 0
	}
	_ = dst[n-1]
	siluAVX512(&dst[0], &src[0], n)
	return n
}

//go:noescape
func mulAVX512(dst, a, b *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

// The vector loops run on the longest prefix that is a multiple of the
// width and return its length.

func clampAffineVec(dst, src []float32, a, b, lo, hi float32, mulx bool) int {
	n := len(src)
	if hardUse == 0 || n < hardUse {
		return 0
	}
	n -= n % hardUse
	_ = dst[n-1]
	if hardUse == 16 {
		clampAffineAVX512(&dst[0], &src[0], n, a, b, lo, hi, mulx)
	} else {
		clampAffineAVX2(&dst[0], &src[0], n, a, b, lo, hi, mulx)
	}
	return n
}

func leakyReluVec(dst, src []float32, alpha float32) int {
	n := len(src)
	if hardUse == 0 || n < hardUse {
		return 0
	}
	n -= n % hardUse
	_ = dst[n-1]
	if hardUse == 16 {
		leakyReluAVX512(&dst[0], &src[0], n, alpha)
	} else {
		leakyReluAVX2(&dst[0], &src[0], n, alpha)
	}
	return n
}

func mulVec(dst, a, b []float32) int {
	n := len(a)
	if hardUse == 0 || n < hardUse {
		return 0
	}
	n -= n % hardUse
	_, _ = dst[n-1], b[n-1]
	if hardUse == 16 {
		mulAVX512(&dst[0], &a[0], &b[0], n)
	} else {
		mulAVX2(&dst[0], &a[0], &b[0], n)
	}
	return n
}
