package data

import (
	"fmt"
	"math"
)

// Units says how a reader mapped a file's stored values to Dataset values
// (see the package doc for the rule).
type Units string

// The units readers produce.
const (
	// AsStored: values as the file stores them.
	AsStored Units = "as-stored"
	// BytesOver255: unsigned bytes divided by 255, intensities in [0, 1].
	BytesOver255 Units = "uint8/255"
)

func (u Units) orAsStored() Units {
	if u == "" {
		return AsStored
	}
	return u
}

func (u Units) check() error {
	switch u {
	case "", AsStored, BytesOver255:
		return nil
	}
	return fmt.Errorf("units %q unknown (want %s or %s)", u, AsStored, BytesOver255)
}

// ParseUnits checks a units name as recorded in model metadata.
func ParseUnits(s string) (Units, error) {
	u := Units(s)
	if err := u.check(); err != nil {
		return "", err
	}
	return u.orAsStored(), nil
}

// ScaleError reports samples on another scale than the data a model was
// trained on (see Scaler.CheckScale).
type ScaleError struct {
	Source string
	// Units, Min and Max describe the samples checked.
	Units    Units
	Min, Max float32
	// Outside of Rows samples hold a value beyond the tolerated band
	// (0 when the units alone disagree).
	Outside, Rows int
	// TrainUnits and TrainRange describe the training data.
	TrainUnits Units
	TrainRange [2]float32
}

func (e *ScaleError) Error() string {
	tr := fmt.Sprintf("[%g, %g]", e.TrainRange[0], e.TrainRange[1])
	if e.TrainUnits == BytesOver255 {
		tr += " (uint8 pixels divided by 255)"
	}
	if e.Outside == 0 {
		return fmt.Sprintf("%s: the file's uint8 values are read as intensities in [0, 1] (divided by 255), "+
			"but the model was trained on values in %s as stored: convert the file to the training data's units, or retrain on data read like this file",
			e.Source, tr)
	}
	msg := fmt.Sprintf("%s: %d of %d samples have values far outside the model's training range %s (these span [%g, %g]): the data is on another scale",
		e.Source, e.Outside, e.Rows, tr, e.Min, e.Max)
	if e.TrainUnits == BytesOver255 && e.Max > 1 {
		return msg + "; the model takes pixel intensities in [0, 1]: divide 0–255 values by 255, or give the pixels as uint8 (IDX, NPY or TensorProto), which latent reads that way"
	}
	return msg + "; rescale it to the units of the training data"
}

// farWidths is how many widths of the training range beyond it a value
// must lie to count as off scale: anomalies sit a few widths out, values
// on a wrong scale (0–255 pixels for a [0, 1] model) hundreds.
const farWidths = 10

// CheckScale reports, with a *ScaleError, whether samples x (rows of d
// values, in raw units as a reader returned them, read with units) are
// plainly on another scale than the data s was fitted on:
//
//   - more than half of the samples have over 5% of their values (at
//     least one) more than ten widths of the training range [min, max]
//     away from it: raw 0–255 pixels against a model trained on [0, 1]
//     intensities, every image;
//   - or the samples are uint8 bytes read as [0, 1] intensities but the
//     model was trained on values beyond [0, 1] as stored (0–255 CSV
//     pixels), which the range alone cannot tell.
//
// Anomalies, even a majority of them, lie a few widths out and pass:
// scoring them is the point. A scale error of less than about ten times
// passes too; the check is for data on a plainly different scale, over
// all features at once. It returns nil when s records no range (models
// from before latent recorded it).
func (s *Scaler) CheckScale(name string, x []float32, d int, units Units) error {
	if len(s.Range) != 2 || d <= 0 || len(x) < d {
		return nil
	}
	lo, hi := s.Range[0], s.Range[1]
	e := &ScaleError{Source: name, Units: units.orAsStored(), TrainUnits: s.Units.orAsStored(), TrainRange: [2]float32{lo, hi}, Rows: len(x) / d}
	e.Min, e.Max = x[0], x[0]
	w := float64(hi) - float64(lo)
	w = farWidths * max(w, 1e-3*max(math.Abs(float64(lo)), math.Abs(float64(hi))), 1e-6)
	blo, bhi := float64(lo)-w, float64(hi)+w
	for r := 0; r < e.Rows; r++ {
		out := 0
		for _, v := range x[r*d : (r+1)*d] {
			e.Min, e.Max = min(e.Min, v), max(e.Max, v)
			if f := float64(v); f < blo || f > bhi {
				out++
			}
		}
		if out > 0 && 20*out > d {
			e.Outside++
		}
	}
	if 2*e.Outside > e.Rows {
		return e
	}
	if e.Units == BytesOver255 && e.TrainUnits != BytesOver255 && (hi > 1.5 || lo < -0.5) {
		e.Outside = 0
		return e
	}
	return nil
}

// BytesToUnit applies the package's scaling rule to unsigned bytes:
// dst[i] = src[i] / 255 (Units BytesOver255). Readers of formats outside
// this package (data/tensorpb) and the server's UINT8 inputs use it.
func BytesToUnit(dst []float32, src []uint8) {
	for i, b := range src[:len(dst)] {
		dst[i] = float32(b) / 255
	}
}
