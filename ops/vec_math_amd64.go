//go:build amd64 && !noasm

package ops

import (
	"github.com/latent-ml/latent/ops/internal/isa"
	"golang.org/x/sys/cpu"
)

// vecAVX512 enables the 16-lane kernels of vec_math_amd64.s (AVX-512F,
// unless LATENT_ISA caps it); vecAVX2 (vec_act_amd64.go) the 8-lane ones.
var vecAVX512 = cpu.X86.HasAVX512F && isa.Cap >= isa.AVX512

//go:noescape
func erfAVX512(dst, src *float32, n int)

//go:noescape
func geluAVX512(dst, src *float32, n int)

//go:noescape
func geluTanhAVX512(dst, src *float32, n int)

//go:noescape
func expAVX512(dst, src *float32, n int)

//go:noescape
func erfAVX2(dst, src *float32, n int)

//go:noescape
func geluAVX2(dst, src *float32, n int)

//go:noescape
func geluTanhAVX2(dst, src *float32, n int)

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func expSubSumAVX512(dst, src *float32, n int, m float32) float32

//go:noescape
func mulScalarAVX512(dst *float32, n int, s float32, nanToZero bool)

//go:noescape
func sumAVX512(x *float32, n int) float32

//go:noescape
func sumSqDevAVX512(x *float32, n int, m float32) float32

//go:noescape
func normAffineAVX512(dst, src, scale, shift *float32, n int, m, inv float32)

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func expSubSumAVX2(dst, src *float32, n int, m float32) float32

//go:noescape
func mulScalarAVX2(dst *float32, n int, s float32, nanToZero bool)

//go:noescape
func sumAVX2(x *float32, n int) float32

//go:noescape
func sumSqDevAVX2(x *float32, n int, m float32) float32

//go:noescape
func normAffineAVX2(dst, src, scale, shift *float32, n int, m, inv float32)

// unaryVec runs an elementwise kernel over src: the AVX-512 body takes any
// length (a lane mask covers the tail); the AVX2 body takes the longest
// multiple of 8 and then the rest in an 8-lane buffer, so every element
// goes through the same vector code. It reports false when neither
// instruction set is available.
func unaryVec(dst, src []float32, k512, k256 func(dst, src *float32, n int)) bool {
	n := len(src)
	switch {
	case n == 0:
		return vecAVX512 || vecAVX2
	case vecAVX512:
		k512(&dst[0], &src[0], n)
	case vecAVX2:
		done := n &^ 7
		if done > 0 {
			k256(&dst[0], &src[0], done)
		}
		if done < n {
			var buf [8]float32
			r := copy(buf[:], src[done:])
			k256(&buf[0], &buf[0], 8)
			copy(dst[done:], buf[:r])
		}
	default:
		return false
	}
	return true
}

func erfVec(dst, src []float32) bool      { return unaryVec(dst, src, erfAVX512, erfAVX2) }
func geluVec(dst, src []float32) bool     { return unaryVec(dst, src, geluAVX512, geluAVX2) }
func geluTanhVec(dst, src []float32) bool { return unaryVec(dst, src, geluTanhAVX512, geluTanhAVX2) }

// rowMax is rowMaxGo on vector lanes (len(x) ≥ 1).
func rowMax(x []float32) float32 {
	n := len(x)
	switch {
	case vecAVX512:
		return maxAVX512(&x[0], n)
	case vecAVX2 && n >= 8:
		done := n &^ 7
		m := maxAVX2(&x[0], done)
		for _, v := range x[done:] {
			if v > m {
				m = v
			}
		}
		return m
	}
	return rowMaxGo(x)
}

// expSubSum is expSubSumGo on vector lanes.
func expSubSum(dst, src []float32, m float32) float32 {
	n := len(src)
	switch {
	case n == 0:
		return 0
	case vecAVX512:
		return expSubSumAVX512(&dst[0], &src[0], n, m)
	case vecAVX2:
		done := n &^ 7
		var s float32
		if done > 0 {
			s = expSubSumAVX2(&dst[0], &src[0], done, m)
		}
		if done < n {
			var buf [8]float32
			r := copy(buf[:], src[done:])
			expSubSumAVX2(&buf[0], &buf[0], 8, m)
			copy(dst[done:], buf[:r])
			for _, v := range buf[:r] {
				s += v
			}
		}
		return s
	}
	return expSubSumGo(dst, src, m)
}

// mulRow is scaleGo on vector lanes.
func mulRow(dst []float32, s float32, nanToZero bool) {
	n := len(dst)
	switch {
	case n == 0:
	case vecAVX512:
		mulScalarAVX512(&dst[0], n, s, nanToZero)
	case vecAVX2:
		done := n &^ 7
		if done > 0 {
			mulScalarAVX2(&dst[0], done, s, nanToZero)
		}
		scaleGo(dst[done:], s, nanToZero)
	default:
		scaleGo(dst, s, nanToZero)
	}
}

// rowSum is sumGo on vector lanes.
func rowSum(x []float32) float32 {
	n := len(x)
	switch {
	case n == 0:
		return 0
	case vecAVX512:
		return sumAVX512(&x[0], n)
	case vecAVX2:
		done := n &^ 7
		var s float32
		if done > 0 {
			s = sumAVX2(&x[0], done)
		}
		return s + sumGo(x[done:])
	}
	return sumGo(x)
}

// rowSumSqDev is sumSqDevGo on vector lanes.
func rowSumSqDev(x []float32, m float32) float32 {
	n := len(x)
	switch {
	case n == 0:
		return 0
	case vecAVX512:
		return sumSqDevAVX512(&x[0], n, m)
	case vecAVX2:
		done := n &^ 7
		var s float32
		if done > 0 {
			s = sumSqDevAVX2(&x[0], done, m)
		}
		return s + sumSqDevGo(x[done:], m)
	}
	return sumSqDevGo(x, m)
}

// normAffine is normAffineGo on vector lanes (len(g), len(b) ≥ len(src)).
func normAffine(dst, src, g, b []float32, m, inv float32) {
	n := len(src)
	if n == 0 {
		return
	}
	_, _ = dst[n-1], g[n-1]
	var bp *float32
	if b != nil {
		_ = b[n-1]
		bp = &b[0]
	}
	switch {
	case vecAVX512:
		normAffineAVX512(&dst[0], &src[0], &g[0], bp, n, m, inv)
	case vecAVX2:
		done := n &^ 7
		if done > 0 {
			normAffineAVX2(&dst[0], &src[0], &g[0], bp, done, m, inv)
		}
		var tb []float32
		if b != nil {
			tb = b[done:n]
		}
		normAffineGo(dst[done:n], src[done:], g[done:n], tb, m, inv)
	default:
		normAffineGo(dst, src, g, b, m, inv)
	}
}
