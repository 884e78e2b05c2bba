package runtime

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Session tests use kernels in a private domain so they do not depend on
// (or collide with) the real ai.onnx kernels.
const sessDomain = "latent.sessiontest"

var sessKernels sync.Once

func registerSessKernels() {
	sessKernels.Do(func() {
		// AddRows: y[b, j] = x[b, j] + w[j] (w one row).
		operators.Register(operators.Op{Domain: sessDomain, Type: "AddRows", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				x, w := in[0], in[1]
				if x.Rank() != 2 || w.Len() != x.Shape[1] {
					return nil, fmt.Errorf("AddRows: x %v, w %v", x, w)
				}
				y := env.New(ops.Float32, x.Shape...)
				xs, ws, ys := x.F32(), w.F32(), y.F32()
				for i := range ys {
					ys[i] = xs[i] + ws[i%len(ws)]
				}
				return []*ops.Tensor{y}, nil
			}, nil
		}}, 1)
		// SumRows: y[b] = sum_j x[b, j].
		operators.Register(operators.Op{Domain: sessDomain, Type: "SumRows", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
			return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
				x := in[0]
				y := env.New(ops.Float32, x.Shape[0])
				ys := y.F32()
				for b := range ys {
					var s float32
					for _, v := range x.F32()[b*x.Shape[1] : (b+1)*x.Shape[1]] {
						s += v
					}
					ys[b] = s
				}
				return []*ops.Tensor{y}, nil
			}, nil
		}}, 1)
	})
}

func dims(ds ...any) graph.Shape {
	s := make(graph.Shape, len(ds))
	for i, d := range ds {
		switch v := d.(type) {
		case int:
			s[i] = graph.Dim{Value: int64(v)}
		case string:
			s[i] = graph.Dim{Value: -1, Param: v}
		}
	}
	return s
}

// testModel: y = x + w (rows), s = rowsum(x2) with x [batch,3], x2 [batch,2].
func testModel() *graph.Model {
	registerSessKernels()
	f32 := graph.ElemTypeOf(ops.Float32)
	return &graph.Model{
		IRVersion:    8,
		ProducerName: "session_test",
		Opsets:       map[string]int64{"": 17, sessDomain: 1},
		Metadata:     []graph.MetadataEntry{{Key: "latent.kind", Value: "test"}},
		Graph: &graph.Graph{
			Name: "g",
			Inputs: []graph.ValueInfo{
				{Name: "x", DType: ops.Float32, ElemTypeCode: f32, HasShape: true, Shape: dims("batch", 3)},
				{Name: "x2", DType: ops.Float32, ElemTypeCode: f32, HasShape: true, Shape: dims("batch", 2)},
			},
			Outputs: []graph.ValueInfo{
				{Name: "y", DType: ops.Float32, ElemTypeCode: f32, HasShape: true, Shape: dims("batch", 3)},
				{Name: "s", DType: ops.Float32, ElemTypeCode: f32, HasShape: true, Shape: dims("batch")},
			},
			Initializers: map[string]*ops.Tensor{"w": ops.FromFloat32([]int{3}, []float32{10, 20, 30})},
			InitOrder:    []string{"w"},
			Nodes: []*graph.Node{
				{Name: "add", OpType: "AddRows", Domain: sessDomain, Inputs: []string{"x", "w"}, Outputs: []string{"y"}},
				{Name: "sum", OpType: "SumRows", Domain: sessDomain, Inputs: []string{"x2"}, Outputs: []string{"s"}},
			},
		},
	}
}

func f32(shape []int, v ...float32) *ops.Tensor { return ops.FromFloat32(shape, v) }

func checkOutputs(t *testing.T, out []*ops.Tensor) {
	t.Helper()
	require.Len(t, out, 2, "got %d outputs, want 2", len(out))
	want := []float32{11, 22, 33, 14, 25, 36}
	for i, w := range want {
		require.Equal(t, w, out[0].F32()[i], "y = %v, want %v", out[0].F32(), want)
	}
	require.Equal(t, []int{2}, out[1].Shape, "s")
	require.Equal(t, []float32{3, 7}, out[1].F32(), "s")
}

func goodInputs() map[string]*ops.Tensor {
	return map[string]*ops.Tensor{
		"x":  f32([]int{2, 3}, 1, 2, 3, 4, 5, 6),
		"x2": f32([]int{2, 2}, 1, 2, 3, 4),
	}
}

func TestSessionRun(t *testing.T) {
	s, err := OpenModel(testModel())
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, "native", s.Backend(), "backend %q, want native", s.Backend())
	if in := s.Inputs(); assert.Len(t, in, 2, "Inputs()") {
		assert.Equal(t, "x", in[0].Name)
		assert.Equal(t, "[batch,3]", in[0].Shape.String())
	}
	if outs := s.Outputs(); assert.Len(t, outs, 2, "Outputs()") {
		assert.Equal(t, "s", outs[1].Name)
	}
	assert.Equal(t, "test", s.Metadata()["latent.kind"], "Metadata() = %v", s.Metadata())
	out, err := s.Run(context.Background(), goodInputs())
	require.NoError(t, err)
	checkOutputs(t, out)
	in := goodInputs()
	out, err = s.RunOrdered(context.Background(), []*ops.Tensor{in["x"], in["x2"]})
	require.NoError(t, err)
	checkOutputs(t, out)
}

func TestSessionInputErrors(t *testing.T) {
	s, err := OpenModel(testModel())
	require.NoError(t, err)
	defer s.Close()
	cases := []struct {
		name string
		mod  func(m map[string]*ops.Tensor)
		want string
	}{
		{"missing", func(m map[string]*ops.Tensor) { delete(m, "x2") }, `missing input "x2"`},
		{"unknown", func(m map[string]*ops.Tensor) { m["z"] = f32(nil, 1) }, `unknown input "z" (the model's inputs are "x", "x2")`},
		{"dtype", func(m map[string]*ops.Tensor) { m["x"] = ops.FromInt64([]int{2, 3}, make([]int64, 6)) }, `input "x": expected float32, got int64`},
		{"rank", func(m map[string]*ops.Tensor) { m["x"] = f32([]int{6}, 1, 2, 3, 4, 5, 6) }, `input "x": expected shape [batch,3], got [6]`},
		{"dim", func(m map[string]*ops.Tensor) { m["x"] = f32([]int{3, 2}, 1, 2, 3, 4, 5, 6) }, `input "x": expected shape [batch,3], got [3 2]`},
		{"symbolic", func(m map[string]*ops.Tensor) { m["x2"] = f32([]int{3, 2}, 1, 2, 3, 4, 5, 6) }, `input "x2": expected shape [batch,2], got [3 2] (dimension "batch" is 2 in input "x")`},
		{"bad data", func(m map[string]*ops.Tensor) { m["x"] = f32([]int{2, 3}, 1, 2) }, `input "x": tensor float32[2 3]: shape needs 6 elements, data has 2`},
		{"nil", func(m map[string]*ops.Tensor) { m["x"] = nil }, `missing input "x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := goodInputs()
			c.mod(in)
			_, err := s.Run(context.Background(), in)
			require.ErrorContains(t, err, c.want)
		})
	}
	_, err = s.RunOrdered(context.Background(), []*ops.Tensor{f32([]int{1, 3}, 1, 2, 3)})
	assert.ErrorContains(t, err, "got 1 inputs, the model takes 2", "short RunOrdered")
	s.Close()
	_, err = s.Run(context.Background(), goodInputs())
	assert.ErrorContains(t, err, "closed", "Run after Close")
}

func TestOpenBytesReaderAndFile(t *testing.T) {
	data, err := graph.Encode(testModel())
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.onnx")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	openers := map[string]func() (*Session, error){
		"bytes":  func() (*Session, error) { return OpenBytes(data) },
		"reader": func() (*Session, error) { return OpenReader(bytes.NewReader(data), WithSeed(3), WithThreads(1)) },
		"file":   func() (*Session, error) { return Open(path, WithBackend("native"), WithOptimize(false)) },
	}
	for name, open := range openers {
		s, err := open()
		require.NoError(t, err, "%s", name)
		out, err := s.Run(context.Background(), goodInputs())
		require.NoError(t, err, "%s", name)
		checkOutputs(t, out)
		s.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.onnx")
	os.WriteFile(garbage, []byte("this is not a protobuf \xff\xff\xff"), 0o644)
	good, err := graph.Encode(testModel())
	require.NoError(t, err)
	trunc := filepath.Join(dir, "trunc.onnx")
	os.WriteFile(trunc, good[:len(good)/2], 0o644)

	for _, c := range []struct {
		name string
		open func() (*Session, error)
		want string
	}{
		{"no file", func() (*Session, error) { return Open(filepath.Join(dir, "nope.onnx")) }, "nope.onnx"},
		{"garbage", func() (*Session, error) { return Open(garbage) }, "garbage.onnx"},
		{"truncated", func() (*Session, error) { return Open(trunc) }, "trunc.onnx"},
		{"unknown backend", func() (*Session, error) { return OpenModel(testModel(), WithBackend("nope")) }, `unknown backend "nope"`},
		{"unknown op", func() (*Session, error) {
			m := testModel()
			m.Graph.Nodes[0].OpType = "Frobnicate"
			return OpenModel(m)
		}, `node "add" (Frobnicate): unsupported operator Frobnicate in domain "latent.sessiontest"`},
		{"nil model", func() (*Session, error) { return OpenModel(nil) }, "no graph"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.open()
			if err == nil {
				s.Close()
			}
			require.Error(t, err, "open succeeded")
			require.Contains(t, err.Error(), c.want, "got %v, want error containing %q", err, c.want)
		})
	}
}

func TestSessionConcurrentRuns(t *testing.T) {
	s, err := OpenModel(testModel())
	require.NoError(t, err)
	defer s.Close()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				b := 1 + (g+i)%4
				x := ops.New(ops.Float32, b, 3)
				x2 := ops.New(ops.Float32, b, 2)
				for j := range x2.F32() {
					x2.F32()[j] = float32(g)
				}
				out, err := s.Run(context.Background(), map[string]*ops.Tensor{"x": x, "x2": x2})
				if err != nil {
					errc <- err
					return
				}
				if out[0].Shape[0] != b || out[0].F32()[2] != 30 || out[1].F32()[b-1] != float32(2*g) {
					errc <- fmt.Errorf("goroutine %d: wrong outputs %v %v", g, out[0].Data, out[1].Data)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
}

// Older exporters list initializers as graph inputs too: callers may feed
// them by name, and omitting them keeps the initializer.
func TestSessionOverridableInitializer(t *testing.T) {
	m := testModel()
	m.Graph.OverridableInits = []graph.ValueInfo{{Name: "w", DType: ops.Float32, ElemTypeCode: graph.ElemTypeOf(ops.Float32), HasShape: true, Shape: dims(3)}}
	s, err := OpenModel(m)
	require.NoError(t, err)
	defer s.Close()
	out, err := s.Run(context.Background(), goodInputs())
	require.NoError(t, err)
	checkOutputs(t, out)

	in := goodInputs()
	in["w"] = f32([]int{3}, 100, 200, 300)
	out, err = s.Run(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, []float32{101, 202, 303, 104, 205, 306}, out[0].F32(), "y with overridden w")
	// The override does not stick.
	out, err = s.Run(context.Background(), goodInputs())
	require.NoError(t, err)
	checkOutputs(t, out)

	in["w"] = f32([]int{4}, 1, 2, 3, 4)
	_, err = s.Run(context.Background(), in)
	require.ErrorContains(t, err, `input "w": expected shape [3], got [4]`, "bad override")
}

// BenchmarkDenseAE measures steady-state Run on the example model:
//
//	go test ./runtime -run '^$' -bench DenseAE -benchmem
func BenchmarkDenseAE(b *testing.B) {
	for _, batch := range []int{1, 256} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			s, err := Open("../testdata/models/dense-ae/model.onnx")
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			in := map[string]*ops.Tensor{"input": ops.New(ops.Float32, batch, 16)}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Run(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fakeBackend records whether Run is ever called on a closed executable.
type fakeBackend struct{ exe *fakeExe }

type fakeExe struct {
	mu          sync.Mutex
	closed      bool
	runs        int
	afterClose  int
	closedTwice bool
}

func (b fakeBackend) Name() string { return "fake" }

func (b fakeBackend) Compile(ctx context.Context, m *graph.Model, cfg Config) (Executable, error) {
	return b.exe, nil
}

func (e *fakeExe) Run(ctx context.Context, in []*ops.Tensor) ([]*ops.Tensor, error) {
	e.mu.Lock()
	if e.closed {
		e.afterClose++
	}
	e.runs++
	e.mu.Unlock()
	time.Sleep(time.Millisecond)
	return []*ops.Tensor{in[0], in[1]}, nil
}

func (e *fakeExe) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		e.closedTwice = true
	}
	e.closed = true
	return nil
}

func TestCloseWaitsForRuns(t *testing.T) {
	exe := &fakeExe{}
	s, err := OpenModel(testModel(), WithBackendImpl(fakeBackend{exe}))
	require.NoError(t, err)
	require.Equal(t, "fake", s.Backend(), "backend %q", s.Backend())
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, err := s.Run(context.Background(), goodInputs())
				if err != nil && !strings.Contains(err.Error(), "session is closed") {
					t.Error(err)
				}
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	s.Close()
	s.Close()
	wg.Wait()
	assert.Positive(t, exe.runs, "runs before Close")
	assert.Zero(t, exe.afterClose, "runs after Close")
	assert.False(t, exe.closedTwice, "executor closed twice")
}
