package kernels_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native/kernels"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/stretchr/testify/require"
)

// Helpers shared by the tests that run one ONNX node on the native backend
// and on ONNX Runtime and compare the outputs.

// requireORT skips the test when ONNX Runtime is unavailable, and fails
// it instead under CI, where the cross-checks must run.
func requireORT(t *testing.T) {
	t.Helper()
	testenv.Need(t, "ONNX Runtime (run `"+ort.InstallCommand+"`)", ort.Available())
}

// oneNodeModel returns a model of a single op node at opset. Input i is
// named names[i] and fed in[i]; an empty name leaves an optional input out
// (in[i] is then ignored). Outputs are out0, out1, … with the given types.
// With symbolicFirst the first input's dims are symbolic parameters, which
// keeps ONNX Runtime from folding output shapes from its static inference.
// It also returns the tensors to feed, in graph input order.
func oneNodeModel(op string, opset int64, attrs []*graph.Attr, names []string, in []*ops.Tensor, outs []ops.DType, symbolicFirst bool) (*graph.Model, []*ops.Tensor) {
	g := &graph.Graph{Name: "one_" + op, Initializers: map[string]*ops.Tensor{}, ValueInfo: map[string]graph.ValueInfo{}}
	n := &graph.Node{OpType: op, Inputs: names, Attrs: map[string]*graph.Attr{}}
	var feed []*ops.Tensor
	for i, name := range names {
		if name == "" {
			continue
		}
		x := in[i]
		shape := graph.ShapeOf(x.Shape...)
		if i == 0 && symbolicFirst {
			for d := range shape {
				shape[d] = graph.Dim{Value: -1, Param: fmt.Sprintf("d%d", d)}
			}
		}
		g.Inputs = append(g.Inputs, graph.ValueInfo{Name: name, DType: x.DType, Shape: shape, HasShape: true})
		feed = append(feed, x)
	}
	for i, dt := range outs {
		name := fmt.Sprintf("out%d", i)
		n.Outputs = append(n.Outputs, name)
		g.Outputs = append(g.Outputs, graph.ValueInfo{Name: name, DType: dt})
	}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
		n.AttrOrder = append(n.AttrOrder, a.Name)
	}
	g.Nodes = []*graph.Node{n}
	return &graph.Model{IRVersion: 8, ProducerName: "latent-test", Opsets: map[string]int64{"": opset}, Graph: g}, feed
}

// inputNames returns in0, in1, … for the non-nil tensors of in and "" (an
// omitted optional input) for the nil ones.
func inputNames(in []*ops.Tensor) []string {
	names := make([]string, len(in))
	for i, x := range in {
		if x != nil {
			names[i] = fmt.Sprintf("in%d", i)
		}
	}
	return names
}

// runNativeAndORT encodes m, opens it on the native and the ort backend
// and runs feed through both. what names the call in failure messages.
func runNativeAndORT(t *testing.T, m *graph.Model, feed []*ops.Tensor, what string) (native, ort []*ops.Tensor) {
	t.Helper()
	raw, err := graph.Encode(m)
	require.NoError(t, err)
	var res [2][]*ops.Tensor
	for i, backend := range []string{"native", "ort"} {
		s, err := runtime.OpenBytes(raw, runtime.WithBackend(backend))
		require.NoError(t, err, "%s: open %s", backend, what)
		res[i], err = s.RunOrdered(context.Background(), feed)
		s.Close()
		require.NoError(t, err, "%s: run %s on %v", backend, what, feed)
	}
	return res[0], res[1]
}

// firstMismatch compares the elements of two tensors of one type and shape
// as float64: equal, both NaN or within tol·(1+|want|) match. It returns
// the index and values of the first that does not, or -1.
func firstMismatch(got, want *ops.Tensor, tol float64) (i int, g, w float64) {
	g64, w64 := kernels.TensorF64(got), kernels.TensorF64(want)
	for i := range w64 {
		a, b := g64[i], w64[i]
		if a == b || (math.IsNaN(a) && math.IsNaN(b)) {
			continue
		}
		if !(math.Abs(a-b) <= tol*(1+math.Abs(b))) {
			return i, a, b
		}
	}
	return -1, 0, 0
}
