package main

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
)

const benchModel = "../../testdata/golden/dense-ae/model.onnx"

func parseBenchJSON(t *testing.T, out string) []benchResult {
	t.Helper()
	var rs []benchResult
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r benchResult
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %q is not a bench JSON object: %v", sc.Text(), err)
		}
		rs = append(rs, r)
	}
	return rs
}

// checkResult checks the relations every result must satisfy.
func checkResult(t *testing.T, r benchResult, backend string, batch, threads int) {
	t.Helper()
	if r.Backend != backend || r.Batch != batch || r.Threads != threads || r.Model != benchModel {
		t.Errorf("result %+v: want backend %s, batch %d, threads %d, model %s", r, backend, batch, threads, benchModel)
	}
	if r.Runs < 5 {
		t.Errorf("%s: %d runs, want at least --min-runs 5", backend, r.Runs)
	}
	if !(r.MinUS > 0 && r.MinUS <= r.P50US && r.P50US <= r.P99US && r.MinUS <= r.MeanUS) {
		t.Errorf("%s: latencies out of order: min %v p50 %v p99 %v mean %v", backend, r.MinUS, r.P50US, r.P99US, r.MeanUS)
	}
	if want := float64(batch) * 1e6 / r.MeanUS; math.Abs(r.SamplesPerS-want) > 1e-6*want {
		t.Errorf("%s: samples_per_s %v, want batch/mean = %v", backend, r.SamplesPerS, want)
	}
}

func TestBenchNativeJSON(t *testing.T) {
	code, out, errs := runCLI("bench", benchModel, "--batch", "3", "--threads", "1", "--json",
		"--warmup", "2", "--duration", "20ms", "--min-runs", "5")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	rs := parseBenchJSON(t, out)
	if len(rs) != 1 {
		t.Fatalf("got %d JSON objects, want 1:\n%s", len(rs), out)
	}
	checkResult(t, rs[0], "native", 3, 1)
	if rs[0].NativeOverORT != 0 {
		t.Errorf("native alone reports a ratio %v", rs[0].NativeOverORT)
	}
}

func TestBenchBothInterleaved(t *testing.T) {
	requireORT(t)
	code, out, errs := runCLI("bench", benchModel, "--batch", "16", "--backend", "both", "--threads", "1",
		"--json", "--warmup", "2", "--duration", "30ms", "--min-runs", "5")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	rs := parseBenchJSON(t, out)
	if len(rs) != 2 {
		t.Fatalf("got %d JSON objects, want 2:\n%s", len(rs), out)
	}
	checkResult(t, rs[0], "native", 16, 1)
	checkResult(t, rs[1], "ort", 16, 1)
	if rs[0].Runs != rs[1].Runs {
		t.Errorf("interleaved runs differ: native %d, ort %d", rs[0].Runs, rs[1].Runs)
	}
	want := rs[0].SamplesPerS / rs[1].SamplesPerS
	for _, r := range rs {
		if math.Abs(r.NativeOverORT-want) > 1e-9*want {
			t.Errorf("%s: native_over_ort %v, want %v", r.Backend, r.NativeOverORT, want)
		}
		if r.MaxAbsDiff == nil || *r.MaxAbsDiff > 1e-4 {
			t.Errorf("%s: max_abs_diff %v, want a value within the verify tolerance", r.Backend, r.MaxAbsDiff)
		}
	}

	code, out, errs = runCLI("bench", benchModel, "--backend", "both", "--threads", "1",
		"--warmup", "1", "--duration", "10ms", "--min-runs", "3")
	if code != exitOK {
		t.Fatalf("text mode: exit %d, stderr %s", code, errs)
	}
	for _, s := range []string{"batch 1, threads 1", "native ", "ort ", "native/ort: throughput ×", "outputs differ by at most"} {
		if !strings.Contains(out, s) {
			t.Errorf("text output lacks %q:\n%s", s, out)
		}
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, "exactly one MODEL"},
		{[]string{"bench", benchModel, "--batch", "0"}, "--batch must be at least 1"},
		{[]string{"bench", benchModel, "--backend", "gpu"}, `--backend must be native, ort or both, got "gpu"`},
		{[]string{"bench", benchModel, "--threads", "-2"}, "--threads must be 0 or more"},
		{[]string{"bench", benchModel, "--min-runs", "0"}, "--min-runs ≥ 1"},
	} {
		code, _, errs := runCLI(c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errs, exitUsage, c.want)
		}
	}
	code, _, errs := runCLI("bench", "no/such/model.onnx", "--duration", "1ms")
	if code != exitFail || !strings.Contains(errs, "no/such/model.onnx") {
		t.Errorf("missing model: exit %d, stderr %q", code, errs)
	}
}

func TestBenchInputs(t *testing.T) {
	vis := []graph.ValueInfo{
		{Name: "x", DType: ops.Float32, HasShape: true, Shape: graph.Shape{{Value: -1, Param: "batch"}, {Value: 3}}},
		{Name: "ids", DType: ops.Int64, HasShape: true, Shape: graph.Shape{{Value: -1}, {Value: 2}}},
	}
	in, err := benchInputs(vis, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := in[0].Shape; len(got) != 2 || got[0] != 5 || got[1] != 3 {
		t.Errorf("x shape %v, want [5 3]", got)
	}
	for _, v := range in[0].F32() {
		if v < 0 || v >= 1 {
			t.Errorf("x value %v outside [0, 1)", v)
		}
	}
	if got := in[1].Shape; got[0] != 5 || got[1] != 2 {
		t.Errorf("ids shape %v, want [5 2]", got)
	}

	bad := []graph.ValueInfo{{Name: "img", DType: ops.Float32, HasShape: true, Shape: graph.Shape{{Value: 1}, {Param: "h", Value: -1}}}}
	if _, err := benchInputs(bad, 1, 1); err == nil || !strings.Contains(err.Error(), `input "img": dimension 1 (h)`) {
		t.Errorf("symbolic inner dimension: err %v", err)
	}
	if _, err := benchInputs([]graph.ValueInfo{{Name: "u", DType: ops.Float32}}, 1, 1); err == nil || !strings.Contains(err.Error(), `"u" has no declared shape`) {
		t.Errorf("no shape: err %v", err)
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
		if got := percentile(ts, c.p); got != c.want*time.Microsecond {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want*time.Microsecond)
		}
	}
	r := benchSummary([]time.Duration{3 * time.Microsecond, time.Microsecond, 2 * time.Microsecond, 10 * time.Microsecond})
	if r.Runs != 4 || r.MeanUS != 4 || r.P50US != 2 || r.P99US != 10 || r.MinUS != 1 {
		t.Errorf("benchSummary = %+v, want runs 4, mean 4, p50 2, p99 10, min 1", r)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	open := func(b runtime.Backend) *runtime.Session {
		s, err := runtime.Open(benchModel, runtime.WithBackendImpl(b))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	native, shifted := open(nb), open(offset{nb})
	in, err := benchInputs(native.Inputs(), 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if d, err := benchCheck(ctx, []*runtime.Session{native, open(nb)}, in); err != nil || d != 0 {
		t.Errorf("native against itself: max abs %v, err %v", d, err)
	}
	d, err := benchCheck(ctx, []*runtime.Session{native, shifted}, in)
	if err == nil || !strings.Contains(err.Error(), "disagree on output") || math.Abs(d-0.01) > 1e-6 {
		t.Errorf("shifted outputs: max abs %v, err %v; want 0.01 and a disagreement error", d, err)
	}
}
