package kernels_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/stretchr/testify/require"
)

// shapeORTCase is one single-node model run on both backends.
type shapeORTCase struct {
	op    string
	opset int64
	attrs []*graph.Attr
	in    []*ops.Tensor
	nOut  int
	outDT ops.DType // output type when it is not the first input's
}

func (c shapeORTCase) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s-%d", c.op, c.opset)
	for _, a := range c.attrs {
		fmt.Fprintf(&b, " %s=%v%v", a.Name, a.I, a.Ints)
	}
	for _, t := range c.in {
		if t.DType == ops.Int64 && t.Len() <= 8 {
			fmt.Fprintf(&b, " %v", t.I64())
		} else {
			fmt.Fprintf(&b, " %v", t)
		}
	}
	return b.String()
}

func (c shapeORTCase) model(t *testing.T) *graph.Model {
	t.Helper()
	dt := c.in[0].DType
	if c.outDT != ops.Invalid {
		dt = c.outDT
	}
	outs := make([]ops.DType, max(c.nOut, 1))
	for i := range outs {
		outs[i] = dt
	}
	m, _ := oneNodeModel(c.op, c.opset, c.attrs, inputNames(c.in), c.in, outs, false)
	raw, err := graph.Encode(m)
	require.NoError(t, err)
	dm, err := graph.Decode(raw, "")
	require.NoError(t, err)
	return dm
}

func ints(name string, v ...int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
}
func intA(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}
func i64s(v ...int64) *ops.Tensor { return ops.FromInt64([]int{len(v)}, append([]int64{}, v...)) }

// randTensor fills a tensor of type dt with random values.
func randTensor(r *rand.Rand, dt ops.DType, shape ...int) *ops.Tensor {
	t := ops.New(dt, shape...)
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(r.NormFloat64())
		}
	case []float64:
		for i := range d {
			d[i] = r.NormFloat64()
		}
	case []uint16:
		for i := range d {
			d[i] = ops.Float32ToFloat16(float32(r.NormFloat64()))
		}
	case []int64:
		for i := range d {
			d[i] = r.Int64()
		}
	case []int32:
		for i := range d {
			d[i] = r.Int32()
		}
	case []int8:
		for i := range d {
			d[i] = int8(r.IntN(256) - 128)
		}
	case []uint8:
		for i := range d {
			d[i] = uint8(r.IntN(256))
		}
	case []bool:
		for i := range d {
			d[i] = r.IntN(2) == 1
		}
	}
	return t
}

var allDTypes = []ops.DType{ops.Float32, ops.Float64, ops.Float16, ops.Int64, ops.Int32, ops.Int8, ops.Uint8, ops.Bool}

func randShape(r *rand.Rand, rank, maxDim int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + r.IntN(maxDim)
	}
	return s
}

// shapeORTCases generates randomised cases of the shape operators.
func shapeORTCases() []shapeORTCase {
	r := rand.New(rand.NewPCG(2026, 11))
	var cs []shapeORTCase
	dt := func() ops.DType { return allDTypes[r.IntN(len(allDTypes))] }
	edge := []int64{math.MinInt64, math.MinInt32, -9, -4, -2, -1, 0, 1, 2, 3, 5, 9, math.MaxInt32, math.MaxInt64}
	for i := 0; i < 60; i++ {
		shape := randShape(r, 1+r.IntN(3), 5)
		rank := len(shape)
		var st, en, ax, sp []int64
		for _, a := range r.Perm(rank)[:1+r.IntN(rank)] {
			st = append(st, edge[r.IntN(len(edge))])
			en = append(en, edge[r.IntN(len(edge))])
			ax = append(ax, int64(a-rank*r.IntN(2)))
			step := int64(r.IntN(7) - 3)
			if step == 0 {
				step = 1
			}
			sp = append(sp, step)
		}
		cs = append(cs, shapeORTCase{op: "Slice", opset: 13, in: []*ops.Tensor{randTensor(r, dt(), shape...), i64s(st...), i64s(en...), i64s(ax...), i64s(sp...)}})
	}
	// INT_MAX ends with backward steps, int32 and int64.
	for _, end := range []int64{math.MaxInt32, math.MaxInt64, math.MinInt32, math.MinInt64} {
		x := randTensor(r, ops.Float32, 5)
		cs = append(cs, shapeORTCase{op: "Slice", opset: 13, in: []*ops.Tensor{x, i64s(3), i64s(end), i64s(0), i64s(-2)}})
		cs = append(cs, shapeORTCase{op: "Slice", opset: 13, in: []*ops.Tensor{x, i64s(1), i64s(end), i64s(0), i64s(2)}})
		cs = append(cs, shapeORTCase{op: "Slice", opset: 13, in: []*ops.Tensor{x, ops.FromInt32([]int{1}, []int32{3}), ops.FromInt32([]int{1}, []int32{int32(max(min(end, math.MaxInt32), math.MinInt32))}), ops.FromInt32([]int{1}, []int32{0}), ops.FromInt32([]int{1}, []int32{-1})}})
	}
	for i := 0; i < 30; i++ {
		shape := randShape(r, 1+r.IntN(5), 4)
		perm := r.Perm(len(shape))
		p := make([]int64, len(perm))
		for j, v := range perm {
			p[j] = int64(v)
		}
		cs = append(cs, shapeORTCase{op: "Transpose", opset: 13, attrs: []*graph.Attr{ints("perm", p...)}, in: []*ops.Tensor{randTensor(r, dt(), shape...)}})
	}
	for i := 0; i < 20; i++ {
		shape := randShape(r, 1+r.IntN(3), 4)
		axis := r.IntN(len(shape))
		ind := make([]int64, 1+r.IntN(5))
		for j := range ind {
			ind[j] = int64(r.IntN(2*shape[axis]) - shape[axis])
		}
		cs = append(cs, shapeORTCase{op: "Gather", opset: 13, attrs: []*graph.Attr{intA("axis", int64(axis-len(shape)*r.IntN(2)))}, in: []*ops.Tensor{randTensor(r, dt(), shape...), ops.FromInt64([]int{len(ind)}, ind)}})
	}
	for i := 0; i < 15; i++ {
		shape := randShape(r, 1+r.IntN(3), 4)
		d := dt()
		reps := make([]int64, len(shape))
		for j := range reps {
			reps[j] = int64(r.IntN(3))
		}
		cs = append(cs, shapeORTCase{op: "Tile", opset: 13, in: []*ops.Tensor{randTensor(r, d, shape...), i64s(reps...)}})
		// Expand: random 1s in the input broadcast against the target.
		in := append([]int{}, shape...)
		tgt := make([]int64, len(shape)+r.IntN(2))
		for j := range tgt {
			tgt[j] = 1
		}
		off := len(tgt) - len(in)
		for j := range in {
			switch r.IntN(3) {
			case 0:
				in[j] = 1
				tgt[j+off] = int64(shape[j])
			case 1:
				tgt[j+off] = 1
			default:
				tgt[j+off] = int64(in[j])
			}
		}
		cs = append(cs, shapeORTCase{op: "Expand", opset: 13, in: []*ops.Tensor{randTensor(r, d, in...), i64s(tgt...)}})
	}
	for i := 0; i < 12; i++ {
		d := dt()
		shape := randShape(r, 2+r.IntN(2), 4)
		axis := r.IntN(len(shape))
		var in []*ops.Tensor
		for k := 0; k < 2+r.IntN(2); k++ {
			s := append([]int{}, shape...)
			s[axis] = r.IntN(3)
			if d == ops.Float16 && s[axis] == 0 {
				s[axis] = 1 // the ort backend cannot pass empty float16 tensors
			}
			in = append(in, randTensor(r, d, s...))
		}
		cs = append(cs, shapeORTCase{op: "Concat", opset: 13, attrs: []*graph.Attr{intA("axis", int64(axis-len(shape)*r.IntN(2)))}, in: in})
		size := 1 + r.IntN(7)
		s := append([]int{}, shape...)
		s[axis] = size
		nOut := 1 + r.IntN(min(size, 4))
		if (size+nOut-1)/nOut*(nOut-1) >= size {
			nOut = 1
		}
		cs = append(cs, shapeORTCase{op: "Split", opset: 18, nOut: nOut, attrs: []*graph.Attr{intA("axis", int64(axis)), intA("num_outputs", int64(nOut))}, in: []*ops.Tensor{randTensor(r, d, s...)}})
	}
	for i := 0; i < 10; i++ {
		shape := randShape(r, 2+r.IntN(2), 5)
		k := int64(r.IntN(9) - 4)
		// ONNX Runtime implements Trilu for these types only.
		tdt := []ops.DType{ops.Float32, ops.Float64, ops.Float16, ops.Int64, ops.Bool}[r.IntN(5)]
		cs = append(cs, shapeORTCase{op: "Trilu", opset: 14, attrs: []*graph.Attr{intA("upper", int64(r.IntN(2)))}, in: []*ops.Tensor{randTensor(r, tdt, shape...), ops.FromInt64([]int{}, []int64{k})}})
	}
	for i := 0; i < 10; i++ {
		shape := randShape(r, 2, 4)
		axis := r.IntN(2)
		ishape := append([]int{}, shape...)
		ishape[axis] = 1 + r.IntN(4)
		ind := ops.New(ops.Int64, ishape...)
		for j := range ind.I64() {
			ind.I64()[j] = int64(r.IntN(2*shape[axis]) - shape[axis])
		}
		cs = append(cs, shapeORTCase{op: "GatherElements", opset: 13, attrs: []*graph.Attr{intA("axis", int64(axis))}, in: []*ops.Tensor{randTensor(r, dt(), shape...), ind}})
	}
	for i := 0; i < 10; i++ {
		d := dt()
		shape := randShape(r, 1+r.IntN(4), 3)
		x := randTensor(r, d, shape...)
		// Reshape: a permutation of the dims with a 0 and a -1 mixed in.
		spec := make([]int64, len(shape))
		for j, k := range r.Perm(len(shape)) {
			spec[j] = int64(shape[k])
		}
		spec[r.IntN(len(spec))] = -1
		if j := r.IntN(len(spec)); spec[j] != -1 && spec[j] == int64(shape[j]) {
			spec[j] = 0
		}
		cs = append(cs, shapeORTCase{op: "Reshape", opset: 14, in: []*ops.Tensor{x, i64s(spec...)}})
		ax := int64(r.IntN(2*len(shape)+1) - len(shape))
		cs = append(cs, shapeORTCase{op: "Flatten", opset: 13, attrs: []*graph.Attr{intA("axis", ax)}, in: []*ops.Tensor{x}})
		uax := []int64{int64(r.IntN(len(shape) + 1)), -1}
		if uax[0] == int64(len(shape)) {
			uax = uax[:1]
		}
		u := shapeORTCase{op: "Unsqueeze", opset: 13, in: []*ops.Tensor{x, i64s(uax...)}}
		cs = append(cs, u)
		cs = append(cs, shapeORTCase{op: "Squeeze", opset: 13, in: []*ops.Tensor{randTensor(r, d, append([]int{1}, append(shape, 1)...)...), i64s(-1, 0)}})
		cs = append(cs, shapeORTCase{op: "Shape", opset: 15, outDT: ops.Int64, attrs: []*graph.Attr{intA("start", int64(r.IntN(7)-3)), intA("end", int64(r.IntN(7)-3))}, in: []*ops.Tensor{x}})
		cs = append(cs, shapeORTCase{op: "Size", opset: 13, outDT: ops.Int64, in: []*ops.Tensor{x}})
	}
	for _, c := range [][3]float64{{0, 1, 0.1}, {-3.5, 2.25, 0.75}, {5, -5, -1.3}, {1, 1, 1}, {0.1, 0.95, 0.05}} {
		f := func(v float64) *ops.Tensor { return ops.FromFloat32([]int{}, []float32{float32(v)}) }
		d := func(v float64) *ops.Tensor { return ops.FromFloat64([]int{}, []float64{v}) }
		cs = append(cs, shapeORTCase{op: "Range", opset: 11, in: []*ops.Tensor{f(c[0]), f(c[1]), f(c[2])}})
		cs = append(cs, shapeORTCase{op: "Range", opset: 11, in: []*ops.Tensor{d(c[0]), d(c[1]), d(c[2])}})
	}
	for i := 0; i < 6; i++ {
		ind := ops.New(ops.Int64, 2, 3)
		for j := range ind.I64() {
			ind.I64()[j] = int64(r.IntN(9) - 4)
		}
		vals := randTensor(r, ops.Float32, 2)
		cs = append(cs, shapeORTCase{op: "OneHot", opset: 11, outDT: ops.Float32, attrs: []*graph.Attr{intA("axis", int64(r.IntN(6)-3))}, in: []*ops.Tensor{ind, ops.FromInt64([]int{}, []int64{3}), vals}})
		// ONNX Runtime implements DepthToSpace/SpaceToDepth for floats only.
		fdt := func() ops.DType { return []ops.DType{ops.Float32, ops.Float64}[r.IntN(2)] }
		x := randTensor(r, fdt(), 2, 8, 2, 3)
		mode := []string{"DCR", "CRD"}[r.IntN(2)]
		cs = append(cs, shapeORTCase{op: "DepthToSpace", opset: 13, attrs: []*graph.Attr{intA("blocksize", 2), {Name: "mode", Type: graph.AttrString, S: []byte(mode)}}, in: []*ops.Tensor{x}})
		cs = append(cs, shapeORTCase{op: "SpaceToDepth", opset: 13, attrs: []*graph.Attr{intA("blocksize", 2)}, in: []*ops.Tensor{randTensor(r, fdt(), 1, 3, 4, 6)}})
		gi := ops.New(ops.Int64, 3, 2)
		for j := range gi.I64() {
			gi.I64()[j] = int64(r.IntN(6) - 3)
		}
		gd := randTensor(r, dt(), 3, 3, 2)
		cs = append(cs, shapeORTCase{op: "GatherND", opset: 13, in: []*ops.Tensor{gd, gi}})
		si := ops.FromInt64([]int{2, 1}, []int64{int64(r.IntN(3)), int64(r.IntN(3) - 3)})
		if (si.I64()[0]+3)%3 == (si.I64()[1]+3)%3 {
			si.I64()[1] = (si.I64()[0]+1)%3 - 3
		}
		cs = append(cs, shapeORTCase{op: "ScatterND", opset: 13, in: []*ops.Tensor{gd, si, randTensor(r, gd.DType, 2, 3, 2)}})
		cond := randTensor(r, ops.Bool, 1+r.IntN(3))
		cs = append(cs, shapeORTCase{op: "Compress", opset: 11, attrs: []*graph.Attr{intA("axis", int64(r.IntN(3)-3))}, in: []*ops.Tensor{gd, cond}})
	}
	return cs
}

// TestShapeOpsAgainstORT runs randomised cases of the data-movement
// operators on the native backend and on ONNX Runtime and requires
// identical outputs.
func TestShapeOpsAgainstORT(t *testing.T) {
	requireORT(t)
	ob, err := runtime.LookupBackend("ort")
	require.NoError(t, err)
	ctx := context.Background()
	for i, c := range shapeORTCases() {
		t.Run(fmt.Sprintf("%03d_%s", i, c.op), func(t *testing.T) {
			m := c.model(t)
			p, err := native.Compile(m, native.Options{})
			require.NoError(t, err, "%v: native compile", c)
			got, err := p.Run(ctx, c.in)
			require.NoError(t, err, "%v: native", c)
			ex, err := ob.Compile(ctx, m, runtime.Config{})
			require.NoError(t, err, "%v: ort compile", c)
			defer ex.Close()
			want, err := ex.Run(ctx, c.in)
			require.NoError(t, err, "%v: ort", c)
			for k := range want {
				same := got[k].DType == want[k].DType && ops.SameShape(got[k].Shape, want[k].Shape)
				if same && got[k].Len() > 0 {
					same = reflect.DeepEqual(got[k].Data, want[k].Data)
				}
				require.True(t, same, "%v output %d:\nnative %v %v\n   ort %v %v", c, k, got[k], got[k].Data, want[k], want[k].Data)
			}
		})
	}
}
