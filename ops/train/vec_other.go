//go:build !amd64 || noasm

package train

// Without assembly the portable loops do all the work.
func reluBackVec(dz, dy, y []float32) int             { return 0 }
func sigmoidBackVec(dz, dy, y []float32) int          { return 0 }
func adamVec(w, g, m, v []float32, p *AdamParams) int { return 0 }
