package apps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/trainer"
)

// TrainOptions are the loop settings the application jobs share.
type TrainOptions struct {
	Epochs, Batch int
	LR            float64
	Seed          uint64
	Scaling       data.ScalingKind // default none (pixels are in [0,1])
	Progress      io.Writer
	Live          bool
}

// TrainRun trains spec on ds into dir (model.latent, metrics.jsonl with a
// 5% validation split, loss.png, model/encoder/decoder.onnx) and returns
// the model and the exported paths. dataName says what ds is in the loss
// plot's title ("Fashion-MNIST, Trouser only").
func TrainRun(ctx context.Context, dir, dataName string, spec models.Spec, ds *data.Dataset, o TrainOptions) (*trainer.Model, export.Paths, error) {
	var paths export.Paths
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, paths, fmt.Errorf("train %s: %w", dir, err)
	}
	mf, err := os.Create(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return nil, paths, fmt.Errorf("train %s: %w", dir, err)
	}
	defer mf.Close()
	if o.Scaling == "" {
		o.Scaling = data.NoScaling
	}
	cfg := trainer.Config{Epochs: o.Epochs, BatchSize: o.Batch, LR: o.LR, Seed: o.Seed,
		Scaling: o.Scaling, ValSplit: 0.05, OutDir: dir, Metrics: mf, Progress: o.Progress, Live: o.Live,
		Schedule: trainer.ScheduleConfig{Name: "cosine", MinLR: 1e-5}}
	m, res, err := trainer.Train(ctx, spec, ds, cfg)
	if err != nil {
		return nil, paths, fmt.Errorf("train %s: %w", dir, err)
	}
	if err := mf.Close(); err != nil {
		return nil, paths, fmt.Errorf("train %s: metrics: %w", dir, err)
	}
	if _, err := LossPlotFromMetrics(dir, LossTitle(m.Spec, dataName)); err != nil {
		return nil, paths, err
	}
	sum := export.SummaryOf(res, ds.N, ds.D)
	if paths, err = export.Write(ctx, dir, m, export.Options{Training: &sum}); err != nil {
		return nil, paths, fmt.Errorf("train %s: export: %w", dir, err)
	}
	return m, paths, nil
}

// KNNAccuracy returns the leave-one-out accuracy of a k-nearest-neighbour
// vote (Euclidean, ties to the lowest label) over n points of dimension d:
// how well the labels separate in that space. O(n²·d).
func KNNAccuracy(x []float32, labels []int, d, k int) (float64, error) {
	n := len(labels)
	if d <= 0 || len(x) != n*d || k < 1 || k >= n {
		return 0, fmt.Errorf("knn: %d values for %d points of dimension %d with k=%d", len(x), n, d, k)
	}
	type nb struct {
		dist float64
		y    int
	}
	buf := make([]nb, 0, n)
	correct := 0
	for i := 0; i < n; i++ {
		buf = buf[:0]
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			var s float64
			for c := 0; c < d; c++ {
				e := float64(x[i*d+c] - x[j*d+c])
				s += e * e
			}
			buf = append(buf, nb{s, labels[j]})
		}
		sort.Slice(buf, func(a, b int) bool { return buf[a].dist < buf[b].dist })
		votes := map[int]int{}
		best, bestN := math.MaxInt, 0
		for _, v := range buf[:k] {
			votes[v.y]++
		}
		for y, c := range votes {
			if c > bestN || (c == bestN && y < best) {
				best, bestN = y, c
			}
		}
		if best == labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(n), nil
}

// AddGaussianNoise returns x + N(0, sigma²) per element, drawn from seed.
func AddGaussianNoise(x []float32, sigma float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x401))
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = v + float32(sigma*rng.NormFloat64())
	}
	return out
}

// Codes are encoded samples stored at a chosen precision.
type Codes struct {
	N, K  int
	DType ops.DType // ops.Float32 or ops.Float16
	F32   []float32
	F16   []uint16
}

// Quantize stores n×k float32 codes as dtype (ops.Float32 or ops.Float16;
// float16 rounds to nearest even).
func Quantize(z []float32, n, k int, dtype ops.DType) (*Codes, error) {
	if len(z) != n*k {
		return nil, fmt.Errorf("codes: %d values for %d×%d", len(z), n, k)
	}
	c := &Codes{N: n, K: k, DType: dtype}
	switch dtype {
	case ops.Float32:
		c.F32 = append([]float32(nil), z...)
	case ops.Float16:
		c.F16 = make([]uint16, len(z))
		ops.Float32sToFloat16s(c.F16, z)
	default:
		return nil, fmt.Errorf("codes: dtype %v is not float32 or float16", dtype)
	}
	return c, nil
}

// Bytes is the storage size of the codes.
func (c *Codes) Bytes() int {
	if c.DType == ops.Float16 {
		return 2 * c.N * c.K
	}
	return 4 * c.N * c.K
}

// Float32 returns the codes widened to float32.
func (c *Codes) Float32() []float32 {
	if c.DType == ops.Float16 {
		out := make([]float32, len(c.F16))
		ops.Float16sToFloat32s(out, c.F16)
		return out
	}
	return c.F32
}

// CompressionReport compares a codec's storage with the raw data.
type CompressionReport struct {
	DType      string  `json:"dtype"`
	RawBytes   int     `json:"raw_bytes"`  // N×D bytes at the source precision
	CodeBytes  int     `json:"code_bytes"` // N×K at the code precision
	Ratio      float64 `json:"ratio"`      // RawBytes / CodeBytes
	MSE        float64 `json:"mse"`        // decoded vs original
	PSNR       float64 `json:"psnr"`       // peak 1
	CodeMaxAbs float64 `json:"code_max_abs_error"`
}

// CompareCompression fills a report for original data x (n×d, rawBytesPer bytes per
// value at the source, e.g. 1 for 8-bit pixels), the exact codes z, the
// stored codes c and the reconstruction decoded from them.
func CompareCompression(x []float32, rawBytesPer int, z []float32, c *Codes, decoded []float32) (CompressionReport, error) {
	r := CompressionReport{DType: c.DType.String(), RawBytes: len(x) * rawBytesPer, CodeBytes: c.Bytes()}
	if r.CodeBytes == 0 {
		return r, errors.New("compression: no codes")
	}
	r.Ratio = float64(r.RawBytes) / float64(r.CodeBytes)
	var err error
	if r.MSE, err = MSE(decoded, x); err != nil {
		return r, fmt.Errorf("compression: %w", err)
	}
	if r.PSNR, err = PSNR(decoded, x, 1); err != nil {
		return r, fmt.Errorf("compression: %w", err)
	}
	w := c.Float32()
	if len(w) != len(z) {
		return r, fmt.Errorf("compression: %d stored codes for %d exact ones", len(w), len(z))
	}
	for i, v := range z {
		r.CodeMaxAbs = max(r.CodeMaxAbs, math.Abs(float64(w[i]-v)))
	}
	return r, nil
}
