package apps_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/apps"
	"github.com/latent-ml/latent/ops"
)

// Dimensionality reduction baseline: points on a line in 3-D are captured
// exactly by one principal component.
func ExampleFitPCA() {
	x := []float32{0, 0, 0, 1, 2, 3, 2, 4, 6, 3, 6, 9}
	p, err := apps.FitPCA(context.Background(), x, 4, 3, 1)
	if err != nil {
		panic(err)
	}
	rec, _ := p.Reconstruct(x, 4)
	mse, _ := apps.MSE(rec, x)
	fmt.Printf("explained %.3f of the variance, reconstruction MSE %.3f\n", p.Variance[0]/p.TotalVariance, mse)
	// Output: explained 1.000 of the variance, reconstruction MSE 0.000
}

// Anomaly detection: reconstruction errors as scores, the known anomalies as
// positives.
func ExampleROCAUC() {
	scores := []float64{0.01, 0.02, 0.30, 0.03, 0.25, 0.02}
	anomaly := []bool{false, false, true, false, true, false}
	auc, _ := apps.ROCAUC(scores, anomaly)
	fmt.Printf("ROC-AUC %.2f\n", auc)
	// Output: ROC-AUC 1.00
}

// Denoising: PSNR of a noisy and of a cleaned-up image against the clean one.
func ExamplePSNR() {
	clean := []float32{0, 0.5, 1, 0.5}
	noisy := []float32{0.1, 0.4, 0.9, 0.6}
	denoised := []float32{0.01, 0.49, 0.99, 0.51}
	pn, _ := apps.PSNR(noisy, clean, 1)
	pd, _ := apps.PSNR(denoised, clean, 1)
	fmt.Printf("noisy %.1f dB, denoised %.1f dB\n", pn, pd)
	// Output: noisy 20.0 dB, denoised 40.0 dB
}

// Compression: codes stored as float16 take half the bytes of float32.
func ExampleQuantize() {
	codes := []float32{0.25, -1.5, 3.1416, 0.1}
	c, _ := apps.Quantize(codes, 2, 2, ops.Float16)
	fmt.Println(c.Bytes(), "bytes; decoded", c.Float32())
	// Output: 8 bytes; decoded [0.25 -1.5 3.140625 0.099975586]
}

// Dimensionality reduction: how well classes separate in a 2-D code space.
func ExampleKNNAccuracy() {
	codes := []float32{0, 0, 0.1, 0.1, 0.2, 0, 5, 5, 5.1, 5, 5, 5.2}
	labels := []int{0, 0, 0, 1, 1, 1}
	acc, _ := apps.KNNAccuracy(codes, labels, 2, 2)
	fmt.Printf("5-NN-style accuracy %.2f\n", acc)
	// Output: 5-NN-style accuracy 1.00
}

// Plots: loss curves from a run's metrics.jsonl.
func ExampleLossPlotFromMetrics() {
	dir, _ := os.MkdirTemp("", "latent-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"),
		[]byte(`{"epoch":1,"loss":0.04,"val_loss":0.05}`+"\n"+`{"epoch":2,"loss":0.02,"val_loss":0.03}`+"\n"), 0o644)
	png, err := apps.LossPlotFromMetrics(dir, "loss")
	fmt.Println(filepath.Base(png), err)
	// Output: loss.png <nil>
}
