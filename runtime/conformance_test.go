package runtime_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/onnxpb"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/latent-ml/latent/runtime/verify"
)

// The conformance run (TestConformance) runs every ONNX backend-test case
// of two sources on each backend and checks the outcome of each case
// against testdata/conformance/unsupported.txt, the one list of the cases
// a backend does not pass, each with its reason:
//
//   - the cases onnx's own test definitions generate with the onnx release
//     pinned in tools/python/requirements.txt (suites onnx-node and
//     onnx-simple), made once per version by tools/onnx-testdata.sh;
//   - Debian's libonnx-testdata (ONNX 1.12: suites node, pytorch-converted,
//     pytorch-operator, simple).
//
// A case that fails but is not listed fails the test, and so does a listed
// case that passes (the list must say what is true); the native backend
// must also pass at least the floor recorded per suite, which only rises.
// After work lands, `go test ./runtime -run TestConformance
// -conformance.update` rewrites the list and raises the floors.

var updateUnsupported = flag.Bool("conformance.update", false,
	"rewrite testdata/conformance/unsupported.txt from this run's outcomes and raise its floors")

// The Debian package's folder (LATENT_ONNX_TESTDATA overrides it).
const defaultDebianDir = "/usr/share/libonnx-testdata/data"

// Tolerances of ONNX's backend tests for floating-point outputs, the same
// for every backend.
const (
	confRtol = 1e-3
	confAtol = 1e-5
)

// confSuite is one folder of backend-test cases.
type confSuite struct {
	id  string // the suite's name in unsupported.txt and in test names
	dir string
	// unavailable says why the suite's data is missing ("" when present);
	// required makes that a failure rather than a skip.
	unavailable string
	required    bool
}

// confSuites lists the suites in run order (suiteIDs): the current onnx
// cases first.
func confSuites(t *testing.T) (suites []confSuite, onnxVersion string) {
	t.Helper()
	gen, version, genWhy := generatedDir(t)
	deb := defaultDebianDir
	if d := os.Getenv("LATENT_ONNX_TESTDATA"); d != "" {
		deb = d
	}
	debWhy := ""
	if st, err := os.Stat(deb); err != nil || !st.IsDir() {
		debWhy = fmt.Sprintf("Debian's ONNX backend test data is not at %s: install it with `bash tools/setup.sh` (LATENT_ONNX_TESTDATA overrides the folder)", deb)
	}
	for _, id := range suiteIDs {
		if dir, ok := strings.CutPrefix(id, "onnx-"); ok {
			// Python-generated: a developer without the venv may skip it.
			suites = append(suites, confSuite{id: id, dir: filepath.Join(gen, dir), unavailable: genWhy, required: os.Getenv("CI") != ""})
		} else {
			suites = append(suites, confSuite{id: id, dir: filepath.Join(deb, id), unavailable: debWhy, required: true})
		}
	}
	return suites, version
}

// generatedDir finds the cases tools/onnx-testdata.sh generated from the
// pinned onnx, checking its stamp (onnx version and generator hash) so a
// stale cache is never mistaken for the current suite. LATENT_ONNX_CASES
// names another folder (no stamp check).
func generatedDir(t *testing.T) (dir, version, unavailable string) {
	t.Helper()
	req, err := os.ReadFile(filepath.Join("..", "tools", "python", "requirements.txt"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^onnx==([^\s;#]+)`).FindSubmatch(req)
	require.NotNil(t, m, "tools/python/requirements.txt pins no onnx==VERSION")
	version = string(m[1])
	if d := os.Getenv("LATENT_ONNX_CASES"); d != "" {
		return d, version, ""
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		require.NoError(t, err)
		cache = filepath.Join(home, ".cache")
	}
	dir = filepath.Join(cache, "latent", "onnx-testdata", "onnx-"+version)
	gen, err := os.ReadFile(filepath.Join("..", "tools", "python", "gen_conformance.py"))
	require.NoError(t, err)
	sum := sha256.Sum256(gen)
	want := "onnx " + version + " generator " + hex.EncodeToString(sum[:])
	got, err := os.ReadFile(filepath.Join(dir, ".latent-stamp"))
	switch {
	case err != nil:
		return dir, version, fmt.Sprintf("the onnx %s backend-test cases are not generated in %s: run `bash tools/onnx-testdata.sh` (tools/setup.sh does)", version, dir)
	case strings.TrimSpace(string(got)) != want:
		return dir, version, fmt.Sprintf("the cases in %s are stale (%q, want %q): run `bash tools/onnx-testdata.sh`", dir, strings.TrimSpace(string(got)), want)
	}
	return dir, version, ""
}

// The operator families the summary counts cases by. A case belongs to the
// first family that applies, in this order; all but missing-ops depend only
// on the case, not on latent.
const (
	famML       = "ai.onnx.ml"
	famControl  = "control-flow"
	famSequence = "sequences"
	famTypes    = "element-types"
	famMissing  = "missing-ops"
	famOther    = "other"
)

var families = []string{famML, famControl, famSequence, famTypes, famMissing, famOther}

var familyDoc = map[string]string{
	famControl:  "If, Loop, Scan anywhere in the graph",
	famSequence: "sequence/optional operators or values",
	famTypes:    "int16, uint16/32/64, bfloat16, float8, 4-/2-bit, string values",
	famMissing:  "operators without a native kernel (opset 20-24 and older)",
	famML:       "ai.onnx.ml domain",
	famOther:    "everything else",
}

var (
	controlOps  = map[string]bool{"If": true, "Loop": true, "Scan": true}
	sequenceOps = map[string]bool{
		"SequenceConstruct": true, "SequenceAt": true, "SequenceInsert": true, "SequenceErase": true,
		"SequenceLength": true, "SequenceEmpty": true, "SplitToSequence": true, "ConcatFromSequence": true,
		"SequenceMap": true, "Optional": true, "OptionalHasElement": true, "OptionalGetElement": true,
	}
	// randomOps draw fresh values on every run.
	randomOps = map[string]bool{
		"Bernoulli": true, "RandomUniform": true, "RandomUniformLike": true,
		"RandomNormal": true, "RandomNormalLike": true, "Multinomial": true,
	}
	// legacyElemTypes are the element types latent held before issue 16;
	// a case using any other belongs to the element-types family.
	legacyElemTypes = map[onnxpb.TensorProto_DataType]bool{
		onnxpb.TensorProto_FLOAT: true, onnxpb.TensorProto_DOUBLE: true, onnxpb.TensorProto_FLOAT16: true,
		onnxpb.TensorProto_INT64: true, onnxpb.TensorProto_INT32: true, onnxpb.TensorProto_INT8: true,
		onnxpb.TensorProto_UINT8: true, onnxpb.TensorProto_BOOL: true,
	}
)

// confCase is one backend-test case and what the catalogue knows of it
// without running it.
type confCase struct {
	suite, name, dir string
	// op is the operator the case tests (for an _expanded case, the one
	// its function body expands); "" for a model of several operators.
	op string
	// ops are all operators in the model (subgraphs included), as
	// "Op" or "domain/Op".
	ops     []string
	missing []string // operators without a native kernel
	family  string
	// random names a random operator whose values reach the outputs: the
	// reference values come from numpy's generator, which no backend
	// reproduces.
	random string
	// nonTensor names a graph input or output that is not a tensor.
	nonTensor string
}

func (c *confCase) key() string { return c.suite + "/" + c.name }

func (c *confCase) opLabel() string {
	if c.op == "" {
		return "(model)"
	}
	return c.op
}

// catalogue lists the cases of a suite with their static facts. It reads
// each model's protobuf directly, so a case whose model latent cannot
// decode is still classified.
func catalogue(s confSuite) ([]*confCase, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read suite %s: %w", s.id, err)
	}
	var cases []*confCase
	byName := map[string]*confCase{}
	for _, e := range entries {
		dir := filepath.Join(s.dir, e.Name())
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil {
			continue
		}
		c := &confCase{suite: s.id, name: e.Name(), dir: dir}
		if err := c.classify(); err != nil {
			return nil, err
		}
		cases = append(cases, c)
		byName[c.name] = c
	}
	for _, c := range cases {
		if base, _, ok := strings.Cut(c.name, "_expanded"); ok {
			if b := byName[base]; b != nil {
				c.op = b.op
			}
		}
	}
	return cases, nil
}

func (c *confCase) classify() error {
	b, err := os.ReadFile(filepath.Join(c.dir, "model.onnx"))
	if err != nil {
		return err
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		// Counted as a failure when the case runs; nothing to classify.
		c.family = famOther
		return nil
	}
	g := mp.GetGraph()
	top := map[string]bool{}
	for _, n := range g.GetNode() {
		top[opName(n)] = true
	}
	if len(top) == 1 {
		for op := range top {
			c.op = op
		}
	}
	seen := map[string]bool{}
	hasML, hasControl, hasSeq, hasTypes := false, false, false, false
	checkType := func(code int32) {
		if code != 0 && !legacyElemTypes[onnxpb.TensorProto_DataType(code)] {
			hasTypes = true
		}
	}
	var checkValueType func(tp *onnxpb.TypeProto)
	checkValueType = func(tp *onnxpb.TypeProto) {
		switch v := tp.GetValue().(type) {
		case *onnxpb.TypeProto_TensorType:
			checkType(v.TensorType.GetElemType())
		case *onnxpb.TypeProto_SequenceType:
			hasSeq = true
			checkValueType(v.SequenceType.GetElemType())
		case *onnxpb.TypeProto_OptionalType:
			hasSeq = true
			checkValueType(v.OptionalType.GetElemType())
		case *onnxpb.TypeProto_MapType:
			checkType(v.MapType.GetKeyType())
			checkValueType(v.MapType.GetValueType())
		}
	}
	for _, vi := range append(append([]*onnxpb.ValueInfoProto(nil), g.GetInput()...), g.GetOutput()...) {
		if _, ok := vi.GetType().GetValue().(*onnxpb.TypeProto_TensorType); !ok && vi.GetType() != nil && c.nonTensor == "" {
			c.nonTensor = fmt.Sprintf("%s is %s", vi.GetName(), typeString(vi))
		}
	}
	var walk func(g *onnxpb.GraphProto)
	walk = func(g *onnxpb.GraphProto) {
		for _, vi := range append(append(append([]*onnxpb.ValueInfoProto(nil), g.GetInput()...), g.GetOutput()...), g.GetValueInfo()...) {
			checkValueType(vi.GetType())
		}
		for _, init := range g.GetInitializer() {
			checkType(init.GetDataType())
		}
		for _, n := range g.GetNode() {
			op := opName(n)
			if !seen[op] {
				seen[op] = true
				c.ops = append(c.ops, op)
				if !operators.Supported(n.GetDomain(), n.GetOpType()) {
					c.missing = append(c.missing, op)
				}
			}
			isDefault := n.GetDomain() == "" || n.GetDomain() == "ai.onnx"
			hasML = hasML || n.GetDomain() == "ai.onnx.ml"
			hasControl = hasControl || isDefault && controlOps[n.GetOpType()]
			hasSeq = hasSeq || isDefault && sequenceOps[n.GetOpType()]
			if isDefault && randomOps[n.GetOpType()] {
				c.random = n.GetOpType()
			}
			for _, a := range n.GetAttribute() {
				switch a.GetName() {
				case "to", "dtype", "output_dtype":
					checkType(int32(a.GetI()))
				}
				if a.GetT() != nil {
					checkType(a.GetT().GetDataType())
				}
				if a.GetG() != nil {
					walk(a.GetG())
				}
				for _, sg := range a.GetGraphs() {
					walk(sg)
				}
			}
		}
	}
	walk(g)
	if c.random == "" && seen["Dropout"] && trainingDropout(c.dir) {
		c.random = "Dropout (training mode)"
	}
	switch {
	case hasML:
		c.family = famML
	case hasControl:
		c.family = famControl
	case hasSeq:
		c.family = famSequence
	case hasTypes:
		c.family = famTypes
	case len(c.missing) > 0:
		c.family = famMissing
	default:
		c.family = famOther
	}
	return nil
}

func opName(n *onnxpb.NodeProto) string {
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		return d + "/" + n.GetOpType()
	}
	return n.GetOpType()
}

func typeString(vi *onnxpb.ValueInfoProto) string {
	b, err := proto.Marshal(vi.GetType())
	if err != nil {
		return "?"
	}
	return graph.TypeString(graph.ValueInfo{Name: vi.GetName(), TypeRaw: b})
}

// trainingDropout reports whether a Dropout node of the case's model draws
// a random mask: training_mode is true and ratio is not zero, each read
// from an initializer or from the case's first data set (the tests feed
// them as graph inputs).
func trainingDropout(dir string) bool {
	m, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return false
	}
	for _, n := range m.Graph.Nodes {
		if n.OpType == "Dropout" && (n.Domain == "" || n.Domain == "ai.onnx") && dropoutDraws(dir, m, n) {
			return true
		}
	}
	return false
}

func dropoutDraws(dir string, m *graph.Model, n *graph.Node) bool {
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

// outcome is what running one case on one backend gave.
type outcome struct {
	pass bool
	// reason is the one-line cause of a failure as unsupported.txt
	// records it: stable across runs (no values, no paths).
	reason string
	// detail is the full message for the log.
	detail string
}

func failed(reason, detail string) outcome {
	if detail == "" {
		detail = reason
	}
	return outcome{reason: reason, detail: detail}
}

// runCase runs every test_data_set_N of the case on the backend. The data
// files are read (by their declared types: tensors, sequences, optionals,
// maps) before anything else, so a case the runtime cannot run yet still
// checks that latent reads its files.
func runCase(backend string, c *confCase, opts ...runtime.Option) (out outcome) {
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprint(r)
			out = failed("panic: "+cleanReason(msg, c.dir), "panic: "+msg)
		}
	}()
	if c.random != "" {
		return failed(fmt.Sprintf("random outputs (%s): the reference values come from numpy's generator", c.random), "")
	}
	if backend == runtime.NativeBackendName && len(c.missing) > 0 {
		return failed("no native kernel: "+strings.Join(c.missing, ", "), "")
	}
	m, err := graph.DecodeFile(filepath.Join(c.dir, "model.onnx"))
	if err != nil {
		return failed("decode: "+cleanReason(err.Error(), c.dir), err.Error())
	}
	sets, err := verify.DataSets(c.dir)
	if err != nil || len(sets) == 0 {
		return failed("no test_data_set_N folders", fmt.Sprint(err))
	}
	inDecl := func(k int) graph.ValueInfo {
		if k < len(m.Graph.Inputs) {
			return m.Graph.Inputs[k]
		}
		return graph.ValueInfo{}
	}
	outDecl := func(k int) graph.ValueInfo {
		if k < len(m.Graph.Outputs) {
			return m.Graph.Outputs[k]
		}
		return graph.ValueInfo{}
	}
	type dataSet struct{ inputs, outputs []*graph.Value }
	data := make([]dataSet, len(sets))
	for i, set := range sets {
		if data[i].inputs, err = readValues(set, "input", inDecl); err == nil {
			data[i].outputs, err = readValues(set, "output", outDecl)
		}
		if err != nil {
			return failed(cleanReason(err.Error(), c.dir), err.Error())
		}
	}
	s, err := runtime.OpenModel(m, append([]runtime.Option{runtime.WithBackend(backend)}, opts...)...)
	if err != nil {
		return failed("open: "+cleanReason(err.Error(), c.dir), err.Error())
	}
	defer s.Close()
	outs := s.Outputs()
	for i, d := range data {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		got, err := s.RunValuesOrdered(ctx, d.inputs)
		cancel()
		set := filepath.Base(sets[i])
		if err != nil {
			return failed("run: "+cleanReason(err.Error(), c.dir), set+": run: "+err.Error())
		}
		if len(got) != len(d.outputs) {
			return failed(fmt.Sprintf("%d outputs, the data has %d", len(got), len(d.outputs)), "")
		}
		for k := range d.outputs {
			if cmp, err := compareValues(got[k], d.outputs[k]); err != nil {
				return failed(fmt.Sprintf("output %s: %s", outs[k].Name, cmp), fmt.Sprintf("%s: output %d (%s): %v", set, k, outs[k].Name, err))
			}
		}
	}
	return outcome{pass: true}
}

// readValues reads prefix_0.pb, prefix_1.pb, … from a data set folder,
// each as the value its declaration calls for.
func readValues(set, prefix string, decl func(int) graph.ValueInfo) ([]*graph.Value, error) {
	var out []*graph.Value
	for k := 0; ; k++ {
		p := filepath.Join(set, fmt.Sprintf("%s_%d.pb", prefix, k))
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return out, nil
		}
		v, err := graph.ReadValueFile(p, decl(k))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

var (
	spaces = regexp.MustCompile(`\s+`)
	// ortSource is the source location ONNX Runtime puts before its
	// messages ("/onnxruntime_src/onnxruntime/core/graph/model.cc:181 ").
	ortSource = regexp.MustCompile(`/onnxruntime_src/\S+:\d+ `)
)

// cleanReason makes an error message fit one line of unsupported.txt:
// paths inside the case folder shortened, ONNX Runtime's source locations
// and C++ signatures dropped, whitespace collapsed, length bounded.
func cleanReason(msg, dir string) string {
	msg = strings.ReplaceAll(msg, dir+string(filepath.Separator), "")
	msg = strings.ReplaceAll(msg, dir, filepath.Base(dir))
	for {
		loc := ortSource.FindStringIndex(msg)
		if loc == nil {
			break
		}
		msg = msg[:loc[0]] + skipSignature(msg[loc[1]:])
	}
	msg = strings.TrimSpace(spaces.ReplaceAllString(msg, " "))
	const max = 220
	if len(msg) > max {
		cut := max
		for cut > 0 && msg[cut]&0xC0 == 0x80 { // keep UTF-8 whole
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// skipSignature drops a leading C++ function signature ("void
// ns::F(const T&, int) ") up to the parenthesis that closes its parameter
// list; text without one is returned as is.
func skipSignature(s string) string {
	open := strings.IndexByte(s, '(')
	if open < 0 || strings.ContainsAny(s[:open], ".!?") {
		return s
	}
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return strings.TrimLeft(s[i+1:], " ")
			}
		}
	}
	return s
}

// compareValues compares values of any kind: tensors as compareTensors
// does, sequences element by element, optionals by presence and contents.
func compareValues(got, want *graph.Value) (string, error) {
	if got == nil {
		return "no value", errors.New("no value")
	}
	if got.Kind != want.Kind {
		err := fmt.Errorf("a %s, want a %s", got.Kind, want.Kind)
		return err.Error(), err
	}
	switch want.Kind {
	case graph.TensorValue:
		return compareTensors(got.Tensor, want.Tensor)
	case graph.SequenceValue, graph.MapValue:
		if len(got.Elems) != len(want.Elems) {
			err := fmt.Errorf("%d elements, want %d", len(got.Elems), len(want.Elems))
			return "wrong sequence length", err
		}
		for i := range want.Elems {
			if cmp, err := compareValues(got.Elems[i], want.Elems[i]); err != nil {
				return "element: " + cmp, fmt.Errorf("element %d: %w", i, err)
			}
		}
		if want.Kind == graph.MapValue {
			return compareTensors(got.Keys, want.Keys)
		}
	case graph.OptionalValue:
		if (got.Elem == nil) != (want.Elem == nil) {
			err := fmt.Errorf("optional %v, want %v", got, want)
			return "wrong optional presence", err
		}
		if want.Elem != nil {
			return compareValues(got.Elem, want.Elem)
		}
	}
	return "", nil
}

// compareTensors checks dtype, shape and values: floats within
// confAtol + confRtol*|want| (NaN matches NaN, infinities must match
// exactly), everything else exactly. Its first result is the stable form
// of the mismatch for unsupported.txt ("wrong values", "dtype …").
func compareTensors(got, want *ops.Tensor) (string, error) {
	if got == nil {
		return "no tensor", errors.New("no tensor")
	}
	if got.DType != want.DType {
		err := fmt.Errorf("dtype %v, want %v", got.DType, want.DType)
		return err.Error(), err
	}
	if !ops.SameShape(got.Shape, want.Shape) {
		err := fmt.Errorf("shape %v, want %v", ops.ShapeString(got.Shape), ops.ShapeString(want.Shape))
		return "wrong shape", err
	}
	if err := got.Validate(); err != nil {
		return "invalid tensor", err
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
	default:
		if want.DType.IsFloat() || want.DType.IsNarrowFloat() {
			// float16, bfloat16, the 8- and 4-bit floats: compared as
			// their (exact) float32 values.
			gf, wf := make([]float32, got.Len()), make([]float32, want.Len())
			if err := ops.WidenToFloat32(gf, got); err != nil {
				return "invalid tensor", err
			}
			if err := ops.WidenToFloat32(wf, want); err != nil {
				return "invalid tensor", err
			}
			for i := range wf {
				if !floatEq(float64(gf[i]), float64(wf[i])) {
					mark(i, gf[i], wf[i])
				}
			}
			break
		}
		// Integers, bools and strings: exactly.
		gv, wv := reflect.ValueOf(got.Data), reflect.ValueOf(want.Data)
		for i := 0; i < want.Len(); i++ {
			if g, w := gv.Index(i).Interface(), wv.Index(i).Interface(); g != w {
				mark(i, g, w)
			}
		}
	}
	if bad > 0 {
		return "wrong values", fmt.Errorf("%d of %d values differ; first at flat index %d: got %s, want %s", bad, want.Len(), first, gv, wv)
	}
	return "", nil
}

// confRun is one backend's run of the conformance cases.
type confRun struct {
	label   string // "native", "native-unoptimised", "ort"
	backend string
	opts    []runtime.Option
	// listAs is the backend whose unsupported.txt lines this run is
	// checked against; update says whether -conformance.update rewrites
	// them from this run.
	listAs string
	update bool
}

// TestConformance runs the ONNX backend-test suites on the native
// backend (with and without the graph passes, so a pass that changes
// results shows up as a difference) and on ONNX Runtime, then prints the
// pass counts side by side, by suite, by operator family and by operator.
//
//	go test ./runtime -run TestConformance -v | grep -A60 'conformance summary'
//	go test ./runtime -run 'TestConformance/native/onnx-node/test_attention' -v
//	LATENT_CONFORMANCE_FAMILY=sequences go test ./runtime -run 'TestConformance/native$' -v
//	LATENT_CONFORMANCE_OPS=If,Loop go test ./runtime -run TestConformance -v
//	LATENT_CONFORMANCE_REPORT=/tmp/conf.tsv go test ./runtime -run TestConformance
//	go test ./runtime -run TestConformance -conformance.update   # after work lands
//
// Under CI a missing ONNX Runtime library or missing test data fails.
func TestConformance(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("conformance suite skipped in -short mode (runs in full with `bash tools/test.sh`)")
	}
	suites, onnxVersion := confSuites(t)
	filter, err := caseFilterFromEnv()
	require.NoError(t, err)
	cat := map[string][]*confCase{}
	for _, s := range suites {
		if s.unavailable != "" {
			continue
		}
		cases, err := catalogue(s)
		require.NoError(t, err)
		cat[s.id] = cases
	}
	runs := []confRun{
		{label: "native", backend: runtime.NativeBackendName, listAs: "native", update: true},
		{label: "native-unoptimised", backend: runtime.NativeBackendName, opts: []runtime.Option{runtime.WithOptimize(false)}, listAs: "native"},
		{label: "ort", backend: "ort", listAs: "ort", update: true},
	}
	results := map[string]*runResult{}
	for _, r := range runs {
		t.Run(r.label, func(t *testing.T) {
			if r.backend == "ort" {
				requireORTGolden(t)
			}
			res := runBackend(t, r, suites, cat, filter)
			results[r.label] = res
		})
	}
	summarize(t, suites, onnxVersion, cat, results, filter)
}

// runResult is one backend run's outcomes by case key, and which suites
// ran in full (every case, no filter).
type runResult struct {
	outcomes map[string]outcome
	full     map[string]bool
	passed   map[string]int
	elapsed  time.Duration
}

func runBackend(t *testing.T, r confRun, suites []confSuite, cat map[string][]*confCase, filter caseFilter) *runResult {
	list, err := loadUnsupported()
	require.NoError(t, err)
	res := &runResult{outcomes: map[string]outcome{}, full: map[string]bool{}, passed: map[string]int{}}
	start := time.Now()
	for _, s := range suites {
		t.Run(s.id, func(t *testing.T) {
			if s.unavailable != "" {
				if s.required {
					t.Fatal(s.unavailable)
				}
				t.Skip(s.unavailable)
			}
			cases := cat[s.id]
			ran, passed := 0, 0
			for _, c := range cases {
				if !filter.match(c) {
					continue
				}
				entry, listed := list.entries[entryKey{r.listAs, c.key()}]
				t.Run(c.name, func(t *testing.T) {
					ran++
					o := runCase(r.backend, c, r.opts...)
					res.outcomes[c.key()] = o
					if o.pass {
						passed++
					}
					switch {
					case *updateUnsupported && r.update:
						// Recorded below; the list is rewritten, not checked.
					case o.pass && listed:
						t.Errorf("passes, but testdata/conformance/unsupported.txt lists it for %s (%s): delete the line, or run with -conformance.update", r.listAs, entry.reason)
					case !o.pass && !listed:
						t.Errorf("fails on %s: %s\n(not in testdata/conformance/unsupported.txt: fix it, or list it there with its reason)", r.label, o.detail)
					case !o.pass && entry.reason != o.reason:
						t.Logf("unsupported (listed as %q): %s", entry.reason, o.detail)
					case !o.pass:
						t.Logf("unsupported: %s", o.detail)
					}
				})
			}
			full := ran == len(cases) && !filter.active()
			res.full[s.id] = full
			res.passed[s.id] = passed
			if full {
				for key := range list.entries {
					if key.backend == r.listAs && strings.HasPrefix(key.key, s.id+"/") && !hasCase(cases, key.key) && !*updateUnsupported {
						t.Errorf("testdata/conformance/unsupported.txt lists %s for %s, which suite %s does not have: delete the line", key.key, key.backend, s.id)
					}
				}
			}
			t.Logf("conformance %s %s: %d/%d passed (%s)%s", r.label, s.id, passed, ran, pct(passed, ran), partial(full, len(cases)))
		})
	}
	res.elapsed = time.Since(start)
	t.Logf("conformance %s: %v", r.label, res.elapsed.Round(100*time.Millisecond))
	if *updateUnsupported && r.update {
		require.NoError(t, updateList(r.listAs, res, cat))
	}
	// The floors, after any update (which never lowers them).
	if list, err = loadUnsupported(); err == nil {
		for _, s := range suites {
			if !res.full[s.id] {
				continue
			}
			floor, ok := list.floors[floorKey{r.listAs, s.id}]
			if !ok {
				assert.NotEqual(t, "native", r.listAs, "testdata/conformance/unsupported.txt has no floor for native %s: run with -conformance.update", s.id)
				continue
			}
			assert.GreaterOrEqual(t, res.passed[s.id], floor,
				"conformance %s %s: %d cases passed, below the recorded floor %d (a regression: the floor only rises)", r.label, s.id, res.passed[s.id], floor)
		}
	}
	require.NoError(t, err)
	return res
}

func hasCase(cases []*confCase, key string) bool {
	for _, c := range cases {
		if c.key() == key {
			return true
		}
	}
	return false
}

func partial(full bool, total int) string {
	if full {
		return ""
	}
	return fmt.Sprintf(" of a filtered selection (the suite has %d cases; floors not checked)", total)
}

// caseFilter selects cases by operator family or operator, from
// LATENT_CONFORMANCE_FAMILY and LATENT_CONFORMANCE_OPS.
type caseFilter struct {
	families map[string]bool
	ops      map[string]bool
}

func caseFilterFromEnv() (caseFilter, error) {
	var f caseFilter
	if v := os.Getenv("LATENT_CONFORMANCE_FAMILY"); v != "" {
		f.families = map[string]bool{}
		for _, fam := range strings.Split(v, ",") {
			fam = strings.TrimSpace(fam)
			if _, ok := familyDoc[fam]; !ok {
				return f, fmt.Errorf("LATENT_CONFORMANCE_FAMILY: unknown family %q (want one of %s)", fam, strings.Join(families, ", "))
			}
			f.families[fam] = true
		}
	}
	if v := os.Getenv("LATENT_CONFORMANCE_OPS"); v != "" {
		f.ops = map[string]bool{}
		for _, op := range strings.Split(v, ",") {
			f.ops[strings.TrimSpace(op)] = true
		}
	}
	return f, nil
}

func (f caseFilter) active() bool { return f.families != nil || f.ops != nil }

func (f caseFilter) match(c *confCase) bool {
	if f.families != nil && !f.families[c.family] {
		return false
	}
	if f.ops != nil {
		for _, op := range c.ops {
			if f.ops[op] {
				return true
			}
		}
		return f.ops[c.op]
	}
	return true
}

func pct(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
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
		// uint16 shares float16's storage but compares as integers, exactly.
		{&ops.Tensor{DType: ops.Uint16, Shape: []int{1}, Data: []uint16{15360}}, &ops.Tensor{DType: ops.Uint16, Shape: []int{1}, Data: []uint16{15361}}, false},
		{&ops.Tensor{DType: ops.Float16, Shape: []int{1}, Data: []uint16{15360}}, &ops.Tensor{DType: ops.Float16, Shape: []int{1}, Data: []uint16{15361}}, true},       // 1 vs 1.001
		{&ops.Tensor{DType: ops.BFloat16, Shape: []int{1}, Data: []uint16{0x3F80}}, &ops.Tensor{DType: ops.BFloat16, Shape: []int{1}, Data: []uint16{0x3F81}}, false},  // 1 vs 1.0078
		{&ops.Tensor{DType: ops.Float8E4M3FN, Shape: []int{1}, Data: []uint8{0x7F}}, &ops.Tensor{DType: ops.Float8E4M3FN, Shape: []int{1}, Data: []uint8{0xFF}}, true}, // NaN == NaN
		{&ops.Tensor{DType: ops.Int4, Shape: []int{2}, Data: []int8{-8, 7}}, &ops.Tensor{DType: ops.Int4, Shape: []int{2}, Data: []int8{-8, 7}}, true},
		{&ops.Tensor{DType: ops.Uint64, Shape: []int{1}, Data: []uint64{1 << 63}}, &ops.Tensor{DType: ops.Uint64, Shape: []int{1}, Data: []uint64{1<<63 + 1}}, false},
		{&ops.Tensor{DType: ops.String, Shape: []int{2}, Data: []string{"a", "b"}}, &ops.Tensor{DType: ops.String, Shape: []int{2}, Data: []string{"a", "b"}}, true},
		{&ops.Tensor{DType: ops.String, Shape: []int{1}, Data: []string{"a"}}, &ops.Tensor{DType: ops.String, Shape: []int{1}, Data: []string{"A"}}, false},
	}
	for i, c := range cases {
		_, err := compareTensors(c.got, c.want)
		assert.Equal(t, c.ok, err == nil, "case %d: compare(%v, %v) = %v", i, c.got.Data, c.want.Data, err)
	}
	reason, err := compareTensors(f(1, 3), f(1, 2))
	assert.Error(t, err)
	assert.Equal(t, "wrong values", reason, "the listed reason carries no values")
}

// TestConformanceCatalogue checks the static classification on models
// built here: families, the tested operator, random outputs, non-tensor
// graph values.
func TestConformanceCatalogue(t *testing.T) {
	dir := t.TempDir()
	f32 := &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT))}}}
	bf16 := &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(onnxpb.TensorProto_BFLOAT16))}}}
	seq := &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{ElemType: f32}}}
	vi := func(name string, tp *onnxpb.TypeProto) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: tp}
	}
	node := func(op, domain string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{OpType: proto.String(op), Domain: proto.String(domain), Input: []string{"x"}, Output: []string{"y"}, Attribute: attrs}
	}
	write := func(name string, in, out *onnxpb.TypeProto, nodes ...*onnxpb.NodeProto) {
		m := &onnxpb.ModelProto{IrVersion: proto.Int64(8), OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(21)}},
			Graph: &onnxpb.GraphProto{Name: proto.String("g"), Node: nodes, Input: []*onnxpb.ValueInfoProto{vi("x", in)}, Output: []*onnxpb.ValueInfoProto{vi("y", out)}}}
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name, "model.onnx"), b, 0o644))
	}
	body := &onnxpb.GraphProto{Name: proto.String("body"), Node: []*onnxpb.NodeProto{node("Relu", "")}}
	write("test_relu", f32, f32, node("Relu", ""))
	write("test_relu_expanded", f32, f32, node("Max", ""))
	write("test_if", f32, f32, node("If", "", &onnxpb.AttributeProto{Name: proto.String("then_branch"), G: body}))
	write("test_seq", seq, f32, node("SequenceAt", ""))
	write("test_cast_bf16", f32, bf16, node("Cast", "", &onnxpb.AttributeProto{Name: proto.String("to"), I: proto.Int64(int64(onnxpb.TensorProto_BFLOAT16))}))
	write("test_scaler", f32, f32, node("Scaler", "ai.onnx.ml"))
	write("test_rand", f32, f32, node("RandomUniformLike", ""))
	write("test_nokernel", f32, f32, node("NoSuchOperator", ""))

	cases, err := catalogue(confSuite{id: "s", dir: dir})
	require.NoError(t, err)
	got := map[string]*confCase{}
	for _, c := range cases {
		got[c.name] = c
	}
	require.Len(t, got, 8)
	assert.Equal(t, famOther, got["test_relu"].family)
	assert.Equal(t, "Relu", got["test_relu_expanded"].op, "an expanded case counts under the operator it expands")
	assert.Equal(t, famControl, got["test_if"].family)
	assert.Contains(t, got["test_if"].ops, "Relu", "subgraph operators are listed")
	assert.Equal(t, famSequence, got["test_seq"].family)
	assert.Equal(t, "x is seq(tensor(float))", got["test_seq"].nonTensor)
	assert.Equal(t, famTypes, got["test_cast_bf16"].family)
	assert.Equal(t, famML, got["test_scaler"].family)
	assert.Equal(t, "ai.onnx.ml/Scaler", got["test_scaler"].op)
	assert.Equal(t, "RandomUniformLike", got["test_rand"].random)
	assert.Equal(t, famMissing, got["test_nokernel"].family)
	assert.Equal(t, []string{"NoSuchOperator"}, got["test_nokernel"].missing)

	o := runCase(runtime.NativeBackendName, got["test_nokernel"])
	assert.False(t, o.pass)
	assert.Equal(t, "no native kernel: NoSuchOperator", o.reason)
}

func TestCleanReason(t *testing.T) {
	dir := filepath.Join("data", "node", "test_x")
	assert.Equal(t, "read test_data_set_0/input_0.pb: bad", cleanReason("read "+filepath.Join(dir, "test_data_set_0", "input_0.pb")+":\n  bad", dir))
	ort := "create session: /onnxruntime_src/onnxruntime/core/graph/model.cc:181 onnxruntime::Model::Model(onnx::ModelProto&&, const std::map<int, (anonymous)>&) Unsupported model IR version: 14"
	assert.Equal(t, "create session: Unsupported model IR version: 14", cleanReason(ort, dir))
	assert.Equal(t, "x: no signature here. (really)", cleanReason("x: /onnxruntime_src/a.cc:3 no signature here. (really)", dir))
	long := cleanReason(strings.Repeat("é", 200), dir)
	assert.LessOrEqual(t, len(long), 224)
	assert.True(t, strings.HasSuffix(long, "…"))
	assert.True(t, strings.HasPrefix(long, "éé"))
}
