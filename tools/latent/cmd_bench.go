package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/verify"
)

const benchUsage = `usage: latent bench MODEL [--batch N[,N…]] [--backend native|ort|both] [--threads T[,T…]]
                    [--warmup W] [--duration D] [--min-runs R] [--memory] [--json] [--no-check]
       latent bench --zoo DIR [--models REGEXP] [--batch 1,2,8] [--threads 1,2] [--memory=false] …

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
by ORT's, and max_abs_diff; with --memory peak_bytes, loaded_bytes). LATENT_ISA=avx2 or go caps the native
kernels' instruction set (default: the best the CPU has).

--batch and --threads take comma-separated lists; every combination is
measured and, with more than one, printed as one table (Markdown) whose
throughputs and native/ORT ratios come from the median (p50) run time,
which a few runs preempted on a busy machine do not move. On Linux, rows
with one thread also give the ratio of the median CPU time the running
thread spent per run ("by CPU time"): with one thread both backends compute
on the calling thread, so this is each run's cost without the time it
waited for a core, the figure to trust on a machine busy with other work.

--zoo DIR benchmarks every DIR/*/model.onnx (the benchmark zoo written by
tools/python/make_fixtures.py --full-zoo, or any folder of models) on both
backends at every --batch (default 1,2,8) and --threads (default 1,2), one
table row per model, batch and threads, then the geometric mean of the
native/ORT throughput ratios per thread count and batch, and over all. A
model that fails to load, run or agree is listed after the table with its
error and left out of the means. --models keeps the models whose folder
name matches REGEXP.

--memory (default with --zoo) adds each backend's peak memory: a child
process per backend, batch and thread count loads the model, drops
everything but the backend's own state (for ORT: the Go-side copy of the
model), and runs it W+3 times; the figure is the peak resident set size
during those runs (Linux VmHWM, reset after loading) minus the resident size
before the model was loaded. It counts weights, prepacked copies, activation
buffers, scratch and, for native, the Go heap's headroom, as the operating
system sees them; load-time transients are not counted for either backend.

examples:
  latent bench model.onnx --batch 1 --backend both --threads 1
  latent bench model.onnx --batch 256 --backend native --json
  latent bench --zoo ~/.cache/latent/zoo --models dynamo --duration 2s`

func init() {
	register(&command{
		name:    "bench",
		summary: "measure inference latency, throughput and memory on native, ort or both",
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
	// CPUP50US is the median CPU time of the calling thread per run
	// (Linux; 0 elsewhere): the whole cost of a one-thread run, which
	// time spent waiting for a core on a busy machine does not inflate.
	// With more threads it misses the helpers' work.
	CPUP50US float64 `json:"cpu_p50_us,omitempty"`
	// PeakBytes is the peak resident memory of running the model, above
	// the process's size before loading it, and LoadedBytes the resident
	// memory after loading it (see benchMemory); with --memory only.
	PeakBytes   int64 `json:"peak_bytes,omitempty"`
	LoadedBytes int64 `json:"loaded_bytes,omitempty"`
}

// benchConfig is what every measurement shares.
type benchConfig struct {
	backends          []string
	warmup, minRuns   int
	duration          time.Duration
	noCheck, optimize bool
	memory            bool
	seed              uint64
	stderr            io.Writer // progress, with --zoo
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", benchUsage, stderr)
	batches := commaInts{1}
	fs.Var(&batches, "batch", "batch sizes bound to the first input dimension, comma-separated (--zoo: 1,2,8)")
	threadList := commaInts{0}
	fs.Var(&threadList, "threads", "threads per run, comma-separated; 0 is GOMAXPROCS (--zoo: 1,2)")
	backend := fs.String("backend", "native", "native, ort or both (--zoo: both)")
	zoo := fs.String("zoo", "", "benchmark every DIR/*/model.onnx on both backends")
	models := fs.String("models", "", "with --zoo: only the models whose folder name matches this regular expression")
	warmup := fs.Int("warmup", 20, "untimed runs per backend before measuring")
	duration := fs.Duration("duration", 3*time.Second, "measuring time per model, batch and thread count (both backends together)")
	minRuns := fs.Int("min-runs", 10, "timed runs per backend at least")
	memory := fs.Bool("memory", false, "measure each backend's peak memory in a child process (default with --zoo)")
	memoryChild := fs.Bool("memory-child", false, "internal: be the child process of --memory")
	asJSON := fs.Bool("json", false, "print one JSON object per backend")
	noCheck := fs.Bool("no-check", false, "with both: time even when the backends' outputs disagree")
	optimize := fs.Bool("optimize", true, "run the native graph optimisation passes")
	seed := fs.Uint64("seed", 1, "seed of the random inputs")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *zoo != "" {
		if len(pos) != 0 {
			return usagef("--zoo takes no MODEL argument, got %q", pos[0])
		}
		if !set["batch"] {
			batches = commaInts{1, 2, 8}
		}
		if !set["threads"] {
			threadList = commaInts{1, 2}
		}
		if !set["backend"] {
			*backend = "both"
		}
		if !set["memory"] {
			*memory = true
		}
	} else {
		if len(pos) != 1 {
			_, err := modelArg(pos, "")
			return err
		}
		if *models != "" {
			return usagef("--models needs --zoo")
		}
	}
	for _, b := range batches {
		if b < 1 {
			return usagef("--batch must be at least 1, got %d", b)
		}
	}
	for _, t := range threadList {
		if t < 0 {
			return usagef("--threads must be 0 or more, got %d", t)
		}
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
	for i, t := range threadList {
		if t == 0 {
			threadList[i] = goruntime.GOMAXPROCS(0)
		}
	}
	if *zoo == "" {
		if pos[0], err = resolveModel(pos[0], "model.onnx"); err != nil {
			return err
		}
	}
	cfg := benchConfig{backends: backends, warmup: *warmup, minRuns: *minRuns, duration: *duration,
		noCheck: *noCheck, optimize: *optimize, memory: *memory, seed: *seed}
	prevThreads := ops.Threads()
	defer ops.SetThreads(prevThreads)

	if *memoryChild {
		if len(backends) != 1 || len(batches) != 1 || len(threadList) != 1 {
			return usagef("--memory-child measures one backend, batch and thread count")
		}
		return benchMemoryChild(ctx, pos[0], backends[0], batches[0], threadList[0], cfg, stdout)
	}

	var paths []string
	if *zoo != "" {
		cfg.stderr = stderr
		if paths, err = zooModels(*zoo, *models); err != nil {
			return err
		}
	} else {
		paths = pos
	}
	var rows []benchRow
	for _, path := range paths {
		for _, t := range threadList {
			rs, err := benchOneModel(ctx, path, batches, t, cfg)
			if err != nil && *zoo == "" {
				return err
			}
			rows = append(rows, rs...)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range rows {
			for _, res := range r.results {
				if err := enc.Encode(res); err != nil {
					return err
				}
			}
			if r.err != nil {
				fmt.Fprintf(stderr, "%s, batch %d, threads %d: %v\n", r.model, r.batch, r.threads, r.err)
			}
		}
		return nil
	}
	if *zoo == "" && len(rows) == 1 && !*memory {
		printBenchOne(stdout, rows[0])
		return nil
	}
	printBenchTable(stdout, rows, *zoo)
	return nil
}

// commaInts is a flag taking comma-separated integers of any sign (the
// bench flags check their own ranges, with their own messages).
type commaInts []int

func (l *commaInts) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (l *commaInts) Set(v string) error {
	var out commaInts
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("want comma-separated integers, got %q", v)
		}
		out = append(out, n)
	}
	*l = out
	return nil
}

// zooModels lists dir/*/model.onnx (and dir/*.onnx), sorted, keeping those
// whose folder (or file) name matches filter.
func zooModels(dir, filter string) ([]string, error) {
	re, err := regexp.Compile(filter)
	if err != nil {
		return nil, usagef("--models: %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("--zoo %s: not a folder of models (write the zoo with tools/python/make_fixtures.py --full-zoo)", dir)
	}
	nested, _ := filepath.Glob(filepath.Join(dir, "*", "model.onnx"))
	flat, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
	var out []string
	for _, p := range append(nested, flat...) {
		if re.MatchString(zooName(p)) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("--zoo %s: no */model.onnx or *.onnx (matching --models %q)", dir, filter)
	}
	return out, nil
}

// zooName is how a zoo table names a model: its folder, or its file name.
func zooName(path string) string {
	if filepath.Base(path) == "model.onnx" {
		return filepath.Base(filepath.Dir(path))
	}
	return strings.TrimSuffix(filepath.Base(path), ".onnx")
}

// benchRow is one model at one batch and thread count: a result per
// backend, or the error that stopped it.
type benchRow struct {
	model          string
	batch, threads int
	results        []benchResult
	maxAbs         *float64
	err            error
}

// benchOneModel opens path once per backend with threads threads and measures
// it at every batch size.
func benchOneModel(ctx context.Context, path string, batches []int, threads int, cfg benchConfig) ([]benchRow, error) {
	fail := func(err error) ([]benchRow, error) {
		var rows []benchRow
		for _, b := range batches {
			rows = append(rows, benchRow{model: path, batch: b, threads: threads, err: err})
		}
		return rows, err
	}
	ops.SetThreads(threads)
	sessions := make([]*runtime.Session, len(cfg.backends))
	for i, b := range cfg.backends {
		s, err := runtime.Open(path, runtime.WithBackend(b), runtime.WithThreads(threads), runtime.WithOptimize(cfg.optimize))
		if err != nil {
			return fail(fmt.Errorf("open %s on %s: %w", path, b, err))
		}
		defer s.Close()
		sessions[i] = s
	}
	var rows []benchRow
	var firstErr error
	for _, batch := range batches {
		if cfg.stderr != nil {
			fmt.Fprintf(cfg.stderr, "bench %s: batch %d, threads %d\n", zooName(path), batch, threads)
		}
		row := benchRow{model: path, batch: batch, threads: threads}
		row.results, row.maxAbs, row.err = benchBatch(ctx, sessions, path, batch, threads, cfg)
		if row.err == nil && cfg.memory {
			for i, b := range cfg.backends {
				m, err := benchMemory(ctx, path, b, batch, threads, cfg)
				if err != nil {
					row.err = fmt.Errorf("memory on %s: %w", b, err)
					break
				}
				row.results[i].PeakBytes = m.PeakBytes - m.BaselineBytes
				row.results[i].LoadedBytes = m.LoadedBytes - m.BaselineBytes
			}
		}
		if row.err != nil && firstErr == nil {
			firstErr = row.err
		}
		rows = append(rows, row)
		if err := ctx.Err(); err != nil {
			return rows, err
		}
	}
	return rows, firstErr
}

// benchBatch checks (with two backends) and times sessions at one batch.
func benchBatch(ctx context.Context, sessions []*runtime.Session, path string, batch, threads int, cfg benchConfig) ([]benchResult, *float64, error) {
	inputs, err := benchInputs(sessions[0].Inputs(), batch, cfg.seed)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var maxAbs *float64
	if len(sessions) == 2 {
		d, err := benchCheck(ctx, sessions, inputs)
		if err != nil && !cfg.noCheck {
			return nil, nil, fmt.Errorf("bench %s: %w (--no-check times it anyway)", path, err)
		}
		maxAbs = &d
	}
	times, cpu, err := benchRun(ctx, sessions, inputs, cfg.warmup, cfg.minRuns, cfg.duration)
	if err != nil {
		return nil, nil, fmt.Errorf("bench %s: %w", path, err)
	}
	results := make([]benchResult, len(sessions))
	for i, b := range cfg.backends {
		results[i] = benchSummary(times[i])
		if cpu != nil {
			slices.Sort(cpu[i])
			results[i].CPUP50US = float64(percentile(cpu[i], 50)) / float64(time.Microsecond)
		}
		results[i].Backend = b
		results[i].Model = path
		results[i].Batch = batch
		results[i].Threads = threads
		results[i].SamplesPerS = float64(batch) * 1e6 / results[i].MeanUS
		if b == "native" {
			results[i].Kernels = ops.GemmKernel()
		}
	}
	if len(results) == 2 {
		r := results[0].SamplesPerS / results[1].SamplesPerS
		for i := range results {
			results[i].NativeOverORT = r
			results[i].MaxAbsDiff = maxAbs
		}
	}
	return results, maxAbs, nil
}

// printBenchOne prints one model at one batch and thread count, the
// format latent bench has always had.
func printBenchOne(w io.Writer, row benchRow) {
	results := row.results
	fmt.Fprintf(w, "model %s, batch %d, threads %d, native kernels %s\n", row.model, row.batch, row.threads, ops.GemmKernel())
	fmt.Fprintf(w, "%-8s %8s %12s %12s %12s %12s %14s\n", "backend", "runs", "mean µs", "p50 µs", "p99 µs", "min µs", "samples/s")
	for _, r := range results {
		fmt.Fprintf(w, "%-8s %8d %12.1f %12.1f %12.1f %12.1f %14.0f\n", r.Backend, r.Runs, r.MeanUS, r.P50US, r.P99US, r.MinUS, r.SamplesPerS)
	}
	if len(results) == 2 {
		n, o := results[0], results[1]
		fmt.Fprintf(w, "native/ort: throughput ×%.2f, p50 latency ×%.2f (ort p50 / native p50); outputs differ by at most %.3g\n",
			n.SamplesPerS/o.SamplesPerS, o.P50US/n.P50US, *row.maxAbs)
	}
}

// sig3 formats v with three significant digits and no exponent (0.00123,
// 1.23, 1235).
func sig3(v float64) string {
	d := 0
	if v > 0 {
		d = max(0, 2-int(math.Floor(math.Log10(v))))
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

// p50Throughput is samples per second at the median run time.
func p50Throughput(r benchResult) float64 { return float64(r.Batch) * 1e6 / r.P50US }

// printBenchTable prints rows as a Markdown table (one row per model,
// batch and thread count), the failures, and the geometric means of the
// native/ORT throughput ratios per thread count and batch. The table's
// throughputs and ratios come from the median run time, not the mean: on a
// shared machine a few preempted runs move the mean of one backend but
// not the other, while the interleaved medians see the same machine.
func printBenchTable(w io.Writer, rows []benchRow, zoo string) {
	both := false
	for _, r := range rows {
		if len(r.results) == 2 {
			both = true
		}
	}
	if zoo != "" {
		fmt.Fprintf(w, "zoo %s, native kernels %s, GOMAXPROCS %d\n\n", zoo, ops.GemmKernel(), goruntime.GOMAXPROCS(0))
	}
	if both {
		fmt.Fprintln(w, "| model | batch | threads | native p50 ms | ORT p50 ms | native /s | ORT /s | native/ORT | by CPU time | native MiB | ORT MiB |")
		fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	} else {
		fmt.Fprintln(w, "| model | batch | threads | backend | p50 ms | p99 ms | /s | MiB |")
		fmt.Fprintln(w, "|---|--:|--:|---|--:|--:|--:|--:|")
	}
	mib := func(r benchResult) string {
		if r.PeakBytes == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f", float64(r.PeakBytes)/(1<<20))
	}
	var failed []benchRow
	type key struct{ threads, batch int }
	logs := map[key][]float64{}
	cpuLogs := map[int][]float64{} // batch -> log CPU-time ratios, one thread
	var all []float64
	var keys []key
	for _, r := range rows {
		name := zooName(r.model)
		if r.err != nil {
			failed = append(failed, r)
			continue
		}
		if len(r.results) == 2 {
			n, o := r.results[0], r.results[1]
			ratio := o.P50US / n.P50US
			byCPU := "–"
			if r.threads == 1 && n.CPUP50US > 0 && o.CPUP50US > 0 {
				c := o.CPUP50US / n.CPUP50US
				byCPU = fmt.Sprintf("%.2f", c)
				cpuLogs[r.batch] = append(cpuLogs[r.batch], math.Log(c))
			}
			fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s | %.2f | %s | %s | %s |\n", name, r.batch, r.threads,
				sig3(n.P50US/1e3), sig3(o.P50US/1e3), sig3(p50Throughput(n)), sig3(p50Throughput(o)), ratio, byCPU, mib(n), mib(o))
			k := key{r.threads, r.batch}
			if _, ok := logs[k]; !ok {
				keys = append(keys, k)
			}
			logs[k] = append(logs[k], math.Log(ratio))
			all = append(all, math.Log(ratio))
			continue
		}
		for _, res := range r.results {
			fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s | %s |\n", name, r.batch, r.threads, res.Backend,
				sig3(res.P50US/1e3), sig3(res.P99US/1e3), sig3(p50Throughput(res)), mib(res))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\nnot measured (%d):\n", len(failed))
		for _, r := range failed {
			fmt.Fprintf(w, "- %s, batch %d, threads %d: %v\n", zooName(r.model), r.batch, r.threads, r.err)
		}
	}
	if len(all) == 0 {
		return
	}
	geo := func(ls []float64) float64 {
		var s float64
		for _, l := range ls {
			s += l
		}
		return math.Exp(s / float64(len(ls)))
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].threads != keys[j].threads {
			return keys[i].threads < keys[j].threads
		}
		return keys[i].batch < keys[j].batch
	})
	fmt.Fprintf(w, "\ngeometric mean of native/ORT throughput (from the p50s):\n")
	for i := 0; i < len(keys); {
		t := keys[i].threads
		var parts []string
		var ls []float64
		for ; i < len(keys) && keys[i].threads == t; i++ {
			k := keys[i]
			parts = append(parts, fmt.Sprintf("batch %d ×%.2f (%d models)", k.batch, geo(logs[k]), len(logs[k])))
			ls = append(ls, logs[k]...)
		}
		fmt.Fprintf(w, "- threads %d: %s; together ×%.2f\n", t, strings.Join(parts, ", "), geo(ls))
	}
	fmt.Fprintf(w, "- all %d rows: ×%.2f\n", len(all), geo(all))
	if len(cpuLogs) > 0 {
		var bs []int
		for b := range cpuLogs {
			bs = append(bs, b)
		}
		sort.Ints(bs)
		var parts []string
		var ls []float64
		for _, b := range bs {
			parts = append(parts, fmt.Sprintf("batch %d ×%.2f (%d models)", b, geo(cpuLogs[b]), len(cpuLogs[b])))
			ls = append(ls, cpuLogs[b]...)
		}
		fmt.Fprintf(w, "- by CPU time, threads 1: %s; together ×%.2f\n", strings.Join(parts, ", "), geo(ls))
	}
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
// It returns each session's run times and, where the platform has it
// (Linux), the CPU time the calling thread spent in each run (nil
// otherwise): with one thread both backends compute on that thread, so its
// CPU time is the run's cost without the waits for a core on a busy
// machine.
func benchRun(ctx context.Context, sessions []*runtime.Session, inputs []*ops.Tensor, warmup, minRuns int, d time.Duration) (times, cpu [][]time.Duration, err error) {
	for _, s := range sessions {
		for range warmup {
			if _, err := s.RunOrdered(ctx, inputs); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", s.Backend(), err)
			}
		}
	}
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	_, haveCPU := threadCPU()
	times = make([][]time.Duration, len(sessions))
	if haveCPU {
		cpu = make([][]time.Duration, len(sessions))
	}
	start := time.Now()
	for round := 0; round < minRuns || time.Since(start) < d; round++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		for k := range sessions {
			i := k
			if round%2 == 1 {
				i = len(sessions) - 1 - k
			}
			c0, _ := threadCPU()
			t0 := time.Now()
			if _, err := sessions[i].RunOrdered(ctx, inputs); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", sessions[i].Backend(), err)
			}
			times[i] = append(times[i], time.Since(t0))
			if haveCPU {
				c1, _ := threadCPU()
				cpu[i] = append(cpu[i], c1-c0)
			}
		}
	}
	return times, cpu, nil
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
