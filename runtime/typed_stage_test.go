package runtime_test

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encoderModel is y = Relu(Gemm(x, W, transB=1)) with x of type dt and
// shape [batch, width] and W of shape [2, 3].
func encoderModel(dt ops.DType, width int64) *graph.Model {
	return &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int64{"": 13},
		Graph: &graph.Graph{
			Name: "encoder",
			Inputs: []graph.ValueInfo{{Name: "x", DType: dt, ElemTypeCode: graph.ElemTypeOf(dt),
				Shape: graph.Shape{{Value: -1, Param: "batch"}, {Value: width}}, HasShape: true}},
			Outputs:      []graph.ValueInfo{{Name: "y", DType: ops.Float32, ElemTypeCode: graph.ElemTypeOf(ops.Float32)}},
			Initializers: map[string]*ops.Tensor{"W": ops.New(ops.Float32, 2, 3)},
			InitOrder:    []string{"W"},
			Nodes: []*graph.Node{
				{Name: "dense", OpType: "Gemm", Inputs: []string{"x", "W"}, Outputs: []string{"h"},
					Attrs: map[string]*graph.Attr{"transB": {Name: "transB", Type: graph.AttrInt, I: 1}}, AttrOrder: []string{"transB"}},
				{Name: "act", OpType: "Sigmoid", Inputs: []string{"h"}, Outputs: []string{"y"}},
			},
		},
	}
}

// TestOpenRunsTheTypedStage: every backend's session gets the typed stage,
// so a model whose shapes contradict each other, or that feeds an operator
// a type it does not admit, fails Open with an error naming the node —
// not the first Run with a kernel error, nor ONNX Runtime with a message
// about its own graph. The consistent model opens on both.
func TestOpenRunsTheTypedStage(t *testing.T) {
	for _, backend := range []string{runtime.NativeBackendName, "ort"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "ort" {
				requireORTGolden(t)
			}
			open := func(m *graph.Model) (*runtime.Session, error) {
				data, err := graph.Encode(m)
				require.NoError(t, err)
				return runtime.OpenBytes(data, runtime.WithBackend(backend))
			}
			s, err := open(encoderModel(ops.Float32, 3))
			require.NoError(t, err, "the consistent model")
			require.NoError(t, s.Close())

			_, err = open(encoderModel(ops.Float32, 4))
			require.Error(t, err)
			assert.Contains(t, err.Error(), `node dense (Gemm): inner dimensions differ: A [batch,4] (transA=0) has K=4, B [2,3] (transB=1) has K=3`)

			_, err = open(encoderModel(ops.Float64, 3))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "node dense (Gemm): inputs 0 (x) and 1 (W) must have the same element type, have float64 and float32")
		})
	}
}
