package apps

import (
	"context"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
)

// ImageGrid writes the labelled grid as a PNG (pngplot's tests check the
// layout pixel by pixel).
func TestImageGridWritesPNG(t *testing.T) {
	p := filepath.Join(t.TempDir(), "g.png")
	rows := [][]float32{make([]float32, 4*784), make([]float32, 4*784)}
	require.NoError(t, ImageGrid(p, "deep autoencoder 784-512-128-32 on Fashion-MNIST", []string{"original", "reconstruction"}, rows, 28, 28, 2))
	checkPNG(t, p)
	assert.Error(t, ImageGrid(p, "t", nil, [][]float32{{0, 1}}, 2, 2, 1), "short row accepted")
}

// Titles name the model, its data and its loss.
func TestPlotTitles(t *testing.T) {
	deep := models.NewDeep(784, []int{512, 128}, 32)
	assert.Equal(t, "deep autoencoder 784-512-128-32", ModelTitle(deep))
	assert.Equal(t, "deep autoencoder 784-512-128-32 on Fashion-MNIST: MSE per epoch", LossTitle(deep, "Fashion-MNIST"))
	conv := models.NewConv([]int{1, 28, 28}, []int{32, 64}, 16)
	assert.Equal(t, "conv autoencoder 1x28x28, filters 32,64, code 16", ModelTitle(conv))
	assert.Equal(t, "binary cross-entropy", LossName(conv))
	vae := models.NewVAE(784, []int{512}, 32)
	assert.Equal(t, "vae 784-512-32", ModelTitle(vae))
	assert.Contains(t, LossName(vae), "+ beta*KL")
	skl := models.NewSparseKL(20, 4, 0.05, 0.1)
	assert.Equal(t, "MSE + sparsity penalty", LossName(skl))
}

func TestPlotsWritePNG(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(
		`{"epoch":1,"loss":0.5,"val_loss":0.6}`+"\n"+`{"epoch":2,"loss":0.3}`+"\n"+`{"epoch":2,"loss":0.25,"val_loss":0.4}`+"\n"), 0o644))
	hist, err := ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
	require.NoError(t, err)
	require.Len(t, hist, 2, "a repeated epoch must replace the earlier line")
	assert.Equal(t, 0.25, hist[1].Loss)
	out, err := LossPlotFromMetrics(dir, "t")
	require.NoError(t, err)
	checkPNG(t, out)
	sp := filepath.Join(dir, "s.png")
	require.NoError(t, ScatterPlot(sp, "s", "x", "y", []float32{0, 0, 1, 1, 2, 0}, []int{0, 1, 1}, FashionClasses))
	checkPNG(t, sp)
	assert.Error(t, ScatterPlot(sp, "s", "x", "y", []float32{0, 0, 1}, []int{0, 1}, nil), "odd coordinates accepted")
	c, err := ROCCurve([]float64{1, 2, 3}, []bool{false, true, true})
	require.NoError(t, err)
	rp := filepath.Join(dir, "r.png")
	require.NoError(t, ROCPlot(rp, "r", []string{"a"}, [][]ROCPoint{c}, []float64{1}))
	checkPNG(t, rp)
	assert.Error(t, LossPlot(filepath.Join(dir, "x.png"), "t", nil), "empty history accepted")
	assert.Error(t, LossPlot(filepath.Join(dir, "x.png"), "t", []EpochLoss{{Epoch: 1, Loss: math.NaN()}}), "NaN loss accepted")
}

func checkPNG(t *testing.T, p string) {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, p)
	assert.GreaterOrEqual(t, img.Bounds().Dx(), 100, "%s: tiny image", p)
	assert.GreaterOrEqual(t, img.Bounds().Dy(), 100, "%s: tiny image", p)
}

func TestKNNAccuracy(t *testing.T) {
	// Two tight clusters far apart: 3-NN is always right. Labels
	// alternating on a line: every point's neighbours are of the other
	// label (k=2 → tie broken to label 0).
	x := []float32{0, 0, 0.1, 0, 0, 0.1, 10, 10, 10.1, 10, 10, 10.1}
	acc, err := KNNAccuracy(x, []int{0, 0, 0, 1, 1, 1}, 2, 2)
	require.NoError(t, err)
	assert.Equal(t, 1.0, acc, "clusters")
	line := []float32{0, 1, 2, 3, 4}
	acc, err = KNNAccuracy(line, []int{0, 1, 0, 1, 0}, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, 0.0, acc, "alternating 1-NN")
	_, err = KNNAccuracy(line, []int{0, 1}, 1, 1)
	assert.Error(t, err, "mismatched sizes accepted")
}

func TestQuantizeAndCompression(t *testing.T) {
	z := []float32{1, -2.5, 0.1, 65504, 1e-8, 3}
	c16, err := Quantize(z, 2, 3, ops.Float16)
	require.NoError(t, err)
	assert.Equal(t, 12, c16.Bytes())
	w := c16.Float32()
	for i, v := range z {
		// float16: relative error <= 2^-11 for normal values; tiny values flush toward 0.
		assert.InDelta(t, v, w[i], math.Abs(float64(v))/2048+6e-8, "code %d", i)
	}
	c32, err := Quantize(z, 2, 3, ops.Float32)
	require.NoError(t, err)
	assert.Equal(t, 24, c32.Bytes())
	assert.Equal(t, float32(-2.5), c32.Float32()[1])
	_, err = Quantize(z, 2, 3, ops.Int8)
	assert.Error(t, err, "int8 codes accepted")
	x := []float32{0, 1, 0.5, 0.5}
	dec := []float32{0, 0.5, 0.5, 0.5}
	r, err := CompareCompression(x, 1, z[:2], &Codes{N: 1, K: 2, DType: ops.Float32, F32: []float32{1, -2}}, dec)
	require.NoError(t, err)
	// 4 raw bytes / 8 code bytes; MSE 0.25/4; code error 0.5.
	assert.Equal(t, 0.5, r.Ratio)
	assert.Equal(t, 0.0625, r.MSE)
	assert.Equal(t, 0.5, r.CodeMaxAbs)
	assert.InDelta(t, 10*math.Log10(16), r.PSNR, 1e-9)
}

func TestAddGaussianNoiseStatistics(t *testing.T) {
	x := make([]float32, 100000)
	y := AddGaussianNoise(x, 0.3, 7)
	var s, s2 float64
	for _, v := range y {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(y))
	assert.InDelta(t, 0, s/n, 0.005, "noise mean")
	assert.InDelta(t, 0.3, math.Sqrt(s2/n), 0.005, "noise sd")
	z := AddGaussianNoise(x[:5], 0.3, 7)
	assert.Equal(t, y[:5], z, "noise is not a function of the seed")
}

func TestLoadLabelledCSV(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.csv")
	require.NoError(t, os.WriteFile(p, []byte("3,2,no,yes\n1.5,2,0\n3,4,1\n\n5,6,1\n"), 0o644))
	x, y, d, err := LoadLabelledCSV(p)
	require.NoError(t, err)
	assert.Equal(t, 2, d)
	assert.Equal(t, []int{0, 1, 1}, y)
	assert.Equal(t, []float32{1.5, 2, 3, 4, 5, 6}, x)
	require.NoError(t, os.WriteFile(p, []byte("1,2,0\n1,x,1\n"), 0o644))
	_, _, _, err = LoadLabelledCSV(p)
	assert.ErrorContains(t, err, "t.csv:2: column 2: non-numeric value")
	require.NoError(t, os.WriteFile(p, []byte("1,2,0.5\n"), 0o644))
	_, _, _, err = LoadLabelledCSV(p)
	assert.ErrorContains(t, err, "label 0.5 is not a non-negative integer")
}

// Normal rows lie near a line in 6-D; anomalies are spread out. The
// autoencoder must separate them (AUC well above chance) and write the
// splits that latent calibrate/score read.
func TestTabularAnomalySeparates(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const d = 6
	var x []float32
	var labels []int
	for i := 0; i < 300; i++ {
		a := rng.NormFloat64()
		anom := i%5 == 0
		for j := 0; j < d; j++ {
			v := a*float64(j+1)/3 + 0.05*rng.NormFloat64()
			if anom {
				v = 2 * rng.NormFloat64()
			}
			x = append(x, float32(v))
		}
		if anom {
			labels = append(labels, 0)
		} else {
			labels = append(labels, 1)
		}
	}
	dir := t.TempDir()
	r, err := TabularAnomaly(context.Background(), dir, x, labels, d, 1, 2, TrainOptions{Epochs: 60, Batch: 16, Seed: 1})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, r.AUC, 0.9, "autoencoder AUC on separable data")
	assert.GreaterOrEqual(t, r.PCAAUC, 0.9, "PCA AUC on separable data")
	// 240 normal: 144 train, 48 val, 48 test; 60 anomalies.
	assert.Equal(t, 144, r.TrainRows)
	assert.Equal(t, 48+60, r.Test)
	assert.Equal(t, 48, r.TestNormal)
	for _, f := range []string{"normal-train.csv", "normal-val.csv", "test.csv", "test-labels.csv", "roc.png", "loss.png", "model.onnx"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	_, err = TabularAnomaly(context.Background(), dir, x, labels, d, 7, 2, TrainOptions{Epochs: 1})
	assert.Error(t, err, "absent normal label accepted")
}
