//go:build amd64 && !noasm

package train

import "github.com/latent-ml/latent/ops/internal/isa"

// vecAVX2 enables the 8-lane kernels of act_amd64.s and adam_amd64.s
// (AVX2 and FMA, unless LATENT_ISA caps them, as for ops' own kernels).
var vecAVX2 = isa.AVX2FMA

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
// (adam_amd64.s) and returns how many weights it did.
func adamVec(w, g, m, v []float32, p *AdamParams) int {
	n := len(w) &^ 7
	if !vecAVX2 || n == 0 {
		return 0
	}
	_, _, _ = g[n-1], m[n-1], v[n-1]
	adamAVX2(&w[0], &g[0], &m[0], &v[0], n, p)
	return n
}
