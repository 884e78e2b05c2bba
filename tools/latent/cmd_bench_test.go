package main

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
)

const benchModel = "../../testdata/golden/dense-ae/model.onnx"

// zooDir holds the committed small copies of the benchmark zoo.
const zooDir = "../../testdata/interop/zoo"

// TestMain lets this test binary act as latent: benchMemory's child
// processes re-execute it (os.Executable) with a latent command line, and
// TestDocs puts it on PATH as latent (with $LATENT_TEST_AS_CLI set).
func TestMain(m *testing.M) {
	switch {
	case os.Getenv(benchChildEnv) != "":
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	case os.Getenv(cliEnv) != "":
		os.Exit(run(cliArgs(os.Args[1:]), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func parseBenchJSON(t *testing.T, out string) []benchResult {
	t.Helper()
	var rs []benchResult
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r benchResult
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&r), "line %q is not a bench JSON object", sc.Text())
		rs = append(rs, r)
	}
	return rs
}

// checkResult checks the relations every result must satisfy.
func checkResult(t *testing.T, r benchResult, model, backend string, batch, threads int) {
	t.Helper()
	assert.Equal(t, backend, r.Backend)
	assert.Equal(t, batch, r.Batch, "%s batch", backend)
	assert.Equal(t, threads, r.Threads, "%s threads", backend)
	assert.Equal(t, model, r.Model, "%s model", backend)
	assert.GreaterOrEqual(t, r.Runs, 3, "%s: runs, want at least --min-runs", backend)
	assert.True(t, r.MinUS > 0 && r.MinUS <= r.P50US && r.P50US <= r.P99US && r.MinUS <= r.MeanUS,
		"%s: latencies out of order: min %v p50 %v p99 %v mean %v", backend, r.MinUS, r.P50US, r.P99US, r.MeanUS)
	assert.InEpsilon(t, float64(batch)*1e6/r.MeanUS, r.SamplesPerS, 1e-6, "%s: samples_per_s is batch/mean", backend)
}

func TestBenchNativeJSON(t *testing.T) {
	code, out, errs := runCLI("bench", benchModel, "--batch", "3", "--threads", "1", "--json",
		"--warmup", "2", "--duration", "20ms", "--min-runs", "5")
	require.Equal(t, exitOK, code, "stderr %s", errs)
	rs := parseBenchJSON(t, out)
	require.Len(t, rs, 1, out)
	checkResult(t, rs[0], benchModel, "native", 3, 1)
	assert.GreaterOrEqual(t, rs[0].Runs, 5)
	assert.Positive(t, rs[0].CPUP50US, "the thread's CPU time per run (Linux)")
	assert.LessOrEqual(t, rs[0].CPUP50US, rs[0].P99US, "a run cannot use more CPU than its wall time on one thread")
	assert.Zero(t, rs[0].NativeOverORT, "native alone reports no ratio")
	assert.Zero(t, rs[0].PeakBytes, "no memory figure without --memory")
}

func TestBenchBothInterleaved(t *testing.T) {
	requireORT(t)
	code, out, errs := runCLI("bench", benchModel, "--batch", "16", "--backend", "both", "--threads", "1",
		"--json", "--warmup", "2", "--duration", "30ms", "--min-runs", "5")
	require.Equal(t, exitOK, code, "stderr %s", errs)
	rs := parseBenchJSON(t, out)
	require.Len(t, rs, 2, out)
	checkResult(t, rs[0], benchModel, "native", 16, 1)
	checkResult(t, rs[1], benchModel, "ort", 16, 1)
	assert.Equal(t, rs[0].Runs, rs[1].Runs, "interleaved runs")
	want := rs[0].SamplesPerS / rs[1].SamplesPerS
	for _, r := range rs {
		assert.InEpsilon(t, want, r.NativeOverORT, 1e-9, "%s: native_over_ort", r.Backend)
		if assert.NotNil(t, r.MaxAbsDiff, "%s: max_abs_diff", r.Backend) {
			assert.LessOrEqual(t, *r.MaxAbsDiff, 1e-4, "%s: max_abs_diff within the verify tolerance", r.Backend)
		}
	}

	code, out, errs = runCLI("bench", benchModel, "--backend", "both", "--threads", "1",
		"--warmup", "1", "--duration", "10ms", "--min-runs", "3")
	require.Equal(t, exitOK, code, "text mode: stderr %s", errs)
	for _, s := range []string{"batch 1, threads 1", "native ", "ort ", "native/ort: throughput ×", "outputs differ by at most"} {
		assert.Contains(t, out, s)
	}
}

// TestBenchLists measures every combination of the --batch and --threads
// lists and prints them as one table.
func TestBenchLists(t *testing.T) {
	code, out, errs := runCLI("bench", benchModel, "--batch", "1,4", "--threads", "1,2", "--json",
		"--warmup", "1", "--duration", "5ms", "--min-runs", "3")
	require.Equal(t, exitOK, code, "stderr %s", errs)
	rs := parseBenchJSON(t, out)
	require.Len(t, rs, 4, out)
	i := 0
	for _, threads := range []int{1, 2} {
		for _, batch := range []int{1, 4} {
			checkResult(t, rs[i], benchModel, "native", batch, threads)
			i++
		}
	}

	code, out, errs = runCLI("bench", benchModel, "--batch", "2,3", "--threads", "1",
		"--warmup", "1", "--duration", "5ms", "--min-runs", "3")
	require.Equal(t, exitOK, code, "stderr %s", errs)
	assert.Contains(t, out, "| model | batch | threads | backend | p50 ms | p99 ms | /s | MiB |")
	assert.Regexp(t, `(?m)^\| dense-ae \| 2 \| 1 \| native \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| – \|$`, out)
	assert.Regexp(t, `(?m)^\| dense-ae \| 3 \| 1 \| native \|`, out)
}

// zooRow matches one row of the zoo table and captures its numbers.
var zooRow = regexp.MustCompile(`(?m)^\| (\S+) \| (\d+) \| (\d+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \|$`)

// TestBenchZoo runs --zoo over two of the committed zoo models (both
// backends, two batch sizes, memory in child processes) and checks the
// table's arithmetic: throughput is batch over p50, the ratio is ORT's p50
// over native's, and the geometric means are those of the printed ratios.
func TestBenchZoo(t *testing.T) {
	requireORT(t)
	code, out, errs := runCLI("bench", "--zoo", zooDir, "--models", `^(conv2d_ae|lstm_ae)-dynamo$`,
		"--batch", "1,2", "--threads", "1", "--warmup", "1", "--duration", "5ms", "--min-runs", "3")
	require.Equal(t, exitOK, code, "stderr %s", errs)
	assert.Contains(t, out, "| model | batch | threads | native p50 ms | ORT p50 ms | native /s | ORT /s | native/ORT | by CPU time | native MiB | ORT MiB |")
	rows := zooRow.FindAllStringSubmatch(out, -1)
	require.Len(t, rows, 4, out)
	var logSum float64
	for i, m := range rows {
		num := func(k int) float64 {
			v, err := strconv.ParseFloat(m[k], 64)
			require.NoError(t, err)
			return v
		}
		assert.Equal(t, []string{"conv2d_ae-dynamo", "conv2d_ae-dynamo", "lstm_ae-dynamo", "lstm_ae-dynamo"}[i], m[1])
		batch := num(2)
		assert.Equal(t, float64(1+i%2), batch)
		assert.Equal(t, "1", m[3])
		nP50, oP50, nRate, oRate, ratio := num(4), num(5), num(6), num(7), num(8)
		assert.InEpsilon(t, batch*1e3/nP50, nRate, 0.02, "native throughput = batch / p50")
		assert.InEpsilon(t, batch*1e3/oP50, oRate, 0.02, "ORT throughput = batch / p50")
		assert.InEpsilon(t, oP50/nP50, ratio, 0.05, "ratio = ORT p50 / native p50")
		// One thread: the CPU-time ratio is there. How it compares with
		// the wall-clock one depends on the machine's load, which a test
		// must not assert on (speed is for benchmarks).
		cpuRatio := num(9)
		assert.True(t, cpuRatio > 0 && !math.IsInf(cpuRatio, 0), "CPU-time ratio %v", cpuRatio)
		// Peak memory above the pre-load baseline: positive, and well
		// under what a model of this size could need.
		for _, mib := range []float64{num(10), num(11)} {
			assert.Greater(t, mib, 0.0)
			assert.Less(t, mib, 256.0)
		}
		logSum += math.Log(ratio)
	}
	m := regexp.MustCompile(`- all 4 rows: ×([0-9.]+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	g, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	assert.InEpsilon(t, math.Exp(logSum/4), g, 0.03, "geometric mean of the rows' ratios")
	assert.Contains(t, out, "- threads 1: batch 1 ×")
	assert.Contains(t, out, "- by CPU time, threads 1: batch 1 ×")
	assert.Contains(t, errs, "bench lstm_ae-dynamo: batch 2, threads 1", "progress on stderr")
}

// TestBenchZooReportsFailures: a model that cannot run is listed with its
// error after the table and left out of the means; the others are measured.
func TestBenchZooReportsFailures(t *testing.T) {
	requireORT(t)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(zooDir, "conv2d_ae-dynamo", "model.onnx"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "good"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "good", "model.onnx"), src, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.onnx"), []byte("not a model"), 0o644))
	code, out, errs := runCLI("bench", "--zoo", dir, "--batch", "1", "--threads", "1", "--memory=false",
		"--warmup", "1", "--duration", "5ms", "--min-runs", "3")
	require.Equal(t, exitOK, code, "stderr %s", errs)
	assert.Regexp(t, `(?m)^\| good \| 1 \| 1 \| .* \| – \| – \|$`, out)
	assert.Contains(t, out, "not measured (1):\n- broken, batch 1, threads 1: open ")
	assert.Contains(t, out, "- all 1 rows: ×")
}

// TestBenchMemoryChild checks the child's own accounting: the baseline
// comes first, and a model's resident size grows with its batch.
func TestBenchMemoryChild(t *testing.T) {
	model := filepath.Join(zooDir, "conv2d_ae-dynamo", "model.onnx")
	probe := func(batch int) memProbe {
		p, err := benchMemory(context.Background(), model, "native", batch, 1, benchConfig{warmup: 1, seed: 1, optimize: true})
		require.NoError(t, err)
		assert.True(t, p.HWMReset, "Linux resets the peak after loading")
		assert.Positive(t, p.BaselineBytes)
		assert.GreaterOrEqual(t, p.PeakBytes, p.LoadedBytes, "the peak is at least the loaded size")
		assert.Greater(t, p.LoadedBytes, p.BaselineBytes, "loading a model takes memory")
		return p
	}
	small, large := probe(1), probe(64)
	// Batch 64 of a [3,32,32] autoencoder holds several MiB of activations
	// more than batch 1 (the first conv's output alone is 64·4·32·32·4 B = 1 MiB).
	assert.Greater(t, large.PeakBytes-large.BaselineBytes, small.PeakBytes-small.BaselineBytes+(1<<20))

	_, err := benchMemory(context.Background(), "no/such/model.onnx", "native", 1, 1, benchConfig{seed: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no/such/model.onnx")
}

func TestBenchUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, "missing MODEL argument"},
		{[]string{"bench", benchModel, "--batch", "0"}, "--batch must be at least 1"},
		{[]string{"bench", benchModel, "--batch", "1,x"}, "want comma-separated integers"},
		{[]string{"bench", benchModel, "--backend", "gpu"}, `--backend must be native, ort or both, got "gpu"`},
		{[]string{"bench", benchModel, "--threads", "1,-2"}, "--threads must be 0 or more"},
		{[]string{"bench", benchModel, "--min-runs", "0"}, "--min-runs ≥ 1"},
		{[]string{"bench", benchModel, "--models", "x"}, "--models needs --zoo"},
		{[]string{"bench", "--zoo", zooDir, benchModel}, "--zoo takes no MODEL argument"},
		{[]string{"bench", "--zoo", zooDir, "--models", "("}, "--models: error parsing regexp"},
	} {
		code, _, errs := runCLI(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Contains(t, errs, c.want, "%v", c.args)
	}
	code, _, errs := runCLI("bench", "no/such/model.onnx", "--duration", "1ms")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, "no/such/model.onnx")
	code, _, errs = runCLI("bench", "--zoo", "no/such/dir")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, "--zoo no/such/dir: not a folder of models")
	code, _, errs = runCLI("bench", "--zoo", zooDir, "--models", "^nothing$")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, `no */model.onnx or *.onnx (matching --models "^nothing$")`)
}

func TestBenchInputs(t *testing.T) {
	vis := []graph.ValueInfo{
		{Name: "x", DType: ops.Float32, HasShape: true, Shape: graph.Shape{{Value: -1, Param: "batch"}, {Value: 3}}},
		{Name: "ids", DType: ops.Int64, HasShape: true, Shape: graph.Shape{{Value: -1}, {Value: 2}}},
	}
	in, err := benchInputs(vis, 5, 1)
	require.NoError(t, err)
	assert.Equal(t, []int{5, 3}, in[0].Shape)
	for _, v := range in[0].F32() {
		assert.True(t, v >= 0 && v < 1, "x value %v outside [0, 1)", v)
	}
	assert.Equal(t, []int{5, 2}, in[1].Shape)

	bad := []graph.ValueInfo{{Name: "img", DType: ops.Float32, HasShape: true, Shape: graph.Shape{{Value: 1}, {Param: "h", Value: -1}}}}
	_, err = benchInputs(bad, 1, 1)
	assert.ErrorContains(t, err, `input "img": dimension 1 (h)`)
	_, err = benchInputs([]graph.ValueInfo{{Name: "u", DType: ops.Float32}}, 1, 1)
	assert.ErrorContains(t, err, `"u" has no declared shape`)
}

func TestSig3(t *testing.T) {
	for v, want := range map[float64]string{0.00123456: "0.00123", 1.23456: "1.23", 12.3456: "12.3", 1234567: "1234567", 0: "0", 999.6: "1000"} {
		assert.Equal(t, want, sig3(v), "%v", v)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	ts := make([]time.Duration, 200)
	for i := range ts {
		ts[i] = time.Duration(i+1) * time.Microsecond // 1..200 µs
	}
	// Nearest rank: p50 of 200 values is the 100th, p99 the 198th.
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 100}, {99, 198}, {100, 200}, {0, 1}} {
		assert.Equal(t, c.want*time.Microsecond, percentile(ts, c.p), "p%v", c.p)
	}
	r := benchSummary([]time.Duration{3 * time.Microsecond, time.Microsecond, 2 * time.Microsecond, 10 * time.Microsecond})
	assert.Equal(t, benchResult{Runs: 4, MeanUS: 4, P50US: 2, P99US: 10, MinUS: 1}, r)
}

// offset runs the native backend and adds 0.01 to every float32 output,
// so benchCheck must refuse it.
type offset struct{ runtime.Backend }

func (o offset) Compile(ctx context.Context, m *graph.Model, cfg runtime.Config) (runtime.Executable, error) {
	x, err := o.Backend.Compile(ctx, m, cfg)
	return offsetExec{x}, err
}

type offsetExec struct{ runtime.Executable }

func (o offsetExec) Run(ctx context.Context, in []*ops.Tensor) ([]*ops.Tensor, error) {
	out, err := o.Executable.Run(ctx, in)
	for _, t := range out {
		if t != nil && t.DType == ops.Float32 {
			for i := range t.F32() {
				t.F32()[i] += 0.01
			}
		}
	}
	return out, err
}

func TestBenchCheckRefusesDisagreement(t *testing.T) {
	nb, err := runtime.LookupBackend(runtime.NativeBackendName)
	require.NoError(t, err)
	open := func(b runtime.Backend) *runtime.Session {
		s, err := runtime.Open(benchModel, runtime.WithBackendImpl(b))
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}
	native, shifted := open(nb), open(offset{nb})
	in, err := benchInputs(native.Inputs(), 4, 1)
	require.NoError(t, err)
	ctx := context.Background()
	d, err := benchCheck(ctx, []*runtime.Session{native, open(nb)}, in)
	require.NoError(t, err, "native against itself")
	assert.Zero(t, d)
	d, err = benchCheck(ctx, []*runtime.Session{native, shifted}, in)
	assert.ErrorContains(t, err, "disagree on output")
	assert.InDelta(t, 0.01, d, 1e-6)
}
