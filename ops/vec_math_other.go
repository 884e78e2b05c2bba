//go:build !amd64 || noasm

package ops

// Without assembly the portable twins do all the work.
func erfVec(dst, src []float32) bool      { return false }
func geluVec(dst, src []float32) bool     { return false }
func geluTanhVec(dst, src []float32) bool { return false }

func rowMax(x []float32) float32                      { return rowMaxGo(x) }
func expSubSum(dst, src []float32, m float32) float32 { return expSubSumGo(dst, src, m) }
func mulRow(dst []float32, s float32, nanToZero bool) { scaleGo(dst, s, nanToZero) }
func rowSum(x []float32) float32                      { return sumGo(x) }
func rowSumSqDev(x []float32, m float32) float32      { return sumSqDevGo(x, m) }
func normAffine(dst, src, g, b []float32, m, inv float32) {
	normAffineGo(dst, src, g, b, m, inv)
}

// The dispatch flags of the amd64 build, always off here (the tests switch
// them to run every path).
var vecAVX512, vecAVX2 bool
