package metadata

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/runtime/graph"
)

func sample(t *testing.T) Metadata {
	t.Helper()
	spec, err := models.New(models.Deep, 3, []int{4}, 2)
	require.NoError(t, err)
	thr := 0.125
	val := 0.5
	return Metadata{
		Part: PartEncoder,
		Spec: spec,
		Scaler: data.Scaler{Kind: data.MinMax, Offset: []float32{0, -1, 2.5}, Scale: []float32{1, 0.5, 4},
			Units: data.BytesOver255, Range: []float32{0, 0.75}},
		Threshold: &thr,
		Training:  &Summary{Epochs: 3, BestEpoch: 2, FinalLoss: 0.25, FinalReconLoss: 0.2, FinalValLoss: &val, DataShape: []int{10, 3}},
	}
}

func TestEntriesRoundTrip(t *testing.T) {
	md := sample(t)
	ents, err := md.Entries()
	require.NoError(t, err)
	var keys []string
	for _, e := range ents {
		keys = append(keys, e.Key)
	}
	assert.Equal(t, []string{"latent.part", "latent.format_version", "latent.kind", "latent.spec",
		"latent.input_size", "latent.code_size", "latent.loss", "latent.input_scaling",
		"latent.input_scaling_applied", "latent.input_offset", "latent.input_scale",
		"latent.input_units", "latent.input_range", "latent.threshold", "latent.training"}, keys)
	gm := &graph.Model{Metadata: ents}
	for key, want := range map[string]string{
		KeyPart: "encoder", KeyFormatVersion: "1", KeyKind: "deep", KeyInputSize: "3", KeyCodeSize: "2",
		KeyInputScaling: "minmax", KeyScalingApplied: "in-graph",
		KeyInputOffset: "[0,-1,2.5]", KeyInputScale: "[1,0.5,4]", KeyThreshold: "0.125",
		KeyInputUnits: "uint8/255", KeyInputRange: "[0,0.75]",
	} {
		got, ok := gm.MetadataValue(key)
		require.True(t, ok, "key %s missing", key)
		assert.Equal(t, want, got, "key %s", key)
	}
	back, err := Read(gm)
	require.NoError(t, err)
	assert.Equal(t, &md, back)
}

func TestEntriesOptionalKeys(t *testing.T) {
	md := sample(t)
	md.Threshold, md.Training, md.Scaler = nil, nil, data.Scaler{}
	ents, err := md.Entries()
	require.NoError(t, err)
	gm := &graph.Model{Metadata: ents}
	for _, key := range []string{KeyThreshold, KeyTraining, KeyInputUnits, KeyInputRange} {
		_, ok := gm.MetadataValue(key)
		assert.False(t, ok, "%s written without a value", key)
	}
	off, _ := gm.MetadataValue(KeyInputOffset)
	assert.Equal(t, "[]", off)
	back, err := Read(gm)
	require.NoError(t, err)
	assert.Equal(t, data.NoScaling, back.Scaler.Kind)
	assert.Nil(t, back.Threshold)
	assert.Nil(t, back.Training)
	assert.Nil(t, back.Scaler.Range, "no range recorded: nothing to check inputs against")

	md.Part = ""
	_, err = md.Entries()
	assert.ErrorContains(t, err, "no part")
}

// TestReadErrors checks that every malformed or missing key is named.
func TestReadErrors(t *testing.T) {
	for _, c := range []struct {
		key, value string // value "" removes the key
		want       string
	}{
		{KeyFormatVersion, "", "latent.format_version missing"},
		{KeyFormatVersion, "2", `latent.format_version is "2"`},
		{KeyPart, "", "latent.part missing"},
		{KeySpec, "{", "latent.spec"},
		{KeySpec, "", "latent.spec missing"},
		{KeyInputScaling, "", "latent.input_scaling missing"},
		{KeyInputOffset, "[1,2]", "latent.input_offset/latent.input_scale"},
		{KeyInputScale, "nope", "latent.input_scale"},
		{KeyThreshold, "high", "latent.threshold"},
		{KeyTraining, "[]", "latent.training"},
		{KeyInputRange, "[1]", "latent.input_range: scaler range [1] is not [min, max]"},
		{KeyInputRange, "{}", "latent.input_range"},
		{KeyInputUnits, "bytes", `latent.input_units: units "bytes" unknown`},
	} {
		md := sample(t)
		ents, err := md.Entries()
		require.NoError(t, err)
		var kept []graph.MetadataEntry
		for _, e := range ents {
			if e.Key == c.key {
				if c.value == "" {
					continue
				}
				e.Value = c.value
			}
			kept = append(kept, e)
		}
		_, err = Read(&graph.Model{Metadata: kept})
		assert.ErrorContains(t, err, c.want, "%s=%q", c.key, c.value)
	}
}

// TestReadGolden reads a model written by package export.
func TestReadGolden(t *testing.T) {
	gm, err := graph.DecodeFile("../testdata/golden/ae-undercomplete/model.onnx")
	require.NoError(t, err)
	md, err := Read(gm)
	require.NoError(t, err)
	assert.Equal(t, PartModel, md.Part)
	assert.Equal(t, models.Undercomplete, md.Spec.Kind)
	assert.NoError(t, md.Scaler.Check(md.Spec.Input))
	require.NotNil(t, md.Training)
	assert.Positive(t, md.Training.Epochs)
}
