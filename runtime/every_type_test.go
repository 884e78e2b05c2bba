package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newestOpset returns the newest released opset (26) or, for an operator
// removed before it, the last one at which the default domain has op with
// a native kernel; an operator newer than 26 gets the first opset that has
// it.
func newestOpset(op string) (int64, *operators.Op, bool) {
	for v := int64(26); v >= 1; v-- {
		if o, err := operators.NativeOp("", op, v); err == nil {
			return v, o, true
		}
	}
	for v := int64(27); v <= 30; v++ {
		if o, err := operators.NativeOp("", op, v); err == nil {
			return v, o, true
		}
	}
	return 0, nil, false
}

// sweepTensor is a [2, 3] tensor of dt holding 1, 0, 2, 1, 0, 1 (as far as
// dt can hold them; a string tensor holds their decimal spellings).
func sweepTensor(t *testing.T, dt ops.DType) *ops.Tensor {
	x := ops.New(dt, 2, 3)
	vals := []float64{1, 0, 2, 1, 0, 1}
	if dt == ops.String {
		for i, v := range vals {
			x.Str()[i] = fmt.Sprint(v)
		}
		return x
	}
	require.NoError(t, ops.Cast(x, ops.FromFloat64([]int{2, 3}, vals)), "cast to %v", dt)
	return x
}

// Every operator with a native kernel, opened and run on inputs of every
// element type latent holds (all inputs of that type, or the first of that
// type and the others int64 ones): each either runs or fails with a
// one-line error, at Open or at Run, never a panic (recovered or not).
// The kernel fuzzers (runtime/native/kernels) draw random inputs and
// attributes; this sweep makes sure no operator × type pair is left out,
// through the whole path a user's model takes (typed stage, optimiser,
// planner, kernel).
func TestEveryOperatorEveryType(t *testing.T) {
	one := ops.FromInt64([]int{1}, []int64{1})
	var runs, opened, ran int
	for _, name := range operators.Operators() {
		op, ok := strings.CutPrefix(name, "ai.onnx/")
		if !ok {
			continue
		}
		opset, reg, ok := newestOpset(op)
		require.True(t, ok, "%s is listed but has no native kernel", name)
		if reg.Subgraphs {
			continue // no body to give it: FuzzControlFlow covers them
		}
		arities := []int{1, max(len(reg.Inputs), 1)}
		if arities[1] == 1 {
			arities = arities[:1]
		}
		for _, dt := range ops.DTypes() {
			for _, nIn := range arities {
				for _, mixed := range []bool{false, true} {
					if mixed && nIn == 1 {
						continue
					}
					g := &graph.Graph{Name: "sweep", Outputs: []graph.ValueInfo{{Name: "y"}}, ValueInfo: map[string]graph.ValueInfo{}}
					n := &graph.Node{OpType: op, Name: "sweep_" + op, Outputs: []string{"y"}, Attrs: map[string]*graph.Attr{}}
					feeds := map[string]*ops.Tensor{}
					for i := range nIn {
						in := fmt.Sprintf("x%d", i)
						x := sweepTensor(t, dt)
						if mixed && i > 0 {
							x = one
						}
						g.Inputs = append(g.Inputs, graph.ValueInfo{Name: in, DType: x.DType, Shape: graph.ShapeOf(x.Shape...), HasShape: true})
						n.Inputs = append(n.Inputs, in)
						feeds[in] = x
					}
					g.Nodes = []*graph.Node{n}
					m := &graph.Model{IRVersion: 10, Opsets: map[string]int64{"": opset}, Graph: g}
					desc := fmt.Sprintf("%s-%d on %d input(s) of %v (mixed %v)", op, opset, nIn, dt, mixed)
					runs++
					err := func() (err error) {
						defer func() {
							if r := recover(); r != nil {
								err = fmt.Errorf("panic: %v", r)
							}
						}()
						s, err := runtime.OpenModel(m)
						if err != nil {
							return err
						}
						defer s.Close()
						opened++
						if _, err = s.Run(context.Background(), feeds); err == nil {
							ran++
						}
						return err
					}()
					if err == nil {
						continue
					}
					msg := err.Error()
					assert.NotContains(t, msg, "panic", "%s", desc)
					assert.NotContains(t, msg, "\n", "%s: the error is one line", desc)
					assert.NotEmpty(t, msg, "%s", desc)
				}
			}
		}
	}
	t.Logf("%d operator × type runs: %d opened, %d ran", runs, opened, ran)
	require.Greater(t, ran, runs/10, "most runs should not fail at set-up")
}
