package export_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/trainer"
)

// BenchmarkConvAEInference runs the exported default conv autoencoder
// (model.onnx, 1×28×28, filters 16,32, code 16) on batches of 64
// Fashion-MNIST images on each backend (ort when the library is
// installed) and reports samples/s.
func BenchmarkConvAEInference(b *testing.B) {
	p := "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
	if _, err := os.Stat(p); err != nil {
		b.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", err)
	}
	im, err := data.Load(p, data.Options{Limit: 64})
	if err != nil {
		b.Fatal(err)
	}
	m, err := trainer.NewModel(models.NewConv(im.Shape, nil, 16), 1)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if _, err := export.Write(context.Background(), dir, m, export.Options{}); err != nil {
		b.Fatal(err)
	}
	x := ops.FromFloat32([]int{64, 1, 28, 28}, im.X)
	for _, backend := range []string{runtime.NativeBackendName, "ort"} {
		b.Run(backend, func(b *testing.B) {
			if backend == "ort" {
				if err := ort.Available(); err != nil {
					b.Skipf("ONNX Runtime unavailable: %v", err)
				}
			}
			sess, err := runtime.Open(filepath.Join(dir, export.ModelFile), runtime.WithBackend(backend))
			if err != nil {
				b.Fatal(err)
			}
			defer sess.Close()
			iters := 0
			for b.Loop() {
				iters++
				if _, err := sess.RunOrdered(context.Background(), []*ops.Tensor{x}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(64*float64(iters)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
