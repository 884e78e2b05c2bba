package export_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer"
)

// Train a small undercomplete autoencoder, export it and read the
// metadata back.
func ExampleWrite() {
	ds := &data.Dataset{N: 64, D: 4, X: make([]float32, 64*4), Source: "example"}
	for i := range ds.X {
		ds.X[i] = float32((i*7)%11) / 10
	}
	m, res, err := trainer.Train(context.Background(), models.NewUndercomplete(4, 2), ds,
		trainer.Config{Epochs: 2, BatchSize: 16, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "export-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sum := export.SummaryOf(res, ds.N, ds.D)
	p, err := export.Write(context.Background(), dir, m, export.Options{Training: &sum})
	if err != nil {
		log.Fatal(err)
	}
	for _, path := range []string{p.Model, p.Encoder, p.Decoder} {
		gm, err := graph.DecodeFile(path)
		if err != nil {
			log.Fatal(err)
		}
		md, err := metadata.Read(gm)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s → %s, opset %d, kind %s, scaling %s, %d epochs\n", filepath.Base(path),
			gm.Graph.Inputs[0].Name, gm.Graph.Outputs[0].Name, gm.Opset(), md.Spec.Kind, md.Scaler.Kind, md.Training.Epochs)
	}
	// Output:
	// model.onnx: input → reconstruction, opset 17, kind undercomplete, scaling minmax, 2 epochs
	// encoder.onnx: input → code, opset 17, kind undercomplete, scaling minmax, 2 epochs
	// decoder.onnx: code → reconstruction, opset 17, kind undercomplete, scaling minmax, 2 epochs
}
