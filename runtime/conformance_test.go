package runtime_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/latent-ml/latent/runtime/verify"
)

// The ONNX backend-test data (Debian package libonnx-testdata).
const defaultConformanceDir = "/usr/share/libonnx-testdata/data"

// conformanceSuites are the folders of the test data we run, in order.
var conformanceSuites = []string{"node", "pytorch-converted", "pytorch-operator", "simple"}

// backendPolicy is what differs between backends in the conformance run.
type backendPolicy struct {
	// minPassRate (passed / selected) below which the run fails.
	minPassRate float64
	// minOpset leaves out models importing an older ai.onnx opset (counted
	// as not selected, with the reason in the log).
	minOpset int64
	reason   string
}

// policyFor returns the conformance policy of a backend. ONNX Runtime is
// the reference, so it must pass 99% of the selected cases (skipped cases
// count as not passed: the ORT-only lines of skip.txt are cases whose
// reference values ORT itself disagrees with or operators its CPU provider
// lacks); it has no kernels for ai.onnx opsets below 7.
func policyFor(backend string) backendPolicy {
	if backend == "ort" {
		return backendPolicy{minPassRate: 0.99, minOpset: 7, reason: "ONNX Runtime supports ai.onnx opset >= 7 only"}
	}
	return backendPolicy{minPassRate: 0.95}
}

// Tolerances of ONNX's backend tests for floating-point outputs.
const (
	confRtol = 1e-3
	confAtol = 1e-5
)

func conformanceDir() string {
	if d := os.Getenv("LATENT_ONNX_TESTDATA"); d != "" {
		return d
	}
	return defaultConformanceDir
}

// loadSkips reads testdata/conformance/skip.txt and returns the skips that
// apply to backend.
func loadSkips(t *testing.T, backend string) map[string]string {
	t.Helper()
	path := filepath.Join("..", "testdata", "conformance", "skip.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("read skip list: %v", err)
	}
	defer f.Close()
	skips, err := parseSkips(f, backend)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return skips
}

// parseSkips reads a skip list: "suite/case  reason" per line, or
// "backend:suite/case  reason" for a skip that applies to one backend only;
// # comments and blank lines are ignored.
func parseSkips(r io.Reader, backend string) (map[string]string, error) {
	skips := map[string]string{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		key, reason, _ := strings.Cut(s, " ")
		reason = strings.TrimSpace(reason)
		if !strings.Contains(key, "/") || reason == "" {
			return nil, fmt.Errorf("line %d: want \"[backend:]suite/case  reason\", got %q", line, s)
		}
		if b, rest, ok := strings.Cut(key, ":"); ok {
			if b != backend {
				continue
			}
			key = rest
			reason = "(" + b + " only) " + reason
		}
		skips[key] = reason
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return skips, nil
}

// conformanceCase is one model folder with its test data sets.
type conformanceCase struct {
	suite, name, dir string
	model            *graph.Model
	decodeErr        error
	missing          []string // operators without a native kernel
	// unrepresentable names a graph input or output whose type latent
	// cannot hold (uint16/32/64, int16, bfloat16, string, sequences …).
	unrepresentable string
	// random names a random operator whose values reach the outputs: the
	// reference comes from numpy's generator, which no backend reproduces.
	random string
}

// randomOps draw fresh values on every run.
var randomOps = map[string]bool{
	"Bernoulli": true, "RandomUniform": true, "RandomUniformLike": true,
	"RandomNormal": true, "RandomNormalLike": true, "Multinomial": true,
}

// selectCase decodes the case's model and lists operators the native
// registry lacks (including those inside subgraphs).
func selectCase(suite, name, dir string) conformanceCase {
	c := conformanceCase{suite: suite, name: name, dir: dir}
	m, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		c.decodeErr = err
		return c
	}
	c.model = m
	vis := append(append([]graph.ValueInfo(nil), m.Graph.Inputs...), m.Graph.Outputs...)
	for _, vi := range vis {
		switch {
		case vi.TypeRaw != nil:
			c.unrepresentable = fmt.Sprintf("%q is not a dense tensor", vi.Name)
		case vi.DType == ops.Invalid && vi.ElemTypeCode != 0:
			c.unrepresentable = fmt.Sprintf("%q has element type %s", vi.Name, graph.ElemTypeName(vi.ElemTypeCode))
		default:
			continue
		}
		break
	}
	seen := map[string]bool{}
	var walk func(g *graph.Graph)
	walk = func(g *graph.Graph) {
		for _, n := range g.Nodes {
			if randomOps[n.OpType] && (n.Domain == "" || n.Domain == "ai.onnx") {
				c.random = n.OpType
			}
			if n.OpType == "Dropout" && (n.Domain == "" || n.Domain == "ai.onnx") && trainingDropout(dir, m, n) {
				c.random = "Dropout (training mode)"
			}
			if !operators.Supported(n.Domain, n.OpType) {
				key := n.OpType
				if n.Domain != "" && n.Domain != "ai.onnx" {
					key = n.Domain + "/" + n.OpType
				}
				if !seen[key] {
					seen[key] = true
					c.missing = append(c.missing, key)
				}
			}
			for _, a := range n.Attrs {
				if a.G != nil {
					walk(a.G)
				}
				for _, sg := range a.Graphs {
					walk(sg)
				}
			}
		}
	}
	walk(m.Graph)
	return c
}

// trainingDropout reports whether a Dropout node draws a random mask in
// the case: training_mode is true and ratio is not zero, with each read
// from an initializer or from the case's first data set (the tests feed
// them as graph inputs).
func trainingDropout(dir string, m *graph.Model, n *graph.Node) bool {
	value := func(i int) (float64, bool) {
		if i >= len(n.Inputs) || n.Inputs[i] == "" {
			return 0, false
		}
		name := n.Inputs[i]
		t := m.Graph.Initializers[name]
		for k, in := range m.Graph.Inputs {
			if t == nil && in.Name == name {
				if _, tt, err := graph.ReadTensorFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", k))); err == nil {
					t = tt
				}
			}
		}
		if t == nil || t.Len() != 1 {
			return 0, false
		}
		switch d := t.Data.(type) {
		case []bool:
			if d[0] {
				return 1, true
			}
			return 0, true
		case []float32:
			return float64(d[0]), true
		case []float64:
			return d[0], true
		}
		return 0, false
	}
	training, ok := value(2)
	if !ok || training == 0 {
		return false
	}
	ratio, ok := value(1)
	return !ok || ratio != 0 // the default ratio is 0.5
}

// suiteResult counts one suite's cases.
type suiteResult struct {
	selected, ran, passed, skipped int
	unselected                     int
	suiteRan                       bool // false when -run filtered the suite out
	policyOut                      int  // left out by the backend's policy
	unrepresentable                int  // left out for value types latent lacks
	random                         int  // left out for random outputs
	missingOps                     map[string]int
}

// runConformance runs every ONNX backend-test case whose operators all
// have native kernels (and whose inputs and outputs are tensors of element
// types latent represents, and whose outputs are not random draws) on the
// named backend, comparing outputs with the
// reference outputs. Cases listed in testdata/conformance/skip.txt are
// skipped with their reason; any other failing case fails the test, and so
// does a pass rate under the backend's minimum (95%; 99% for ort) for node
// or for the PyTorch suites together.
func runConformance(t *testing.T, backend string) {
	runConformanceWith(t, backend, backend)
}

// runConformanceWith is runConformance with extra session options (the
// unoptimised native run); label names the run in the log.
func runConformanceWith(t *testing.T, label, backend string, opts ...runtime.Option) {
	root := conformanceDir()
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		t.Fatalf("ONNX backend test data not found at %s (%v): install it with `bash tools/setup.sh`, or run the whole suite with `bash tools/test.sh` (as CI=true does); LATENT_ONNX_TESTDATA overrides the folder", root, err)
	}
	skips := loadSkips(t, backend)
	policy := policyFor(backend)
	results := map[string]*suiteResult{}
	for _, suite := range conformanceSuites {
		res := &suiteResult{missingOps: map[string]int{}}
		results[suite] = res
		t.Run(suite, func(t *testing.T) {
			res.suiteRan = true
			entries, err := os.ReadDir(filepath.Join(root, suite))
			if err != nil {
				t.Fatalf("read suite %s: %v", suite, err)
			}
			for _, e := range entries {
				if !e.IsDir() {
					continue
				}
				dir := filepath.Join(root, suite, e.Name())
				if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil {
					continue
				}
				c := selectCase(suite, e.Name(), dir)
				if policy.minOpset > 0 && c.model != nil && opsetOf(c.model) < policy.minOpset {
					res.unselected++
					res.policyOut++
					continue
				}
				if c.unrepresentable != "" {
					res.unselected++
					res.unrepresentable++
					continue
				}
				if c.random != "" && len(c.missing) == 0 {
					res.unselected++
					res.random++
					continue
				}
				if len(c.missing) > 0 {
					res.unselected++
					for _, op := range c.missing {
						res.missingOps[op]++
					}
					continue
				}
				res.selected++
				key := suite + "/" + c.name
				reason, skip := skips[key]
				ran := false
				ok := t.Run(c.name, func(t *testing.T) {
					ran = true
					if skip {
						t.Skip("skip.txt: " + reason)
					}
					runCase(t, backend, c, opts...)
				})
				if !ran {
					continue // filtered out by -run
				}
				res.ran++
				switch {
				case skip:
					res.skipped++
				case ok:
					res.passed++
				}
			}
			t.Logf("conformance %s %s: %d/%d selected cases passed (%s), %d skipped via skip.txt, %d failed, %d filtered out by -run; %d cases need operators without a native kernel",
				label, suite, res.passed, res.selected, pct(res.passed, res.selected), res.skipped, res.ran-res.passed-res.skipped, res.selected-res.ran, res.unselected-res.policyOut-res.unrepresentable-res.random)
			if res.unrepresentable > 0 {
				t.Logf("conformance %s %s: %d cases not selected: an input or output has a type latent does not represent", label, suite, res.unrepresentable)
			}
			if res.random > 0 {
				t.Logf("conformance %s %s: %d cases not selected: random outputs (the reference values come from numpy's generator)", label, suite, res.random)
			}
			if res.policyOut > 0 {
				t.Logf("conformance %s %s: %d cases not selected: %s", label, suite, res.policyOut, policy.reason)
			}
			if len(res.missingOps) > 0 {
				t.Logf("conformance %s %s: most needed missing operators: %s", label, suite, topOps(res.missingOps, 12))
			}
		})
	}

	checkRate := func(what string, suites ...string) {
		var sel, ran, passed int
		for _, s := range suites {
			r := results[s]
			if !r.suiteRan {
				t.Logf("conformance %s %s: suite %s was filtered out by -run; pass-rate check skipped", label, what, s)
				return
			}
			sel, ran, passed = sel+r.selected, ran+r.ran, passed+r.passed
		}
		if ran < sel {
			t.Logf("conformance %s %s: only %d of %d selected cases ran (-run filter); pass-rate check skipped", label, what, ran, sel)
			return
		}
		t.Logf("conformance %s %s: %d/%d passed (%s)", label, what, passed, sel, pct(passed, sel))
		if sel == 0 || float64(passed) < policy.minPassRate*float64(sel) {
			t.Errorf("conformance %s %s: pass rate %s (%d/%d) is below %.0f%%", label, what, pct(passed, sel), passed, sel, 100*policy.minPassRate)
		}
	}
	checkRate("node", "node")
	checkRate("pytorch-converted+pytorch-operator", "pytorch-converted", "pytorch-operator")
}

// opsetOf returns the model's ai.onnx opset.
func opsetOf(m *graph.Model) int64 {
	if v, ok := m.Opsets[""]; ok {
		return v
	}
	return m.Opsets["ai.onnx"]
}

func pct(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

func topOps(counts map[string]int, n int) string {
	type kv struct {
		op string
		n  int
	}
	var l []kv
	for op, c := range counts {
		l = append(l, kv{op, c})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].n != l[j].n {
			return l[i].n > l[j].n
		}
		return l[i].op < l[j].op
	})
	var parts []string
	for i, e := range l {
		if i == n {
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", e.op, e.n))
	}
	return strings.Join(parts, ", ")
}

// runCase opens the case's model on the backend and checks every
// test_data_set_N.
func runCase(t *testing.T, backend string, c conformanceCase, opts ...runtime.Option) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}()
	if c.decodeErr != nil {
		t.Fatalf("decode: %v", c.decodeErr)
	}
	s, err := runtime.OpenModel(c.model, append([]runtime.Option{runtime.WithBackend(backend)}, opts...)...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	sets, _ := filepath.Glob(filepath.Join(c.dir, "test_data_set_*"))
	if len(sets) == 0 {
		t.Fatalf("no test_data_set_N in %s", c.dir)
	}
	sort.Strings(sets)
	for _, set := range sets {
		inputs, err := verify.ReadTensors(set, "input")
		if err != nil {
			t.Fatal(err)
		}
		want, err := verify.ReadTensors(set, "output")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		got, err := s.RunOrdered(ctx, inputs)
		cancel()
		if err != nil {
			t.Fatalf("%s: run: %v", filepath.Base(set), err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d outputs, want %d", filepath.Base(set), len(got), len(want))
		}
		outs := s.Outputs()
		for i := range want {
			if err := compareTensors(got[i], want[i]); err != nil {
				t.Errorf("%s: output %d (%s): %v", filepath.Base(set), i, outs[i].Name, err)
			}
		}
	}
}

// compareTensors checks dtype, shape and values: floats within
// confAtol + confRtol*|want| (NaN matches NaN, infinities must match
// exactly), everything else exactly.
func compareTensors(got, want *ops.Tensor) error {
	if got == nil {
		return errors.New("no tensor")
	}
	if got.DType != want.DType {
		return fmt.Errorf("dtype %v, want %v", got.DType, want.DType)
	}
	if !ops.SameShape(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", ops.ShapeString(got.Shape), ops.ShapeString(want.Shape))
	}
	if err := got.Validate(); err != nil {
		return err
	}
	bad, first := 0, -1
	var gv, wv string
	mark := func(i int, g, w any) {
		if bad == 0 {
			first, gv, wv = i, fmt.Sprint(g), fmt.Sprint(w)
		}
		bad++
	}
	floatEq := func(g, w float64) bool {
		if math.IsNaN(w) || math.IsNaN(g) {
			return math.IsNaN(w) && math.IsNaN(g)
		}
		if math.IsInf(w, 0) || math.IsInf(g, 0) {
			return g == w
		}
		return math.Abs(g-w) <= confAtol+confRtol*math.Abs(w)
	}
	switch w := want.Data.(type) {
	case []float32:
		g := got.F32()
		for i := range w {
			if !floatEq(float64(g[i]), float64(w[i])) {
				mark(i, g[i], w[i])
			}
		}
	case []float64:
		g := got.F64()
		for i := range w {
			if !floatEq(g[i], w[i]) {
				mark(i, g[i], w[i])
			}
		}
	case []uint16:
		g := got.F16()
		for i := range w {
			gf, wf := float64(ops.Float16ToFloat32(g[i])), float64(ops.Float16ToFloat32(w[i]))
			if !floatEq(gf, wf) {
				mark(i, gf, wf)
			}
		}
	default:
		n := want.Len()
		for i := 0; i < n; i++ {
			g, w := elemAt(got.Data, i), elemAt(want.Data, i)
			if g != w {
				mark(i, g, w)
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d values differ; first at flat index %d: got %s, want %s", bad, want.Len(), first, gv, wv)
	}
	return nil
}

func elemAt(data any, i int) any {
	switch d := data.(type) {
	case []int64:
		return d[i]
	case []int32:
		return d[i]
	case []int8:
		return d[i]
	case []uint8:
		return d[i]
	case []bool:
		return d[i]
	}
	return nil
}

// TestConformanceNative runs the ONNX backend tests on the native backend.
// Print the counts with:
//
//	go test ./runtime -run 'TestConformanceNative$' -v | grep 'conformance native'
func TestConformanceNative(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("conformance suite skipped in -short mode (runs in full with `bash tools/test.sh`)")
	}
	runConformance(t, runtime.NativeBackendName)
}

// TestConformanceNativeUnoptimized runs the suite again without the graph
// passes (Identity/Dropout removal, constant folding, Gemm fusion), so a
// pass that changes results shows up as a difference between the two.
func TestConformanceNativeUnoptimized(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("conformance suite skipped in -short mode (runs in full with `bash tools/test.sh`)")
	}
	runConformanceWith(t, "native-unoptimised", runtime.NativeBackendName, runtime.WithOptimize(false))
}

// TestCompareTensors checks the comparison itself against hand-made cases.
func TestCompareTensors(t *testing.T) {
	f := func(v ...float32) *ops.Tensor { return ops.FromFloat32([]int{len(v)}, v) }
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	cases := []struct {
		got, want *ops.Tensor
		ok        bool
	}{
		{f(1, 2), f(1, 2), true},
		{f(1.0009, 2), f(1, 2), true},                      // within rtol 1e-3
		{f(1.0011, 2), f(1, 2), false},                     // outside
		{f(0.000009), f(0), true},                          // within atol
		{f(0.00002), f(0), false},                          // outside atol
		{f(nan), f(nan), true},                             // NaN == NaN
		{f(nan), f(1), false},                              // NaN vs number
		{f(inf), f(inf), true},                             // equal infinities
		{f(inf), f(-inf), false},                           // opposite infinities
		{f(1, 2), f(1, 2, 3), false},                       // shape
		{ops.FromInt64([]int{1}, []int64{1}), f(1), false}, // dtype
		{ops.FromInt64([]int{2}, []int64{1, 2}), ops.FromInt64([]int{2}, []int64{1, 2}), true},
		{ops.FromInt64([]int{2}, []int64{1, 3}), ops.FromInt64([]int{2}, []int64{1, 2}), false}, // ints exact
		{ops.FromBool([]int{2}, []bool{true, false}), ops.FromBool([]int{2}, []bool{true, true}), false},
	}
	for i, c := range cases {
		err := compareTensors(c.got, c.want)
		if (err == nil) != c.ok {
			t.Errorf("case %d: compare(%v, %v) = %v, want ok=%v", i, c.got.Data, c.want.Data, err, c.ok)
		}
	}
}

func TestParseSkips(t *testing.T) {
	list := "# comment\n\nnode/test_a  reason a\nort:node/test_b  ORT differs\nnative:node/test_c  native only\n"
	got, err := parseSkips(strings.NewReader(list), "ort")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["node/test_a"] != "reason a" || got["node/test_b"] != "(ort only) ORT differs" {
		t.Fatalf("ort skips: %q", got)
	}
	got, err = parseSkips(strings.NewReader(list), "native")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["node/test_c"] != "(native only) native only" || got["node/test_b"] != "" {
		t.Fatalf("native skips: %q", got)
	}
	if _, err := parseSkips(strings.NewReader("node/test_x\n"), "native"); err == nil {
		t.Fatal("a skip without a reason was accepted")
	}
}
