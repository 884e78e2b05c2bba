//go:build !amd64 || noasm

package ops

// Without assembly the portable loops do all the work.
func sigmoidVec(dst, src []float32) int { return 0 }
func expVec(dst, src []float32) int     { return 0 }
func reluVec(dst, src []float32) int    { return 0 }
func tanhVec(dst, src []float32) int    { return 0 }
func addVec(dst, src []float32) int     { return 0 }
