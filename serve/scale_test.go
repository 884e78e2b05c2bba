package serve

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/metadata"
)

// pixelModel copies the golden autoencoder (8 features) and records that
// it was trained on uint8 pixels read as [0,1] intensities, as latent
// train and demo do for IDX files.
func pixelModel(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(golden, "model.onnx"))
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "model.onnx")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	require.NoError(t, export.SetMetadata(context.Background(), p, map[string]string{
		metadata.KeyInputUnits: "uint8/255", metadata.KeyInputRange: "[0,1]"}))
	return p
}

// UINT8 inputs of a latent model follow the data package's rule (divided
// by 255), and inputs plainly on another scale are answered with a
// scale_warning, counted and logged, not refused.
func TestInputScale(t *testing.T) {
	_, ts := newTestServer(t, Config{Models: []ModelSpec{{Name: "px", Path: pixelModel(t)}}})
	url := ts.URL + "/v2/models/px"

	var meta struct {
		Parameters map[string]any `json:"parameters"`
	}
	decodeJSON(t, do(t, "GET", url, nil, nil), &meta)
	assert.Equal(t, "uint8/255", meta.Parameters["input_units"])
	assert.Equal(t, []any{0.0, 1.0}, meta.Parameters["input_range"])

	// (ints, not []uint8, which encoding/json would send as base64)
	bytes := []int{0, 51, 102, 153, 204, 255, 12, 240, 255, 0, 3, 100, 200, 50, 25, 77}
	unit := make([]float32, len(bytes))
	raw := make([]float32, len(bytes))
	for i, b := range bytes {
		unit[i], raw[i] = float32(b)/255, float32(b)
	}
	infer := func(datatype string, vals any) inferReply {
		t.Helper()
		r := do(t, "POST", url+"/infer", inferBody("input", []int{2, 8}, datatype, vals), nil)
		require.Equal(t, 200, r.code, "%s", r.body)
		var rep inferReply
		decodeJSON(t, r, &rep)
		return rep
	}
	fromBytes := infer("UINT8", bytes)
	fromUnit := infer("FP32", unit)
	assert.Equal(t, fromUnit.Outputs, fromBytes.Outputs, "UINT8 pixels must run as pixels/255")
	assert.NotContains(t, fromUnit.Parameters, "scale_warning")
	assert.NotContains(t, fromBytes.Parameters, "scale_warning")

	fromRaw := infer("FP32", raw)
	require.Contains(t, fromRaw.Parameters, "scale_warning")
	assert.Contains(t, fromRaw.Parameters["scale_warning"], `input "input": 2 of 2 samples have values far outside the model's training range [0, 1]`)
	assert.Contains(t, fromRaw.Parameters["scale_warning"], "divide 0–255 values by 255")

	r := do(t, "POST", url+"/score?threshold=0.5", inferBody("input", []int{2, 8}, "FP32", raw), nil)
	require.Equal(t, 200, r.code, "%s", r.body)
	var sc struct {
		Parameters map[string]any `json:"parameters"`
	}
	decodeJSON(t, r, &sc)
	assert.Contains(t, sc.Parameters["scale_warning"], "on another scale", "score warns too")
	r = do(t, "POST", url+"/score?threshold=0.5", inferBody("input", []int{2, 8}, "UINT8", bytes), nil)
	require.Equal(t, 200, r.code, "%s", r.body)

	m := do(t, "GET", ts.URL+"/metrics", nil, nil)
	assert.Contains(t, string(m.body), `latent_input_scale_warnings_total{model="px"} 2`)
}

// Models without a recorded range (every model exported before latent
// recorded one, and foreign models) keep the strict datatype check and
// draw no warnings.
func TestInputScaleUnrecorded(t *testing.T) {
	// A model without latent metadata (the goldens now record their
	// training range, so they cannot stand in for one).
	foreign := filepath.Join(t.TempDir(), "model.onnx")
	scaleModel(t, foreign, 1)
	_, ts := newTestServer(t, Config{Models: []ModelSpec{{Name: "ae", Path: foreign}}})
	r := do(t, "POST", ts.URL+"/v2/models/ae/infer", inferBody("input", []int{1, 8}, "FP32", []float32{1e6, 0, 0, 0, 0, 0, 0, 0}), nil)
	require.Equal(t, 200, r.code, "%s", r.body)
	var rep inferReply
	decodeJSON(t, r, &rep)
	assert.NotContains(t, rep.Parameters, "scale_warning")

	_, ts = newTestServer(t, Config{Models: []ModelSpec{{Name: "id", Path: identityModel(t)}}})
	r = do(t, "POST", ts.URL+"/v2/models/id/infer", inferBody("fp32", []int{1, 2}, "UINT8", []int{1, 2}), nil)
	wantError(t, "UINT8 to a foreign FP32 input", r, 400, "expected datatype FP32, got UINT8")
}
