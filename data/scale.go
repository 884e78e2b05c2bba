package data

import (
	"fmt"
	"math"
	"slices"
)

// ScalingKind names a per-feature scaling.
type ScalingKind string

// Supported scalings.
const (
	NoScaling ScalingKind = "none"
	MinMax    ScalingKind = "minmax"   // (x-min)/(max-min) into [0,1]
	Standard  ScalingKind = "standard" // (x-mean)/std
)

// Scaler maps raw features to model inputs as (x - Offset[j]) * Scale[j].
// It is fitted on training data and recorded in checkpoints so that the
// exporter and inference apply the same transform. Units and Range
// describe the raw data it was fitted on, for CheckScale.
type Scaler struct {
	Kind   ScalingKind `json:"kind"`
	Offset []float32   `json:"offset,omitempty"`
	Scale  []float32   `json:"scale,omitempty"`
	// Units is how the training data's reader produced its values.
	Units Units `json:"units,omitempty"`
	// Range is [min, max] of the training data's raw values (observed
	// entries only for masked data); nil when unknown, e.g. for models
	// exported before latent recorded it, or imported from elsewhere.
	Range []float32 `json:"range,omitempty"`
}

// Fit computes a scaler of the given kind from d's input columns (only
// observed entries when d has a mask), recording d's units and range.
// Constant columns get scale 1.
func Fit(kind ScalingKind, d *Dataset) (Scaler, error) {
	var units Units
	var rng []float32
	if lo, hi, ok := d.Range(); ok {
		units, rng = d.Units.orAsStored(), []float32{lo, hi}
	}
	switch kind {
	case "", NoScaling:
		return Scaler{Kind: NoScaling, Units: units, Range: rng}, nil
	case MinMax, Standard:
	default:
		return Scaler{}, fmt.Errorf("unknown scaling %q (want none, minmax or standard)", kind)
	}
	s := Scaler{Kind: kind, Offset: make([]float32, d.D), Scale: make([]float32, d.D), Units: units, Range: rng}
	for j := 0; j < d.D; j++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		var sum, sq float64
		n := 0
		for i := 0; i < d.N; i++ {
			if d.Mask != nil && d.Mask[i*d.D+j] == 0 {
				continue
			}
			v := float64(d.X[i*d.D+j])
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			sum += v
			sq += v * v
			n++
		}
		if n == 0 {
			s.Offset[j], s.Scale[j] = 0, 1
			continue
		}
		if kind == MinMax {
			s.Offset[j] = float32(lo)
			if hi > lo {
				s.Scale[j] = float32(1 / (hi - lo))
			} else {
				s.Scale[j] = 1
			}
			continue
		}
		mean := sum / float64(n)
		sd := math.Sqrt(math.Max(sq/float64(n)-mean*mean, 0))
		s.Offset[j] = float32(mean)
		if sd > 1e-12 {
			s.Scale[j] = float32(1 / sd)
		} else {
			s.Scale[j] = 1
		}
	}
	return s, nil
}

// Clone returns a deep copy of s.
func (s Scaler) Clone() Scaler {
	s.Offset, s.Scale, s.Range = slices.Clone(s.Offset), slices.Clone(s.Scale), slices.Clone(s.Range)
	return s
}

// Identity reports whether s leaves values unchanged.
func (s *Scaler) Identity() bool { return s.Kind == "" || s.Kind == NoScaling }

// Check reports whether s fits data with d columns.
func (s *Scaler) Check(d int) error {
	if s.Range != nil {
		if len(s.Range) != 2 || !(s.Range[0] <= s.Range[1]) || !finite32(s.Range[0]) || !finite32(s.Range[1]) {
			return fmt.Errorf("scaler range %v is not [min, max] of finite values", s.Range)
		}
	}
	if err := s.Units.check(); err != nil {
		return err
	}
	if s.Identity() {
		return nil
	}
	if len(s.Offset) != d || len(s.Scale) != d {
		return fmt.Errorf("scaler has %d/%d offsets/scales for %d features", len(s.Offset), len(s.Scale), d)
	}
	return nil
}

func finite32(v float32) bool { return v-v == 0 }

// Transform scales x (rows of len(Offset) features) into dst, which may alias x.
func (s *Scaler) Transform(dst, x []float32) {
	if s.Identity() {
		copy(dst, x)
		return
	}
	s.rows(dst, x, func(d, x, off, sc []float32) {
		for j, v := range x {
			d[j] = (v - off[j]) * sc[j]
		}
	})
}

// Inverse maps scaled values back to raw units into dst, which may alias x.
func (s *Scaler) Inverse(dst, x []float32) {
	if s.Identity() {
		copy(dst, x)
		return
	}
	s.rows(dst, x, func(d, x, off, sc []float32) {
		for j, v := range x {
			d[j] = v/sc[j] + off[j]
		}
	})
}

// rows runs f over x row by row (the last row may be partial) with the
// matching offsets and scales, so the per-element loops index features
// directly instead of taking a modulo per value.
func (s *Scaler) rows(dst, x []float32, f func(dst, x, off, sc []float32)) {
	d := len(s.Offset)
	if d == 0 && len(x) > 0 {
		panic("data: scaler without features applied to data (see Scaler.Check)")
	}
	for lo := 0; lo < len(x); lo += d {
		xr := x[lo:min(lo+d, len(x))]
		n := len(xr)
		f(dst[lo:lo+n], xr, s.Offset[:n], s.Scale[:n])
	}
}

// Apply returns a scaled copy of d's input and target; the mask is shared.
// For masked datasets (ratings), input entries that are exactly 0 mean
// "missing" and stay 0.
func (s *Scaler) Apply(d *Dataset) (*Dataset, error) {
	if err := s.Check(d.D); err != nil {
		return nil, fmt.Errorf("%s: %w", d.name(), err)
	}
	out := *d
	out.X = make([]float32, len(d.X))
	s.Transform(out.X, d.X)
	if d.Mask != nil && !s.Identity() {
		for i, v := range d.X {
			if v == 0 {
				out.X[i] = 0
			}
		}
	}
	if d.Target != nil {
		out.Target = make([]float32, len(d.Target))
		s.Transform(out.Target, d.Target)
	}
	return &out, nil
}
