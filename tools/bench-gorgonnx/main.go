// Command bench-gorgonnx measures a model on onnx-go's gorgonnx backend
// (github.com/owulveryck/onnx-go v0.5.0), the pure-Go peer latent is
// compared with in BENCHMARKS.md. It lives in its own Go module so latent's
// go.mod does not carry onnx-go and Gorgonia.
//
// It feeds one random float32 input (the first dimension set to --batch),
// runs --warmup untimed runs, then times runs for --duration and prints one
// JSON object in the shape of `latent bench --json` (backend "gorgonnx").
//
//	go run . --model model.onnx --batch 16 --threads 1
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"time"

	onnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"
)

type result struct {
	Backend     string  `json:"backend"`
	Model       string  `json:"model"`
	Batch       int     `json:"batch"`
	Threads     int     `json:"threads"`
	Runs        int     `json:"runs"`
	MeanUS      float64 `json:"mean_us"`
	P50US       float64 `json:"p50_us"`
	P99US       float64 `json:"p99_us"`
	MinUS       float64 `json:"min_us"`
	SamplesPerS float64 `json:"samples_per_s"`
}

func main() {
	model := flag.String("model", "", "ONNX model (required)")
	batch := flag.Int("batch", 1, "batch size (first input dimension)")
	shapeRest := flag.String("shape", "784", "the input's other dimensions, e.g. 784 or 1,28,28")
	threads := flag.Int("threads", 1, "GOMAXPROCS for the run")
	warmup := flag.Int("warmup", 5, "untimed runs")
	duration := flag.Duration("duration", 3*time.Second, "measuring time")
	minRuns := flag.Int("min-runs", 5, "timed runs at least")
	flag.Parse()
	if err := run(*model, *batch, *shapeRest, *threads, *warmup, *minRuns, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "bench-gorgonnx:", err)
		os.Exit(1)
	}
}

func run(path string, batch int, shapeRest string, threads, warmup, minRuns int, d time.Duration) error {
	if path == "" || batch < 1 || threads < 1 || minRuns < 1 {
		return fmt.Errorf("need --model, --batch ≥ 1, --threads ≥ 1, --min-runs ≥ 1")
	}
	runtime.GOMAXPROCS(threads)
	shape := []int{batch}
	var dim int
	for _, c := range shapeRest + "," {
		if c == ',' {
			shape = append(shape, dim)
			dim = 0
			continue
		}
		if c < '0' || c > '9' {
			return fmt.Errorf("--shape %q: want comma-separated integers", shapeRest)
		}
		dim = dim*10 + int(c-'0')
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	backend := gorgonnx.NewGraph()
	m := onnx.NewModel(backend)
	if err := m.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	n := 1
	for _, s := range shape {
		n *= s
	}
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, n)
	for i := range data {
		data[i] = rng.Float32()
	}
	in := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32), tensor.WithBacking(data))
	if err := m.SetInput(0, in); err != nil {
		return fmt.Errorf("set input: %w", err)
	}
	once := func() error {
		if err := backend.Run(); err != nil {
			return err
		}
		_, err := m.GetOutputTensors()
		return err
	}
	for range warmup {
		if err := once(); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	var ts []time.Duration
	start := time.Now()
	for len(ts) < minRuns || time.Since(start) < d {
		t0 := time.Now()
		if err := once(); err != nil {
			return fmt.Errorf("run: %w", err)
		}
		ts = append(ts, time.Since(t0))
	}
	slices.Sort(ts)
	var sum time.Duration
	for _, t := range ts {
		sum += t
	}
	us := func(t time.Duration) float64 { return float64(t) / float64(time.Microsecond) }
	pct := func(p float64) time.Duration {
		r := int(math.Ceil(p / 100 * float64(len(ts))))
		return ts[min(max(r, 1), len(ts))-1]
	}
	mean := us(sum) / float64(len(ts))
	return json.NewEncoder(os.Stdout).Encode(result{
		Backend: "gorgonnx", Model: path, Batch: batch, Threads: threads, Runs: len(ts),
		MeanUS: mean, P50US: us(pct(50)), P99US: us(pct(99)), MinUS: us(ts[0]),
		SamplesPerS: float64(batch) * 1e6 / mean,
	})
}
