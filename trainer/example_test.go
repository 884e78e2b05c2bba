package trainer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
	"github.com/latent-ml/latent/trainer/nn"
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
	codes, err := m.Encode(ds.X[:3*8], 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("codes for 3 rows:", len(codes))
	// Output:
	// epochs: 20
	// validation loss fell: true
	// codes for 3 rows: 6
}

// Save a model and walk its layers, as the ONNX exporter does: every kind
// is one chain of layers, the code at Network().Code.
func ExampleLoadCheckpoint() {
	spec := models.NewDeep(8, []int{6}, 3)
	spec.Tied = true
	m, err := trainer.NewModel(spec, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "latent-example")
	if err != nil {
		fmt.Println(err)
		return
	}
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
	net := loaded.Network()
	for i, l := range net.Layers {
		part := "encoder"
		if i >= net.Code {
			part = "decoder"
		}
		d := l.(*nn.Dense)
		fmt.Printf("%s %s: %d→%d weights %s transposed=%v\n", part, d.Name, d.In, d.Out, d.W.Name, d.Transposed)
	}
	// Output:
	// encoder enc0: 8→6 weights enc0.W transposed=false
	// encoder enc1: 6→3 weights enc1.W transposed=false
	// decoder dec0: 3→6 weights enc1.W transposed=true
	// decoder dec1: 6→8 weights enc0.W transposed=true
}
