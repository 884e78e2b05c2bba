package pngplot

import (
	"math"
	"strconv"
)

// Ticks returns tick values for the interval [lo, hi]: multiples of a step
// of 1, 2 or 5 times a power of ten, chosen as the smallest such step that
// gives at most n intervals across the range. Ticks outside [lo, hi] are
// not returned. lo > hi is treated as the swapped interval; a degenerate or
// non-finite interval yields nil.
func Ticks(lo, hi float64, n int) []float64 {
	if lo > hi {
		lo, hi = hi, lo
	}
	if n < 1 || !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	step := NiceStep((hi - lo) / float64(n))
	first := math.Ceil(lo/step - 1e-9)
	last := math.Floor(hi/step + 1e-9)
	out := make([]float64, 0, int(last-first)+1)
	for k := first; k <= last; k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0 // avoid -0 and 1e-17 style labels
		}
		out = append(out, v)
	}
	return out
}

// NiceStep rounds a positive raw step up to the nearest 1, 2 or 5 times a
// power of ten (0.3 → 0.5, 7 → 10, 0.02 → 0.02).
func NiceStep(raw float64) float64 {
	if !(raw > 0) || math.IsInf(raw, 0) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	norm := raw / mag
	switch {
	case norm <= 1+1e-9:
		return mag
	case norm <= 2+1e-9:
		return 2 * mag
	case norm <= 5+1e-9:
		return 5 * mag
	}
	return 10 * mag
}

// LogTicks returns tick values for a logarithmic axis over [lo, hi]
// (both positive): the powers of ten inside the interval when there are at
// least four (every k-th one when there are more than twelve), else the
// 1-2-5 multiples of powers of ten when there are at least three of those,
// else linear Ticks(lo, hi, 6) (a range narrower than a decade).
func LogTicks(lo, hi float64) []float64 {
	if lo > hi {
		lo, hi = hi, lo
	}
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	e0 := int(math.Floor(math.Log10(lo)))
	e1 := int(math.Ceil(math.Log10(hi)))
	var decades, steps []float64
	for e := e0; e <= e1; e++ {
		p := math.Pow(10, float64(e))
		for _, m := range []float64{1, 2, 5} {
			v := m * p
			if v < lo*(1-1e-12) || v > hi*(1+1e-12) {
				continue
			}
			steps = append(steps, v)
			if m == 1 {
				decades = append(decades, v)
			}
		}
	}
	switch {
	case len(decades) >= 4 && len(decades) <= 12:
		return decades
	case len(decades) > 12:
		// Thin out to every k-th decade.
		k := (len(decades) + 9) / 10
		var out []float64
		for i := 0; i < len(decades); i += k {
			out = append(out, decades[i])
		}
		return out
	case len(steps) >= 3:
		return steps
	}
	return Ticks(lo, hi, 6)
}

// FormatTick formats a tick value with as many decimals as the spacing of
// the ticks needs (step 0.05 → two decimals), switching to exponent
// notation for very large or very small magnitudes.
func FormatTick(v, step float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	if a >= 1e6 || a < 1e-4 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	// As many decimals as the step needs to be exact (0.25 → 2, 0.2 → 1).
	dec := 0
	if step > 0 {
		for dec < 8 {
			s := step * math.Pow(10, float64(dec))
			if math.Abs(s-math.Round(s)) < 1e-6*s {
				break
			}
			dec++
		}
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// tickStep is the smallest gap between consecutive ticks (for FormatTick).
func tickStep(ts []float64) float64 {
	s := math.Inf(1)
	for i := 1; i < len(ts); i++ {
		s = math.Min(s, ts[i]-ts[i-1])
	}
	if math.IsInf(s, 1) {
		return 0
	}
	return s
}

// IntegerTicks keeps the whole numbers of ts (an axis of counts, such as
// epochs, labelled 1, 2, 3 rather than 1.2, 1.4): Ticks' steps are 1, 2 or
// 5 times a power of ten, so when the step is below 1 the whole numbers
// among the ticks are still evenly spaced.
func IntegerTicks(ts []float64) []float64 {
	var out []float64
	for _, v := range ts {
		if r := math.Round(v); math.Abs(v-r) <= 1e-9*math.Max(1, math.Abs(v)) {
			out = append(out, r)
		}
	}
	return out
}
