package apps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/runtime/verify"
	"github.com/latent-ml/latent/trainer"
)

// FashionOptions configures RunFashion, the main job: train an autoencoder
// on Fashion-MNIST, export it, check native against ONNX Runtime and
// compare its test reconstruction error with PCA of the same code size.
type FashionOptions struct {
	Dir    string      // Fashion-MNIST IDX folder (default FashionDir)
	Out    string      // run folder (model, metrics, plots)
	Kind   models.Kind // deep (default), conv, vae or conv-vae
	Hidden []int       // deep/vae hidden sizes (default 512,128 / 512)
	// Filters are the conv channels (default 32,64).
	Filters []int
	Code    int // code size (default 32)
	Epochs  int // default 10
	Batch   int // default 128
	LR      float64
	// Limit keeps only the first Limit training images (0: all 60 000).
	Limit int
	Seed  uint64
	// Progress receives the trainer's per-epoch lines (nil: none).
	Progress io.Writer
	// Live redraws the progress line in place.
	Live bool
}

// FashionResult is what RunFashion measured.
type FashionResult struct {
	Kind      models.Kind `json:"kind"`
	Spec      models.Spec `json:"spec"`
	TrainRows int         `json:"train_rows"`
	TestRows  int         `json:"test_rows"`
	Epochs    int         `json:"epochs"`
	// TestMSE is the exported model.onnx's reconstruction MSE on the test
	// images (pixels in [0,1]) run on the native backend; PCAMSE that of
	// PCA with Code components fitted on the same training images.
	TestMSE   float64 `json:"test_mse"`
	PCAMSE    float64 `json:"pca_mse"`
	Ratio     float64 `json:"ratio"`
	TrainSecs float64 `json:"train_seconds"`
	// Verify is the native-vs-ORT comparison on 64 test images; VerifySkip
	// says why it did not run (ONNX Runtime not installed).
	Verify     *VerifySummary `json:"verify,omitempty"`
	VerifySkip string         `json:"verify_skip,omitempty"`
	ModelPath  string         `json:"model"`
	LossPlot   string         `json:"loss_plot"`
	ReconPlot  string         `json:"reconstruction_plot"`
}

// VerifySummary condenses a verify.Report.
type VerifySummary struct {
	Pass   bool    `json:"pass"`
	MaxAbs float64 `json:"max_abs"`
	Atol   float64 `json:"atol"`
	Rtol   float64 `json:"rtol"`
}

func (o *FashionOptions) defaults() {
	if o.Dir == "" {
		o.Dir = FashionDir
	}
	if o.Kind == "" {
		o.Kind = models.Deep
	}
	if o.Code == 0 {
		o.Code = 32
	}
	if o.Epochs == 0 {
		o.Epochs = 10
	}
	if o.Batch == 0 {
		o.Batch = 128
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// FashionSpec returns the spec RunFashion trains for kind.
func FashionSpec(kind models.Kind, hidden, filters []int, code int) (models.Spec, error) {
	var s models.Spec
	switch kind {
	case models.Deep:
		if hidden == nil {
			hidden = []int{512, 128}
		}
		s = models.NewDeep(784, hidden, code)
	case models.Conv, models.ConvVAE:
		if filters == nil {
			filters = []int{32, 64}
		}
		s = models.NewConv([]int{1, 28, 28}, filters, code)
		if kind == models.ConvVAE {
			s = models.NewConvVAE([]int{1, 28, 28}, filters, code)
		}
		s.Hidden = hidden
	case models.VAE:
		if hidden == nil {
			hidden = []int{512}
		}
		s = models.NewVAE(784, hidden, code)
	default:
		return s, fmt.Errorf("fashion job: kind %q is not one of deep, conv, vae, conv-vae", kind)
	}
	return s, s.Validate()
}

// RunFashion is the main job. It writes into o.Out: model.latent,
// model.onnx / encoder.onnx / decoder.onnx, metrics.jsonl, loss.png,
// reconstructions.png (rows: test images, the autoencoder's
// reconstructions, PCA's) and result.json.
func RunFashion(ctx context.Context, o FashionOptions) (*FashionResult, error) {
	o.defaults()
	if o.Out == "" {
		return nil, errors.New("fashion job: no output folder")
	}
	spec, err := FashionSpec(o.Kind, o.Hidden, o.Filters, o.Code)
	if err != nil {
		return nil, err
	}
	train, err := LoadFashion(o.Dir, "train", o.Limit)
	if err != nil {
		return nil, err
	}
	test, err := LoadFashion(o.Dir, "t10k", 0)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("fashion job: %w", err)
	}
	mf, err := os.Create(filepath.Join(o.Out, "metrics.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("fashion job: %w", err)
	}
	defer mf.Close()
	cfg := trainer.Config{Epochs: o.Epochs, BatchSize: o.Batch, LR: o.LR, Seed: o.Seed,
		OutDir: o.Out, Metrics: mf, Progress: o.Progress, Live: o.Live,
		ValSplit: 0.05, Schedule: trainer.ScheduleConfig{Name: "cosine", MinLR: 1e-5}}
	if !models.IsConv(spec.Kind) {
		cfg.Scaling = "none" // pixels already in [0,1]: keeps MSE in pixel units
	}
	start := time.Now()
	m, res, err := trainer.Train(ctx, spec, train.Dataset, cfg)
	if err != nil {
		return nil, fmt.Errorf("fashion job: train: %w", err)
	}
	r := &FashionResult{Kind: spec.Kind, Spec: m.Spec, TrainRows: train.N, TestRows: test.N,
		Epochs: res.Epochs, TrainSecs: time.Since(start).Seconds()}
	if err := mf.Close(); err != nil {
		return nil, fmt.Errorf("fashion job: metrics: %w", err)
	}
	if r.LossPlot, err = LossPlotFromMetrics(o.Out, LossTitle(m.Spec, fmt.Sprintf("Fashion-MNIST (%d images)", train.N))); err != nil {
		return nil, err
	}
	sum := export.SummaryOf(res, train.N, train.D)
	paths, err := export.Write(ctx, o.Out, m, export.Options{Training: &sum})
	if err != nil {
		return nil, fmt.Errorf("fashion job: export: %w", err)
	}
	r.ModelPath = paths.Model

	// Test MSE from the exported graph on the native backend; the same
	// session shapes the verification input below.
	sess, err := runtime.Open(paths.Model, runtime.WithBackend("native"))
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	rec, err := runOutput(ctx, sess, paths.Model, "reconstruction", test.X, test.N)
	if err != nil {
		return nil, err
	}
	if r.TestMSE, err = MSE(rec, test.X); err != nil {
		return nil, err
	}
	pca, err := FitPCA(ctx, train.X, train.N, train.D, o.Code)
	if err != nil {
		return nil, err
	}
	prec, err := pca.Reconstruct(test.X, test.N)
	if err != nil {
		return nil, err
	}
	if r.PCAMSE, err = MSE(prec, test.X); err != nil {
		return nil, err
	}
	r.Ratio = r.TestMSE / r.PCAMSE

	// Native vs ONNX Runtime on 64 test images.
	if err := ort.Available(); err != nil {
		r.VerifySkip = "ONNX Runtime not installed (bash tools/install-ort.sh)"
	} else {
		in, err := shapeInput(sess, test.X[:64*test.D], 64)
		if err != nil {
			return nil, err
		}
		rep, err := verify.Compare(ctx, paths.Model, []*ops.Tensor{in}, verify.Options{})
		if err != nil {
			return nil, fmt.Errorf("fashion job: %w", err)
		}
		vs := &VerifySummary{Pass: rep.Pass, Atol: rep.Atol, Rtol: rep.Rtol}
		for _, o := range rep.Outputs {
			vs.MaxAbs = max(vs.MaxAbs, o.MaxAbs)
		}
		r.Verify = vs
	}

	// Reconstruction grid: 12 test images, one of each class first.
	pick := firstOfEachClass(test.Labels, 12)
	var orig, ae, pc []float32
	for _, i := range pick {
		orig = append(orig, test.Row(i)...)
		ae = append(ae, rec[i*test.D:(i+1)*test.D]...)
		pc = append(pc, prec[i*test.D:(i+1)*test.D]...)
	}
	r.ReconPlot = filepath.Join(o.Out, "reconstructions.png")
	title := fmt.Sprintf("%s vs PCA-%d on Fashion-MNIST test images", ModelTitle(m.Spec), o.Code)
	if err := ImageGrid(r.ReconPlot, title, []string{"original", "autoencoder", fmt.Sprintf("PCA-%d", o.Code)},
		[][]float32{orig, ae, pc}, 28, 28, 2); err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(filepath.Join(o.Out, "result.json"), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("fashion job: %w", err)
	}
	return r, nil
}

// firstOfEachClass returns n row indices: the first row of each label in
// label order, then the following rows in order.
func firstOfEachClass(labels []int, n int) []int {
	seen := map[int]bool{}
	var out []int
	used := map[int]bool{}
	for i, y := range labels {
		if !seen[y] {
			seen[y] = true
			out = append(out, i)
			used[i] = true
		}
	}
	for i := 0; len(out) < n && i < len(labels); i++ {
		if !used[i] {
			out = append(out, i)
		}
	}
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// shapeInput shapes n rows of x as s's only input: [n, D] for dense
// models, [n, C, H, W] for image models.
func shapeInput(s *runtime.Session, x []float32, n int) (*ops.Tensor, error) {
	in := s.Inputs()
	if len(in) != 1 {
		return nil, fmt.Errorf("model has %d inputs, want 1", len(in))
	}
	dims := in[0].Shape
	if len(dims) < 2 {
		return nil, fmt.Errorf("input %q has rank %d, want a batch dimension and features", in[0].Name, len(dims))
	}
	shape := []int{n}
	per := 1
	for _, d := range dims[1:] {
		if d.Param != "" || d.Value <= 0 {
			return nil, fmt.Errorf("input %q: dimension %v is not fixed", in[0].Name, d)
		}
		shape = append(shape, int(d.Value))
		per *= int(d.Value)
	}
	if len(x) != n*per {
		return nil, fmt.Errorf("input %q: want %d×%d values, got %d", in[0].Name, n, per, len(x))
	}
	return &ops.Tensor{DType: ops.Float32, Shape: shape, Data: x}, nil
}

// ReconstructONNX runs the n rows of x through a model.onnx's
// reconstruction output on the named backend, 500 rows at a time, and
// returns the reconstructions flattened to n×D.
func ReconstructONNX(ctx context.Context, modelPath, backend string, x []float32, n int) ([]float32, error) {
	return RunOutput(ctx, modelPath, backend, "reconstruction", x, n)
}

// RunOutput runs the n rows of x through modelPath on backend and returns
// the named output, flattened row-major.
func RunOutput(ctx context.Context, modelPath, backend, output string, x []float32, n int) ([]float32, error) {
	s, err := runtime.Open(modelPath, runtime.WithBackend(backend))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return runOutput(ctx, s, modelPath, output, x, n)
}

// runOutput is RunOutput on an open session; modelPath labels errors.
func runOutput(ctx context.Context, s *runtime.Session, modelPath, output string, x []float32, n int) ([]float32, error) {
	oi := -1
	for i, o := range s.Outputs() {
		if o.Name == output {
			oi = i
		}
	}
	if oi < 0 {
		return nil, fmt.Errorf("%s has no output %q", modelPath, output)
	}
	if n == 0 || len(x)%n != 0 {
		return nil, fmt.Errorf("%s: %d values do not split into %d rows", modelPath, len(x), n)
	}
	D := len(x) / n
	var out []float32
	for lo := 0; lo < n; lo += 500 {
		rows := min(500, n-lo)
		in, err := shapeInput(s, x[lo*D:(lo+rows)*D], rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", modelPath, err)
		}
		res, err := s.RunOrdered(ctx, []*ops.Tensor{in})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", modelPath, err)
		}
		if res[oi].DType != ops.Float32 {
			return nil, fmt.Errorf("%s: output %q is %v, want float32", modelPath, output, res[oi].DType)
		}
		out = append(out, res[oi].F32()...)
	}
	return out, nil
}
