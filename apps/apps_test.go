package apps

import (
	"context"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
)

func TestImageGridPixels(t *testing.T) {
	p := filepath.Join(t.TempDir(), "g.png")
	// Two rows of two 2×2 images; scale 2, 1-pixel gaps.
	rows := [][]float32{{0, 1, 0.5, 2, 1, 1, 1, 1}, {0, 0, 0, 0, -1, 0, 0, float32(math.NaN())}}
	if err := ImageGrid(p, rows, 2, 2, 2); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(p)
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// width = 2 images × (2·2+1) + 1 = 11; height likewise 11.
	if b := img.Bounds(); b.Dx() != 11 || b.Dy() != 11 {
		t.Fatalf("bounds %v", b)
	}
	grey := func(x, y int) uint32 { r, _, _, _ := img.At(x, y).RGBA(); return r >> 8 }
	// Image 0 pixel (row 0, col 1) = 1 → white at x = 1+2..1+3, y = 1..2.
	if grey(3, 1) != 255 || grey(1, 1) != 0 || grey(0, 0) != 128 {
		t.Fatalf("pixels %d %d %d", grey(3, 1), grey(1, 1), grey(0, 0))
	}
	// 0.5 → 128; 2 clamps to 255.
	if grey(1, 3) != 128 || grey(3, 4) != 255 {
		t.Fatalf("pixels %d %d", grey(1, 3), grey(3, 4))
	}
	if err := ImageGrid(p, [][]float32{{0, 1}}, 2, 2, 1); err == nil {
		t.Fatal("short row accepted")
	}
}

func TestPlotsWritePNG(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(
		`{"epoch":1,"loss":0.5,"val_loss":0.6}`+"\n"+`{"epoch":2,"loss":0.3}`+"\n"+`{"epoch":2,"loss":0.25,"val_loss":0.4}`+"\n"), 0o644)
	hist, err := ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil || len(hist) != 2 || hist[1].Loss != 0.25 {
		t.Fatalf("metrics = %+v, %v (a repeated epoch must replace the earlier line)", hist, err)
	}
	out, err := LossPlotFromMetrics(dir, "t")
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, out)
	sp := filepath.Join(dir, "s.png")
	if err := ScatterPlot(sp, "s", []float32{0, 0, 1, 1, 2, 0}, []int{0, 1, 1}, FashionClasses); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, sp)
	if err := ScatterPlot(sp, "s", []float32{0, 0, 1}, []int{0, 1}, nil); err == nil {
		t.Fatal("odd coordinates accepted")
	}
	c, _ := ROCCurve([]float64{1, 2, 3}, []bool{false, true, true})
	rp := filepath.Join(dir, "r.png")
	if err := ROCPlot(rp, "r", []string{"a"}, [][]ROCPoint{c}, []float64{1}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, rp)
	if err := LossPlot(filepath.Join(dir, "x.png"), "t", nil); err == nil {
		t.Fatal("empty history accepted")
	}
	nan := math.NaN()
	if err := LossPlot(filepath.Join(dir, "x.png"), "t", []EpochLoss{{Epoch: 1, Loss: nan}}); err == nil {
		t.Fatal("NaN loss accepted")
	}
}

func checkPNG(t *testing.T, p string) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Fatalf("%s: tiny image %v", p, b)
	}
}

func TestKNNAccuracy(t *testing.T) {
	// Two tight clusters far apart: 3-NN is always right. Labels
	// alternating on a line: every point's neighbours are of the other
	// label (k=2 → tie broken to label 0).
	x := []float32{0, 0, 0.1, 0, 0, 0.1, 10, 10, 10.1, 10, 10, 10.1}
	acc, err := KNNAccuracy(x, []int{0, 0, 0, 1, 1, 1}, 2, 2)
	if err != nil || acc != 1 {
		t.Fatalf("clusters: %v, %v", acc, err)
	}
	line := []float32{0, 1, 2, 3, 4}
	acc, _ = KNNAccuracy(line, []int{0, 1, 0, 1, 0}, 1, 1)
	if acc != 0 {
		t.Fatalf("alternating 1-NN accuracy %v, want 0", acc)
	}
	if _, err := KNNAccuracy(line, []int{0, 1}, 1, 1); err == nil {
		t.Fatal("mismatched sizes accepted")
	}
}

func TestQuantizeAndCompression(t *testing.T) {
	z := []float32{1, -2.5, 0.1, 65504, 1e-8, 3}
	c16, err := Quantize(z, 2, 3, ops.Float16)
	if err != nil {
		t.Fatal(err)
	}
	if c16.Bytes() != 12 {
		t.Fatalf("float16 bytes %d", c16.Bytes())
	}
	w := c16.Float32()
	for i, v := range z {
		// float16: relative error <= 2^-11 for normal values; tiny values flush toward 0.
		if d := math.Abs(float64(w[i] - v)); d > math.Abs(float64(v))/2048+6e-8 {
			t.Fatalf("code %d: %v -> %v", i, v, w[i])
		}
	}
	c32, _ := Quantize(z, 2, 3, ops.Float32)
	if c32.Bytes() != 24 || c32.Float32()[1] != -2.5 {
		t.Fatalf("float32 codes %v", c32)
	}
	if _, err := Quantize(z, 2, 3, ops.Int8); err == nil {
		t.Fatal("int8 codes accepted")
	}
	x := []float32{0, 1, 0.5, 0.5}
	dec := []float32{0, 0.5, 0.5, 0.5}
	r, err := CompareCompression(x, 1, z[:2], &Codes{N: 1, K: 2, DType: ops.Float32, F32: []float32{1, -2}}, dec)
	if err != nil {
		t.Fatal(err)
	}
	// 4 raw bytes / 8 code bytes; MSE 0.25/4; code error 0.5.
	if r.Ratio != 0.5 || r.MSE != 0.0625 || r.CodeMaxAbs != 0.5 || math.Abs(r.PSNR-10*math.Log10(16)) > 1e-9 {
		t.Fatalf("report %+v", r)
	}
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
	if m, sd := s/n, math.Sqrt(s2/n); math.Abs(m) > 0.005 || math.Abs(sd-0.3) > 0.005 {
		t.Fatalf("noise mean %v sd %v, want 0 and 0.3", m, sd)
	}
	if z := AddGaussianNoise(x[:5], 0.3, 7); z[0] != y[0] || z[4] != y[4] {
		t.Fatal("noise is not a function of the seed")
	}
}

func TestLoadLabelledCSV(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.csv")
	os.WriteFile(p, []byte("3,2,no,yes\n1.5,2,0\n3,4,1\n\n5,6,1\n"), 0o644)
	x, y, d, err := LoadLabelledCSV(p)
	if err != nil || d != 2 || len(y) != 3 || y[1] != 1 || x[4] != 5 {
		t.Fatalf("x %v y %v d %d err %v", x, y, d, err)
	}
	os.WriteFile(p, []byte("1,2,0\n1,x,1\n"), 0o644)
	if _, _, _, err := LoadLabelledCSV(p); err == nil || !strings.Contains(err.Error(), ":2") {
		t.Fatalf("non-numeric row: %v", err)
	}
	os.WriteFile(p, []byte("1,2,0.5\n"), 0o644)
	if _, _, _, err := LoadLabelledCSV(p); err == nil {
		t.Fatal("fractional label accepted")
	}
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
	if err != nil {
		t.Fatal(err)
	}
	if r.AUC < 0.9 || r.PCAAUC < 0.9 {
		t.Fatalf("AUC autoencoder %v, PCA %v; want > 0.9 on separable data", r.AUC, r.PCAAUC)
	}
	if r.TrainRows != 144 || r.Test != 48+60 || r.TestNormal != 48 {
		t.Fatalf("split %+v (240 normal: 144 train, 48 val, 48 test; 60 anomalies)", r)
	}
	for _, f := range []string{"normal-train.csv", "normal-val.csv", "test.csv", "test-labels.csv", "roc.png", "loss.png", "model.onnx"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := TabularAnomaly(context.Background(), dir, x, labels, d, 7, 2, TrainOptions{Epochs: 1}); err == nil {
		t.Fatal("absent normal label accepted")
	}
}
