package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/trainer"
)

const sampleUsage = `usage: latent sample MODEL [--n N] [--out FILE.npy] [flags]

Draws N latent vectors z ~ N(0, I) (seeded) and decodes them with a
variational autoencoder (kinds vae, conv-vae). MODEL is a run directory
(DIR/generate.onnx, else DIR/model.latent), a generate.onnx exported by
latent (run on --backend) or a model.latent checkpoint (run by the
trainer). Writes the samples as a float32 NPY array (N×C×H×W, N×H×W for one
channel, N×features for a dense vae), by default samples.npy in the run
folder (or beside the model file), and a PNG grid beside it (FILE with
.png, or --png PATH; --png "" skips it). Samples are in raw data units; the
grid clamps them to [0,1].

examples:
  latent sample runs/cvae --n 64
  latent sample runs/cvae --n 64 --out samples.npy
  latent sample runs/cvae/generate.onnx --n 16 --out s.npy --backend ort --seed 3`

func init() {
	register(&command{name: "sample", summary: "generate samples from a VAE (NPY and a PNG grid)", run: cmdSample})
}

func cmdSample(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sample", sampleUsage, stderr)
	n := fs.Int("n", 16, "number of samples")
	out := fs.String("out", "", "output NPY file (default: samples.npy in the run folder, or beside the model file)")
	pngPath := fs.String("png", "-", `PNG grid path (default: --out with .png; "" for none)`)
	seed := fs.Uint64("seed", 1, "seed of the N(0, I) draws")
	backend := fs.String("backend", runtime.NativeBackendName, "backend for generate.onnx: "+strings.Join(runtime.BackendNames(), ", "))
	cols := fs.Int("cols", 0, "grid columns (default ceil(sqrt(N)))")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		_, err := modelArg(pos, "model.onnx")
		return err
	}
	if *out == "" {
		dir := pos[0]
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			dir = filepath.Dir(dir)
		}
		*out = filepath.Join(dir, "samples.npy")
	}
	if *n <= 0 {
		return usagef("--n must be positive, got %d", *n)
	}
	samples, shape, err := generate(ctx, pos[0], *n, *seed, *backend)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	npyShape := shape
	if len(shape) != 3 {
		npyShape = []int{1, 1, shape[0]} // N×features
	}
	if err := data.WriteImagesNPY(f, *n, npyShape, samples); err != nil {
		f.Close()
		return fmt.Errorf("sample: write %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sample: write %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %d samples of shape %v to %s\n", *n, shape, *out)
	p := *pngPath
	if p == "-" {
		p = strings.TrimSuffix(*out, filepath.Ext(*out)) + ".png"
	}
	if p == "" {
		return nil
	}
	img, err := sampleGrid(samples, *n, shape, *cols)
	if err != nil {
		fmt.Fprintf(stderr, "latent sample: no PNG grid: %v\n", err)
		return nil
	}
	pf, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	if err := png.Encode(pf, img); err != nil {
		pf.Close()
		return fmt.Errorf("sample: write %s: %w", p, err)
	}
	if err := pf.Close(); err != nil {
		return fmt.Errorf("sample: write %s: %w", p, err)
	}
	fmt.Fprintf(stdout, "wrote the grid to %s\n", p)
	return nil
}

// generate decodes n seeded N(0, I) draws with the model at path and
// returns the samples and their per-sample shape ([C,H,W] or [features]).
func generate(ctx context.Context, path string, n int, seed uint64, backend string) ([]float32, []int, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		if g := filepath.Join(path, export.GenerateFile); fileExists(g) {
			path = g
		} else {
			path = filepath.Join(path, "model.latent")
		}
	}
	if strings.HasSuffix(path, ".onnx") {
		return generateONNX(ctx, path, n, seed, backend)
	}
	m, _, err := trainer.LoadCheckpoint(path)
	if err != nil {
		return nil, nil, err
	}
	s, _, err := m.Sample(n, seed)
	if err != nil {
		return nil, nil, err
	}
	return s, m.Network().OutShape(), nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func generateONNX(ctx context.Context, path string, n int, seed uint64, backend string) ([]float32, []int, error) {
	sess, err := runtime.Open(path, runtime.WithBackend(backend))
	if err != nil {
		return nil, nil, err
	}
	defer sess.Close()
	md, err := metadata.Read(sess.Model())
	if err != nil {
		return nil, nil, fmt.Errorf("sample %s: %w", path, err)
	}
	if md.Part != export.PartGenerate {
		return nil, nil, fmt.Errorf("sample %s: latent.part is %q, want %q (the generate.onnx of a vae or conv-vae)", path, md.Part, export.PartGenerate)
	}
	code := md.Spec.Code
	z := trainer.SampleNoise(n, code, seed)
	outs, err := sess.RunOrdered(ctx, []*ops.Tensor{ops.FromFloat32([]int{n, code}, z)})
	if err != nil {
		return nil, nil, fmt.Errorf("sample %s: %w", path, err)
	}
	t := outs[0]
	if t.DType != ops.Float32 || t.Shape[0] != n {
		return nil, nil, fmt.Errorf("sample %s: output is %s %v, want float32 with %d rows", path, t.DType, t.Shape, n)
	}
	return t.F32(), append([]int(nil), t.Shape[1:]...), nil
}

// sampleGrid lays n samples out as a grid of tiles separated by one
// pixel: grey for one channel, RGB for three. A flat shape is shown as a
// square image when its size is a perfect square.
func sampleGrid(x []float32, n int, shape []int, cols int) (image.Image, error) {
	if len(shape) == 1 {
		side := int(math.Round(math.Sqrt(float64(shape[0]))))
		if side*side != shape[0] {
			return nil, fmt.Errorf("%d features are not a square image", shape[0])
		}
		shape = []int{1, side, side}
	}
	C, H, W := shape[0], shape[1], shape[2]
	if C != 1 && C != 3 {
		return nil, fmt.Errorf("%d channels (want 1 or 3)", C)
	}
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	rows := (n + cols - 1) / cols
	img := image.NewRGBA(image.Rect(0, 0, cols*(W+1)+1, rows*(H+1)+1))
	for i := range img.Pix {
		img.Pix[i] = 255 // white background and gaps
	}
	px := func(v float32) uint8 {
		return uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
	}
	D := C * H * W
	for s := 0; s < n; s++ {
		ox, oy := 1+(s%cols)*(W+1), 1+(s/cols)*(H+1)
		smp := x[s*D : (s+1)*D]
		for y := 0; y < H; y++ {
			for xx := 0; xx < W; xx++ {
				var c color.RGBA
				if C == 1 {
					g := px(smp[y*W+xx])
					c = color.RGBA{g, g, g, 255}
				} else {
					c = color.RGBA{px(smp[y*W+xx]), px(smp[H*W+y*W+xx]), px(smp[2*H*W+y*W+xx]), 255}
				}
				img.SetRGBA(ox+xx, oy+y, c)
			}
		}
	}
	return img, nil
}
