package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	goruntime "runtime"
	"slices"
	"time"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/verify"
)

const benchUsage = `usage: latent bench MODEL [--batch N] [--backend native|ort|both] [--threads T]
                    [--warmup W] [--duration D] [--min-runs R] [--json] [--no-check]

Measures steady-state inference of MODEL on random inputs: W warm-up runs,
then timed runs until D has passed (and at least R runs were made). It
reports the latency per run (mean, p50, p99, in microseconds) and the
throughput (batch × runs per second).

The first dimension of every input, when symbolic or unknown, is set to
--batch; other dimensions must be fixed in the model. Float inputs are
uniform in [0, 1), integer and bool inputs are zero.

--threads bounds the threads per run (default: GOMAXPROCS): the native
backend's kernel pool (ops.SetThreads) and ONNX Runtime's intra-op
threads. With --backend both the two backends run in one process,
interleaved run by run (alternating which goes first), so machine noise hits
both alike, and the native/ORT ratios are printed. Before timing, both
must compute the same outputs (within atol 1e-5 + rtol 1e-4, as latent
verify), unless --no-check. --json prints one JSON object per backend per
line (backend, model, batch, threads, runs, mean_us, p50_us, p99_us,
min_us, samples_per_s; native also kernels, the instruction set its
kernels use; with both also native_over_ort, the native throughput divided
by ORT's, and max_abs_diff). LATENT_ISA=avx2 or go caps the native
kernels' instruction set (default: the best the CPU has).

examples:
  latent bench model.onnx --batch 1 --backend both --threads 1
  latent bench model.onnx --batch 256 --backend native --json`

func init() {
	register(&command{
		name:    "bench",
		summary: "measure inference latency and throughput on native, ort or both",
		run:     cmdBench,
	})
}

// benchResult is one backend's measurement, also its JSON form.
type benchResult struct {
	Backend       string  `json:"backend"`
	Model         string  `json:"model"`
	Batch         int     `json:"batch"`
	Threads       int     `json:"threads"`
	Runs          int     `json:"runs"`
	MeanUS        float64 `json:"mean_us"`
	P50US         float64 `json:"p50_us"`
	P99US         float64 `json:"p99_us"`
	MinUS         float64 `json:"min_us"`
	SamplesPerS   float64 `json:"samples_per_s"`
	NativeOverORT float64 `json:"native_over_ort,omitempty"`
	// Kernels is the instruction set of the native kernels (avx512, avx2
	// or go; see LATENT_ISA), so figures from different machines or
	// builds can be told apart. Empty for ORT.
	Kernels string `json:"kernels,omitempty"`
	// MaxAbsDiff is the largest |native − ort| over all outputs (with
	// --backend both, which refuses to time outputs that disagree).
	MaxAbsDiff *float64 `json:"max_abs_diff,omitempty"`
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", benchUsage, stderr)
	batch := fs.Int("batch", 1, "batch size bound to the first input dimension")
	backend := fs.String("backend", "native", "native, ort or both")
	threads := fs.Int("threads", 0, "threads per run (0: GOMAXPROCS)")
	warmup := fs.Int("warmup", 20, "untimed runs per backend before measuring")
	duration := fs.Duration("duration", 3*time.Second, "measuring time (both backends together)")
	minRuns := fs.Int("min-runs", 10, "timed runs per backend at least")
	asJSON := fs.Bool("json", false, "print one JSON object per backend")
	noCheck := fs.Bool("no-check", false, "with both: time even when the backends' outputs disagree")
	optimize := fs.Bool("optimize", true, "run the native graph optimisation passes")
	seed := fs.Uint64("seed", 1, "seed of the random inputs")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one MODEL argument, got %d (see latent bench --help)", len(pos))
	}
	if *batch < 1 {
		return usagef("--batch must be at least 1, got %d", *batch)
	}
	if *threads < 0 {
		return usagef("--threads must be 0 or more, got %d", *threads)
	}
	if *warmup < 0 || *minRuns < 1 || *duration < 0 {
		return usagef("--warmup must be ≥ 0, --min-runs ≥ 1 and --duration ≥ 0 (got %d, %d, %v)", *warmup, *minRuns, *duration)
	}
	var backends []string
	switch *backend {
	case "native", "ort":
		backends = []string{*backend}
	case "both":
		backends = []string{"native", "ort"}
	default:
		return usagef("--backend must be native, ort or both, got %q", *backend)
	}
	modelPath := pos[0]
	t := *threads
	if t == 0 {
		t = goruntime.GOMAXPROCS(0)
	}
	prevThreads := ops.Threads()
	ops.SetThreads(t)
	defer ops.SetThreads(prevThreads)

	sessions := make([]*runtime.Session, len(backends))
	for i, b := range backends {
		s, err := runtime.Open(modelPath, runtime.WithBackend(b), runtime.WithThreads(t), runtime.WithOptimize(*optimize))
		if err != nil {
			return fmt.Errorf("open %s on %s: %w", modelPath, b, err)
		}
		defer s.Close()
		sessions[i] = s
	}
	inputs, err := benchInputs(sessions[0].Inputs(), *batch, *seed)
	if err != nil {
		return fmt.Errorf("%s: %w", modelPath, err)
	}

	var maxAbs *float64
	if len(sessions) == 2 {
		d, err := benchCheck(ctx, sessions, inputs)
		if err != nil && !*noCheck {
			return fmt.Errorf("bench %s: %w (--no-check times it anyway)", modelPath, err)
		}
		maxAbs = &d
	}
	times, err := benchRun(ctx, sessions, inputs, *warmup, *minRuns, *duration)
	if err != nil {
		return fmt.Errorf("bench %s: %w", modelPath, err)
	}
	results := make([]benchResult, len(backends))
	for i, b := range backends {
		results[i] = benchSummary(times[i])
		results[i].Backend = b
		results[i].Model = modelPath
		results[i].Batch = *batch
		results[i].Threads = t
		results[i].SamplesPerS = float64(*batch) * 1e6 / results[i].MeanUS
		if b == "native" {
			results[i].Kernels = ops.GemmKernel()
		}
	}
	if len(results) == 2 {
		r := results[0].SamplesPerS / results[1].SamplesPerS
		results[0].NativeOverORT = r
		results[1].NativeOverORT = r
		results[0].MaxAbsDiff = maxAbs
		results[1].MaxAbsDiff = maxAbs
	}

	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(stdout, "model %s, batch %d, threads %d, native kernels %s\n", modelPath, *batch, t, ops.GemmKernel())
	fmt.Fprintf(stdout, "%-8s %8s %12s %12s %12s %12s %14s\n", "backend", "runs", "mean µs", "p50 µs", "p99 µs", "min µs", "samples/s")
	for _, r := range results {
		fmt.Fprintf(stdout, "%-8s %8d %12.1f %12.1f %12.1f %12.1f %14.0f\n", r.Backend, r.Runs, r.MeanUS, r.P50US, r.P99US, r.MinUS, r.SamplesPerS)
	}
	if len(results) == 2 {
		n, o := results[0], results[1]
		fmt.Fprintf(stdout, "native/ort: throughput ×%.2f, p50 latency ×%.2f (ort p50 / native p50); outputs differ by at most %.3g\n",
			n.SamplesPerS/o.SamplesPerS, o.P50US/n.P50US, *maxAbs)
	}
	return nil
}

// benchInputs makes one random tensor per graph input, binding a symbolic
// or unknown first dimension to batch.
func benchInputs(vis []graph.ValueInfo, batch int, seed uint64) ([]*ops.Tensor, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6c6174656e74))
	out := make([]*ops.Tensor, len(vis))
	for i, vi := range vis {
		if !vi.HasShape || vi.Shape == nil {
			return nil, fmt.Errorf("input %q has no declared shape; bench needs fixed dimensions besides the batch", vi.Name)
		}
		shape := make([]int, len(vi.Shape))
		for j, d := range vi.Shape {
			switch {
			case d.Known():
				shape[j] = int(d.Value)
			case j == 0:
				shape[j] = batch
			default:
				return nil, fmt.Errorf("input %q: dimension %d (%s) is not fixed; bench binds only the first (batch) dimension", vi.Name, j, d)
			}
		}
		var t *ops.Tensor
		switch vi.DType {
		case ops.Float32:
			t = ops.New(ops.Float32, shape...)
			d := t.F32()
			for k := range d {
				d[k] = rng.Float32()
			}
		case ops.Float64:
			t = ops.New(ops.Float64, shape...)
			d := t.F64()
			for k := range d {
				d[k] = rng.Float64()
			}
		case ops.Float16, ops.Int64, ops.Int32, ops.Int8, ops.Uint8, ops.Bool:
			t = ops.New(vi.DType, shape...)
		default:
			return nil, fmt.Errorf("input %q has type %v, which bench cannot fill", vi.Name, vi.DType)
		}
		out[i] = t
	}
	return out, nil
}

// benchCheck runs the native and the ORT session once on inputs and
// compares their outputs with the verify tolerance (atol 1e-5, rtol 1e-4),
// returning the largest absolute difference and an error naming the first
// output beyond tolerance.
func benchCheck(ctx context.Context, sessions []*runtime.Session, inputs []*ops.Tensor) (float64, error) {
	got, err := sessions[0].RunOrdered(ctx, inputs)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", sessions[0].Backend(), err)
	}
	want, err := sessions[1].RunOrdered(ctx, inputs)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", sessions[1].Backend(), err)
	}
	var maxAbs float64
	var bad error
	for i, vi := range sessions[1].Outputs() {
		if i >= len(got) || i >= len(want) {
			break
		}
		r := verify.CompareTensors(vi.Name, got[i], want[i], verify.DefaultAtol, verify.DefaultRtol)
		maxAbs = max(maxAbs, r.MaxAbs)
		if !r.Pass && bad == nil {
			why := r.Mismatch
			if why == "" {
				why = fmt.Sprintf("%d elements beyond tolerance, max abs diff %.3g", r.Failures, r.MaxAbs)
			}
			bad = fmt.Errorf("native and ort disagree on output %q: %s", vi.Name, why)
		}
	}
	return maxAbs, bad
}

// benchRun warms every session up, then runs them interleaved (the order
// alternating each round) until d has passed and each made minRuns runs.
// It returns each session's run times.
func benchRun(ctx context.Context, sessions []*runtime.Session, inputs []*ops.Tensor, warmup, minRuns int, d time.Duration) ([][]time.Duration, error) {
	for _, s := range sessions {
		for range warmup {
			if _, err := s.RunOrdered(ctx, inputs); err != nil {
				return nil, fmt.Errorf("%s: %w", s.Backend(), err)
			}
		}
	}
	times := make([][]time.Duration, len(sessions))
	start := time.Now()
	for round := 0; round < minRuns || time.Since(start) < d; round++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for k := range sessions {
			i := k
			if round%2 == 1 {
				i = len(sessions) - 1 - k
			}
			t0 := time.Now()
			if _, err := sessions[i].RunOrdered(ctx, inputs); err != nil {
				return nil, fmt.Errorf("%s: %w", sessions[i].Backend(), err)
			}
			times[i] = append(times[i], time.Since(t0))
		}
	}
	return times, nil
}

// benchSummary computes the latency statistics of ts (which it sorts) in
// microseconds. p50 and p99 are nearest-rank percentiles.
func benchSummary(ts []time.Duration) benchResult {
	slices.Sort(ts)
	var sum time.Duration
	for _, t := range ts {
		sum += t
	}
	us := func(t time.Duration) float64 { return float64(t) / float64(time.Microsecond) }
	return benchResult{
		Runs:   len(ts),
		MeanUS: us(sum) / float64(len(ts)),
		P50US:  us(percentile(ts, 50)),
		P99US:  us(percentile(ts, 99)),
		MinUS:  us(ts[0]),
	}
}

// percentile returns the nearest-rank p-th percentile of sorted ts: the
// smallest value with at least p% of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
