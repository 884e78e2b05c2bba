// Package data owns latent's data files and what is done to them before a
// model sees them: one reader per format (CSV/TSV, JSON lines, NPY, IDX
// images and labels, MovieLens-style ratings, RecBole's .inter
// interactions, and ONNX TensorProto .pb
// through package data/tensorpb), the format chosen by file extension
// unless Options.Format says otherwise (Read, Load, FormatOf); the dense
// Dataset they return; splitting it; and the per-feature scaling (Fit,
// Scaler) the trainer fits and the exported graphs apply.
//
// # The scaling rule
//
// Every reader returns values as stored, with one exception: unsigned
// bytes (IDX element type 0x08, NPY uint8, TensorProto UINT8) are pixel
// intensities and are divided by 255 into [0, 1]. Dataset.Units says which
// happened (AsStored or BytesOver255). The trainer, the CLI commands and
// the server read files only through this package, so one file gives the
// same numbers everywhere. Fit records the units and the range of the data
// a scaler was fitted on; exported models carry them (latent.input_units,
// latent.input_range), and Scaler.CheckScale refuses data that is plainly
// on another scale, such as raw 0–255 pixels fed to a model trained on
// [0, 1] intensities.
//
// The package reads nothing of ONNX or of training: the trainer, the
// runtime and the server all sit above it.
package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Dataset is a dense N×D float32 matrix of samples (row-major) with an
// optional reconstruction target and an optional observation mask.
//
// Target, when nil, is X itself. Mask, when non-nil, has one entry per
// element of the target: 1 where the target is observed, 0 where it is
// missing (masked losses ignore missing entries).
type Dataset struct {
	N, D   int
	X      []float32
	Target []float32
	Mask   []float32
	// Shape is the shape of one sample when samples are arrays of rank
	// two or more, channel-major: [C, H, W] for images (a file of N×H×W
	// images gives [1, H, W]). Its product is D. Nil for flat rows.
	Shape []int
	// Units says how the reader mapped stored values to X (see the
	// package doc); "" means AsStored.
	Units Units
	// Source names where the data came from, for error messages.
	Source string
	// Users and Items map row and column indices back to the identifiers of
	// a ratings file (nil for other formats).
	Users, Items []string
}

// Row returns sample i of the input.
func (d *Dataset) Row(i int) []float32 { return d.X[i*d.D : (i+1)*d.D] }

// TargetData returns the reconstruction target (X when Target is nil).
func (d *Dataset) TargetData() []float32 {
	if d.Target != nil {
		return d.Target
	}
	return d.X
}

// Validate checks sizes and that every value is finite.
func (d *Dataset) Validate() error {
	if d.N <= 0 || d.D <= 0 {
		return fmt.Errorf("%s: empty dataset (%d rows × %d columns)", d.name(), d.N, d.D)
	}
	if len(d.X) != d.N*d.D {
		return fmt.Errorf("%s: have %d values, want %d rows × %d columns", d.name(), len(d.X), d.N, d.D)
	}
	if d.Target != nil && len(d.Target) != len(d.X) {
		return fmt.Errorf("%s: target has %d values, want %d", d.name(), len(d.Target), len(d.X))
	}
	if d.Mask != nil && len(d.Mask) != len(d.X) {
		return fmt.Errorf("%s: mask has %d values, want %d", d.name(), len(d.Mask), len(d.X))
	}
	if d.Shape != nil {
		p := 1
		for _, s := range d.Shape {
			p *= s
		}
		if p != d.D {
			return fmt.Errorf("%s: sample shape %v holds %d values, rows have %d", d.name(), d.Shape, p, d.D)
		}
	}
	for _, s := range [][]float32{d.X, d.Target} {
		for i, v := range s {
			if v-v != 0 { // NaN or ±Inf: finite values give exactly 0
				return fmt.Errorf("%s: row %d column %d is %v", d.name(), i/d.D+1, i%d.D+1, v)
			}
		}
	}
	return nil
}

// Range returns the smallest and largest input value, over the observed
// entries only when d has a mask (ok is false when there are none).
func (d *Dataset) Range() (lo, hi float32, ok bool) {
	for i, v := range d.X {
		if d.Mask != nil && d.Mask[i] == 0 {
			continue
		}
		if !ok {
			lo, hi, ok = v, v, true
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi, ok
}

func (d *Dataset) name() string {
	if d.Source == "" {
		return "dataset"
	}
	return d.Source
}

// Subset returns a copy of the given rows.
func (d *Dataset) Subset(rows []int) *Dataset {
	out := &Dataset{N: len(rows), D: d.D, Shape: d.Shape, Units: d.Units, Source: d.Source, Items: d.Items}
	out.X = make([]float32, 0, len(rows)*d.D)
	for _, r := range rows {
		out.X = append(out.X, d.Row(r)...)
	}
	if d.Target != nil {
		out.Target = make([]float32, 0, len(out.X))
		for _, r := range rows {
			out.Target = append(out.Target, d.Target[r*d.D:(r+1)*d.D]...)
		}
	}
	if d.Mask != nil {
		out.Mask = make([]float32, 0, len(out.X))
		for _, r := range rows {
			out.Mask = append(out.Mask, d.Mask[r*d.D:(r+1)*d.D]...)
		}
	}
	if d.Users != nil {
		for _, r := range rows {
			out.Users = append(out.Users, d.Users[r])
		}
	}
	return out
}

// SplitRows shuffles the row indices with seed and returns (train, val)
// where val holds round(frac·N) rows (at least one when frac > 0 and N > 1).
func SplitRows(d *Dataset, frac float64, seed uint64) (train, val *Dataset, err error) {
	if frac <= 0 || frac >= 1 {
		return nil, nil, fmt.Errorf("validation split must be in (0,1), got %g", frac)
	}
	nv := int(math.Round(frac * float64(d.N)))
	nv = max(nv, 1)
	if nv >= d.N {
		return nil, nil, fmt.Errorf("%s: validation split %g leaves no training rows out of %d", d.name(), frac, d.N)
	}
	perm := rand.New(rand.NewPCG(seed, 0x5eed5)).Perm(d.N)
	return d.Subset(perm[nv:]), d.Subset(perm[:nv]), nil
}

// SplitRatings holds out frac of each row's observed entries for validation.
// Both returned datasets keep every row: train has the held-out entries
// removed from X and its mask; val has the training ratings as input X and
// the held-out ratings as Target and Mask. Rows with a single rating keep it
// for training.
func SplitRatings(d *Dataset, frac float64, seed uint64) (train, val *Dataset, err error) {
	if frac <= 0 || frac >= 1 {
		return nil, nil, fmt.Errorf("validation split must be in (0,1), got %g", frac)
	}
	if d.Mask == nil {
		return nil, nil, fmt.Errorf("%s: ratings split needs an observation mask", d.name())
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed7))
	train = &Dataset{N: d.N, D: d.D, Shape: d.Shape, Units: d.Units, Source: d.Source, Users: d.Users, Items: d.Items,
		X: append([]float32(nil), d.X...), Mask: append([]float32(nil), d.Mask...)}
	val = &Dataset{N: d.N, D: d.D, Shape: d.Shape, Units: d.Units, Source: d.Source, Users: d.Users, Items: d.Items,
		X: train.X, Target: make([]float32, len(d.X)), Mask: make([]float32, len(d.X))}
	held := 0
	var obs []int
	for r := 0; r < d.N; r++ {
		obs = obs[:0]
		for c := 0; c < d.D; c++ {
			if d.Mask[r*d.D+c] != 0 {
				obs = append(obs, c)
			}
		}
		if len(obs) < 2 {
			continue
		}
		rng.Shuffle(len(obs), func(i, j int) { obs[i], obs[j] = obs[j], obs[i] })
		nv := min(int(math.Round(frac*float64(len(obs)))), len(obs)-1)
		for _, c := range obs[:nv] {
			i := r*d.D + c
			val.Target[i], val.Mask[i] = d.X[i], 1
			train.X[i], train.Mask[i] = 0, 0
			held++
		}
	}
	if held == 0 {
		return nil, nil, fmt.Errorf("%s: validation split %g holds out no ratings", d.name(), frac)
	}
	return train, val, nil
}
