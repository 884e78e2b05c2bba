//go:build !amd64 || noasm

package ops

// Without assembly the Go twins of vec_hard.go do the work.
var hardUse = 0

func hardWidths() []int { return []int{0} }

func clampAffineVec(dst, src []float32, a, b, lo, hi float32, mulx bool) int { return 0 }
func leakyReluVec(dst, src []float32, alpha float32) int                     { return 0 }
func mulVec(dst, a, b []float32) int                                         { return 0 }
func siluVec(dst, src []float32) int                                         { return 0 }
