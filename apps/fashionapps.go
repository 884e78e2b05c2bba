package apps

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
)

// ScatterResult reports the 2-D code job.
type ScatterResult struct {
	AEPlot, PCAPlot string
	// AEKNN and PCAKNN are the leave-one-out 5-NN accuracies of the class
	// labels in each 2-D space (chance: 0.1).
	AEKNN, PCAKNN float64
	Points        int
}

// Scatter trains a deep autoencoder with a 2-number code (784-256-64-2) on
// train, encodes up to points test images with it and with PCA-2, and
// writes scatter-ae.png and scatter-pca.png into dir.
func Scatter(ctx context.Context, dir string, train, test *Labelled, points int, o TrainOptions) (*ScatterResult, error) {
	spec := models.NewDeep(train.D, []int{256, 64}, 2)
	_, paths, err := TrainRun(ctx, dir, "Fashion-MNIST", spec, train.Dataset, o)
	if err != nil {
		return nil, err
	}
	n := min(points, test.N)
	x := test.X[:n*test.D]
	z, err := RunOutput(ctx, paths.Encoder, "native", "code", x, n)
	if err != nil {
		return nil, err
	}
	pca, err := FitPCA(ctx, train.X, train.N, train.D, 2)
	if err != nil {
		return nil, err
	}
	zp, err := pca.Transform(x, n)
	if err != nil {
		return nil, err
	}
	r := &ScatterResult{Points: n, AEPlot: filepath.Join(dir, "scatter-ae.png"), PCAPlot: filepath.Join(dir, "scatter-pca.png")}
	labels := test.Labels[:n]
	title := fmt.Sprintf("%d Fashion-MNIST test images: codes of the %s", n, ModelTitle(spec))
	if err := ScatterPlot(r.AEPlot, title, "code 1", "code 2", z, labels, FashionClasses); err != nil {
		return nil, err
	}
	title = fmt.Sprintf("%d Fashion-MNIST test images: PCA-2 (fitted on the training images)", n)
	if err := ScatterPlot(r.PCAPlot, title, "principal component 1", "principal component 2", zp, labels, FashionClasses); err != nil {
		return nil, err
	}
	if r.AEKNN, err = KNNAccuracy(z, labels, 2, 5); err != nil {
		return nil, err
	}
	if r.PCAKNN, err = KNNAccuracy(zp, labels, 2, 5); err != nil {
		return nil, err
	}
	return r, nil
}

// DenoiseResult reports the denoising job (PSNR in dB against the clean
// test images, peak 1).
type DenoiseResult struct {
	Sigma                   float64
	NoisyPSNR, DenoisedPSNR float64
	PCAPSNR                 float64 // PCA-Code projection of the noisy images
	NoisyMSE, DenoisedMSE   float64
	Grid                    string
}

// Denoise trains a denoising autoencoder (784-512-128-code, Gaussian input
// noise sigma) on train, corrupts the test images with the same noise
// (fixed seed) and reports PSNR of noisy and denoised images against the
// clean ones, with PCA's projection of the noisy images for comparison; it
// writes denoise.png (rows: noisy, denoised, clean).
func Denoise(ctx context.Context, dir string, train, test *Labelled, code int, sigma float64, o TrainOptions) (*DenoiseResult, error) {
	spec := models.NewDenoising(train.D, code, models.Noise{Type: models.GaussianNoise, Sigma: sigma})
	spec.Hidden = []int{512, 128}
	spec.Activation, spec.CodeActivation, spec.Init = models.Relu, models.Identity, models.He
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	_, paths, err := TrainRun(ctx, dir, fmt.Sprintf("Fashion-MNIST with noise sigma %g", sigma), spec, train.Dataset, o)
	if err != nil {
		return nil, err
	}
	noisy := AddGaussianNoise(test.X, sigma, o.Seed+1000)
	den, err := ReconstructONNX(ctx, paths.Model, "native", noisy, test.N)
	if err != nil {
		return nil, err
	}
	pca, err := FitPCA(ctx, train.X, train.N, train.D, code)
	if err != nil {
		return nil, err
	}
	pden, err := pca.Reconstruct(noisy, test.N)
	if err != nil {
		return nil, err
	}
	r := &DenoiseResult{Sigma: sigma, Grid: filepath.Join(dir, "denoise.png")}
	if r.NoisyPSNR, err = PSNR(noisy, test.X, 1); err != nil {
		return nil, err
	}
	if r.DenoisedPSNR, err = PSNR(den, test.X, 1); err != nil {
		return nil, err
	}
	if r.PCAPSNR, err = PSNR(pden, test.X, 1); err != nil {
		return nil, err
	}
	r.NoisyMSE, _ = MSE(noisy, test.X)
	r.DenoisedMSE, _ = MSE(den, test.X)
	pick := firstOfEachClass(test.Labels, 12)
	var a, b, c []float32
	for _, i := range pick {
		a = append(a, noisy[i*test.D:(i+1)*test.D]...)
		b = append(b, den[i*test.D:(i+1)*test.D]...)
		c = append(c, test.Row(i)...)
	}
	return r, ImageGrid(r.Grid, fmt.Sprintf("%s on Fashion-MNIST test images, noise sigma %g", ModelTitle(spec), sigma),
		[]string{"noisy", "denoised", "clean"}, [][]float32{a, b, c}, 28, 28, 2)
}

// AnomalyResult reports an anomaly-detection job.
type AnomalyResult struct {
	Normal           string
	TrainRows        int
	TestNormal, Test int
	AUC, PCAAUC      float64
	ROCPlot          string
	Model            string
}

// FashionAnomaly trains a deep autoencoder on the training images of one
// class (normal), scores every test image by its reconstruction MSE and
// reports the ROC-AUC of telling the other classes apart, next to PCA's
// reconstruction error with the same code size; writes roc.png.
func FashionAnomaly(ctx context.Context, dir string, train, test *Labelled, normal, code int, o TrainOptions) (*AnomalyResult, error) {
	if normal < 0 || normal >= len(FashionClasses) {
		return nil, fmt.Errorf("anomaly: normal class %d is not in 0..9", normal)
	}
	tr := train.Select(func(y int) bool { return y == normal })
	spec := models.NewDeep(train.D, []int{256, 64}, code)
	_, paths, err := TrainRun(ctx, dir, fmt.Sprintf("Fashion-MNIST, %s only", FashionClasses[normal]), spec, tr.Dataset, o)
	if err != nil {
		return nil, err
	}
	pos := make([]bool, test.N)
	r := &AnomalyResult{Normal: FashionClasses[normal], TrainRows: tr.N, Test: test.N, Model: paths.Model}
	for i, y := range test.Labels {
		pos[i] = y != normal
		if !pos[i] {
			r.TestNormal++
		}
	}
	return r, scoreBoth(ctx, r, dir, paths.Model, test.X, tr.X, tr.N, test.X, test.N, code, pos)
}

// scoreBoth fills AUC (the model's reconstruction MSE of the raw rows
// modelX), PCAAUC (PCA with code components fitted on trainX, scoring x)
// and the ROC plot.
func scoreBoth(ctx context.Context, r *AnomalyResult, dir, model string, modelX, trainX []float32, trainN int, x []float32, n, code int, pos []bool) error {
	rec, err := ReconstructONNX(ctx, model, "native", modelX, n)
	if err != nil {
		return err
	}
	s, err := RowMSE(rec, modelX, n)
	if err != nil {
		return err
	}
	d := len(x) / n
	pca, err := FitPCA(ctx, trainX, trainN, d, min(code, d, trainN-1))
	if err != nil {
		return err
	}
	prec, err := pca.Reconstruct(x, n)
	if err != nil {
		return err
	}
	ps, err := RowMSE(prec, x, n)
	if err != nil {
		return err
	}
	if r.AUC, err = ROCAUC(s, pos); err != nil {
		return err
	}
	if r.PCAAUC, err = ROCAUC(ps, pos); err != nil {
		return err
	}
	c1, _ := ROCCurve(s, pos)
	c2, _ := ROCCurve(ps, pos)
	r.ROCPlot = filepath.Join(dir, "roc.png")
	return ROCPlot(r.ROCPlot, "anomaly detection: normal = "+r.Normal, []string{"autoencoder", fmt.Sprintf("PCA-%d", pca.K)},
		[][]ROCPoint{c1, c2}, []float64{r.AUC, r.PCAAUC})
}

// CompressResult reports the compression job for each code precision.
type CompressResult struct {
	Reports []CompressionReport
	PCA     CompressionReport // PCA codes of the same size, float32
}

// Compress encodes the test images with a trained model's encoder.onnx,
// stores the codes as float32 and float16, decodes each with decoder.onnx
// and reports size ratio (against 8-bit pixels) and error.
func Compress(ctx context.Context, encoder, decoder string, train, test *Labelled) (*CompressResult, error) {
	z, err := RunOutput(ctx, encoder, "native", "code", test.X, test.N)
	if err != nil {
		return nil, err
	}
	k := len(z) / test.N
	out := &CompressResult{}
	for _, dt := range []ops.DType{ops.Float32, ops.Float16} {
		c, err := Quantize(z, test.N, k, dt)
		if err != nil {
			return nil, err
		}
		dec, err := RunOutput(ctx, decoder, "native", "reconstruction", c.Float32(), test.N)
		if err != nil {
			return nil, err
		}
		rep, err := CompareCompression(test.X, 1, z, c, dec)
		if err != nil {
			return nil, err
		}
		out.Reports = append(out.Reports, rep)
	}
	pca, err := FitPCA(ctx, train.X, train.N, train.D, k)
	if err != nil {
		return nil, err
	}
	zp, _ := pca.Transform(test.X, test.N)
	cp, _ := Quantize(zp, test.N, k, ops.Float32)
	dp, _ := pca.Inverse(zp, test.N)
	if out.PCA, err = CompareCompression(test.X, 1, zp, cp, dp); err != nil {
		return nil, err
	}
	out.PCA.DType = fmt.Sprintf("PCA-%d float32", k)
	return out, nil
}
