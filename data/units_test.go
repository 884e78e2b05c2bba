package data

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFitRecordsUnitsAndRange(t *testing.T) {
	d := &Dataset{N: 2, D: 2, X: []float32{0.5, -1, 3, 0.25}, Units: BytesOver255}
	for _, kind := range []ScalingKind{NoScaling, MinMax, Standard} {
		s, err := Fit(kind, d)
		require.NoError(t, err, kind)
		assert.Equal(t, BytesOver255, s.Units, kind)
		assert.Equal(t, []float32{-1, 3}, s.Range, kind)
		assert.NoError(t, s.Check(2), kind)
	}
	// Masked data: only observed entries count (0 means missing).
	r := &Dataset{N: 1, D: 3, X: []float32{0, 2, 5}, Mask: []float32{0, 1, 1}}
	s, err := Fit(NoScaling, r)
	require.NoError(t, err)
	assert.Equal(t, AsStored, s.Units)
	assert.Equal(t, []float32{2, 5}, s.Range)

	c := s.Clone()
	c.Range[0] = 9
	assert.Equal(t, float32(2), s.Range[0], "Clone shares the range")
	assert.ErrorContains(t, (&Scaler{Range: []float32{3, 1}}).Check(1), "scaler range [3 1] is not [min, max]")
	assert.ErrorContains(t, (&Scaler{Units: "bytes"}).Check(1), `units "bytes" unknown`)
	u, err := ParseUnits("")
	require.NoError(t, err)
	assert.Equal(t, AsStored, u)
	_, err = ParseUnits("x")
	assert.Error(t, err)
}

func TestCheckScale(t *testing.T) {
	pixels := &Scaler{Kind: NoScaling, Units: BytesOver255, Range: []float32{0, 1}}
	raw := []float32{0, 12, 255, 0, 0, 80} // two rows of three raw pixels
	err := pixels.CheckScale("t10k.csv", raw, 3, AsStored)
	var se *ScaleError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Outside)
	assert.Equal(t, 2, se.Rows)
	assert.EqualError(t, err, "t10k.csv: 2 of 2 samples have values far outside the model's training range [0, 1] "+
		"(uint8 pixels divided by 255) (these span [0, 255]): the data is on another scale; the model takes pixel "+
		"intensities in [0, 1]: divide 0–255 values by 255, or give the pixels as uint8 (IDX, NPY or TensorProto), which latent reads that way")

	// The same pixels divided by 255 pass, as do anomalies a few widths
	// out, even in most samples, and a minority of far outliers.
	assert.NoError(t, pixels.CheckScale("ok", []float32{0, 12.0 / 255, 1, 0, 0, 80.0 / 255}, 3, BytesOver255))
	assert.NoError(t, pixels.CheckScale("ok", []float32{-5, 6, 0.5, 9, 0, 0}, 3, AsStored))
	assert.NoError(t, pixels.CheckScale("ok", []float32{0, 0, 0, 300, 0, 0, 1, 1, 1}, 3, AsStored))
	// Edges: ten widths beyond [0, 1] is tolerated, more is not; a sample
	// counts when over 5% of its values are that far out.
	assert.NoError(t, pixels.CheckScale("edge", []float32{11}, 1, AsStored))
	assert.Error(t, pixels.CheckScale("edge", []float32{11.01}, 1, AsStored))
	assert.Error(t, pixels.CheckScale("edge", []float32{-10.01}, 1, AsStored))
	row := make([]float32, 40) // 2 of 40 values far out: 5%, not over it
	row[0], row[1] = 100, 100
	assert.NoError(t, pixels.CheckScale("edge", row, 40, AsStored))
	row[2] = 100
	assert.Error(t, pixels.CheckScale("edge", row, 40, AsStored))

	// Tabular data: the hint is generic.
	tab := &Scaler{Kind: MinMax, Units: AsStored, Range: []float32{10, 20}}
	assert.ErrorContains(t, tab.CheckScale("x.csv", []float32{1000, 2000}, 1, AsStored),
		"x.csv: 2 of 2 samples have values far outside the model's training range [10, 20] (these span [1000, 2000]): the data is on another scale; rescale it to the units of the training data")
	assert.NoError(t, tab.CheckScale("x.csv", []float32{-80, 110}, 1, AsStored))

	// uint8 files read as [0,1] for a model trained on 0–255 values as
	// stored: inside the range, caught by the units.
	stored := &Scaler{Kind: MinMax, Units: AsStored, Range: []float32{0, 255}}
	err = stored.CheckScale("t10k-images-idx3-ubyte.gz", []float32{0, 0.5, 1}, 3, BytesOver255)
	require.ErrorAs(t, err, &se)
	assert.Zero(t, se.Outside)
	assert.EqualError(t, err, "t10k-images-idx3-ubyte.gz: the file's uint8 values are read as intensities in [0, 1] (divided by 255), "+
		"but the model was trained on values in [0, 255] as stored: convert the file to the training data's units, or retrain on data read like this file")
	// ... but a model trained on [0,1] floats as stored takes them.
	assert.NoError(t, (&Scaler{Units: AsStored, Range: []float32{0, 1}}).CheckScale("x", []float32{0.5}, 1, BytesOver255))

	// No recorded range: nothing to check.
	assert.NoError(t, (&Scaler{Kind: MinMax}).CheckScale("x", []float32{1e9}, 1, AsStored))
	// Constant training data still gets a band (ten thousandths of 3).
	assert.Error(t, (&Scaler{Range: []float32{3, 3}}).CheckScale("x", []float32{4}, 1, AsStored))
	assert.NoError(t, (&Scaler{Range: []float32{3, 3}}).CheckScale("x", []float32{3.02}, 1, AsStored))
}
