package runtime_test

import (
	"context"
	"encoding/binary"
	"fmt"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
)

// Helpers that build control-flow models in memory.

func tinfo(name string, dt ops.DType, dims ...int) graph.ValueInfo {
	return graph.ValueInfo{Name: name, DType: dt, Shape: graph.ShapeOf(dims...), HasShape: true}
}

func cfNode(op string, ins, outs []string, attrs ...*graph.Attr) *graph.Node {
	n := &graph.Node{OpType: op, Inputs: ins, Outputs: outs, Attrs: map[string]*graph.Attr{}}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
		n.AttrOrder = append(n.AttrOrder, a.Name)
	}
	return n
}

func graphAttr(name string, g *graph.Graph) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrGraph, G: g}
}

func intAttr(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}

func intsAttr(name string, v ...int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
}

func cfModel(opset int64, g *graph.Graph) *graph.Model {
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": opset}, Graph: g}
}

func scalarI64(v int64) *ops.Tensor { return ops.FromInt64(nil, []int64{v}) }

func scalarBool(v bool) *ops.Tensor { return ops.FromBool(nil, []bool{v}) }

// counterLoop is Loop(M, cond, v0) whose body adds the outer value x to
// the carried v, stops after the iteration whose number reaches the outer
// limit L, and stacks every new v as its scan output:
//
//	v_out = v_in + x; cond_out = iter < L; scan = v_out
func counterLoop(n int) *graph.Model {
	body := &graph.Graph{
		Name:    "body",
		Inputs:  []graph.ValueInfo{tinfo("iter", ops.Int64), tinfo("cond_in", ops.Bool), tinfo("v_in", ops.Float32, n)},
		Outputs: []graph.ValueInfo{tinfo("cond_out", ops.Bool), tinfo("v_out", ops.Float32, n), tinfo("scan", ops.Float32, n)},
		Nodes: []*graph.Node{
			cfNode("Add", []string{"v_in", "x"}, []string{"v_out"}),
			cfNode("Less", []string{"iter", "L"}, []string{"cond_out"}),
			cfNode("Identity", []string{"v_out"}, []string{"scan"}),
		},
	}
	g := &graph.Graph{
		Name:    "counter",
		Inputs:  []graph.ValueInfo{tinfo("M", ops.Int64), tinfo("cond", ops.Bool), tinfo("v0", ops.Float32, n), tinfo("x", ops.Float32, n), tinfo("L", ops.Int64)},
		Outputs: []graph.ValueInfo{{Name: "v", DType: ops.Float32}, {Name: "stack", DType: ops.Float32}},
		Nodes:   []*graph.Node{cfNode("Loop", []string{"M", "cond", "v0"}, []string{"v", "stack"}, graphAttr("body", body))},
	}
	return cfModel(13, g)
}

// counterIterations is how many iterations counterLoop runs: while cond
// and i < M, iteration i runs and sets cond to i < L.
func counterIterations(m int64, cond bool, l int64) int64 {
	if !cond || m <= 0 {
		return 0
	}
	if l < 0 {
		return 1
	}
	return min(m, l+1)
}

func TestLoopCounter(t *testing.T) {
	s, err := runtime.OpenModel(counterLoop(3))
	require.NoError(t, err)
	defer s.Close()
	v0 := ops.FromFloat32([]int{3}, []float32{1, 2, 3})
	x := ops.FromFloat32([]int{3}, []float32{0.5, 1, -1})
	for _, c := range []struct {
		m    int64
		cond bool
		l    int64
	}{{5, true, 100}, {5, true, 2}, {5, false, 100}, {0, true, 3}, {1000, true, 700}, {3, true, -1}} {
		out, err := s.Run(context.Background(), map[string]*ops.Tensor{"M": scalarI64(c.m), "cond": scalarBool(c.cond), "v0": v0, "x": x, "L": scalarI64(c.l)})
		require.NoError(t, err, "%+v", c)
		k := counterIterations(c.m, c.cond, c.l)
		want := make([]float32, 3)
		for i := range want {
			want[i] = v0.F32()[i] + float32(k)*x.F32()[i]
		}
		assert.InDeltaSlice(t, want, out[0].F32(), 1e-3, "%+v", c)
		assert.Equal(t, []int{int(k), 3}, out[1].Shape, "%+v: scan output shape", c)
		for it := range int(k) {
			for i := range 3 {
				w := v0.F32()[i] + float32(it+1)*x.F32()[i]
				require.Equal(t, w, out[1].F32()[it*3+i], "%+v: scan output [%d %d]", c, it, i)
			}
		}
	}
	assert.Equal(t, "float32[3]", v0.String(), "inputs are not modified")
	assert.Equal(t, []float32{1, 2, 3}, v0.F32())
}

// A loop whose trip count and condition never stop it fails at the
// iteration limit; one whose carried value doubles every iteration fails
// at the tensor limit; one that grows a sequence fails at the sequence
// limit. Each error is one line wrapping graph.ErrLimit.
func TestLoopLimits(t *testing.T) {
	lim := graph.Limits{MaxLoopIterations: 100, MaxTensorBytes: 1 << 16, MaxSequenceLength: 50}
	s, err := runtime.OpenModel(counterLoop(1), runtime.WithLimits(lim))
	require.NoError(t, err)
	defer s.Close()
	one := ops.FromFloat32([]int{1}, []float32{1})
	_, err = s.Run(context.Background(), map[string]*ops.Tensor{"M": scalarI64(1 << 62), "cond": scalarBool(true), "v0": one, "x": one, "L": scalarI64(1 << 62)})
	require.ErrorIs(t, err, graph.ErrLimit)
	assert.Contains(t, err.Error(), "more than 100 iterations")
	assert.NotContains(t, err.Error(), "\n")
	// At the limit it runs.
	out, err := s.Run(context.Background(), map[string]*ops.Tensor{"M": scalarI64(100), "cond": scalarBool(true), "v0": one, "x": one, "L": scalarI64(1 << 62)})
	require.NoError(t, err)
	assert.Equal(t, []float32{101}, out[0].F32())

	s, err = runtime.OpenModel(growingLoop(), runtime.WithLimits(lim))
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Run(context.Background(), map[string]*ops.Tensor{"M": scalarI64(64), "v0": one})
	require.ErrorIs(t, err, graph.ErrLimit)
	assert.Contains(t, err.Error(), "tensor limit")

	s, err = runtime.OpenModel(sequenceLoop(), runtime.WithLimits(lim))
	require.NoError(t, err)
	defer s.Close()
	out2, err := s.RunValues(context.Background(), map[string]*graph.Value{"M": graph.TensorOf(scalarI64(50)), "x": graph.TensorOf(one)})
	require.NoError(t, err)
	assert.Len(t, out2[0].Elems, 50)
	_, err = s.RunValues(context.Background(), map[string]*graph.Value{"M": graph.TensorOf(scalarI64(51)), "x": graph.TensorOf(one)})
	require.ErrorIs(t, err, graph.ErrLimit)
	assert.Contains(t, err.Error(), "sequence of 51 elements exceeds the limit of 50")
}

// growingLoop doubles its carried vector every iteration (Concat(v, v)).
func growingLoop() *graph.Model {
	body := &graph.Graph{
		Name:    "grow",
		Inputs:  []graph.ValueInfo{tinfo("i", ops.Int64), tinfo("c", ops.Bool), {Name: "v_in", DType: ops.Float32}},
		Outputs: []graph.ValueInfo{tinfo("c_out", ops.Bool), {Name: "v_out", DType: ops.Float32}},
		Nodes: []*graph.Node{
			cfNode("Identity", []string{"c"}, []string{"c_out"}),
			cfNode("Concat", []string{"v_in", "v_in"}, []string{"v_out"}, intAttr("axis", 0)),
		},
	}
	g := &graph.Graph{
		Name:    "growing",
		Inputs:  []graph.ValueInfo{tinfo("M", ops.Int64), tinfo("v0", ops.Float32, 1)},
		Outputs: []graph.ValueInfo{{Name: "v", DType: ops.Float32}},
		Nodes:   []*graph.Node{cfNode("Loop", []string{"M", "", "v0"}, []string{"v"}, graphAttr("body", body))},
	}
	return cfModel(13, g)
}

// sequenceLoop appends the outer x to a sequence M times, starting from
// SequenceEmpty.
func sequenceLoop() *graph.Model {
	seq := graph.SequenceInfo("s_in", graph.ValueInfo{DType: ops.Float32})
	seqOut := seq
	seqOut.Name = "s_out"
	body := &graph.Graph{
		Name:    "append",
		Inputs:  []graph.ValueInfo{tinfo("i", ops.Int64), tinfo("c", ops.Bool), seq},
		Outputs: []graph.ValueInfo{tinfo("c_out", ops.Bool), seqOut},
		Nodes: []*graph.Node{
			cfNode("Identity", []string{"c"}, []string{"c_out"}),
			cfNode("SequenceInsert", []string{"s_in", "x"}, []string{"s_out"}),
		},
	}
	res := graph.SequenceInfo("s", graph.ValueInfo{DType: ops.Float32})
	g := &graph.Graph{
		Name:    "seqloop",
		Inputs:  []graph.ValueInfo{tinfo("M", ops.Int64), tinfo("x", ops.Float32, 1)},
		Outputs: []graph.ValueInfo{res},
		Nodes: []*graph.Node{
			cfNode("SequenceEmpty", nil, []string{"empty"}),
			cfNode("Loop", []string{"M", "", "empty"}, []string{"s"}, graphAttr("body", body)),
		},
	}
	return cfModel(13, g)
}

// scanModel is Scan over one input with one state: the running sum
// (state + slice) along the scan axis, in the given directions, with the
// stacked sums as its scan output.
func scanModel(shape []int, inAxis, inDir, outAxis, outDir int64) *graph.Model {
	slice := append([]int(nil), shape...)
	a := int(inAxis)
	if a < 0 {
		a += len(shape)
	}
	slice = append(slice[:a:a], slice[a+1:]...)
	body := &graph.Graph{
		Name:    "sum",
		Inputs:  []graph.ValueInfo{tinfo("s_in", ops.Float32, slice...), tinfo("x", ops.Float32, slice...)},
		Outputs: []graph.ValueInfo{tinfo("s_out", ops.Float32, slice...), tinfo("y", ops.Float32, slice...)},
		Nodes: []*graph.Node{
			cfNode("Add", []string{"s_in", "x"}, []string{"s_out"}),
			cfNode("Identity", []string{"s_out"}, []string{"y"}),
		},
	}
	g := &graph.Graph{
		Name:    "scan",
		Inputs:  []graph.ValueInfo{tinfo("s0", ops.Float32, slice...), tinfo("xs", ops.Float32, shape...)},
		Outputs: []graph.ValueInfo{{Name: "s", DType: ops.Float32}, {Name: "ys", DType: ops.Float32}},
		Nodes: []*graph.Node{cfNode("Scan", []string{"s0", "xs"}, []string{"s", "ys"}, graphAttr("body", body),
			intAttr("num_scan_inputs", 1), intsAttr("scan_input_axes", inAxis), intsAttr("scan_input_directions", inDir),
			intsAttr("scan_output_axes", outAxis), intsAttr("scan_output_directions", outDir))},
	}
	return cfModel(11, g)
}

// scanReference computes scanModel's outputs directly.
func scanReference(xs *ops.Tensor, inAxis, inDir, outAxis, outDir int) (*ops.Tensor, *ops.Tensor) {
	shape := xs.Shape
	steps := shape[inAxis]
	slice := append(append([]int(nil), shape[:inAxis]...), shape[inAxis+1:]...)
	state := ops.New(ops.Float32, slice...)
	outShape := append(append(append([]int(nil), slice[:outAxis]...), steps), slice[outAxis:]...)
	ys := ops.New(ops.Float32, outShape...)
	x := ops.New(ops.Float32, slice...)
	for t := range steps {
		idx := t
		if inDir == 1 {
			idx = steps - 1 - t
		}
		if err := ops.TakeIndex(x, xs, inAxis, idx); err != nil {
			panic(err)
		}
		for i := range state.F32() {
			state.F32()[i] += x.F32()[i]
		}
		o := t
		if outDir == 1 {
			o = steps - 1 - t
		}
		if err := ops.PutIndex(ys, outAxis, o, state); err != nil {
			panic(err)
		}
	}
	return state, ys
}

func TestScanAxesAndDirections(t *testing.T) {
	xs := ops.New(ops.Float32, 2, 3, 4)
	for i := range xs.F32() {
		xs.F32()[i] = float32(i%7) - 2
	}
	for inAxis := range 3 {
		for outAxis := range 3 {
			for dirs := range 4 {
				inDir, outDir := dirs&1, dirs>>1
				s, err := runtime.OpenModel(scanModel(xs.Shape, int64(inAxis), int64(inDir), int64(outAxis), int64(outDir)))
				require.NoError(t, err)
				slice := append(append([]int(nil), xs.Shape[:inAxis]...), xs.Shape[inAxis+1:]...)
				out, err := s.Run(context.Background(), map[string]*ops.Tensor{"s0": ops.New(ops.Float32, slice...), "xs": xs})
				require.NoError(t, err)
				wantS, wantY := scanReference(xs, inAxis, inDir, outAxis, outDir)
				what := fmt.Sprintf("in axis %d dir %d, out axis %d dir %d", inAxis, inDir, outAxis, outDir)
				assert.Equal(t, wantS.F32(), out[0].F32(), what)
				assert.Equal(t, wantY.Shape, out[1].Shape, what)
				assert.Equal(t, wantY.F32(), out[1].F32(), what)
				s.Close()
			}
		}
	}
}

// ifModel picks then (x + y) or else (x - y) from an outer condition;
// both branches read outer values.
func ifModel() *graph.Model {
	then := &graph.Graph{Name: "then", Outputs: []graph.ValueInfo{{Name: "a", DType: ops.Float32}},
		Nodes: []*graph.Node{cfNode("Add", []string{"x", "y"}, []string{"a"})}}
	els := &graph.Graph{Name: "else", Outputs: []graph.ValueInfo{{Name: "b", DType: ops.Float32}},
		Nodes: []*graph.Node{cfNode("Sub", []string{"x", "y"}, []string{"b"})}}
	g := &graph.Graph{
		Name:    "if",
		Inputs:  []graph.ValueInfo{{Name: "c", DType: ops.Bool}, tinfo("x", ops.Float32, 2), tinfo("y", ops.Float32, 2)},
		Outputs: []graph.ValueInfo{{Name: "z", DType: ops.Float32}},
		Nodes:   []*graph.Node{cfNode("If", []string{"c"}, []string{"z"}, graphAttr("then_branch", then), graphAttr("else_branch", els))},
	}
	return cfModel(13, g)
}

func TestIfReadsOuterValues(t *testing.T) {
	s, err := runtime.OpenModel(ifModel())
	require.NoError(t, err)
	defer s.Close()
	x, y := ops.FromFloat32([]int{2}, []float32{5, 7}), ops.FromFloat32([]int{2}, []float32{1, 2})
	out, err := s.Run(context.Background(), map[string]*ops.Tensor{"c": scalarBool(true), "x": x, "y": y})
	require.NoError(t, err)
	assert.Equal(t, []float32{6, 9}, out[0].F32())
	out, err = s.Run(context.Background(), map[string]*ops.Tensor{"c": scalarBool(false), "x": x, "y": y})
	require.NoError(t, err)
	assert.Equal(t, []float32{4, 5}, out[0].F32())
	_, err = s.Run(context.Background(), map[string]*ops.Tensor{"c": ops.FromBool([]int{2}, []bool{true, false}), "x": x, "y": y})
	assert.ErrorContains(t, err, "condition is bool[2], want a one-element bool tensor")
}

// Malformed subgraphs fail at Open with one line naming the node.
func TestMalformedSubgraphs(t *testing.T) {
	m := counterLoop(2)
	m.Graph.Nodes[0].Attrs["body"].G.Inputs = m.Graph.Nodes[0].Attrs["body"].G.Inputs[:2]
	_, err := runtime.OpenModel(m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "subgraph body has 2 inputs, want 3 (iteration number, condition and 1 loop-carried values)")
	assert.NotContains(t, err.Error(), "\n")

	m = ifModel()
	m.Graph.Nodes[0].Attrs["else_branch"].G.Outputs = nil
	_, err = runtime.OpenModel(m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "subgraph else_branch has 0 outputs, the node 1")

	m = ifModel()
	delete(m.Graph.Nodes[0].Attrs, "then_branch")
	_, err = runtime.OpenModel(m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing graph attribute then_branch")

	m = ifModel()
	m.Graph.Nodes[0].Attrs["then_branch"].G.Nodes[0].Inputs[1] = "nowhere"
	_, err = runtime.OpenModel(m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nowhere")

	m = scanModel([]int{2, 3}, 0, 0, 0, 0)
	m.Graph.Nodes[0].Attrs["num_scan_inputs"].I = 0
	_, err = runtime.OpenModel(m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "num_scan_inputs must be positive, got 0")

	// A type error inside a body fails at Open too (the typed stage
	// checks subgraphs with the outer values in scope).
	m = counterLoop(2)
	m.Graph.Nodes[0].Attrs["body"].G.Nodes[0].Inputs = []string{"v_in", "L"}
	_, err = runtime.OpenModel(m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "subgraph body: node Add -> v_out")
	assert.Contains(t, err.Error(), "int64")

	// A sequence fed to an operator of tensors fails at Open.
	g := &graph.Graph{Name: "bad",
		Inputs:  []graph.ValueInfo{tinfo("x", ops.Float32, 2)},
		Outputs: []graph.ValueInfo{{Name: "y", DType: ops.Float32}},
		Nodes: []*graph.Node{
			cfNode("SequenceConstruct", []string{"x", "x"}, []string{"s"}),
			cfNode("Relu", []string{"s"}, []string{"y"}),
		}}
	_, err = runtime.OpenModel(cfModel(13, g))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "input 0 (s) is seq(tensor(float)); Relu takes tensors")
}

// FuzzControlFlow builds Loop, Scan and If models from the fuzzer's bytes
// (trip counts, conditions, limits, axes, directions, shapes; some loops
// double their state or grow a sequence every iteration) and runs them
// under small limits: each run returns the values worked out independently
// or an error (ErrLimit when a bound is crossed), never panics, never
// allocates past the caps and never hangs.
func FuzzControlFlow(f *testing.F) {
	f.Add([]byte{0, 5, 1, 3, 2})
	f.Add([]byte{0, 200, 1, 150, 1})
	f.Add([]byte{1, 40, 1})
	f.Add([]byte{2, 60, 1})
	f.Add([]byte{3, 2, 1, 0, 1, 3, 4})
	f.Add([]byte{4, 1, 9, 9})
	lim := graph.Limits{MaxLoopIterations: 128, MaxTensorBytes: 1 << 16, MaxSequenceLength: 64}
	f.Fuzz(func(t *testing.T, data []byte) {
		watchdog := time.AfterFunc(20*time.Second, func() {
			panic(fmt.Sprintf("FuzzControlFlow: input %v still running after 20s", data))
		})
		defer watchdog.Stop()
		b := func(i int) int {
			if i < len(data) {
				return int(data[i])
			}
			return 0
		}
		ctx := context.Background()
		switch b(0) % 5 {
		case 0: // counter loop: values checked against the closed form
			n := 1 + b(4)%4
			s, err := runtime.OpenModel(counterLoop(n), runtime.WithLimits(lim))
			require.NoError(t, err)
			defer s.Close()
			m, l := int64(b(1))-8, int64(b(3))-8
			cond := b(2)%2 == 1
			if len(data) > 8 {
				m = int64(binary.LittleEndian.Uint64(append(data[5:], make([]byte, 8)...)))
			}
			v0, x := ops.New(ops.Float32, n), ops.New(ops.Float32, n)
			for i := range n {
				v0.F32()[i], x.F32()[i] = float32(i), 1
			}
			out, err := s.Run(ctx, map[string]*ops.Tensor{"M": scalarI64(m), "cond": scalarBool(cond), "v0": v0, "x": x, "L": scalarI64(l)})
			k := counterIterations(m, cond, l)
			if k > lim.MaxLoopIterations {
				require.ErrorIs(t, err, graph.ErrLimit)
				return
			}
			require.NoError(t, err)
			require.Equal(t, []int{int(k), n}, out[1].Shape)
			for i := range n {
				require.Equal(t, float32(i)+float32(k), out[0].F32()[i])
			}
		case 1: // doubling state: runs while it fits, else the tensor limit
			s, err := runtime.OpenModel(growingLoop(), runtime.WithLimits(lim))
			require.NoError(t, err)
			defer s.Close()
			m := int64(b(1) % 40)
			out, err := s.Run(ctx, map[string]*ops.Tensor{"M": scalarI64(m), "v0": ops.FromFloat32([]int{1}, []float32{3})})
			if int64(4)<<m > lim.MaxTensorBytes {
				require.ErrorIs(t, err, graph.ErrLimit)
				return
			}
			require.NoError(t, err)
			require.Equal(t, []int{1 << m}, out[0].Shape)
		case 2: // a growing sequence
			s, err := runtime.OpenModel(sequenceLoop(), runtime.WithLimits(lim))
			require.NoError(t, err)
			defer s.Close()
			m := int64(b(1))
			out, err := s.RunValues(ctx, map[string]*graph.Value{"M": graph.TensorOf(scalarI64(m)), "x": graph.TensorOf(ops.FromFloat32([]int{1}, []float32{2}))})
			if m > lim.MaxSequenceLength {
				require.ErrorIs(t, err, graph.ErrLimit)
				return
			}
			require.NoError(t, err)
			require.Len(t, out[0].Elems, int(m))
		case 3: // Scan with fuzzed shape, axes and directions
			shape := []int{b(1) % 4, 1 + b(2)%3, b(3) % 3}
			inAxis, outAxis := b(4)%3, b(5)%3
			inDir, outDir := b(6)%2, b(6)/2%2
			s, err := runtime.OpenModel(scanModel(shape, int64(inAxis), int64(inDir), int64(outAxis), int64(outDir)), runtime.WithLimits(lim))
			require.NoError(t, err)
			defer s.Close()
			xs := ops.New(ops.Float32, shape...)
			for i := range xs.F32() {
				xs.F32()[i] = float32(i % 5)
			}
			slice := append(append([]int(nil), shape[:inAxis]...), shape[inAxis+1:]...)
			out, err := s.Run(ctx, map[string]*ops.Tensor{"s0": ops.New(ops.Float32, slice...), "xs": xs})
			if shape[inAxis] == 0 {
				// No steps: the declared shapes give empty outputs.
				require.NoError(t, err)
				return
			}
			require.NoError(t, err)
			wantS, wantY := scanReference(xs, inAxis, inDir, outAxis, outDir)
			require.Equal(t, wantS.F32(), out[0].F32())
			require.Equal(t, wantY.F32(), out[1].F32())
		case 4: // If inside a Loop, branches reading outer and loop values
			s, err := runtime.OpenModel(parityLoop(), runtime.WithLimits(lim))
			require.NoError(t, err)
			defer s.Close()
			m := int64(b(1))
			out, err := s.Run(ctx, map[string]*ops.Tensor{"M": scalarI64(m), "a": scalarF32(float32(b(2))), "b": scalarF32(float32(b(3)))})
			if m > lim.MaxLoopIterations {
				require.ErrorIs(t, err, graph.ErrLimit)
				return
			}
			require.NoError(t, err)
			want := float32(0)
			for i := range m {
				if i%2 == 0 {
					want += float32(b(2))
				} else {
					want -= float32(b(3))
				}
			}
			require.Equal(t, want, out[0].F32()[0])
		}
	})
}

func scalarF32(v float32) *ops.Tensor { return ops.FromFloat32(nil, []float32{v}) }

// parityLoop adds the outer a on even iterations and subtracts the outer
// b on odd ones, choosing with an If inside the Loop's body.
func parityLoop() *graph.Model {
	then := &graph.Graph{Name: "even", Outputs: []graph.ValueInfo{{Name: "t", DType: ops.Float32}},
		Nodes: []*graph.Node{cfNode("Add", []string{"acc_in", "a"}, []string{"t"})}}
	els := &graph.Graph{Name: "odd", Outputs: []graph.ValueInfo{{Name: "e", DType: ops.Float32}},
		Nodes: []*graph.Node{cfNode("Sub", []string{"acc_in", "b"}, []string{"e"})}}
	body := &graph.Graph{
		Name:    "parity",
		Inputs:  []graph.ValueInfo{tinfo("i", ops.Int64), tinfo("c", ops.Bool), tinfo("acc_in", ops.Float32)},
		Outputs: []graph.ValueInfo{tinfo("c_out", ops.Bool), tinfo("acc_out", ops.Float32)},
		Initializers: map[string]*ops.Tensor{
			"two":  scalarI64(2),
			"zero": scalarI64(0),
		},
		InitOrder: []string{"two", "zero"},
		Nodes: []*graph.Node{
			cfNode("Identity", []string{"c"}, []string{"c_out"}),
			cfNode("Mod", []string{"i", "two"}, []string{"r"}),
			cfNode("Equal", []string{"r", "zero"}, []string{"even"}),
			cfNode("If", []string{"even"}, []string{"acc_out"}, graphAttr("then_branch", then), graphAttr("else_branch", els)),
		},
	}
	g := &graph.Graph{
		Name:         "paritymodel",
		Inputs:       []graph.ValueInfo{tinfo("M", ops.Int64), tinfo("a", ops.Float32), tinfo("b", ops.Float32)},
		Outputs:      []graph.ValueInfo{{Name: "acc", DType: ops.Float32}},
		Initializers: map[string]*ops.Tensor{"acc0": scalarF32(0)},
		InitOrder:    []string{"acc0"},
		Nodes:        []*graph.Node{cfNode("Loop", []string{"M", "", "acc0"}, []string{"acc"}, graphAttr("body", body))},
	}
	return cfModel(13, g)
}

// The control-flow models above on both backends: ONNX Runtime's outputs
// are the independent reference for latent's.
func TestControlFlowMatchesORT(t *testing.T) {
	requireORTGolden(t)
	v3 := ops.FromFloat32([]int{3}, []float32{1, -2, 0.5})
	xs := ops.New(ops.Float32, 2, 3, 4)
	for i := range xs.F32() {
		xs.F32()[i] = float32(i%5) - 1.5
	}
	cases := []struct {
		name   string
		model  *graph.Model
		inputs map[string]*graph.Value
	}{
		{"loop", counterLoop(3), map[string]*graph.Value{"M": graph.TensorOf(scalarI64(7)), "cond": graph.TensorOf(scalarBool(true)),
			"v0": graph.TensorOf(v3), "x": graph.TensorOf(v3), "L": graph.TensorOf(scalarI64(4))}},
		{"scan", scanModel(xs.Shape, 1, 1, 2, 0), map[string]*graph.Value{"s0": graph.TensorOf(ops.New(ops.Float32, 2, 4)), "xs": graph.TensorOf(xs)}},
		{"if-in-loop", parityLoop(), map[string]*graph.Value{"M": graph.TensorOf(scalarI64(9)), "a": graph.TensorOf(scalarF32(3)), "b": graph.TensorOf(scalarF32(0.25))}},
		{"sequence-loop", sequenceLoop(), map[string]*graph.Value{"M": graph.TensorOf(scalarI64(4)), "x": graph.TensorOf(ops.FromFloat32([]int{1}, []float32{2.5}))}},
		{"if", ifModel(), map[string]*graph.Value{"c": graph.TensorOf(scalarBool(false)), "x": graph.TensorOf(ops.FromFloat32([]int{2}, []float32{1, 2})), "y": graph.TensorOf(ops.FromFloat32([]int{2}, []float32{3, 5}))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := graph.Encode(c.model)
			require.NoError(t, err)
			var outs [2][]*graph.Value
			for i, backend := range []string{runtime.NativeBackendName, "ort"} {
				s, err := runtime.OpenBytes(raw, runtime.WithBackend(backend))
				require.NoError(t, err, backend)
				outs[i], err = s.RunValues(context.Background(), c.inputs)
				require.NoError(t, err, backend)
				s.Close()
			}
			require.Len(t, outs[0], len(outs[1]))
			for k := range outs[1] {
				assert.Equal(t, outs[1][k].String(), outs[0][k].String(), "output %d: kind and shapes", k)
				var want, got []*ops.Tensor
				outs[1][k].Tensors(func(t *ops.Tensor) { want = append(want, t) })
				outs[0][k].Tensors(func(t *ops.Tensor) { got = append(got, t) })
				require.Len(t, got, len(want))
				for i := range want {
					assert.InDeltaSlice(t, want[i].F32(), got[i].F32(), 1e-5, "output %d tensor %d", k, i)
				}
			}
		})
	}
}

// A loop whose carried value keeps its shape recycles its buffers from
// iteration to iteration: a thousand iterations over a 1024-float vector
// allocate a few small headers per iteration, not a new vector each time.
func TestLoopRecyclesBuffers(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose")
	}
	const n = 1024
	body := &graph.Graph{
		Name:    "accumulate",
		Inputs:  []graph.ValueInfo{tinfo("i", ops.Int64), tinfo("c", ops.Bool), tinfo("v_in", ops.Float32, n)},
		Outputs: []graph.ValueInfo{tinfo("c_out", ops.Bool), tinfo("v_out", ops.Float32, n)},
		Nodes: []*graph.Node{
			cfNode("Identity", []string{"c"}, []string{"c_out"}),
			cfNode("Add", []string{"v_in", "x"}, []string{"w"}),
			cfNode("Mul", []string{"w", "x"}, []string{"v_out"}),
		},
	}
	g := &graph.Graph{
		Name:    "accumulate",
		Inputs:  []graph.ValueInfo{tinfo("M", ops.Int64), tinfo("v0", ops.Float32, n), tinfo("x", ops.Float32, n)},
		Outputs: []graph.ValueInfo{{Name: "v", DType: ops.Float32}},
		Nodes:   []*graph.Node{cfNode("Loop", []string{"M", "", "v0"}, []string{"v"}, graphAttr("body", body))},
	}
	s, err := runtime.OpenModel(cfModel(13, g))
	require.NoError(t, err)
	defer s.Close()
	v0, x := ops.New(ops.Float32, n), ops.New(ops.Float32, n)
	for i := range x.F32() {
		x.F32()[i] = 1
	}
	perRun := func(m int64) (allocs, bytes float64) {
		in := map[string]*ops.Tensor{"M": scalarI64(m), "v0": v0, "x": x}
		run := func() {
			_, err := s.Run(context.Background(), in)
			require.NoError(t, err)
		}
		run()
		allocs = testing.AllocsPerRun(5, run)
		var before, after goruntime.MemStats
		goruntime.GC()
		goruntime.ReadMemStats(&before)
		for range 5 {
			run()
		}
		goruntime.ReadMemStats(&after)
		return allocs, float64(after.TotalAlloc-before.TotalAlloc) / 5
	}
	a10, b10 := perRun(10)
	a1000, b1000 := perRun(1000)
	perIterAllocs := (a1000 - a10) / 990
	perIterBytes := (b1000 - b10) / 990
	t.Logf("per iteration: %.1f allocations, %.0f bytes (one carried vector is %d bytes)", perIterAllocs, perIterBytes, 4*n)
	assert.Less(t, perIterBytes, float64(4*n)/4, "a new vector per iteration")
	assert.Less(t, perIterAllocs, 12.0)
}
