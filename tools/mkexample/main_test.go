package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The committed example must be exactly what the generator writes, so the
// README's model and its golden outputs can always be regenerated.
func TestCommittedExampleIsUpToDate(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, write(dir))
	committed := filepath.Join("..", "..", "testdata", "models", "dense-ae")
	for _, f := range []string{"model.onnx", "test_data_set_0/input_0.pb", "test_data_set_0/output_0.pb", "test_data_set_0/output_1.pb"} {
		got, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		want, err := os.ReadFile(filepath.Join(committed, f))
		require.NoError(t, err)
		assert.Truef(t, bytes.Equal(got, want), "%s differs from the generator's output: run `go run ./tools/mkexample`", f)
	}
}

// The float64 reference must agree with a hand computation on a tiny net.
func TestReferenceByHand(t *testing.T) {
	ls := []layer{
		{in: 2, out: 1, w: []float32{1, -2}, b: []float32{0.5}, act: "Relu"},
		{in: 1, out: 1, w: []float32{3}, b: []float32{-1}, act: ""},
	}
	// The second layer's output is what reference calls "code" (index 1).
	recon, code := reference(append(ls, layer{in: 1, out: 1, w: []float32{1}, b: []float32{0}, act: "Sigmoid"}), []float64{2, 0.5, 0, 1}, 2)
	// Row 0: relu(2 - 1 + 0.5) = 1.5 -> 3*1.5 - 1 = 3.5 -> sigmoid(3.5).
	// Row 1: relu(0 - 2 + 0.5) = 0   -> -1                -> sigmoid(-1).
	require.GreaterOrEqual(t, len(code), 2, "code = %v", code)
	assert.Equal(t, 3.5, code[0], "code = %v, want [3.5 -1]", code)
	assert.Equal(t, -1.0, code[1], "code = %v, want [3.5 -1]", code)
	require.GreaterOrEqual(t, len(recon), 2, "reconstruction = %v", recon)
	assert.InDelta(t, 1/(1+math.Exp(-3.5)), recon[0], 1e-15, "reconstruction = %v", recon)
	assert.InDelta(t, 1/(1+math.Exp(1)), recon[1], 1e-15, "reconstruction = %v", recon)
}

func TestModelDeclaresSymbolicBatch(t *testing.T) {
	m := buildModel(layers())
	data, err := graph.Encode(m)
	require.NoError(t, err)
	back, err := graph.Decode(data, "")
	require.NoError(t, err)
	require.NotEmpty(t, back.Graph.Inputs)
	in := back.Graph.Inputs[0]
	assert.Equal(t, "input", in.Name)
	assert.Equal(t, "[batch,16]", in.Shape.String(), "input %s shape", in.Name)
	require.Len(t, back.Graph.Outputs, 2, "outputs %+v", back.Graph.Outputs)
	assert.Equal(t, "reconstruction", back.Graph.Outputs[0].Name, "outputs %+v", back.Graph.Outputs)
	assert.Equal(t, "code", back.Graph.Outputs[1].Name, "outputs %+v", back.Graph.Outputs)
}
