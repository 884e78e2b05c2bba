//go:build amd64 && !noasm

package ops

import "golang.org/x/sys/cpu"

var vecAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

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
func reluBackAVX2(dz, dy, y *float32, n int)

//go:noescape
func sigmoidBackAVX2(dz, dy, y *float32, n int)

// reluBackVec and sigmoidBackVec run ActBackward's Relu and Sigmoid loops
// on the longest multiple-of-8 prefix and return how many elements they did.
func reluBackVec(dz, dy, y []float32) int {
	n := len(y) &^ 7
	if !vecAVX2 || n == 0 {
		return 0
	}
	_, _ = dz[n-1], dy[n-1]
	reluBackAVX2(&dz[0], &dy[0], &y[0], n)
	return n
}

func sigmoidBackVec(dz, dy, y []float32) int {
	n := len(y) &^ 7
	if !vecAVX2 || n == 0 {
		return 0
	}
	_, _ = dz[n-1], dy[n-1]
	sigmoidBackAVX2(&dz[0], &dy[0], &y[0], n)
	return n
}

//go:noescape
func adamAVX2(w, grad, mom, vel *float32, n int, p *AdamParams)

// adamVec runs AdamUpdate's loop on the longest multiple-of-8 prefix
// (train_adam_amd64.s) and returns how many weights it did.
func adamVec(w, g, m, v []float32, p *AdamParams) int {
	n := len(w) &^ 7
	if !vecAVX2 || n == 0 {
		return 0
	}
	_, _, _ = g[n-1], m[n-1], v[n-1]
	adamAVX2(&w[0], &g[0], &m[0], &v[0], n, p)
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
