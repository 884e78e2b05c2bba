package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/require"
)

// Helpers shared by the kernel tests of this package: the ONNX backend
// node-test runner, tensor comparison and the never-panic fuzz harness.

// tensorF64 returns a tensor's elements as float64 for comparison (bool as
// 0/1, float16 through float32, which is exact).
func tensorF64(t *ops.Tensor) []float64 {
	// ops.Cast reads every numeric type by its DType (uint16 is not float16)
	// and writes float64 exactly (integers up to 2^53).
	out := ops.New(ops.Float64, t.Shape...)
	if err := ops.Cast(out, t); err != nil {
		panic(fmt.Sprintf("tensorF64: %v", err))
	}
	return out.F64()
}

// fuzzDesc describes one fuzzed call (operator, opset, attributes and
// inputs) for a failure message.
func fuzzDesc(op string, opset int64, n *graph.Node, in []*ops.Tensor) string {
	s := fmt.Sprintf("%s-%d attrs", op, opset)
	for _, a := range n.AttrOrder {
		at := n.Attrs[a]
		s += fmt.Sprintf(" %s=%v/%v/%v/%q", a, at.I, at.Ints, at.F, at.S)
	}
	for _, x := range in {
		if x != nil {
			s += fmt.Sprintf(" %v%v", x, x.Data)
		} else {
			s += " nil"
		}
	}
	return s
}

// fuzzCall builds n with b at opset and runs the kernel on in, failing the
// test on a panic, an error that does not name the node, a nil output, an
// input the kernel wrote to, or (when every input is well-formed) an
// output that is not a valid tensor. With
// rerun it also runs the kernel again on buffers full of junk and demands
// identical outputs, since kernels must overwrite every element env.New
// hands out (pass false for operators whose output is random). An error
// from the builder or the kernel is a legitimate answer: fuzzCall then
// returns ok false.
func fuzzCall(t *testing.T, b operators.Builder, n *graph.Node, opset int64, in []*ops.Tensor, rerun bool) (ok bool) {
	t.Helper()
	desc := func() string { return fuzzDesc(n.OpType, opset, n, in) }
	defer func() {
		if p := recover(); p != nil {
			require.Failf(t, "kernel panicked", "%s: %v", desc(), p)
		}
	}()
	k, err := b(n, opset)
	if err != nil {
		fuzzErrNamesNode(t, desc, n, err)
		return false
	}
	wellFormed := true
	for _, x := range in {
		wellFormed = wellFormed && (x == nil || x.Validate() == nil)
	}
	var before []*ops.Tensor
	if wellFormed {
		before = make([]*ops.Tensor, len(in))
		for i, x := range in {
			if x != nil {
				before[i] = x.Clone()
			}
		}
	}
	outs, err := k(&operators.Env{}, in)
	for i := range before {
		if before[i] != nil {
			require.True(t, sameBits(before[i], in[i]), "%s: the kernel wrote to input %d", desc(), i)
		}
	}
	if err != nil {
		fuzzErrNamesNode(t, desc, n, err)
		return false
	}
	for i, o := range outs {
		require.NotNil(t, o, "%s: output %d is nil", desc(), i)
		// A malformed input may pass through as a view (Cast to its own
		// type); only well-formed inputs promise valid outputs.
		if wellFormed {
			require.NoError(t, o.Validate(), "%s: output %d", desc(), i)
		}
	}
	if !rerun || !wellFormed {
		return true
	}
	again, err := k(&operators.Env{Alloc: dirtyAlloc}, in)
	require.NoError(t, err, "%s: second run failed", desc())
	for i := range outs {
		require.True(t, sameBits(outs[i], again[i]), "%s: output %d differs on a dirty buffer:\n%v\n%v", desc(), i, outs[i].Data, again[i].Data)
	}
	return true
}

// fuzzErrNamesNode fails the test when err does not name node n.
func fuzzErrNamesNode(t *testing.T, desc func() string, n *graph.Node, err error) {
	t.Helper()
	require.Contains(t, err.Error(), n.Name)
}

// dirtyAlloc is an operators.Env allocator that returns buffers full of junk, as a
// recycled buffer may be.
func dirtyAlloc(dt ops.DType, shape []int) *ops.Tensor {
	t := ops.New(dt, shape...)
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(math.NaN())
		}
	case []float64:
		for i := range d {
			d[i] = -12345.5
		}
	case []uint16:
		for i := range d {
			d[i] = 0x7e01
		}
	case []int64:
		for i := range d {
			d[i] = -77
		}
	case []int32:
		for i := range d {
			d[i] = 99
		}
	case []int8:
		for i := range d {
			d[i] = -5
		}
	case []uint8:
		for i := range d {
			d[i] = 201
		}
	case []bool:
		for i := range d {
			d[i] = true
		}
	}
	return t
}

// sameBits compares tensors exactly, NaNs by bit pattern.
func sameBits(a, b *ops.Tensor) bool {
	if a.DType != b.DType || !ops.SameShape(a.Shape, b.Shape) {
		return false
	}
	switch x := a.Data.(type) {
	case []float32:
		y := b.F32()
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	case []float64:
		y := b.F64()
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return true
	}
	return fmt.Sprint(a.Data) == fmt.Sprint(b.Data)
}

// attrInt, attrInts and attrFloat build node attributes.
func attrInt(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}
func attrInts(name string, v ...int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
}
func attrFloat(name string, v float32) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrFloat, F: v}
}

// runNode builds n from the registry at opset and runs it once.
func runNode(n *graph.Node, opset int64, in ...*ops.Tensor) ([]*ops.Tensor, error) {
	b, err := operators.KernelBuilder(n.Domain, n.OpType, opset)
	if err != nil {
		return nil, err
	}
	k, err := b(n, opset)
	if err != nil {
		return nil, err
	}
	return k(&operators.Env{}, in)
}

// mustRunNode is runNode that fails the test on error.
func mustRunNode(t *testing.T, n *graph.Node, opset int64, in ...*ops.Tensor) []*ops.Tensor {
	t.Helper()
	out, err := runNode(n, opset, in...)
	require.NoError(t, err, "%s at opset %d", n.OpType, opset)
	return out
}

// wantNodeError expects runNode to fail with an error that names the node
// and contains want.
func wantNodeError(t *testing.T, n *graph.Node, opset int64, want string, in ...*ops.Tensor) {
	t.Helper()
	_, err := runNode(n, opset, in...)
	require.NotEqual(t, nil, err, "%s at opset %d: no error, want one mentioning %q", n.OpType, opset, want)
	require.Contains(t, err.Error(), want)
	require.Contains(t, err.Error(), n.Name)
}

// fuzzAttrSpec says how fuzzAttrs draws attributes.
type fuzzAttrSpec struct {
	names   []string           // attribute names, each drawn with probability 1/oneIn
	oneIn   int                // see names
	ints    int                // int values are drawn from [-4, ints-4)
	strs    []string           // the string values
	tensors func() *ops.Tensor // when set, a sixth kind: tensor-valued attributes
}

// fuzzAttrs returns random attributes following spec: ints (twice as
// likely as the other kinds), int lists in [-4, 4], floats v/3, strings
// and, when spec.tensors is set, tensors.
func fuzzAttrs(r *rand.Rand, spec fuzzAttrSpec) []*graph.Attr {
	kinds := 5
	if spec.tensors != nil {
		kinds = 6
	}
	var out []*graph.Attr
	for _, name := range spec.names {
		if r.IntN(spec.oneIn) != 0 {
			continue
		}
		v := int64(r.IntN(spec.ints) - 4)
		switch r.IntN(kinds) {
		case 0, 1:
			out = append(out, &graph.Attr{Name: name, Type: graph.AttrInt, I: v})
		case 2:
			var is []int64
			for j := r.IntN(4); j > 0; j-- {
				is = append(is, int64(r.IntN(9)-4))
			}
			out = append(out, &graph.Attr{Name: name, Type: graph.AttrInts, Ints: is})
		case 3:
			out = append(out, &graph.Attr{Name: name, Type: graph.AttrFloat, F: float32(v) / 3})
		case 4:
			s := spec.strs[r.IntN(len(spec.strs))]
			out = append(out, &graph.Attr{Name: name, Type: graph.AttrString, S: []byte(s)})
		case 5:
			out = append(out, &graph.Attr{Name: name, Type: graph.AttrTensor, T: spec.tensors()})
		}
	}
	return out
}

// compareTensors checks got against want: same type and shape, floats within
// atol + rtol·|want| (NaN matches NaN), others exactly. It returns "" or a
// description of the first mismatch.
func compareTensors(got, want *ops.Tensor, atol, rtol float64) string {
	if got == nil {
		return "got nil tensor"
	}
	if got.DType != want.DType || !ops.SameShape(got.Shape, want.Shape) {
		return fmt.Sprintf("got %v, want %v", got, want)
	}
	g, w := tensorF64(got), tensorF64(want)
	bad := 0
	first := ""
	for i := range w {
		d := math.Abs(g[i] - w[i])
		ok := d <= atol+rtol*math.Abs(w[i]) || (math.IsNaN(g[i]) && math.IsNaN(w[i])) || g[i] == w[i]
		if !got.DType.IsFloat() {
			ok = g[i] == w[i]
		}
		if !ok {
			if bad == 0 {
				first = fmt.Sprintf("element %d: got %v, want %v", i, g[i], w[i])
			}
			bad++
		}
	}
	if bad > 0 {
		return fmt.Sprintf("%d of %d elements differ; first %s", bad, len(w), first)
	}
	return ""
}

// floats builds a float32 tensor.
func floats(shape []int, v ...float32) *ops.Tensor { return ops.FromFloat32(shape, v) }

// tolerance is the comparison tolerance (absolute and relative) suited to
// results computed in dt: float rounding differences, exact otherwise.
func tolerance(dt ops.DType) float64 {
	switch dt {
	case ops.Float32:
		return 1e-5
	case ops.Float64:
		return 1e-12
	case ops.Float16:
		return 1e-3
	}
	return 0
}
