package native

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The planner tests use kernels registered in a private domain so they do
// not collide with the real ai.onnx kernels.
const testDomain = "latent.plantest"

var registerTestKernels sync.Once

func testKernels() {
	registerTestKernels.Do(func() {
		// AddOne: fresh output = in + 1.
		operators.Register(operators.Op{Domain: testDomain, Type: "AddOne", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				x := in[0].F32()
				out := env.New(ops.Float32, in[0].Shape...)
				o := out.F32()
				for i, v := range x {
					o[i] = v + 1
				}
				return []*ops.Tensor{out}, nil
			}, nil
		}}, 1)
		// Add: fresh output = a + b (same shape).
		operators.Register(operators.Op{Domain: testDomain, Type: "Add", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				if !ops.SameShape(in[0].Shape, in[1].Shape) {
					return nil, fmt.Errorf("shapes %v and %v differ", in[0].Shape, in[1].Shape)
				}
				a, b := in[0].F32(), in[1].F32()
				out := env.New(ops.Float32, in[0].Shape...)
				o := out.F32()
				for i := range o {
					o[i] = a[i] + b[i]
				}
				return []*ops.Tensor{out}, nil
			}, nil
		}}, 1)
		// Tail: a view of all but the first element (shares the input's
		// buffer at an interior address).
		operators.Register(operators.Op{Domain: testDomain, Type: "Tail", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				x := in[0].F32()
				return []*ops.Tensor{ops.FromFloat32([]int{len(x) - 1}, x[1:])}, nil
			}, nil
		}}, 1)
		// Head: a fresh copy of all but the last element.
		operators.Register(operators.Op{Domain: testDomain, Type: "Head", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				x := in[0].F32()
				out := env.New(ops.Float32, len(x)-1)
				copy(out.F32(), x[:len(x)-1])
				return []*ops.Tensor{out}, nil
			}, nil
		}}, 1)
		// Same: returns its input unchanged (an alias).
		operators.Register(operators.Op{Domain: testDomain, Type: "Same", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				return []*ops.Tensor{in[0]}, nil
			}, nil
		}}, 1)
		// Overwrite: allocates a buffer of the input's size, fills it with
		// 999 and returns a fresh result = in * 2; the scratch buffer goes
		// back to the free list, so a recycled-too-early buffer shows up as
		// 999s in the result.
		operators.Register(operators.Op{Domain: testDomain, Type: "Double", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				scratch := env.New(ops.Float32, in[0].Shape...)
				for i := range scratch.F32() {
					scratch.F32()[i] = 999
				}
				out := env.New(ops.Float32, in[0].Shape...)
				for i, v := range in[0].F32() {
					out.F32()[i] = 2 * v
				}
				return []*ops.Tensor{out}, nil
			}, nil
		}}, 1)
		operators.Register(operators.Op{Domain: testDomain, Type: "Panic", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				var s []float32
				_ = s[3]
				return nil, nil
			}, nil
		}}, 1)
		operators.Register(operators.Op{Domain: testDomain, Type: "Fail", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				return nil, errors.New("boom")
			}, nil
		}}, 1)
		operators.Register(operators.Op{Domain: testDomain, Type: "BadAttr", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return nil, fmt.Errorf("attribute k must be positive")
		}}, 1)
		// Rand: output of the input's shape filled from env.Rand.
		operators.Register(operators.Op{Domain: testDomain, Type: "Rand", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				out := env.New(ops.Float32, in[0].Shape...)
				for i := range out.F32() {
					out.F32()[i] = env.Rand.Float32()
				}
				return []*ops.Tensor{out}, nil
			}, nil
		}}, 1)
		// HalfOut names two outputs but only computes the first.
		operators.Register(operators.Op{Domain: testDomain, Type: "HalfOut", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				return []*ops.Tensor{in[0], nil}, nil
			}, nil
		}}, 1)
		// Wait blocks until the run's context is cancelled.
		operators.Register(operators.Op{Domain: testDomain, Type: "Wait", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				<-env.Ctx.Done()
				return []*ops.Tensor{in[0]}, nil
			}, nil
		}}, 1)
	})
}

func node(name, op string, ins, outs []string) *graph.Node {
	return &graph.Node{Name: name, OpType: op, Domain: testDomain, Inputs: ins, Outputs: outs}
}

func model(inputs, outputs []string, inits map[string]*ops.Tensor, nodes ...*graph.Node) *graph.Model {
	testKernels()
	g := &graph.Graph{Name: "t", Initializers: inits, Nodes: nodes}
	for _, in := range inputs {
		g.Inputs = append(g.Inputs, graph.ValueInfo{Name: in, DType: ops.Float32})
	}
	for _, o := range outputs {
		g.Outputs = append(g.Outputs, graph.ValueInfo{Name: o, DType: ops.Float32})
	}
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17, testDomain: 1}, Graph: g}
}

func vec(v ...float32) *ops.Tensor { return ops.FromFloat32([]int{len(v)}, v) }

func wantVec(t *testing.T, name string, got *ops.Tensor, want ...float32) {
	t.Helper()
	require.NotNil(t, got, "%s: got %v, want float32[%d]", name, got, len(want))
	require.Equal(t, ops.Float32, got.DType, "%s: got %v, want float32[%d]", name, got, len(want))
	require.Equal(t, ops.ShapeString([]int{len(want)}), ops.ShapeString(got.Shape), "%s: got %v, want float32[%d]", name, got, len(want))
	for i, w := range want {
		require.Equal(t, w, got.F32()[i], "%s: got %v, want %v", name, got.F32(), want)
	}
}

func compile(t *testing.T, m *graph.Model) *Plan {
	t.Helper()
	p, err := Compile(m, Options{Optimize: true})
	require.NoError(t, err)
	return p
}

func TestUnsupportedOperatorsAreCollected(t *testing.T) {
	m := model([]string{"x"}, []string{"z"}, nil,
		&graph.Node{Name: "conv1", OpType: "Foo", Inputs: []string{"x"}, Outputs: []string{"y"}},
		&graph.Node{OpType: "Bar", Domain: "com.example", Inputs: []string{"y"}, Outputs: []string{"z"}},
	)
	m.Opsets["com.example"] = 1
	_, err := Compile(m, Options{})
	require.Error(t, err, "compile succeeded with unknown operators")
	msg := err.Error()
	for _, want := range []string{
		`node "conv1" (Foo): unsupported operator Foo in domain "ai.onnx"`,
		`node Bar -> "z": unsupported operator Bar in domain "com.example"`,
		"2 nodes",
	} {
		assert.True(t, strings.Contains(msg, want), "error %q does not contain %q", msg, want)
	}

	// A single unknown operator: exactly one message.
	m = model([]string{"x"}, []string{"y"}, nil,
		&graph.Node{Name: "conv1", OpType: "Foo", Inputs: []string{"x"}, Outputs: []string{"y"}})
	_, err = Compile(m, Options{})
	require.Error(t, err, "got %v", err)
	require.Equal(t, `node "conv1" (Foo): unsupported operator Foo in domain "ai.onnx"`, err.Error(), "got %v", err)
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name string
		m    *graph.Model
		want string
	}{
		{"missing input", model([]string{"x"}, []string{"y"}, nil, node("n", "AddOne", []string{"nope"}, []string{"y"})), `input "nope"`},
		{"missing output", model([]string{"x"}, []string{"q"}, nil, node("n", "AddOne", []string{"x"}, []string{"y"})), `graph output "q"`},
		{"bad attr", model([]string{"x"}, []string{"y"}, nil, node("n", "BadAttr", []string{"x"}, []string{"y"})), `node "n" (BadAttr): attribute k must be positive`},
		{"domain not imported", func() *graph.Model {
			m := model([]string{"x"}, []string{"y"}, nil, node("n", "AddOne", []string{"x"}, []string{"y"}))
			delete(m.Opsets, testDomain)
			return m
		}(), `does not import operator domain "latent.plantest"`},
		{"cycle", model([]string{"x"}, []string{"b"}, nil,
			node("a", "Add", []string{"x", "b"}, []string{"a"}),
			node("b", "AddOne", []string{"a"}, []string{"b"})), "cycle"},
		{"two producers", model([]string{"x"}, []string{"y"}, nil,
			node("a", "AddOne", []string{"x"}, []string{"y"}),
			node("b", "AddOne", []string{"x"}, []string{"y"})), `produced by two nodes`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(c.m, Options{})
			require.ErrorContains(t, err, c.want, "got %v, want error containing %q", err, c.want)
		})
	}
	_, err := Compile(nil, Options{})
	require.Error(t, err, "nil model compiled")
}

func TestRunChainAndTopologicalOrder(t *testing.T) {
	// Nodes listed out of order: the planner sorts them.
	m := model([]string{"x"}, []string{"z"}, map[string]*ops.Tensor{"w": vec(10, 20, 30)},
		node("second", "Add", []string{"y", "w"}, []string{"z"}),
		node("first", "AddOne", []string{"x"}, []string{"y"}),
	)
	p := compile(t, m)
	for i := 0; i < 3; i++ {
		out, err := p.Run(context.Background(), []*ops.Tensor{vec(1, 2, 3)})
		require.NoError(t, err)
		wantVec(t, "z", out[0], 12, 23, 34)
	}
}

// TestViewsKeepBuffersAlive checks that a buffer seen through an interior
// view (Tail) or an alias (Same) is not recycled while the view is live,
// even though the value that owns it is dead.
func TestViewsKeepBuffersAlive(t *testing.T) {
	m := model([]string{"x"}, []string{"out", "alias"}, nil,
		node("a", "AddOne", []string{"x"}, []string{"a"}), // a = x+1 (4 elems)
		node("t", "Tail", []string{"a"}, []string{"t"}),   // t = a[1:] view; a dead
		node("s", "Same", []string{"t"}, []string{"s"}),   // s aliases t; t dead
		node("h", "AddOne", []string{"x"}, []string{"h"}), // fresh 4-elem: must not reuse a's buffer
		node("hh", "Head", []string{"h"}, []string{"hh"}), // 3 elems
		node("d", "Double", []string{"s"}, []string{"d"}), // scratch filled with 999
		node("o", "Add", []string{"d", "hh"}, []string{"out"}),
		node("al", "Same", []string{"s"}, []string{"alias"}),
	)
	p := compile(t, m)
	x := vec(1, 2, 3, 4)
	for i := 0; i < 4; i++ {
		out, err := p.Run(context.Background(), []*ops.Tensor{x})
		require.NoError(t, err)
		// a = 2,3,4,5; t = s = 3,4,5; h = 2,3,4,5; hh = 2,3,4; d = 6,8,10
		wantVec(t, "out", out[0], 8, 11, 14)
		wantVec(t, "alias", out[1], 3, 4, 5)
		wantVec(t, "x", x, 1, 2, 3, 4)
		// Outputs handed to the caller must never be recycled: scribble on
		// them and make sure the next run's results are unaffected.
		for i := range out[0].F32() {
			out[0].F32()[i] = -1
		}
		for i := range out[1].F32() {
			out[1].F32()[i] = -1
		}
	}
}

func TestBuffersAreReused(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose: allocation counts mean nothing under -race")
	}
	m := model([]string{"x"}, []string{"y"}, nil,
		node("a", "AddOne", []string{"x"}, []string{"a"}),
		node("b", "AddOne", []string{"a"}, []string{"b"}),
		node("c", "AddOne", []string{"b"}, []string{"c"}),
		node("d", "AddOne", []string{"c"}, []string{"y"}),
	)
	p := compile(t, m)
	x := ops.New(ops.Float32, 1<<16)
	ctx := context.Background()
	_, err := p.Run(ctx, []*ops.Tensor{x})
	require.NoError(t, err)
	// Without reuse every run would allocate 4 buffers of 256 KiB; with the
	// free list only the output is new. Measure bytes, not object counts.
	var before, after testingMemStats
	before.read()
	const runs = 20
	for i := 0; i < runs; i++ {
		out, err := p.Run(ctx, []*ops.Tensor{x})
		require.NoError(t, err)
		require.Equal(t, float32(4), out[0].F32()[7], "y[7]")
	}
	after.read()
	perRun := (after.TotalAlloc - before.TotalAlloc) / runs
	require.False(t, perRun > 2*(1<<18), "each run allocated %d bytes: intermediate buffers are not reused", perRun)
}

func TestInitializerOutputIsCopied(t *testing.T) {
	w := vec(1, 2)
	m := model([]string{"x"}, []string{"w", "v"}, map[string]*ops.Tensor{"w": w},
		node("v", "Tail", []string{"w"}, []string{"v"}))
	p := compile(t, m)
	out, err := p.Run(context.Background(), []*ops.Tensor{vec(0)})
	require.NoError(t, err)
	out[0].F32()[0] = 100
	out[1].F32()[0] = 100
	wantVec(t, "w", w, 1, 2)
}

func TestKernelFailuresNameTheNode(t *testing.T) {
	for _, c := range []struct{ op, want string }{
		{"Panic", `node "bad" (Panic): kernel panicked: runtime error: index out of range`},
		{"Fail", `node "bad" (Fail): boom`},
	} {
		m := model([]string{"x"}, []string{"y"}, nil, node("bad", c.op, []string{"x"}, []string{"y"}))
		p := compile(t, m)
		_, err := p.Run(context.Background(), []*ops.Tensor{vec(1)})
		assert.ErrorContains(t, err, c.want, "%s: got %v, want %q", c.op, err, c.want)
	}
}

func TestRunInputChecks(t *testing.T) {
	p := compile(t, model([]string{"x"}, []string{"y"}, nil, node("a", "AddOne", []string{"x"}, []string{"y"})))
	ctx := context.Background()
	for _, c := range []struct {
		in   []*ops.Tensor
		want string
	}{
		{nil, "got 0 inputs, want 1"},
		{[]*ops.Tensor{nil}, `missing input "x"`},
		{[]*ops.Tensor{ops.FromInt64([]int{1}, []int64{1})}, `input "x": expected float32, got int64`},
		{[]*ops.Tensor{{DType: ops.Float32, Shape: []int{3}, Data: []float32{1}}}, `input "x"`},
	} {
		_, err := p.Run(ctx, c.in)
		assert.ErrorContains(t, err, c.want, "got %v, want %q", err, c.want)
	}
}

func TestContextCancellation(t *testing.T) {
	p := compile(t, model([]string{"x"}, []string{"y"}, nil,
		node("w", "Wait", []string{"x"}, []string{"w"}),
		node("a", "AddOne", []string{"w"}, []string{"y"})))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.Run(ctx, []*ops.Tensor{vec(1)})
	require.True(t, errors.Is(err, context.Canceled), "got %v, want context.Canceled", err)
}

func TestSeededRand(t *testing.T) {
	m := model([]string{"x"}, []string{"y"}, nil, node("r", "Rand", []string{"x"}, []string{"y"}))
	run := func(seed uint64) []float32 {
		p, err := Compile(m, Options{Seed: seed})
		require.NoError(t, err)
		out, err := p.Run(context.Background(), []*ops.Tensor{ops.New(ops.Float32, 8)})
		require.NoError(t, err)
		return out[0].F32()
	}
	a, b, c := run(1), run(1), run(2)
	require.Equal(t, fmt.Sprint(b), fmt.Sprint(a), "same seed, different values: %v vs %v", a, b)
	require.NotEqual(t, fmt.Sprint(c), fmt.Sprint(a), "different seeds, same values: %v", a)
}

func TestConcurrentRuns(t *testing.T) {
	m := model([]string{"x"}, []string{"y", "t"}, map[string]*ops.Tensor{"w": vec(1, 1, 1, 1)},
		node("a", "AddOne", []string{"x"}, []string{"a"}),
		node("b", "Add", []string{"a", "w"}, []string{"b"}),
		node("t", "Tail", []string{"b"}, []string{"t"}),
		node("d", "Double", []string{"b"}, []string{"y"}),
	)
	p := compile(t, m)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				v := float32(g*1000 + i)
				out, err := p.Run(context.Background(), []*ops.Tensor{vec(v, v, v, v)})
				if err != nil {
					errs <- err
					return
				}
				want := 2 * (v + 2)
				for _, o := range out[0].F32() {
					if o != want {
						errs <- fmt.Errorf("goroutine %d run %d: y = %v, want %v", g, i, out[0].F32(), want)
						return
					}
				}
				for _, o := range out[1].F32() {
					if o != v+2 {
						errs <- fmt.Errorf("goroutine %d run %d: t = %v, want %v", g, i, out[1].F32(), v+2)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

type testingMemStats struct{ runtime.MemStats }

func (m *testingMemStats) read() {
	runtime.GC()
	runtime.ReadMemStats(&m.MemStats)
}

func TestUnreadOptionalOutputMayBeNil(t *testing.T) {
	p := compile(t, model([]string{"x"}, []string{"y"}, nil,
		node("h", "HalfOut", []string{"x"}, []string{"a", "mask"}),
		node("y", "AddOne", []string{"a"}, []string{"y"})))
	out, err := p.Run(context.Background(), []*ops.Tensor{vec(1)})
	require.NoError(t, err)
	wantVec(t, "y", out[0], 2)

	p = compile(t, model([]string{"x"}, []string{"y"}, nil,
		node("h", "HalfOut", []string{"x"}, []string{"a", "mask"}),
		node("y", "AddOne", []string{"mask"}, []string{"y"})))
	_, err = p.Run(context.Background(), []*ops.Tensor{vec(1)})
	require.Error(t, err, "got %v", err)
	require.Contains(t, err.Error(), `node "h" (HalfOut): output "mask": kernel returned a bad tensor`, "got %v", err)
}

func TestOutputsAliasingInputsAreCopied(t *testing.T) {
	p := compile(t, model([]string{"x"}, []string{"s", "t"}, nil,
		node("s", "Same", []string{"x"}, []string{"s"}),
		node("t", "Tail", []string{"x"}, []string{"t"})))
	x := vec(1, 2, 3)
	out, err := p.Run(context.Background(), []*ops.Tensor{x})
	require.NoError(t, err)
	x.F32()[1] = 100 // the caller reuses its input buffer
	wantVec(t, "s", out[0], 1, 2, 3)
	wantVec(t, "t", out[1], 2, 3)
}

// A value read only inside a node's subgraph stays alive until that node.
func TestSubgraphReadsKeepValuesAlive(t *testing.T) {
	body := &graph.Graph{Nodes: []*graph.Node{{OpType: "Identity", Inputs: []string{"a"}, Outputs: []string{"o"}}},
		Outputs: []graph.ValueInfo{{Name: "o"}}}
	sub := node("s", "Same", []string{"x"}, []string{"s"})
	sub.Attrs = map[string]*graph.Attr{"body": {Name: "body", Type: graph.AttrGraph, G: body}}
	m := model([]string{"x"}, []string{"y"}, nil,
		node("a", "AddOne", []string{"x"}, []string{"a"}),
		node("b", "AddOne", []string{"x"}, []string{"b"}),
		sub,
		node("y", "Add", []string{"b", "s"}, []string{"y"}))
	p, err := Compile(m, Options{})
	require.NoError(t, err)
	// "a" is read by no explicit input: without the subgraph it would be
	// released right after step 0; with it, after step 2.
	for i, st := range p.steps {
		for _, s := range st.release {
			require.False(t, p.names[s] == "a" && i != 2, "a released after step %d, want 2", i)
		}
	}
}

// Compiling with all passes must leave the caller's model untouched.
func TestCompileDoesNotModifyModel(t *testing.T) {
	m, err := graph.DecodeFile("../../testdata/models/dense-ae/model.onnx")
	require.NoError(t, err)
	before, err := graph.Encode(m)
	require.NoError(t, err)
	nodes := len(m.Graph.Nodes)
	p, err := Compile(m, Options{Optimize: true})
	require.NoError(t, err)
	require.False(t, p.NumSteps() >= nodes, "optimised plan has %d steps for %d nodes: nothing was fused", p.NumSteps(), nodes)
	after, err := graph.Encode(m)
	require.NoError(t, err)
	require.Equal(t, after, before, "Compile modified the model (nodes %d -> %d, value_info %d)", nodes, len(m.Graph.Nodes), len(m.Graph.ValueInfo))
	require.Len(t, m.Graph.Nodes, nodes, "Compile modified the model (nodes %d -> %d, value_info %d)", nodes, len(m.Graph.Nodes), len(m.Graph.ValueInfo))
	require.Len(t, m.Graph.ValueInfo, 0, "Compile modified the model (nodes %d -> %d, value_info %d)", nodes, len(m.Graph.Nodes), len(m.Graph.ValueInfo))
}
