//go:build !amd64 || noasm

package ops

// convTapsVec: without assembly convTapsGo does the work.
func convTapsVec(dst, src []float32, offs []int, w []float32) bool { return false }

// maxTapsVec: without assembly maxTapsGo does the work.
func maxTapsVec(dst, src []float32, offs []int) bool { return false }
