package verify

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
)

// Default tolerances (see docs/tolerance.md).
const (
	DefaultAtol = 1e-5
	DefaultRtol = 1e-4
)

// OutputReport is the comparison of one output tensor against a reference.
type OutputReport struct {
	Name string
	// DType and Shape are the reference's.
	DType ops.DType
	Shape []int
	// MaxAbs is the largest |got-want| over all elements. MaxRel is the
	// largest |got-want|/|want| over the elements where the relative term
	// governs the bound, |want| >= atol/rtol (below that atol decides and
	// a relative error says nothing: 1e-7 against 0 is "infinitely" wrong
	// and well within tolerance); RelElements counts those elements, and
	// MaxRel means nothing when it is 0 (rtol 0, integer outputs, or every
	// reference value small). A mismatched infinity counts with MaxAbs and
	// MaxRel +Inf. Elements that are NaN in both are equal.
	MaxAbs, MaxRel float64
	RelElements    int
	// Worst is the multi-dimensional index of the element that comes
	// closest to (or furthest beyond) the tolerance, and Got/Want its
	// values; nil for empty tensors.
	Worst     []int
	Got, Want float64
	// Mismatch explains a structural difference (dtype, shape, NaN
	// position); empty when the tensors are comparable.
	Mismatch string
	// Failures counts the elements outside the tolerance.
	Failures int
	Pass     bool
}

// CompareTensors compares got with the reference want: it passes iff both
// have the same dtype and shape, NaNs sit at the same positions and
// |got-want| <= atol + rtol*|want| for every element. Integer and bool
// tensors must match exactly.
func CompareTensors(name string, got, want *ops.Tensor, atol, rtol float64) OutputReport {
	r := OutputReport{Name: name}
	if want == nil || got == nil {
		r.Mismatch = "missing tensor"
		return r
	}
	r.DType, r.Shape = want.DType, append([]int(nil), want.Shape...)
	if got.DType != want.DType {
		r.Mismatch = fmt.Sprintf("dtype %v, want %v", got.DType, want.DType)
		return r
	}
	if !ops.SameShape(got.Shape, want.Shape) {
		r.Mismatch = fmt.Sprintf("shape %v, want %v", got.Shape, want.Shape)
		return r
	}
	n := ops.NumElements(want.Shape)
	ga, gerr := asFloat64(got)
	wa, werr := asFloat64(want)
	if gerr != nil || werr != nil || len(ga) != n || len(wa) != n {
		r.Mismatch = fmt.Sprintf("unreadable data (%d and %d elements for shape %v)", len(ga), len(wa), want.Shape)
		return r
	}
	exact := !want.DType.IsFloat()
	// int64 values beyond 2^53 do not survive the float64 widening: judge
	// them on the raw values.
	gi, wi := int64s(got), int64s(want)
	worst, worstScore := -1, math.Inf(-1)
	nanAt := -1
	relFloor := math.Inf(1) // |want| from which rtol governs the bound
	if rtol > 0 && !exact {
		relFloor = atol / rtol
	}
	for i := 0; i < n; i++ {
		g, w := ga[i], wa[i]
		gn, wn := math.IsNaN(g), math.IsNaN(w)
		if gn || wn {
			if gn != wn {
				r.Failures++
				if nanAt < 0 {
					nanAt = i
				}
			}
			continue
		}
		var d float64
		if g != w { // also equal infinities
			d = math.Abs(g - w)
		}
		rel := 0.0
		if d != 0 {
			rel = d / math.Abs(w)
		}
		relevant := math.Abs(w) >= relFloor
		bound := atol + rtol*math.Abs(w)
		if exact {
			bound = 0
		}
		ok := d <= bound
		if d != 0 && (math.IsInf(g, 0) || math.IsInf(w, 0)) {
			// An infinity only matches the same infinity.
			d, rel, ok, relevant = math.Inf(1), math.Inf(1), false, true
		}
		r.MaxAbs = math.Max(r.MaxAbs, d)
		if relevant {
			r.MaxRel = math.Max(r.MaxRel, rel)
			r.RelElements++
		}
		if gi != nil {
			ok = gi[i] == wi[i]
			if !ok && d == 0 {
				d = math.SmallestNonzeroFloat64
			}
		}
		if !ok {
			r.Failures++
		}
		// Score: how much of the allowed error the element uses.
		var score float64
		switch {
		case d == 0:
			score = 0
		case bound == 0 || math.IsInf(d, 0):
			score = math.Inf(1)
		default:
			score = d / bound
		}
		if worst < 0 || score > worstScore {
			worst, worstScore = i, score
		}
	}
	if nanAt >= 0 {
		r.Mismatch = fmt.Sprintf("NaN positions differ (first at %v: got %v, want %v)", unravel(nanAt, want.Shape), ga[nanAt], wa[nanAt])
		worst = nanAt
	}
	if worst >= 0 {
		r.Worst = unravel(worst, want.Shape)
		r.Got, r.Want = ga[worst], wa[worst]
	}
	r.Pass = r.Failures == 0 && r.Mismatch == ""
	return r
}

// unravel turns a flat row-major index into a multi-dimensional one.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return idx
}

// asFloat64 widens any tensor's elements to float64 for comparison, with
// ops.Cast's conversions (float16 exactly, bool as 1 or 0). It reads all of
// Data whatever the shape claims, so the caller can report both lengths.
func asFloat64(t *ops.Tensor) ([]float64, error) {
	if d, ok := t.Data.([]float64); ok {
		return d, nil
	}
	n := ops.SliceLen(t.Data)
	if n < 0 {
		return nil, fmt.Errorf("unsupported tensor data %T", t.Data)
	}
	out := ops.New(ops.Float64, n)
	if err := ops.Cast(out, &ops.Tensor{DType: t.DType, Shape: []int{n}, Data: t.Data}); err != nil {
		return nil, err
	}
	return out.F64(), nil
}

func int64s(t *ops.Tensor) []int64 {
	if d, ok := t.Data.([]int64); ok {
		return d
	}
	return nil
}
