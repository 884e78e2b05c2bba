package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/latent-ml/latent/runtime/graph"
)

// The committed example must be exactly what the generator writes, so the
// README's model and its golden outputs can always be regenerated.
func TestCommittedExampleIsUpToDate(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", "testdata", "models", "dense-ae")
	for _, f := range []string{"model.onnx", "test_data_set_0/input_0.pb", "test_data_set_0/output_0.pb", "test_data_set_0/output_1.pb"} {
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(committed, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output: run `go run ./tools/mkexample`", f)
		}
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
	if code[0] != 3.5 || code[1] != -1 {
		t.Fatalf("code = %v, want [3.5 -1]", code)
	}
	if math.Abs(recon[0]-1/(1+math.Exp(-3.5))) > 1e-15 || math.Abs(recon[1]-1/(1+math.Exp(1))) > 1e-15 {
		t.Fatalf("reconstruction = %v", recon)
	}
}

func TestModelDeclaresSymbolicBatch(t *testing.T) {
	m := buildModel(layers())
	data, err := graph.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := graph.Decode(data, "")
	if err != nil {
		t.Fatal(err)
	}
	in := back.Graph.Inputs[0]
	if in.Name != "input" || in.Shape.String() != "[batch,16]" {
		t.Fatalf("input %s %v", in.Name, in.Shape)
	}
	if len(back.Graph.Outputs) != 2 || back.Graph.Outputs[0].Name != "reconstruction" || back.Graph.Outputs[1].Name != "code" {
		t.Fatalf("outputs %+v", back.Graph.Outputs)
	}
}
