package trainer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
)

// Train an undercomplete autoencoder and encode data with it.
func ExampleTrain() {
	ds := manifold(256, 8, 1) // 256 rows × 8 features
	spec := models.NewUndercomplete(8, 2)
	cfg := trainer.Config{Epochs: 20, BatchSize: 32, LR: 1e-2, Seed: 1, ValSplit: 0.25}
	m, res, err := trainer.Train(context.Background(), spec, ds, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	first, last := res.History[0], res.History[len(res.History)-1]
	fmt.Println("epochs:", res.Epochs)
	fmt.Println("validation loss fell:", *last.ValLoss < *first.ValLoss/2)
	codes, _ := m.Encode(ds.X[:3*8], 3)
	fmt.Println("codes for 3 rows:", len(codes))
	// Output:
	// epochs: 20
	// validation loss fell: true
	// codes for 3 rows: 6
}

// Save a model and walk its layers, as the ONNX exporter does.
func ExampleLoadCheckpoint() {
	spec := models.NewDeep(8, []int{6}, 3)
	spec.Tied = true
	m, _ := trainer.NewModel(spec, 1)
	dir, _ := os.MkdirTemp("", "latent-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.latent")
	if err := trainer.SaveCheckpoint(path, m, nil); err != nil {
		fmt.Println(err)
		return
	}
	loaded, _, err := trainer.LoadCheckpoint(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, l := range loaded.Encoder() {
		fmt.Printf("encoder %d: W [%d,%d] %s\n", i, l.Out, l.In, l.Activation)
	}
	for i, l := range loaded.Decoder() {
		fmt.Printf("decoder %d: W [%d,%d] %s tied=%v to encoder %d\n", i, l.Out, l.In, l.Activation, l.Tied, l.TiedTo)
	}
	// Output:
	// encoder 0: W [6,8] relu
	// encoder 1: W [3,6] identity
	// decoder 0: W [6,3] relu tied=true to encoder 1
	// decoder 1: W [8,6] sigmoid tied=true to encoder 0
}
