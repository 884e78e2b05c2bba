package kernels

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newNode builds a node of op with nIn inputs, nOut outputs and attrs.
func newNode(op string, nIn, nOut int, attrs ...*graph.Attr) *graph.Node {
	n := &graph.Node{Name: "t_" + strings.ToLower(op), OpType: op, Attrs: map[string]*graph.Attr{}}
	for i := 0; i < nIn; i++ {
		n.Inputs = append(n.Inputs, fmt.Sprintf("in%d", i))
	}
	for i := 0; i < nOut; i++ {
		n.Outputs = append(n.Outputs, fmt.Sprintf("out%d", i))
	}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
		n.AttrOrder = append(n.AttrOrder, a.Name)
	}
	return n
}

func int64s(v ...int64) *ops.Tensor { return ops.FromInt64([]int{len(v)}, append([]int64{}, v...)) }
func int32s(v ...int32) *ops.Tensor { return ops.FromInt32([]int{len(v)}, v) }

// sequence returns a tensor of type dt and shape whose element i is derived
// from i (distinct for small tensors), and the float64 value of each
// element for building expectations.
func sequence(dt ops.DType, shape ...int) *ops.Tensor {
	t := ops.New(dt, shape...)
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(i) + 0.5
		}
	case []float64:
		for i := range d {
			d[i] = float64(i) * 1.5
		}
	case []uint16:
		for i := range d {
			d[i] = uint16(0x3c00 + i)
		}
	case []int64:
		for i := range d {
			d[i] = int64(i) - 7
		}
	case []int32:
		for i := range d {
			d[i] = int32(i) * 3
		}
	case []int8:
		for i := range d {
			d[i] = int8(i - 50)
		}
	case []uint8:
		for i := range d {
			d[i] = uint8(200 - i)
		}
	case []bool:
		for i := range d {
			d[i] = i%2 == 0
		}
	}
	return t
}

var allDTypes = []ops.DType{ops.Float32, ops.Float64, ops.Float16, ops.Int64, ops.Int32, ops.Int8, ops.Uint8, ops.Bool}

// pick builds out[i] = src[idx[i]] through reflection.
func pick(src *ops.Tensor, shape []int, idx ...int) *ops.Tensor {
	out := ops.New(src.DType, shape...)
	sv, ov := reflect.ValueOf(src.Data), reflect.ValueOf(out.Data)
	for i, k := range idx {
		ov.Index(i).Set(sv.Index(k))
	}
	return out
}

func checkTensor(t *testing.T, what string, got, want *ops.Tensor) {
	t.Helper()
	if !assert.NotNil(t, got, "%s", what) {
		return
	}
	assert.Equal(t, want.DType, got.DType, "%s: element type", what)
	assert.Equal(t, ops.ShapeString(want.Shape), ops.ShapeString(got.Shape), "%s: shape", what)
	assert.Equal(t, want.Data, got.Data, "%s: data", what)
}

func dataOrNil(t *ops.Tensor) any {
	if t == nil {
		return nil
	}
	return t.Data
}

// sameData reports whether a and b share their first element.
func sameData(a, b *ops.Tensor) bool {
	va, vb := reflect.ValueOf(a.Data), reflect.ValueOf(b.Data)
	return va.Len() > 0 && vb.Len() > 0 && va.Index(0).Addr().Pointer() == vb.Index(0).Addr().Pointer()
}

func TestReshape(t *testing.T) {
	for _, dt := range allDTypes {
		x := sequence(dt, 2, 3, 4)
		for _, c := range []struct {
			spec []int64
			want []int
		}{
			{[]int64{4, -1}, []int{4, 6}},
			{[]int64{0, -1}, []int{2, 12}},
			{[]int64{0, 0, 2, 2}, []int{2, 3, 2, 2}},
			{[]int64{-1}, []int{24}},
			{[]int64{2, 1, 12, 1}, []int{2, 1, 12, 1}},
		} {
			for _, opset := range []int64{7, 13, 14, 21} {
				out := mustRunNode(t, newNode("Reshape", 2, 1), opset, x, int64s(c.spec...))[0]
				want := &ops.Tensor{DType: dt, Shape: c.want, Data: x.Data}
				checkTensor(t, fmt.Sprintf("%v reshape to %v", dt, c.spec), out, want)
				require.True(t, sameData(out, x), "reshape of %v copied its input", dt)
			}
		}
	}
	// allowzero: 0 is a literal dimension from opset 14 on.
	empty := ops.New(ops.Float32, 0, 3)
	az := newNode("Reshape", 2, 1, attrInt("allowzero", 1))
	out := mustRunNode(t, az, 14, empty, int64s(3, 0))[0]
	require.True(t, ops.SameShape(out.Shape, []int{3, 0}), "allowzero reshape of [0 3] to [3 0]: %v", out.Shape)
	// Without allowzero (or before opset 14) the 0 copies dim 0 → [3, 0]
	// has 0 elements either way, but [0, 3] → spec [0, 3] keeps 0.
	out = mustRunNode(t, az, 13, ops.New(ops.Float32, 2, 3), int64s(0, 3))[0]
	require.True(t, ops.SameShape(out.Shape, []int{2, 3}), "opset 13 ignores allowzero: got %v", out.Shape)
	wantNodeError(t, az, 14, "element counts", ops.New(ops.Float32, 2, 3), int64s(0, 3))
	wantNodeError(t, az, 14, "mixing 0 and -1", empty, int64s(0, -1))

	n := newNode("Reshape", 2, 1)
	x := sequence(ops.Float32, 2, 3)
	wantNodeError(t, n, 13, "more than one -1", x, int64s(-1, -1))
	wantNodeError(t, n, 13, "too many elements", x, int64s(1<<40, 1<<40, 1<<40, 0))
	wantNodeError(t, n, 13, "element counts", x, int64s(4, 2))
	wantNodeError(t, n, 13, "not a multiple", x, int64s(4, -1))
	wantNodeError(t, n, 13, "does not have", x, int64s(6, 1, 0))
	wantNodeError(t, n, 13, "invalid dimension", x, int64s(-2, -3))
	wantNodeError(t, n, 13, "must be int64", x, int32s(6))
	wantNodeError(t, n, 13, "missing input 1", x)
}

func TestFlatten(t *testing.T) {
	x := sequence(ops.Int8, 2, 3, 4, 5)
	for _, c := range []struct {
		axis, opset int64
		want        []int
	}{
		{0, 9, []int{1, 120}},
		{1, 9, []int{2, 60}},
		{3, 1, []int{24, 5}},
		{4, 11, []int{120, 1}},
		{-1, 11, []int{24, 5}},
		{-4, 13, []int{1, 120}},
	} {
		out := mustRunNode(t, newNode("Flatten", 1, 1, attrInt("axis", c.axis)), c.opset, x)[0]
		checkTensor(t, fmt.Sprintf("flatten axis %d", c.axis), out, &ops.Tensor{DType: ops.Int8, Shape: c.want, Data: x.Data})
	}
	out := mustRunNode(t, newNode("Flatten", 1, 1), 13, x)[0]
	require.True(t, ops.SameShape(out.Shape, []int{2, 60}), "default axis: %v", out.Shape)
	wantNodeError(t, newNode("Flatten", 1, 1, attrInt("axis", -1)), 9, "out of range", x)
	wantNodeError(t, newNode("Flatten", 1, 1, attrInt("axis", 5)), 13, "out of range", x)
	wantNodeError(t, newNode("Flatten", 1, 1, attrInt("axis", -5)), 13, "out of range", x)
}

func TestSqueeze(t *testing.T) {
	x := sequence(ops.Bool, 1, 3, 1, 2, 1)
	cases := []struct {
		axes []int64
		want []int
	}{
		{nil, []int{3, 2}},
		{[]int64{0}, []int{3, 1, 2, 1}},
		{[]int64{-1, 2}, []int{1, 3, 2}},
		{[]int64{4, 0, 2}, []int{3, 2}},
	}
	for _, c := range cases {
		// opset 11: attribute.
		n := newNode("Squeeze", 1, 1)
		if c.axes != nil {
			n = newNode("Squeeze", 1, 1, attrInts("axes", c.axes...))
		}
		out := mustRunNode(t, n, 11, x)[0]
		checkTensor(t, fmt.Sprintf("squeeze-11 %v", c.axes), out, &ops.Tensor{DType: ops.Bool, Shape: c.want, Data: x.Data})
		// opset 13: input.
		var in []*ops.Tensor
		if c.axes != nil {
			in = []*ops.Tensor{x, int64s(c.axes...)}
		} else {
			in = []*ops.Tensor{x, nil}
		}
		out = mustRunNode(t, newNode("Squeeze", 2, 1), 13, in...)[0]
		checkTensor(t, fmt.Sprintf("squeeze-13 %v", c.axes), out, &ops.Tensor{DType: ops.Bool, Shape: c.want, Data: x.Data})
	}
	// No 1s: unchanged; all 1s: a scalar.
	out := mustRunNode(t, newNode("Squeeze", 1, 1), 13, sequence(ops.Float32, 2, 3))[0]
	assert.Equal(t, []int{2, 3}, out.Shape, "squeeze [2 3]")
	out = mustRunNode(t, newNode("Squeeze", 1, 1), 13, sequence(ops.Float32, 1, 1))[0]
	assert.Equal(t, []int{}, out.Shape, "squeeze [1 1]: a non-nil empty shape")
	wantNodeError(t, newNode("Squeeze", 2, 1), 13, "not 1", x, int64s(1))
	wantNodeError(t, newNode("Squeeze", 2, 1), 13, "repeated", x, int64s(0, -5))
	wantNodeError(t, newNode("Squeeze", 2, 1), 13, "out of range", x, int64s(5))
	// Negative axes are accepted before opset 11 too, as in ONNX Runtime.
	out = mustRunNode(t, newNode("Squeeze", 1, 1, attrInts("axes", -1)), 7, x)[0]
	checkTensor(t, "squeeze-7 axis -1", out, &ops.Tensor{DType: ops.Bool, Shape: []int{1, 3, 1, 2}, Data: x.Data})
}

func TestUnsqueeze(t *testing.T) {
	x := sequence(ops.Float16, 3, 4)
	cases := []struct {
		axes []int64
		want []int
	}{
		{[]int64{0}, []int{1, 3, 4}},
		{[]int64{2}, []int{3, 4, 1}},
		{[]int64{1}, []int{3, 1, 4}},
		{[]int64{-1}, []int{3, 4, 1}},
		{[]int64{2, 0}, []int{1, 3, 1, 4}},
		{[]int64{0, 4, 2}, []int{1, 3, 1, 4, 1}},
		{[]int64{-1, -4}, []int{1, 3, 4, 1}},
	}
	for _, c := range cases {
		out := mustRunNode(t, newNode("Unsqueeze", 1, 1, attrInts("axes", c.axes...)), 11, x)[0]
		checkTensor(t, fmt.Sprintf("unsqueeze-11 %v", c.axes), out, &ops.Tensor{DType: ops.Float16, Shape: c.want, Data: x.Data})
		out = mustRunNode(t, newNode("Unsqueeze", 2, 1), 13, x, int64s(c.axes...))[0]
		checkTensor(t, fmt.Sprintf("unsqueeze-13 %v", c.axes), out, &ops.Tensor{DType: ops.Float16, Shape: c.want, Data: x.Data})
	}
	// A scalar becomes [1].
	out := mustRunNode(t, newNode("Unsqueeze", 2, 1), 13, ops.Scalar(2), int64s(0))[0]
	require.True(t, ops.SameShape(out.Shape, []int{1}), "unsqueeze scalar: %v", out.Shape)
	wantNodeError(t, newNode("Unsqueeze", 2, 1), 13, "repeated", x, int64s(0, -4))
	wantNodeError(t, newNode("Unsqueeze", 2, 1), 13, "out of range", x, int64s(3))
	wantNodeError(t, newNode("Unsqueeze", 2, 1), 13, "missing input 1", x, nil)
	out = mustRunNode(t, newNode("Unsqueeze", 1, 1, attrInts("axes", -1)), 9, x)[0]
	require.True(t, ops.SameShape(out.Shape, []int{3, 4, 1}), "unsqueeze-9 axis -1: %v", out.Shape)
	_, err := runNode(newNode("Unsqueeze", 1, 1), 11, x)
	require.ErrorContains(t, err, "axes", "Unsqueeze-11 without axes: %v", err)
}

func TestShape(t *testing.T) {
	x := ops.New(ops.Uint8, 2, 0, 4, 5)
	out := mustRunNode(t, newNode("Shape", 1, 1), 13, x)[0]
	checkTensor(t, "shape", out, int64s(2, 0, 4, 5))
	for _, c := range []struct {
		attrs []*graph.Attr
		want  []int64
	}{
		{nil, []int64{2, 0, 4, 5}},
		{[]*graph.Attr{attrInt("start", 1)}, []int64{0, 4, 5}},
		{[]*graph.Attr{attrInt("end", -1)}, []int64{2, 0, 4}},
		{[]*graph.Attr{attrInt("start", -2)}, []int64{4, 5}},
		{[]*graph.Attr{attrInt("start", 1), attrInt("end", 3)}, []int64{0, 4}},
		{[]*graph.Attr{attrInt("start", -10), attrInt("end", 10)}, []int64{2, 0, 4, 5}},
		{[]*graph.Attr{attrInt("start", 3), attrInt("end", 1)}, []int64{}},
	} {
		out := mustRunNode(t, newNode("Shape", 1, 1, c.attrs...), 15, x)[0]
		checkTensor(t, fmt.Sprintf("shape-15 %v", c.want), out, int64s(c.want...))
	}
	// Before opset 15 start/end do not exist.
	out = mustRunNode(t, newNode("Shape", 1, 1, attrInt("start", 1)), 13, x)[0]
	checkTensor(t, "shape-13 ignores start", out, int64s(2, 0, 4, 5))
	out = mustRunNode(t, newNode("Shape", 1, 1), 15, ops.Scalar(1))[0]
	checkTensor(t, "shape of scalar", out, int64s())
}

func TestIdentity(t *testing.T) {
	for _, dt := range allDTypes {
		x := sequence(dt, 2, 2)
		out := mustRunNode(t, newNode("Identity", 1, 1), 14, x)[0]
		checkTensor(t, "identity", out, x)
		require.True(t, sameData(out, x), "identity of %v copied", dt)
	}
	wantNodeError(t, newNode("Identity", 1, 1), 14, "missing input 0")
}
